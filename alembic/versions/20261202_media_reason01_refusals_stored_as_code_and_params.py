"""media: a refused version stores its message code and parameters, worded through the catalogue when shown;
a conversion's claim is timed and counted, so a crashed one is taken again (a few times, then refused)

Revision ID: media_reason01
Revises: mail_sender01
Created: 2026-12-02 05:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'media_reason01'
down_revision = 'mail_sender01'
branch_labels = None
depends_on = None

# Rows refused before this kept only German and English sentences, not the numbers behind them: they get the
# message that names their reason without numbers.
_GENERIC = {"empty": "empty", "unreadable": "unreadable", "error": "conversion_error"}


def upgrade() -> None:
    with op.batch_alter_table('media_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('failure_params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    version = sa.table('media_version', sa.column('failure_reason', sa.String), sa.column('failure_code', sa.String))
    op.execute(version.update().where(version.c.failure_reason.is_not(None))
               .values(failure_code=sa.case(*((version.c.failure_reason == reason, code)
                                              for reason, code in _GENERIC.items()),
                                            else_=sa.literal("refused_") + version.c.failure_reason)))
    with op.batch_alter_table('media_version', schema=None) as batch_op:
        batch_op.drop_column('failure_detail')


def downgrade() -> None:
    with op.batch_alter_table('media_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_detail', sa.JSON(), nullable=True))
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('failure_params')
        batch_op.drop_column('failure_code')
