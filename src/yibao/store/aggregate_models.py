"""Stored aggregates of the settled settlements (fen), kept up to date in the transaction that
writes a settlement or its reversal (store.aggregates), so the console's pages read a few rows
instead of the year's settlements.

Two grains:

- ``agg_person_year``: one row per person-year (what the person page's 年度累计 shows);
- ``agg_cells``: one row per 参保地 / year / 乡镇 / 人员类别 / month / 医疗类别 / 医院等级
  (what 基金, 目标 and the statistics sum);

and ``settlement_listing``, one indexed row per settlement for the 结算查询 and 就医记录.

Every amount is the sum over the settlements with status ``settled`` of the setlinfo column of
the same name; ``settlements`` counts them; ``critical_eligible`` sums what each added to the
大病 running total (its ``consumed``). ``yibao db check`` recomputes both tables from the
settlements and reports any difference (store.aggregates.check).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.engine.settlement import SETLINFO_AMOUNTS
from yibao.store.models import Base, Person, Settlement

Fen = BigInteger

# The summed setlinfo amounts (a subset of SETLINFO_AMOUNTS: the ones a page shows or a
# report sums), and what each settlement added to the 大病 running total.
AMOUNTS = tuple(name for name in SETLINFO_AMOUNTS if name != "balc")  # (no 个人账户)
SUMMED = ("settlements", *AMOUNTS, "critical_eligible")


class _Sums:
    """The summed columns, shared by both grains."""

    settlements: Mapped[int] = mapped_column(Integer, default=0)
    medfee_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    overlmt_selfpay: Mapped[int] = mapped_column(Fen, default=0)
    preselfpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    inscp_scp_amt: Mapped[int] = mapped_column(Fen, default=0)
    act_pay_dedc: Mapped[int] = mapped_column(Fen, default=0)
    hifp_pay: Mapped[int] = mapped_column(Fen, default=0)
    hifmi_pay: Mapped[int] = mapped_column(Fen, default=0)
    maf_pay: Mapped[int] = mapped_column(Fen, default=0)
    oth_pay: Mapped[int] = mapped_column(Fen, default=0)
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    psn_part_amt: Mapped[int] = mapped_column(Fen, default=0)
    psn_cash_pay: Mapped[int] = mapped_column(Fen, default=0)
    critical_eligible: Mapped[int] = mapped_column(Fen, default=0)


class AggPersonYear(_Sums, Base):
    """A person-year's settled totals (the settlement's coverage year, its 参保地)."""

    __tablename__ = "agg_person_year"
    __table_args__ = (Index("ix_agg_person_year_region_year", "insuplc_admdvs", "year"),)

    psn_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))


class AggCell(_Sums, Base):
    """The settled totals of one cell. ``township`` is the person's household 乡镇 when the
    settlement was written ("" for none); ``categories`` the claim's categories as the register
    completed it on the settlement day ("|"-joined, "" for none); ``month`` of setl_time."""

    __tablename__ = "agg_cells"

    insuplc_admdvs: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String(200), primary_key=True)
    categories: Mapped[str] = mapped_column(String(400), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    med_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    hosp_lv: Mapped[str] = mapped_column(String(8), primary_key=True)


# The columns a settlement list shows or totals (fen), copied from setlinfo.
LISTED = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")


LISTING_TAIL = ("setl_time", "setl_id", "status", *LISTED)


class SettlementListing(Base):
    """One row per stored settlement (either status) with what the 结算查询 filters on —
    setl_time, 定点机构, 医疗类别, status, the person — and the amounts it shows and totals,
    indexed for those filters (the claim's fields live in ``claims.row`` JSON, which no index
    reaches). Written with the settlement; a reversal sets ``status``."""

    __tablename__ = "settlement_listing"
    # Each filter's index leads with its equality columns and ends with setl_time, setl_id
    # (the page's order) and what the totals sum, so a page and its totals are read from the
    # index alone (SQLite: a covering index; PostgreSQL: an index-only scan).
    __table_args__ = (
        Index("ix_settlement_listing_year", "year", *LISTING_TAIL),
        Index("ix_settlement_listing_fixmedins", "fixmedins_code", "year", *LISTING_TAIL),
        Index("ix_settlement_listing_med_type", "med_type", "year", *LISTING_TAIL),
        Index("ix_settlement_listing_psn_no", "psn_no", "setl_time", "setl_id"),
        Index("ix_settlement_listing_status", "status", "year", "med_type"),  # the reversed
    )

    setl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    psn_no: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    setl_time: Mapped[dt.datetime] = mapped_column(DateTime)
    med_type: Mapped[str] = mapped_column(String(8))
    fixmedins_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    medfee_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    hifp_pay: Mapped[int] = mapped_column(Fen, default=0)
    hifmi_pay: Mapped[int] = mapped_column(Fen, default=0)
    maf_pay: Mapped[int] = mapped_column(Fen, default=0)
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    psn_part_amt: Mapped[int] = mapped_column(Fen, default=0)


# 最近结算 (the settlements entered last) by index, not by sorting the year's settlements.
SETTLEMENTS_CREATED = Index(
    "ix_settlements_created_at", Settlement.__table__.c.created_at, Settlement.__table__.c.setl_id
)
# The scoped pages ask which 参保地 the store holds (SELECT DISTINCT) on every request.
PERSONS_REGION = Index("ix_persons_insuplc_admdvs", Person.__table__.c.insuplc_admdvs)
