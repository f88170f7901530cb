"""异地就医备案: the offsite_filings register

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

Who may be treated outside the 参保地, of which 备案 kind, where and when (issue 17: the register
is the authority for 已备案 / 未备案; store/filing_models.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offsite_filings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_offsite_filings_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offsite_filings")),
    )
    op.create_index("ix_offsite_filings_psn_no_begin", "offsite_filings", ["psn_no", "begin_date"])


def downgrade() -> None:
    op.drop_index("ix_offsite_filings_psn_no_begin", table_name="offsite_filings")
    op.drop_table("offsite_filings")
