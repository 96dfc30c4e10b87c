"""operations: the daily figures behind the Betrieb page's charts

Revision ID: ops02
Revises: fax01
Created: 2026-12-02 17:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'ops02'
down_revision = 'fax01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ops_daily_figure',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('sampled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', 'key', name=op.f('pk_ops_daily_figure'))
    )


def downgrade() -> None:
    op.drop_table('ops_daily_figure')
