"""Stored aggregates of the settlements: per person-year and per cell

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00

Issue 16: the console's pages read these instead of every settlement of the year. Both tables
are filled here from the settlements already stored (store.aggregates.rebuild: the settled
settlements summed by the database), so a store created before this revision has them right
from the first page it serves; from then on every write path keeps them in the transaction of
the settlement or reversal. ``yibao db check`` compares them with the settlements.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AMOUNTS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "psn_cash_pay",
)


def _sums() -> list[sa.Column]:
    return [
        sa.Column("settlements", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in AMOUNTS),
        sa.Column("critical_eligible", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "agg_person_year",
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint("psn_no", "year", name=op.f("pk_agg_person_year")),
    )
    op.create_index("ix_agg_person_year_region_year", "agg_person_year", ["insuplc_admdvs", "year"])
    op.create_table(
        "agg_cells",
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("med_type", sa.String(length=8), nullable=False),
        sa.Column("hosp_lv", sa.String(length=8), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint(
            "insuplc_admdvs", "year", "township", "categories", "month", "med_type", "hosp_lv",
            name=op.f("pk_agg_cells"),
        ),
    )  # fmt: skip
    # The settlements already stored (none in a new store).
    from yibao.store import aggregates

    aggregates.rebuild(op.get_bind(), verify=False)


def downgrade() -> None:
    op.drop_table("agg_cells")
    op.drop_index("ix_agg_person_year_region_year", table_name="agg_person_year")
    op.drop_table("agg_person_year")
