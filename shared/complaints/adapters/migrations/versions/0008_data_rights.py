"""Data rights: `complainant_cases`, intake's index for retention and erasure (each case's pseudonym, when it
closed, whether its pseudonym was erased), and an index on the case summaries' pseudonym, by which the
projection drops an erased one.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("complainant_cases",
                    sa.Column("case_id", sa.String(36), primary_key=True),
                    sa.Column("tenant", sa.String(50), nullable=False),
                    sa.Column("subject", sa.String(36), nullable=False),
                    sa.Column("closed_at", sa.DateTime(timezone=True)),
                    sa.Column("erased", sa.Boolean(), nullable=False))
    op.create_index("ix_complainant_cases_tenant_subject", "complainant_cases", ["tenant", "erased", "subject"])
    op.create_index("ix_case_summaries_complainant", "case_summaries", ["complainant_key"])


def downgrade() -> None:
    op.drop_index("ix_case_summaries_complainant", "case_summaries")
    op.drop_table("complainant_cases")
