"""api keys; idempotency of job creation

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_prefix', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_index('ix_api_keys_account_id', 'api_keys', ['account_id'], unique=False)
    # Plain ADD COLUMN and CREATE INDEX: no table rebuild of `jobs` on SQLite (a rebuild
    # would drop the table its stages and events cascade from).
    op.add_column('jobs', sa.Column('idempotency_key', sa.String(length=200), nullable=True))
    op.add_column('jobs', sa.Column('request_hash', sa.String(length=64), nullable=True))
    op.create_index('ux_jobs_account_idempotency', 'jobs', ['account_id', 'idempotency_key'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('ux_jobs_account_idempotency', table_name='jobs')
    op.drop_column('jobs', 'request_hash')
    op.drop_column('jobs', 'idempotency_key')
    op.drop_index('ix_api_keys_account_id', table_name='api_keys')
    op.drop_table('api_keys')
