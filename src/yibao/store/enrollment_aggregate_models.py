"""Stored aggregates of the register (enrollments, 缴费 records, categories held), kept up to
date in the transaction of every write that changes them (store.enrollment_aggregates), so the
console's 基金, 台账 and 目标 read a few hundred rows instead of every person of the year.

Per 参保地 (the person's ``insuplc_admdvs``) and year, for the (参保地, year) pairs listed in
``agg_enrollment_years`` (the pairs built: by the migration, ``rebuild``, or the first page that
asks for one):

- ``agg_enrollment_person``: one row per person-year of the population — enrolled in the year,
  holding a category valid in the year, or with a 缴费 record of the year — with the person's
  group key (乡镇, categories held in the year, 档次, enrollment status) and the year's 缴费
  records summed. It is what a write compares against: the person's row before and after.
- ``agg_enrollment_groups``: those rows summed by group key: persons, persons with a record
  (``paying``), records, personal_paid and assistance_subsidy (fen, net of 退费 and 冲正).
  基金 (revenue), 台账 (rates) and 目标 (参保率) read these.
- ``agg_payment_months``: the year's 缴费 records summed by the month they were paid (month 0:
  paid outside the calendar year, i.e. the 集中征缴期 before it or a later 补缴).
- ``enrollment_holdings``: one row per person-year and category held in the year, with the
  乡镇, the ID number and whether the person is insured (an enrollment of the year with status
  ``enrolled``), indexed for the 台账's 未参保人员名单 (page by page, in its order).

Definitions, the same in the write paths, the rebuild and the check:
- categories: the person's categories valid in the year (begin_date ≤ 31 Dec and end_date
  empty or ≥ 1 Jan), in order of begin_date then id, each once, "|"-joined ("" for none);
- 乡镇: the household's addr stripped of whitespace, ``UNKNOWN_TOWNSHIP`` without one;
- tier 0 and status "" for a person-year without an enrollment.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.store.aggregate_models import AMOUNTS, AggCell, AggPersonYear
from yibao.store.models import Base

Fen = BigInteger

# What a person without a household's 乡镇 is listed and grouped as (the console's label).
UNKNOWN_TOWNSHIP = "（未登记乡镇）"

GROUP_KEYS = ("insuplc_admdvs", "year", "township", "categories", "tier", "status")
GROUP_SUMS = ("persons", "paying", "payments", "personal_paid", "assistance_subsidy")
MONTH_KEYS = ("insuplc_admdvs", "year", "month")
MONTH_SUMS = ("payments", "personal_paid", "assistance_subsidy")


class AggEnrollmentYear(Base):
    """A (参保地, year) pair whose rows are built and kept (rows of other pairs do not exist)."""

    __tablename__ = "agg_enrollment_years"

    insuplc_admdvs: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)


class AggEnrollmentPerson(Base):
    """A person-year's group key and its 缴费 records summed (fen)."""

    __tablename__ = "agg_enrollment_person"
    __table_args__ = (Index("ix_agg_enrollment_person_region_year", "insuplc_admdvs", "year"),)

    psn_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    township: Mapped[str] = mapped_column(String(200))
    categories: Mapped[str] = mapped_column(String(400))
    tier: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    payments: Mapped[int] = mapped_column(Integer)
    personal_paid: Mapped[int] = mapped_column(Fen)
    assistance_subsidy: Mapped[int] = mapped_column(Fen)


class AggEnrollmentGroup(Base):
    """The person-years of one group summed (fen)."""

    __tablename__ = "agg_enrollment_groups"

    insuplc_admdvs: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    township: Mapped[str] = mapped_column(String(200), primary_key=True)
    categories: Mapped[str] = mapped_column(String(400), primary_key=True)
    tier: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    persons: Mapped[int] = mapped_column(Integer)
    paying: Mapped[int] = mapped_column(Integer)  # persons with at least one 缴费 record
    payments: Mapped[int] = mapped_column(Integer)
    personal_paid: Mapped[int] = mapped_column(Fen)
    assistance_subsidy: Mapped[int] = mapped_column(Fen)


class AggPaymentMonth(Base):
    """The year's 缴费 records of the 参保地's persons by month paid (0: outside the year)."""

    __tablename__ = "agg_payment_months"

    insuplc_admdvs: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    payments: Mapped[int] = mapped_column(Integer)
    personal_paid: Mapped[int] = mapped_column(Fen)
    assistance_subsidy: Mapped[int] = mapped_column(Fen)


class EnrollmentHolding(Base):
    """A category a person holds in the year, with what the 台账's list shows and orders by."""

    __tablename__ = "enrollment_holdings"
    # The 未参保人员名单: equality on 参保地, year, insured (and 乡镇), in the list's order.
    __table_args__ = (
        Index(
            "ix_enrollment_holdings_list",
            "insuplc_admdvs", "year", "insured", "township", "category", "certno", "psn_no",
        ),
    )  # fmt: skip

    psn_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    township: Mapped[str] = mapped_column(String(200))
    certno: Mapped[str] = mapped_column(String(18))
    insured: Mapped[bool] = mapped_column(Boolean)


# The settlement cells summed by 医疗类别 × 医院等级 (目标) and by month × 医疗类别 (基金):
# read from these covering indexes alone, in group order, instead of from every cell row.
_CELL_SUMS = ("settlements", *AMOUNTS, "critical_eligible")
CELLS_BY_MED_TYPE = Index(
    "ix_agg_cells_med_type",
    *(AggCell.__table__.c[name] for name in ("insuplc_admdvs", "year", "med_type", "hosp_lv")),
    *(AggCell.__table__.c[name] for name in _CELL_SUMS),
)
CELLS_BY_MONTH = Index(
    "ix_agg_cells_month",
    *(AggCell.__table__.c[name] for name in ("insuplc_admdvs", "year", "month", "med_type")),
    *(AggCell.__table__.c[name] for name in _CELL_SUMS),
)
# 目标's 大病 figures: the region-year's person-years above a deductible, by this index.
PERSON_YEARS_CRITICAL = Index(
    "ix_agg_person_year_critical",
    *(
        AggPersonYear.__table__.c[name]
        for name in ("insuplc_admdvs", "year", "critical_eligible", "settlements", "psn_no")
    ),
)  # fmt: skip
