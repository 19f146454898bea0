"""stage records keep a failure's category and item beside its message

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('job_stages', sa.Column('error_detail', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job_stages') as batch:
        batch.drop_column('error_detail')
