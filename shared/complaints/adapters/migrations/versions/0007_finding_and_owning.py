"""Finding and owning cases: whose work a case is (`assignee`), with a partial index for "my cases".

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_ASSIGNED = sa.text("status NOT IN ('answered', 'closed') AND assignee IS NOT NULL")


def upgrade() -> None:
    op.add_column("case_summaries", sa.Column("assignee", sa.String(200)))
    op.create_index("ix_case_summaries_open_assignee_due", "case_summaries",
                    ["tenant", "assignee", "due_date", "case_number"],
                    postgresql_where=OPEN_ASSIGNED, sqlite_where=OPEN_ASSIGNED)


def downgrade() -> None:
    op.drop_index("ix_case_summaries_open_assignee_due", "case_summaries")
    op.drop_column("case_summaries", "assignee")
