"""brand kit: each account's logo and watermark settings, and its avatar

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: no existing table is altered or rebuilt.
    op.create_table(
        'brand_kits',
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('logo_key', sa.String(length=300), nullable=True),
        sa.Column('logo_width', sa.Integer(), nullable=True),
        sa.Column('logo_height', sa.Integer(), nullable=True),
        sa.Column('position', sa.String(length=16), nullable=False),
        sa.Column('opacity', sa.Float(), nullable=False),
        sa.Column('size', sa.Float(), nullable=False),
        sa.Column('margin', sa.Float(), nullable=False),
        sa.Column('enabled_by_default', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('account_id'),
    )
    op.create_table(
        'tenant_avatars',
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('avatar_key', sa.String(length=300), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('account_id'),
    )


def downgrade() -> None:
    op.drop_table('tenant_avatars')
    op.drop_table('brand_kits')
