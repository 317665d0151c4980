"""Webhook deliveries: each subscription's record of what it sent (its position is in projection_tracking).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("subscription_id", sa.String(36), primary_key=True),
        sa.Column("notification_id", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
