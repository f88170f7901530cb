"""What a claim must satisfy before it is settled, stated once as a table.

``CLAIM_CHECKS`` are the checks on the claim alone, in the order they are reported;
``SPAN_CHECKS`` those against the policy year's coverage span; ``DEFAULTS`` what an absent
field is taken to be. Each test is a small declarative term (a field missing, a field below a
bound, parts above a total, one date before another, a span missed) that knows how to evaluate
itself both ways: as a Polars expression over a frame of claims (``settlement_batch``, all
claims in one pass) and on one claim's dict (``settlement_single``, real time). The message
of a failed check is the check's own, on both paths, followed by the claim's setl_id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from yibao.engine.settlement_rules import MAX_AMOUNT_FEN, TOO_LARGE

Row = Mapping[str, Any]

AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
# Amounts a claim may carry besides its bill: the deductible its stay's earlier parts paid.
OTHER_AMOUNTS = ("dedc_paid_in_stay",)
# What is not in the policy scope: full self-pay, over the price ceiling, 乙类 先行自付.
SELF_PAY_PARTS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
REQUIRED = ("setl_id", "psn_no", "insuplc_admdvs", "med_type", "hosp_lv", "setl_time")


class Test(Protocol):
    """True where a claim fails. A comparison with an absent value does not fail."""

    def expr(self) -> pl.Expr: ...

    def holds(self, row: Row) -> bool: ...


@dataclass(frozen=True)
class Missing:
    field: str

    def expr(self) -> pl.Expr:
        return pl.col(self.field).is_null()

    def holds(self, row: Row) -> bool:
        return row.get(self.field) is None


@dataclass(frozen=True)
class Below:
    field: str
    bound: int

    def expr(self) -> pl.Expr:
        return pl.col(self.field) < self.bound

    def holds(self, row: Row) -> bool:
        value = row.get(self.field)
        return value is not None and value < self.bound


@dataclass(frozen=True)
class AtLeast:
    field: str
    bound: int

    def expr(self) -> pl.Expr:
        return pl.col(self.field) >= self.bound

    def holds(self, row: Row) -> bool:
        value = row.get(self.field)
        return value is not None and value >= self.bound


@dataclass(frozen=True)
class SumAbove:
    parts: tuple[str, ...]
    total: str

    def expr(self) -> pl.Expr:
        return pl.sum_horizontal(*self.parts) > pl.col(self.total)

    def holds(self, row: Row) -> bool:
        return sum(int(row[p]) for p in self.parts) > int(row[self.total])


@dataclass(frozen=True)
class Earlier:
    """``field`` is earlier than ``than`` (dates)."""

    field: str
    than: str

    def expr(self) -> pl.Expr:
        return pl.col(self.field) < pl.col(self.than)

    def holds(self, row: Row) -> bool:
        a, b = row.get(self.field), row.get(self.than)
        return a is not None and b is not None and bool(a < b)


@dataclass(frozen=True)
class Check:
    message: str  # "<field>: <what is wrong>", the field the error names first
    test: Test


CLAIM_CHECKS: tuple[Check, ...] = (
    *(Check(f"{name}: missing", Missing(name)) for name in REQUIRED),
    *(Check(f"{name}: must not be negative", Below(name, 0)) for name in AMOUNTS),
    *(Check(f"{name}: {TOO_LARGE}", AtLeast(name, MAX_AMOUNT_FEN)) for name in AMOUNTS),
    *(Check(f"{name}: must not be negative", Below(name, 0)) for name in OTHER_AMOUNTS),
    *(Check(f"{name}: {TOO_LARGE}", AtLeast(name, MAX_AMOUNT_FEN)) for name in OTHER_AMOUNTS),
    Check(
        f"{' + '.join(SELF_PAY_PARTS)}: larger than medfee_sumamt",
        SumAbove(SELF_PAY_PARTS, "medfee_sumamt"),
    ),
    Check("enddate: before begndate", Earlier("enddate", "begndate")),
    Check("coverage_end: before coverage_begin", Earlier("coverage_end", "coverage_begin")),
)


# ---------------------------------------------------------------- the policy year's span
@dataclass(frozen=True)
class Span:
    """The policy year's coverage span (first and last day), as Polars terms or as dates.

    A settle time is compared with the first midnight and the one after the last day, so the
    frame needs no date per claim."""

    first: pl.Expr
    last: pl.Expr
    from_time: pl.Expr
    after_time: pl.Expr

    @staticmethod
    def bounds(first: dt.date, last: dt.date) -> dict[str, Any]:
        return {
            "first": first,
            "last": last,
            "from_time": dt.datetime.combine(first, dt.time()),
            "after_time": dt.datetime.combine(last + dt.timedelta(days=1), dt.time()),
        }


class SpanTest(Protocol):
    def expr(self, span: Span) -> pl.Expr: ...

    def holds(self, row: Row, first: dt.date, last: dt.date) -> bool: ...


@dataclass(frozen=True)
class TimeOutside:
    """A settle time (datetime) outside the span."""

    field: str

    def expr(self, span: Span) -> pl.Expr:
        time = pl.col(self.field)
        return (time < span.from_time) | (time >= span.after_time)

    def holds(self, row: Row, first: dt.date, last: dt.date) -> bool:
        day = row[self.field].date()
        return bool(day < first or day > last)


@dataclass(frozen=True)
class PeriodMisses:
    """A person's coverage period [begin, end] (either end open) that misses the span."""

    begin: str
    end: str

    def expr(self, span: Span) -> pl.Expr:
        return (pl.col(self.end) < span.first).fill_null(False) | (
            pl.col(self.begin) > span.last
        ).fill_null(False)

    def holds(self, row: Row, first: dt.date, last: dt.date) -> bool:
        begin, end = row.get(self.begin), row.get(self.end)
        return bool((end is not None and end < first) or (begin is not None and begin > last))


