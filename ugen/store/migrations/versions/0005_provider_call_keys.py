"""provider calls: the vendor's request id and a key that records a call once

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('provider_calls', sa.Column('request_id', sa.String(length=200), nullable=True))
    op.add_column('provider_calls', sa.Column('dedupe_key', sa.String(length=200), nullable=True))
    op.create_index('ix_provider_calls_dedupe_key', 'provider_calls', ['dedupe_key'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('ix_provider_calls_dedupe_key', table_name='provider_calls')
    op.drop_column('provider_calls', 'dedupe_key')
    op.drop_column('provider_calls', 'request_id')
