"""The case summaries keep the legal entity and the district a case is about (the care company counts its
cases per entity; the city per district). Cases projected before have neither until a rebuild.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_summaries", sa.Column("entity", sa.String(100)))
    op.add_column("case_summaries", sa.Column("district", sa.String(100)))


def downgrade() -> None:
    op.drop_column("case_summaries", "district")
    op.drop_column("case_summaries", "entity")
