"""ad-variant matrices: variant sets, their combinations' jobs, and the items they share

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: no existing table is altered or rebuilt.
    op.create_table(
        'variant_sets',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('product_name', sa.String(length=200), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('estimate', sa.JSON(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.Column('request_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'idempotency_key',
                            name='ux_variant_sets_idempotency'),
    )
    op.create_index('ix_variant_sets_account_id', 'variant_sets', ['account_id'])
    op.create_table(
        'variant_set_jobs',
        sa.Column('variant_set_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(length=36), nullable=False),
        sa.Column('hook', sa.Integer(), nullable=False),
        sa.Column('body', sa.Integer(), nullable=False),
        sa.Column('cta', sa.Integer(), nullable=False),
        sa.Column('aspect_ratio', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['variant_set_id'], ['variant_sets.id'], ),
        sa.PrimaryKeyConstraint('variant_set_id', 'position'),
        sa.UniqueConstraint('job_id', name='ux_variant_set_jobs_job_id'),
    )
    op.create_table(
        'shared_items',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=36), nullable=False),
        sa.Column('content_key', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('owner_job_id', sa.String(length=36), nullable=False),
        sa.Column('artifact', sa.String(length=300), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('verdict', sa.JSON(), nullable=True),
        sa.Column('reuses', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'scope', 'content_key', name='ux_shared_items_key'),
    )


def downgrade() -> None:
    op.drop_table('shared_items')
    op.drop_table('variant_set_jobs')
    op.drop_index('ix_variant_sets_account_id', table_name='variant_sets')
    op.drop_table('variant_sets')
