"""The cases each calling system sent (`sent_requests`, intake's index): Open311's `GET requests` lists a
system's own by it, newest first.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sent_requests",
                    sa.Column("case_id", sa.String(36), primary_key=True),
                    sa.Column("tenant", sa.String(50), nullable=False),
                    sa.Column("sender", sa.String(250), nullable=False),
                    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_sent_requests_sender", "sent_requests", ["tenant", "sender", "received_at"])


def downgrade() -> None:
    op.drop_table("sent_requests")
