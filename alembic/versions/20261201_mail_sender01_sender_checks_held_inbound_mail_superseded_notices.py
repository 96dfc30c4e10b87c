"""mail: sender checks, held inbound mail, superseded notices

Revision ID: mail_sender01
Revises: auth_sess01
Created: 2026-12-01 23:21:55.364532
"""
from alembic import op
import sqlalchemy as sa

revision = 'mail_sender01'
down_revision = 'auth_sess01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column('auth_results', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_inbound_message_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_topic'), ['topic'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_topic'))
        batch_op.drop_column('revision')
        batch_op.drop_column('topic')

    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_message_id'))
        batch_op.drop_column('handled_by')
        batch_op.drop_column('outcome')
        batch_op.drop_column('auth_results')
        batch_op.drop_column('message_id')
