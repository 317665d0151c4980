"""The complainant's feedback on each case (their rating, whether it was resolved, and what the tenant's rules
made of it: flagged for a manager or reopened), for the satisfaction report. Cases projected before have none
until they are rated.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_summaries", sa.Column("feedback_rating", sa.Integer()))
    op.add_column("case_summaries", sa.Column("feedback_resolved", sa.Boolean()))
    op.add_column("case_summaries", sa.Column("feedback_calls_for", sa.String(10)))


def downgrade() -> None:
    for column in ("feedback_calls_for", "feedback_resolved", "feedback_rating"):
        op.drop_column("case_summaries", column)
