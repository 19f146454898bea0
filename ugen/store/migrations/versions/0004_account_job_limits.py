"""per-account job limits

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: no table rebuild on SQLite.
    op.add_column('accounts', sa.Column('max_concurrent_jobs', sa.Integer(), nullable=True))
    op.add_column('accounts', sa.Column('max_daily_jobs', sa.Integer(), nullable=True))
    op.create_index('ix_jobs_account_id_created_at', 'jobs', ['account_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_account_id_created_at', table_name='jobs')
    op.drop_column('accounts', 'max_daily_jobs')
    op.drop_column('accounts', 'max_concurrent_jobs')
