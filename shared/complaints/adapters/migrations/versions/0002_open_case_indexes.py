"""Partial indexes over open cases: the queue (by due date) and the overdue count, on millions of rows.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("status NOT IN ('answered', 'closed')")


def upgrade() -> None:
    for name, columns in (("ix_case_summaries_open_due", ["tenant", "due_date", "case_number"]),
                          ("ix_case_summaries_open_team_due", ["tenant", "team", "due_date", "case_number"]),
                          ("ix_case_summaries_open_received", ["tenant", "received_at", "due_date", "team"])):
        op.create_index(name, "case_summaries", columns, postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    for name in ("ix_case_summaries_open_received", "ix_case_summaries_open_team_due", "ix_case_summaries_open_due"):
        op.drop_index(name, "case_summaries")
