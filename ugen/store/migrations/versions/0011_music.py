"""music: custom music tracks per account (soft-deleted with is_active)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: no existing table is altered or rebuilt.
    op.create_table(
        'custom_music',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('artifact_key', sa.String(length=300), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('duration_s', sa.Float(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_custom_music_account', 'custom_music',
                    ['account_id', 'is_active', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_custom_music_account', table_name='custom_music')
    op.drop_table('custom_music')