@dataclass(frozen=True)
class SpanCheck:
    message: str
    test: SpanTest


SPAN_CHECKS: tuple[SpanCheck, ...] = (
    SpanCheck("setl_time: outside the policy year's coverage", TimeOutside("setl_time")),
    SpanCheck(
        "coverage_end: person has no coverage in the policy year",
        PeriodMisses("coverage_begin", "coverage_end"),
    ),
)


@dataclass(frozen=True)
class Within:
    """Is ``day`` inside the person's coverage period (an open end covers)? The claim's
    ``covered``: outside it (a waiting period, before or after coverage) no fund pays."""

    day: str = "begndate"
    begin: str = "coverage_begin"
    end: str = "coverage_end"

    def expr(self) -> pl.Expr:
        day = pl.col(self.day)
        return (
            (pl.col(self.begin).is_null() | (day >= pl.col(self.begin)))
            & (pl.col(self.end).is_null() | (day <= pl.col(self.end)))
        ).fill_null(True)

    def holds(self, row: Row) -> bool:
        begin, end, day = row.get(self.begin), row.get(self.end), row[self.day]
        return (begin is None or day >= begin) and (end is None or day <= end)


COVERED = Within()


def first_failure(row: Row) -> str | None:
    """The message of the first of CLAIM_CHECKS that ``row`` fails, or None."""
    for check in CLAIM_CHECKS:
        if check.test.holds(row):
            return check.message
    return None


def first_span_failure(row: Row, first: dt.date, last: dt.date) -> str | None:
    for check in SPAN_CHECKS:
        if check.test.holds(row, first, last):
            return check.message
    return None


# ---------------------------------------------------------------- defaults
@dataclass(frozen=True)
class Default:
    """What an absent field is taken to be: a constant, or the date of another field (a
    datetime), or another field's value."""

    field: str
    value: Any = None
    date_of: str = ""
    copy_of: str = ""

    def expr(self) -> pl.Expr:
        if self.date_of:
            return pl.col(self.date_of).dt.date()
        if self.copy_of:
            return pl.col(self.copy_of)
        return pl.lit(self.value)

    def value_for(self, row: Row) -> Any:
        if self.date_of:
            source = row.get(self.date_of)
            return None if source is None else source.date()
        if self.copy_of:
            return row.get(self.copy_of)
        return self.value


# In this order: a copy reads a field already filled.
DEFAULTS: tuple[Default, ...] = (
    Default("tier", 1),
    Default("categories", ""),
    *(Default(name, 0) for name in (*AMOUNTS, *OTHER_AMOUNTS)),
    Default("begndate", date_of="setl_time"),  # 就诊日期: the settlement's day
    Default("enddate", copy_of="begndate"),  # a visit of one day
)


def fill_defaults(row: dict[str, Any]) -> None:
    """Absent (None) fields of one claim filled from DEFAULTS, in place."""
    for d in DEFAULTS:
        if row.get(d.field) is None:
            row[d.field] = d.value_for(row)
