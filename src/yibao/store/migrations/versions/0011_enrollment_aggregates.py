"""Stored aggregates of the register: enrollments, 缴费 records and categories held

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00

Issue 16: 基金 (revenue), 台账 (the 应保尽保 roster) and 目标 (参保率) read these instead of every
person of the year (store/enrollment_aggregate_models.py): per (参保地, year) the person-years
with their group key, the groups summed, the 缴费 records by month and the categories held (the
台账's list, indexed in its order); ``agg_enrollment_years`` lists the pairs built. Filled here
from the register already stored (store.enrollment_aggregates.rebuild: every pair with an
enrollment or a payment, set-based), so a store created before this revision shows the same
figures from its first page; from then on every write keeps them in its transaction and
``yibao db check`` compares them with the register. Also covering indexes on agg_cells (基金 and
目标 sum the settlement cells from an index in group order) and on agg_person_year (目标's 大病
figures).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CELL_SUMS = [
    "settlements", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
    "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "hifmi_pay", "maf_pay", "oth_pay",
    "fund_pay_sumamt", "psn_part_amt", "psn_cash_pay", "critical_eligible",
]  # fmt: skip
CELL_INDEXES = {
    "ix_agg_cells_med_type": ["insuplc_admdvs", "year", "med_type", "hosp_lv", *CELL_SUMS],
    "ix_agg_cells_month": ["insuplc_admdvs", "year", "month", "med_type", *CELL_SUMS],
}
PERSON_YEARS_CRITICAL = ["insuplc_admdvs", "year", "critical_eligible", "settlements", "psn_no"]
HOLDINGS_INDEX = [
    "insuplc_admdvs", "year", "insured", "township", "category", "certno", "psn_no",
]  # fmt: skip


def _fen(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "agg_enrollment_years",
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("insuplc_admdvs", "year", name=op.f("pk_agg_enrollment_years")),
    )
    op.create_table(
        "agg_enrollment_person",
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("township", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        _count("tier"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _count("payments"),
        _fen("personal_paid"),
        _fen("assistance_subsidy"),
        sa.PrimaryKeyConstraint("psn_no", "year", name=op.f("pk_agg_enrollment_person")),
    )
    op.create_index(
        "ix_agg_enrollment_person_region_year", "agg_enrollment_person", ["insuplc_admdvs", "year"]
    )
    op.create_table(
        "agg_enrollment_groups",
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("township", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        _count("tier"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _count("persons"),
        _count("paying"),
        _count("payments"),
        _fen("personal_paid"),
        _fen("assistance_subsidy"),
        sa.PrimaryKeyConstraint(
            "insuplc_admdvs", "year", "township", "categories", "tier", "status",
            name=op.f("pk_agg_enrollment_groups"),
        ),
    )  # fmt: skip
    op.create_table(
        "agg_payment_months",
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        _count("month"),
        _count("payments"),
        _fen("personal_paid"),
        _fen("assistance_subsidy"),
        sa.PrimaryKeyConstraint(
            "insuplc_admdvs", "year", "month", name=op.f("pk_agg_payment_months")
        ),
    )
    op.create_table(
        "enrollment_holdings",
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("township", sa.String(length=200), nullable=False),
        sa.Column("certno", sa.String(length=18), nullable=False),
        sa.Column("insured", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("psn_no", "year", "category", name=op.f("pk_enrollment_holdings")),
    )
    op.create_index("ix_enrollment_holdings_list", "enrollment_holdings", HOLDINGS_INDEX)
    for name, columns in CELL_INDEXES.items():
        op.create_index(name, "agg_cells", columns)
    op.create_index("ix_agg_person_year_critical", "agg_person_year", PERSON_YEARS_CRITICAL)
    # The register already stored (nothing in a new store).
    from yibao.store import enrollment_aggregates

    enrollment_aggregates.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_agg_person_year_critical", table_name="agg_person_year")
    for name in CELL_INDEXES:
        op.drop_index(name, table_name="agg_cells")
    op.drop_index("ix_enrollment_holdings_list", table_name="enrollment_holdings")
    op.drop_table("enrollment_holdings")
    op.drop_table("agg_payment_months")
    op.drop_table("agg_enrollment_groups")
    op.drop_index("ix_agg_enrollment_person_region_year", table_name="agg_enrollment_person")
    op.drop_table("agg_enrollment_person")
    op.drop_table("agg_enrollment_years")
