"""The store's tables (SQLAlchemy 2 declarative). Money is integer fen (BigInteger), ratios are
basis points; names follow the national platform (setlinfo / setldetail) where one exists.

The migrations in ``store/migrations`` create exactly these tables; a test checks that the
migrated schema and this metadata agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from yibao.engine.running_totals import TOTALS
from yibao.engine.settlement import SETLINFO_AMOUNTS

# PostgreSQL and SQLite agree on these names; the naming convention keeps Alembic diffs stable.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    pass


Base.metadata.naming_convention = NAMING  # type: ignore[assignment]

Fen = BigInteger


def utc_now() -> dt.datetime:
    """The store's timestamps: UTC, stored without a zone (both backends alike)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Household(Base):
    __tablename__ = "households"

    hh_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    admdvs: Mapped[str] = mapped_column(String(12))  # 行政区划代码 of residence
    addr: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class Person(Base):
    __tablename__ = "persons"

    psn_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    certno: Mapped[str] = mapped_column(String(18), unique=True)
    psn_name: Mapped[str] = mapped_column(String(100))
    gend: Mapped[str] = mapped_column(String(1))  # from the ID number (GB/T 2261.1)
    brdy: Mapped[dt.date] = mapped_column(Date)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    hh_id: Mapped[str | None] = mapped_column(ForeignKey("households.hh_id"), nullable=True)
    # 持居住证: a resident registered here on a 居住证 (fiscal subsidy as for locals where the
    # policy says so, resident_permit_same_subsidy); False: local 户籍 or not recorded.
    resident_permit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)

    categories: Mapped[list[PersonCategory]] = relationship(
        back_populates="person", order_by="PersonCategory.begin_date"
    )


class PersonCategory(Base):
    """A category (救助对象/身份) with its validity: [begin_date, end_date], end open if null."""

    __tablename__ = "person_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    begin_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    person: Mapped[Person] = relationship(back_populates="categories")


