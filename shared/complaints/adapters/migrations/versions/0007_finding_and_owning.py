"""Finding and owning cases: whose work a case is (`assignee`, with a partial index for "my cases"), the
answer's approval progress (`approvals_given`, `next_approval_step`) for the queue, and `case_search`: each
case's words for the search over every case, open and closed. On PostgreSQL the words are the Dutch
full-text `tsvector` of subject and text (stemmed words and positions, not the readable text) under a GIN
index; on SQLite the text in lower case. Cases projected before have no words until they are received
again (a rebuild keeps the case rows only).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_ASSIGNED = sa.text("status NOT IN ('answered', 'closed') AND assignee IS NOT NULL")


def upgrade() -> None:
    op.add_column("case_summaries", sa.Column("assignee", sa.String(200)))
    op.add_column("case_summaries", sa.Column("approvals_given", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("case_summaries", sa.Column("next_approval_step", sa.String(100)))
    op.create_index("ix_case_summaries_open_assignee_due", "case_summaries",
                    ["tenant", "assignee", "due_date", "case_number"],
                    postgresql_where=OPEN_ASSIGNED, sqlite_where=OPEN_ASSIGNED)
    op.create_table("case_search",
                    sa.Column("case_id", sa.String(36), primary_key=True),
                    sa.Column("tenant", sa.String(50), nullable=False),
                    sa.Column("document", sa.Text().with_variant(TSVECTOR(), "postgresql"), nullable=False))
    if op.get_context().dialect.name == "postgresql":
        op.create_index("ix_case_search_document", "case_search", ["document"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("case_search")
    op.drop_index("ix_case_summaries_open_assignee_due", "case_summaries")
    for column in ("next_approval_step", "approvals_given", "assignee"):
        op.drop_column("case_summaries", column)
