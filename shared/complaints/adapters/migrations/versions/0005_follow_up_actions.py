"""Follow-up and improvement actions, one row per action: the open ones per team, and the yearly report.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up_actions",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(10), primary_key=True),
        sa.Column("tenant", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text),
    )
    op.create_index("ix_follow_up_actions_tenant_team", "follow_up_actions", ["tenant", "team", "done_at"])


def downgrade() -> None:
    op.drop_table("follow_up_actions")
