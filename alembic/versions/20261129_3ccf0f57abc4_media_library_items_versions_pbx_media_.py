"""media library: items, versions, pbx media token

Revision ID: 3ccf0f57abc4
Revises: 9db7ba8ad6fa
Created: 2026-11-29 18:50:48.117559
"""
from alembic import op
import sqlalchemy as sa
revision = '3ccf0f57abc4'
down_revision = '9db7ba8ad6fa'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pbx_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('hold_music', 'announcement', name='mediakind', native_enum=False, length=20), nullable=False),
    sa.Column('target', sa.Enum('operator', 'group', name='mediatarget', native_enum=False, length=20), nullable=True),
    sa.Column('group_name', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pbx_id'], ['pbx.id'], name=op.f('fk_media_item_pbx_id_pbx')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_item')),
    sa.UniqueConstraint('pbx_id', 'slug', name=op.f('uq_media_item_pbx_id'))
    )
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_item_pbx_id'), ['pbx_id'], unique=False)

    op.create_table('pbx_media_token',
    sa.Column('pbx_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pbx_id'], ['pbx.id'], name=op.f('fk_pbx_media_token_pbx_id_pbx')),
    sa.PrimaryKeyConstraint('pbx_id', name=op.f('pk_pbx_media_token')),
    sa.UniqueConstraint('secret', name=op.f('uq_pbx_media_token_secret'))
    )
    op.create_table('media_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'converting', 'ready', 'failed', name='versionstate', native_enum=False, length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('original_format', sa.String(length=4), nullable=False),
    sa.Column('original_path', sa.String(length=300), nullable=False),
    sa.Column('original_bytes', sa.Integer(), nullable=False),
    sa.Column('source_rate', sa.Integer(), nullable=True),
    sa.Column('source_channels', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('normalize', sa.Boolean(), nullable=False),
    sa.Column('gain_db', sa.Float(), nullable=True),
    sa.Column('g711a_path', sa.String(length=300), nullable=True),
    sa.Column('g711a_bytes', sa.Integer(), nullable=True),
    sa.Column('g711u_path', sa.String(length=300), nullable=True),
    sa.Column('g711u_bytes', sa.Integer(), nullable=True),
    sa.Column('wav_path', sa.String(length=300), nullable=True),
    sa.Column('wav_bytes', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('failure_reason', sa.String(length=20), nullable=True),
    sa.Column('failure_detail', sa.JSON(), nullable=True),
    sa.Column('uploaded_by', sa.String(length=300), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['media_item.id'], name=op.f('fk_media_version_item_id_media_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_version')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_media_version_item_id'))
    )
    with op.batch_alter_table('media_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_version_item_id'), ['item_id'], unique=False)
        batch_op.create_index('uq_media_version_one_active', ['item_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))


def downgrade() -> None:
    with op.batch_alter_table('media_version', schema=None) as batch_op:
        batch_op.drop_index('uq_media_version_one_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.drop_index(batch_op.f('ix_media_version_item_id'))

    op.drop_table('media_version')
    op.drop_table('pbx_media_token')
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_item_pbx_id'))

    op.drop_table('media_item')
