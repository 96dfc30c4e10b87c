"""operations: each job's last run, and backups and restore drills

Revision ID: ops01
Revises: sync_status01
Created: 2026-12-02 05:55:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'ops01'
down_revision = 'sync_status01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ops_backup_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('archive', sa.String(length=500), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_backup_record'))
    )
    with op.batch_alter_table('ops_backup_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_backup_record_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_backup_record_kind'), ['kind'], unique=False)

    op.create_table('ops_job_status',
    sa.Column('job_id', sa.String(length=100), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_duration_seconds', sa.Float(), nullable=False),
    sa.Column('last_ok', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_ops_job_status'))
    )


def downgrade() -> None:
    op.drop_table('ops_job_status')
    with op.batch_alter_table('ops_backup_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_backup_record_kind'))
        batch_op.drop_index(batch_op.f('ix_ops_backup_record_finished_at'))
    op.drop_table('ops_backup_record')