class Enrollment(Base):
    """参保登记 for one policy year."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("psn_no", "year", name="uq_enrollments_psn_no_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    tier: Mapped[int] = mapped_column(Integer, default=1)
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    coverage_begin: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    coverage_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    situation: Mapped[str] = mapped_column(String(20), default="resident")
    coverage_rule: Mapped[str] = mapped_column(Text, default="")  # eligibility engine's reason
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class ContributionPayment(Base):
    """A 参保缴费 record of one person-year (fen): 个人缴费 and the 资助参保 subsidy.

    Every record is its own row, never updated: ``kind`` 缴费 (the quote's amounts), 补缴,
    退费 or 冲正 (the last three with their ``reason``; 冲正 ``refers_to`` the record it undoes).
    Amounts are signed: 退费 and 冲正 are negative, so a person-year's net paid is the sum.
    ``payment_id`` (税务票据号 or another payment id) is the idempotency key. A commercial
    supplement bought with it (彭水 渝快保) has its own subsidy and paying fund, apart from the
    资助参保 (it is not revenue of the basic fund)."""

    __tablename__ = "contribution_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="缴费")
    personal_paid: Mapped[int] = mapped_column(Fen)
    assistance_subsidy: Mapped[int] = mapped_column(Fen, default=0)
    subsidy_fund: Mapped[str] = mapped_column(String(40), default="")  # who pays the 资助
    applied_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    quoted_personal: Mapped[int | None] = mapped_column(Fen, nullable=True)  # the quote's due
    quoted_subsidy: Mapped[int | None] = mapped_column(Fen, nullable=True)
    supplement_product: Mapped[str] = mapped_column(String(40), default="")  # 渝快保普惠款 …
    supplement_subsidy: Mapped[int] = mapped_column(Fen, default=0)
    supplement_fund: Mapped[str] = mapped_column(String(40), default="")  # who pays it
    reason: Mapped[str] = mapped_column(Text, default="")
    refers_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class Claim(Base):
    """The claim as received (CLAIM_SCHEMA, fen). ``digest`` detects a retry with other content."""

    __tablename__ = "claims"

    setl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    row: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


# The setlinfo amounts (fen) are the engine's: one list, not a copy.
SETLINFO_FEN = SETLINFO_AMOUNTS


class Settlement(Base):
    """One settlement (setlinfo, fen). Reversal marks it and restores the accumulators; the row
    stays for the audit trail."""

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_psn_no_year", "psn_no", "year"),)

    setl_id: Mapped[str] = mapped_column(ForeignKey("claims.setl_id"), primary_key=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # 就诊ID
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"))
    year: Mapped[int] = mapped_column(Integer)
    insuplc_admdvs: Mapped[str] = mapped_column(String(12))
    setl_time: Mapped[dt.datetime] = mapped_column(DateTime)
    medfee_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    overlmt_selfpay: Mapped[int] = mapped_column(Fen, default=0)
    preselfpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    inscp_scp_amt: Mapped[int] = mapped_column(Fen, default=0)
    act_pay_dedc: Mapped[int] = mapped_column(Fen, default=0)
    hifp_pay: Mapped[int] = mapped_column(Fen, default=0)
    pool_prop_selfpay: Mapped[str] = mapped_column(String(20), default="")  # a ratio, as sent
    hifmi_pay: Mapped[int] = mapped_column(Fen, default=0)
    maf_pay: Mapped[int] = mapped_column(Fen, default=0)
    oth_pay: Mapped[int] = mapped_column(Fen, default=0)
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    psn_part_amt: Mapped[int] = mapped_column(Fen, default=0)
    psn_cash_pay: Mapped[int] = mapped_column(Fen, default=0)
    balc: Mapped[int] = mapped_column(Fen, default=0)
    # The engine's Settlement.to_json() as returned the first time: a retry returns exactly it.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    acc_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    acc_after: Mapped[dict[str, Any]] = mapped_column(JSON)
    consumed: Mapped[dict[str, Any]] = mapped_column(JSON)  # what reversal gives back
    status: Mapped[str] = mapped_column(String(16), default="settled")  # settled | reversed
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    reversed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reversal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # 撤销原因

    details: Mapped[list[SetlDetail]] = relationship(
        back_populates="settlement", order_by="SetlDetail.id", cascade="all, delete-orphan"
    )


class SetlDetail(Base):
    """setldetail: one row per fund (390100 / 390200 / 610100)."""

    __tablename__ = "setldetail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(ForeignKey("settlements.setl_id"), index=True)
    fund_pay_type: Mapped[str] = mapped_column(String(6))
    fund_payamt: Mapped[int] = mapped_column(Fen)
    inscp_scp_amt: Mapped[int] = mapped_column(Fen, default=0)
    crt_payb_lmt_amt: Mapped[int | None] = mapped_column(Fen, nullable=True)  # None: no cap
    setl_proc_info: Mapped[str] = mapped_column(Text, default="")

    settlement: Mapped[Settlement] = relationship(back_populates="details")


class Accumulator(Base):
    """Running totals of one person-year (fen). The row is locked for the length of a settlement
    (SELECT … FOR UPDATE on PostgreSQL; the whole write transaction on SQLite)."""

    __tablename__ = "accumulators"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    # one column per running total (engine.running_totals.RunningTotals), added below
    settlements: Mapped[int] = mapped_column(Integer, default=0)  # count, a cheap consistency check
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


# The keyed totals (per cap group, per pool) as JSON maps by name, the others as fen.
for _total in TOTALS:
    setattr(
        Accumulator,
        _total.name,
        mapped_column(
            _total.name,
            JSON if _total.keyed else Fen,
            nullable=False,
            default=dict if _total.keyed else 0,
        ),
    )


class Warning(Base):
    """An early warning (防止因病返贫致贫) raised for a person-year."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Fen, default=0)
    threshold: Mapped[int] = mapped_column(Fen, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | approved | closed
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    handled_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class User(Base):
    """An API user. Only the sha256 of the token is stored."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(8))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class AuditEntry(Base):
    """Who did what, when, with the entity before and after (personal data masked)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
