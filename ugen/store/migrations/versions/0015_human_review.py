"""human_review: keyframe attempts put before a reviewer and their decisions.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "keyframe_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("run_number", sa.Integer(), nullable=False),
        sa.Column("keyframe", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("artifact", sa.String(500), nullable=False),
        sa.Column("qa_score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("waiter", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("job_id", "run_number", "keyframe", "round"),
    )
    op.create_index("ix_keyframe_reviews_job_id", "keyframe_reviews", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_keyframe_reviews_job_id", table_name="keyframe_reviews")
    op.drop_table("keyframe_reviews")
