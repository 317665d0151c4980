"""Complaints about several teams: a part's row names its complaint (`part_of`), and a complaint counts its parts
(`parts`), so tables of complaints skip the parts and tables per team count them instead of their complaint.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_summaries", sa.Column("part_of", sa.String(36)))
    op.add_column("case_summaries", sa.Column("parts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("case_summaries", "parts")
    op.drop_column("case_summaries", "part_of")
