"""The fund history: fund_years

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:10:00

Issue 16: the 基金 page opens a year with its stored opening balance (上年累计结存). One row per
统筹区 and year: opening balance, revenue, expenditure, closing balance (fen, each optional),
where they came from (决算 / demo / computed), who recorded them and when
(store/fund_models.py). A new table only: nothing already stored changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fund_years",
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opening_balance", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.BigInteger(), nullable=True),
        sa.Column("expenditure", sa.BigInteger(), nullable=True),
        sa.Column("closing_balance", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("region", "year", name=op.f("pk_fund_years")),
    )


def downgrade() -> None:
    op.drop_table("fund_years")
