"""The record of events a consumer could not apply: the case, the event, the reason, and its re-drive.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skipped_events",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("notification_id", sa.BigInteger, primary_key=True),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redrive_requested_at", sa.DateTime(timezone=True)),
        sa.Column("redriven_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_skipped_events_tenant_case", "skipped_events", ["tenant", "case_id"])


def downgrade() -> None:
    op.drop_table("skipped_events")
