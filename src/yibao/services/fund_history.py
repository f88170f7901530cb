"""The fund history of a 统筹区 (issue 16): record a year's opening balance (上年累计结存) or its
closing figures (a bureau entering last year's 决算), read the region's years, and the opening
balance a year's 基金 page starts from.

A year's opening balance is its own stored ``opening_balance``, else the previous year's stored
``closing_balance``; else there is none (the page then says so and counts 0). Figures are
integer fen. Every write is in the audit log (who, when, before and after).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.money import fen_to_json
from yibao.store import audit
from yibao.store.audit import Actor
from yibao.store.fund_models import FundYear
from yibao.store.models import utc_now

SOURCES = {
    "final": "决算",
    "demo": "演示（按统计公报推算）",
    "computed": "按库中结算计算",
}
NOTE_MAX = 500
FIGURES = ("opening_balance", "revenue", "expenditure", "closing_balance")
LABELS = {
    "opening_balance": "上年累计结存",
    "revenue": "基金收入",
    "expenditure": "基金支出",
    "closing_balance": "累计结存",
}


class FundHistoryError(ValueError):
    """A figure that cannot be recorded; the message names the field in Chinese."""


@dataclass(frozen=True)
class Opening:
    """The opening balance a year starts from, and where it came from."""

    amount: int  # fen
    source: str  # a key of SOURCES
    from_year: int  # the year whose row holds it (the year itself or the previous one)
    field: str  # opening_balance of the year, or closing_balance of the previous year

    def describe(self) -> str:
        if self.field == "opening_balance":
            return f"{self.from_year}年上年累计结存（{SOURCES.get(self.source, self.source)}）"
        return f"{self.from_year}年累计结存（{SOURCES.get(self.source, self.source)}）"


def _check(region: str, year: int, source: str, note: str, figures: dict[str, int | None]) -> None:
    if not (len(region) == 6 and region.isdigit()):
        raise FundHistoryError(f"region: 统筹区代码应为6位数字，收到“{region}”")
    if not 2000 <= year <= 2100:
        raise FundHistoryError(f"year: 年度应在2000–2100之间，收到“{year}”")
    if source not in SOURCES:
        raise FundHistoryError(
            f"source: 来源应为 {'、'.join(SOURCES)} 之一（{'、'.join(SOURCES.values())}），收到“{source}”"
        )
    if len(note) > NOTE_MAX:
        raise FundHistoryError(f"note: 说明不超过{NOTE_MAX}字")
    for name in ("revenue", "expenditure"):
        value = figures[name]
        if value is not None and value < 0:
            raise FundHistoryError(f"{name}: {LABELS[name]}不能为负数")
    if all(v is None for v in figures.values()):
        raise FundHistoryError("opening_balance: 至少填写上年累计结存或当年决算数中的一项")
    opening, revenue, spent, closing = (figures[k] for k in FIGURES)
    if None not in (opening, revenue, spent, closing):
        assert opening is not None and revenue is not None and spent is not None
        expected = opening + revenue - spent
        if closing != expected:
            raise FundHistoryError(
                f"closing_balance: 累计结存应等于上年累计结存＋基金收入－基金支出"
                f"（{fen_to_json(expected):,.2f}元），收到{fen_to_json(closing or 0):,.2f}元"
            )


def row_json(row: FundYear) -> dict[str, Any]:
    """A stored year for the API (yuan at the edge)."""

    def yuan(v: int | None) -> float | None:
        return None if v is None else fen_to_json(v)

    return {
        "region": row.region,
        "year": row.year,
        **{k: yuan(getattr(row, k)) for k in FIGURES},
        "source": row.source,
        "source_label": SOURCES.get(row.source, row.source),
        "note": row.note,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat(),
    }


def _state(row: FundYear) -> dict[str, Any]:
    return {
        **{k: getattr(row, k) for k in FIGURES},
        "source": row.source,
        "note": row.note,
    }


def record_year(
    session: Session,
    actor: Actor,
    region: str,
    year: int,
    *,
    opening_balance: int | None = None,
    revenue: int | None = None,
    expenditure: int | None = None,
    closing_balance: int | None = None,
    source: str = "final",
    note: str = "",
) -> FundYear:
    """Record (or replace) the figures of a region-year. A figure not given keeps its stored
    value; the closing balance, when all four are known, must equal opening + revenue −
    expenditure."""
    given = {
        "opening_balance": opening_balance,
        "revenue": revenue,
        "expenditure": expenditure,
        "closing_balance": closing_balance,
    }
    row = session.get(FundYear, (region, year))
    merged = {
        k: (v if v is not None else (getattr(row, k) if row else None)) for k, v in given.items()
    }
    _check(region, year, source, note, given if row is None else merged)
    before = None if row is None else _state(row)
    if row is None:
        row = FundYear(region=region, year=year)
        session.add(row)
    for k, v in merged.items():
        setattr(row, k, v)
    row.source = source
    row.note = note
    row.recorded_by = actor.name
    row.recorded_at = utc_now()
    session.flush()
    audit.record(session, actor, "fund_year", "fund_year", f"{region}/{year}", before, _state(row))
    return row


def history(session: Session, region: str) -> list[FundYear]:
    """The stored years of a region, newest first."""
    return list(
        session.scalars(
            select(FundYear).where(FundYear.region == region).order_by(FundYear.year.desc())
        )
    )


def opening_for(session: Session, region: str, year: int) -> Opening | None:
    """The opening balance of ``year``: its stored opening balance, else the previous year's
    stored closing balance; None when neither is stored."""
    own = session.get(FundYear, (region, year))
    prior = session.get(FundYear, (region, year - 1))
    carried = prior is not None and prior.closing_balance is not None
    if own is not None and own.opening_balance is not None:
        if carried and prior is not None and prior.closing_balance == own.opening_balance:
            # the same figure carried forward: cite where it was entered (决算, demo seed)
            return Opening(own.opening_balance, prior.source, year - 1, "closing_balance")
        return Opening(own.opening_balance, own.source, year, "opening_balance")
    if carried and prior is not None and prior.closing_balance is not None:
        return Opening(prior.closing_balance, prior.source, year - 1, "closing_balance")
    return None


def record_statement(
    session: Session, actor: Actor, statement: Any, source: str = "computed", note: str = ""
) -> FundYear:
    """The year of a fund statement (yibao.engine.fund.FundStatement) as a stored row: its
    opening balance, revenue, expenditure and closing balance."""
    return record_year(
        session,
        actor,
        statement.region,
        statement.year,
        opening_balance=statement.opening_balance,
        revenue=statement.revenue,
        expenditure=statement.expenditure,
        closing_balance=statement.closing_balance,
        source=source,
        note=note,
    )
