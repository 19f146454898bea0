"""job items: every keyframe and segment attempt with its QA verdict, reusable by a retry

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_items',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('job_id', sa.String(length=36), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('item', sa.String(length=16), nullable=False),
        sa.Column('run_number', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('artifact', sa.String(length=300), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('inputs', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('verdict', sa.JSON(), nullable=False),
        sa.Column('reused_from', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('job_id', 'item', 'run_number', 'attempt',
                            name='ux_job_items_attempt'),
    )
    op.create_index('ix_job_items_job_id_item', 'job_items', ['job_id', 'item'])


def downgrade() -> None:
    op.drop_index('ix_job_items_job_id_item', table_name='job_items')
    op.drop_table('job_items')
