"""social posting: connected accounts, OAuth connect attempts, posts

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: no existing table is altered or rebuilt.
    op.create_table(
        'social_connections',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('platform_user_id', sa.String(length=200), nullable=True),
        sa.Column('display_name', sa.String(length=200), nullable=True),
        sa.Column('scopes', sa.Text(), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'platform', name='ux_social_connections_platform'),
    )
    op.create_index('ix_social_connections_account_id', 'social_connections', ['account_id'])
    op.create_table(
        'oauth_states',
        sa.Column('state_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('code_verifier', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('state_hash'),
    )
    op.create_table(
        'social_posts',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('job_id', sa.String(length=36), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('workflow_id', sa.String(length=80), nullable=False),
        sa.Column('platform_post_id', sa.String(length=200), nullable=True),
        sa.Column('platform_url', sa.String(length=500), nullable=True),
        sa.Column('error_code', sa.String(length=64), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('notices', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_social_posts_job_id', 'social_posts', ['job_id'])
    op.create_index('ux_social_posts_idempotency', 'social_posts',
                    ['account_id', 'idempotency_key'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_social_posts_idempotency', table_name='social_posts')
    op.drop_index('ix_social_posts_job_id', table_name='social_posts')
    op.drop_table('social_posts')
    op.drop_table('oauth_states')
    op.drop_index('ix_social_connections_account_id', table_name='social_connections')
    op.drop_table('social_connections')
