"""playground: one-off segments made with any catalog model (``playground_tasks``)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: no existing table is altered or rebuilt.
    op.create_table(
        'playground_tasks',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=False),
        sa.Column('model_id', sa.String(length=40), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.Column('aspect_ratio', sa.String(length=8), nullable=False),
        sa.Column('duration_s', sa.Integer(), nullable=False),
        sa.Column('resolution', sa.String(length=8), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('first_frame', sa.String(length=300), nullable=True),
        sa.Column('last_frame', sa.String(length=300), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress_percent', sa.Integer(), nullable=False),
        sa.Column('credits_reserved', sa.Integer(), nullable=False),
        sa.Column('credits_charged', sa.Integer(), nullable=False),
        sa.Column('vendor_task_id', sa.String(length=200), nullable=True),
        sa.Column('video', sa.String(length=300), nullable=True),
        sa.Column('error_code', sa.String(length=40), nullable=True),
        sa.Column('error_message', sa.String(length=1000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_playground_tasks_account_id', 'playground_tasks', ['account_id'])


def downgrade() -> None:
    op.drop_index('ix_playground_tasks_account_id', table_name='playground_tasks')
    op.drop_table('playground_tasks')
