"""Two more clocks (#20, part 4): the acknowledgement's term and the admissibility decision's, both from receipt.

`term_index` (qualification): per case and term its due day, its warning day (none for a term too short to warn)
and whether it still runs, so the scheduler records each term's approaching and breached events once. On
`case_summaries` (reporting): each term's due day and when it stopped (the acknowledgement sent; admissibility
decided, and how), for the report of their own. Cases projected before have none of it: their terms were never
kept.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SUMMARY_COLUMNS = (
    sa.Column("acknowledgement_id", sa.String(36)),
    sa.Column("acknowledgement_due", sa.Date()),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.Column("admissibility_due", sa.Date()),
    sa.Column("admissibility", sa.String(20)),
    sa.Column("admissibility_decided_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "term_index",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("term", sa.String(20), primary_key=True),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("warn_on", sa.Date()),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("warned_for", sa.Date()),
        sa.Column("breached_for", sa.Date()),
    )
    op.create_index("ix_term_index_due", "term_index", ["running", "warn_on", "due_date"])
    for column in SUMMARY_COLUMNS:
        op.add_column("case_summaries", column)


def downgrade() -> None:
    for column in reversed(SUMMARY_COLUMNS):
        op.drop_column("case_summaries", column.name)
    op.drop_table("term_index")
