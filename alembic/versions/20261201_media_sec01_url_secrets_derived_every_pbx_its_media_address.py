"""URL secrets derived, not stored; every PBX its hold-music address

Feed tokens and hold-music URL secrets were stored in clear (and written to the access log). Now each row keeps
only a random selector (``nonce``); the secret in the URL is derived from it with a key from SECRET_KEY
(console.auth.tokens). The old values cannot be turned into selectors, and they must be taken as disclosed
(they are in old access logs), so every existing feed and hold-music address is replaced: resellers copy the new
feed address from "Notices and feeds", customers the new hold-music URLs from their media page. Every PBX without
a hold-music address gets one (the page used to make a new, unsaved one on every view).

Bearer tokens (incident_api_token, directory_token) are unchanged: they were stored as SHA-256 already, which
console.auth.tokens keeps, so issued tokens go on working.

Revision ID: media_sec01
Revises: c3e14128f028
Created: 2026-12-01 23:03:28
"""
import secrets
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = 'media_sec01'
down_revision = 'c3e14128f028'
branch_labels = None
depends_on = None


def _nonce() -> str:
    return secrets.token_urlsafe(12)   # as console.auth.tokens.new_nonce (16 characters)


def _fill(table: str, key: str, column: str, value) -> None:
    connection = op.get_bind()
    t = sa.table(table, sa.column(key), sa.column(column))
    for (row_key,) in connection.execute(sa.select(t.c[key])).all():
        connection.execute(sa.update(t).where(t.c[key] == row_key).values({column: value()}))


def upgrade() -> None:
    for table, key, old in (('maintenance_feed_token', 'id', 'token'), ('pbx_media_token', 'pbx_id', 'secret')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('nonce', sa.String(length=16), nullable=True))
        _fill(table, key, 'nonce', _nonce)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('nonce', existing_type=sa.String(length=16), nullable=False)
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_{old}'), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_nonce'), ['nonce'])
            batch_op.drop_column(old)

    connection = op.get_bind()
    pbx = sa.table('pbx', sa.column('id'))
    token = sa.table('pbx_media_token', sa.column('pbx_id'), sa.column('nonce'),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    missing = connection.execute(sa.select(pbx.c.id).where(pbx.c.id.not_in(sa.select(token.c.pbx_id)))).scalars()
    now = datetime.now(timezone.utc)
    rows = [{'pbx_id': pbx_id, 'nonce': _nonce(), 'created_at': now} for pbx_id in missing]
    if rows:
        connection.execute(sa.insert(token), rows)


def downgrade() -> None:
    # The derived secrets cannot be stored back; the old schema gets new random ones (new addresses again).
    for table, key, old in (('pbx_media_token', 'pbx_id', 'secret'), ('maintenance_feed_token', 'id', 'token')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(old, sa.VARCHAR(length=64), nullable=True))
        _fill(table, key, old, lambda: secrets.token_urlsafe(32 if old == 'token' else 24))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(old, existing_type=sa.VARCHAR(length=64), nullable=False)
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_nonce'), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_{old}'), [old])
            batch_op.drop_column('nonce')
