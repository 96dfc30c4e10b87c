"""directory: an Exchange sync run's status is an enum (stored by value, as every enum here)

Revision ID: sync_status01
Revises: media_reason01
Created: 2026-12-02 05:52:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'sync_status01'
down_revision = 'media_reason01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the stored values (queued, running, done, failed) stay; only the column takes the enums' common width
    with op.batch_alter_table('exchange_sync_run', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_sync_run', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
