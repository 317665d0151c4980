"""The read models: projection positions, case summaries (reporting), the deadline index (qualification).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_tracking",
        sa.Column("application_name", sa.String(100), primary_key=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "case_summaries",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("case_number", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("signal_type", sa.String(100), nullable=False),
        sa.Column("category", sa.String(100)),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("team", sa.String(100)),
        sa.Column("qualification", sa.String(100)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date()),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("lead_time_days", sa.Integer()),
        sa.Column("answered_in_time", sa.Boolean()),
        sa.Column("complainant_key", sa.String(64)),
        sa.Column("events_applied", sa.Integer(), nullable=False),
    )
    op.create_index("ix_case_summaries_tenant_received", "case_summaries", ["tenant", "received_at"])
    op.create_index("ix_case_summaries_tenant_queue", "case_summaries", ["tenant", "status", "team", "due_date"])
    op.create_table(
        "deadline_index",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("warn_on", sa.Date(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("warned_for", sa.Date()),
        sa.Column("breached_for", sa.Date()),
    )
    op.create_index("ix_deadline_index_due", "deadline_index", ["open", "warn_on", "due_date"])


def downgrade() -> None:
    op.drop_table("deadline_index")
    op.drop_table("case_summaries")
    op.drop_table("projection_tracking")
