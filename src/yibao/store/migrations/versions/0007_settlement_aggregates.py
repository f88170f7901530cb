"""Stored aggregates of the settlements: per person-year and per cell

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00

Issue 16: the console's pages read these instead of every settlement of the year, and the
结算查询 reads ``settlement_listing`` (one indexed row per settlement). The tables
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


LISTED = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
LISTING_TAIL = ["setl_time", "setl_id", "status", *LISTED]  # order, then what totals sum
LISTING_INDEXES = {
    "ix_settlement_listing_year": ["year", *LISTING_TAIL],
    "ix_settlement_listing_fixmedins": ["fixmedins_code", "year", *LISTING_TAIL],
    "ix_settlement_listing_med_type": ["med_type", "year", *LISTING_TAIL],
    "ix_settlement_listing_psn_no": ["psn_no", "setl_time", "setl_id"],
    "ix_settlement_listing_status": ["status", "year", "med_type"],
}


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
    op.create_table(
        "settlement_listing",
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("setl_time", sa.DateTime(), nullable=False),
        sa.Column("med_type", sa.String(length=8), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in LISTED),
        sa.PrimaryKeyConstraint("setl_id", name=op.f("pk_settlement_listing")),
    )
    for name, columns in LISTING_INDEXES.items():
        op.create_index(name, "settlement_listing", columns)
    op.create_index("ix_settlements_created_at", "settlements", ["created_at", "setl_id"])
    op.create_index("ix_persons_insuplc_admdvs", "persons", ["insuplc_admdvs"])
    # The settlements already stored (none in a new store).
    from yibao.store import aggregates

    aggregates.rebuild(op.get_bind(), verify=False)


def downgrade() -> None:
    op.drop_index("ix_settlements_created_at", table_name="settlements")
    op.drop_index("ix_persons_insuplc_admdvs", table_name="persons")
    for name in LISTING_INDEXES:
        op.drop_index(name, table_name="settlement_listing")
    op.drop_table("settlement_listing")
    op.drop_table("agg_cells")
    op.drop_index("ix_agg_person_year_region_year", table_name="agg_person_year")
    op.drop_table("agg_person_year")
