"""Coverage dates (待遇享受期): from one enrollment event, when benefits begin and end.

Definitions used throughout (the notices say "3个月内", "90天内", "2月底"; we make them exact):
- "within N months" of a date d: on or before ``add_months(d, N)``, the same day-of-month N
  calendar months later, clamped to the month's last day (2023-11-30 + 3 months = 2024-02-29,
  2022-11-30 + 3 months = 2023-02-28).
- "within 90 days of birth": ``(payment_date - birth_date).days <= 90``; day 91 is late.
- "end of February": the last day of the month, 28 or 29 February.
- A waiting period of N months after payment p runs from p + 1 day to ``add_months(p, N)``;
  benefits start the next day. With N = 0 this is "the day after payment" (缴费次日).
- Coverage never reaches outside the policy year's coverage period (coverage_start..end).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from yibao.categories import CategoryError, applicable, canonical_all
from yibao.engine.contribution import Citation
from yibao.policy.model import Policy

Situation = Literal["resident", "migrant_worker", "continuation", "newborn", "transfer_in"]
SITUATIONS: tuple[str, ...] = (
    "resident",
    "migrant_worker",
    "continuation",
    "newborn",
    "transfer_in",
)
ONE_DAY = dt.timedelta(days=1)


class EligibilityError(ValueError):
    """An enrollment event that cannot be dated: the message names the field."""


def last_day_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month ``months`` later, clamped to the last day of that month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_day(year: int, text: str, field: str) -> dt.date:
    month, day = (int(p) for p in text.split("-"))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise EligibilityError(f"{field}: {text} does not exist in {year}") from None


def coverage_period(policy: Policy) -> tuple[dt.date, dt.date]:
    """The yearly coverage period (保障周期), e.g. 1 January .. 31 December."""
    e, year = policy.enrollment, policy.meta.year
    return (
        _month_day(year, e.coverage_start.value, "coverage_start"),
        _month_day(year, e.coverage_end.value, "coverage_end"),
    )


def collection_period(policy: Policy) -> tuple[dt.date, dt.date]:
    """The concentrated enrollment period (集中征缴期), in the year before coverage."""
    e, year = policy.enrollment, policy.meta.year - 1
    return (
        _month_day(year, e.collection_start.value, "collection_start"),
        _month_day(year, e.collection_end.value, "collection_end"),
    )


@dataclass(frozen=True)
class EnrollmentEvent:
    """One person's enrollment (payment) for a coverage year, and their situation.

    - resident: an ordinary resident; on time in the collection period, else a late joiner.
    - migrant_worker: 外出务工人员, who may pay until the end of ``migrant_worker_deadline_month``.
    - continuation: coming from employee insurance, the army, prison … (continuation_events);
      needs ``previous_coverage_end`` and ``continuation_event``.
    - newborn: needs ``birth_date``.
    - transfer_in: household moved in from another pooling region after the collection period.
    """

    coverage_year: int
    payment_date: dt.date
    situation: Situation = "resident"
    categories: tuple[str, ...] = ()
    previous_coverage_end: dt.date | None = None
    continuation_event: str | None = None
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class Coverage:
    coverage_year: int
    payment_date: dt.date
    coverage_begin: dt.date  # first day claims are paid
    coverage_end: dt.date  # last day claims are paid
    waiting_until: dt.date | None  # last day of the waiting period, if any
    rule: str  # machine name of the rule applied
    reason: str  # the rule in words
    citations: tuple[Citation, ...]

    @property
    def covered(self) -> bool:
        """False when the waiting period runs past the end of the coverage year."""
        return self.coverage_begin <= self.coverage_end

    def payable_on(self, day: dt.date) -> tuple[bool, str]:
        """Whether a claim dated ``day`` gets fund payment, and why not."""
        if self.coverage_begin <= day <= self.coverage_end:
            return True, f"在待遇享受期内（{self.coverage_begin}至{self.coverage_end}）"
        if self.waiting_until is not None and self.payment_date < day <= self.waiting_until:
            return False, (
                f"等待期内（{self.payment_date + ONE_DAY}至{self.waiting_until}），居民医保不予报销"
            )
        if day < self.coverage_begin:
            return False, f"待遇尚未开始（自{self.coverage_begin}起享受）"
        return False, f"保障期已结束（至{self.coverage_end}）"

    def claim_fields(self) -> dict[str, str]:
        """The claim contract's coverage_begin / coverage_end (ISO dates)."""
        return {
            "coverage_begin": self.coverage_begin.isoformat(),
            "coverage_end": self.coverage_end.isoformat(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "coverage_year": self.coverage_year,
            "payment_date": self.payment_date.isoformat(),
            "covered": self.covered,
            "coverage_begin": self.coverage_begin.isoformat(),
            "coverage_end": self.coverage_end.isoformat(),
            "waiting_until": self.waiting_until.isoformat() if self.waiting_until else None,
            "rule": self.rule,
            "reason": self.reason,
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class _Builder:
    """Makes the Coverage of one event: clamps the start into the coverage period."""

    event: EnrollmentEvent
    start: dt.date
    end: dt.date
    base_citation: Citation

    def __call__(
        self, begin: dt.date, waiting: dt.date | None, rule: str, reason: str, *cites: Citation
    ) -> Coverage:
        return Coverage(
            coverage_year=self.event.coverage_year,
            payment_date=self.event.payment_date,
            coverage_begin=max(begin, self.start),
            coverage_end=self.end,
            waiting_until=waiting,
            rule=rule,
            reason=reason,
            citations=(self.base_citation, *cites),
        )


def _no_waiting(policy: Policy, categories: Sequence[str]) -> bool:
    """Is one of the categories listed without a waiting period? An umbrella tag (监测对象)
    is when every one of its narrow kinds is listed; refused when only some are."""
    listed = policy.enrollment.no_waiting_categories.value
    try:
        return bool(applicable(listed, categories))
    except CategoryError as exc:
        raise EligibilityError(str(exc)) from None


def coverage_for(event: EnrollmentEvent, policy: Policy) -> Coverage:
    """Coverage dates for one enrollment event under the policy of its coverage year."""
    if event.situation not in SITUATIONS:
        raise EligibilityError(
            f"situation: {event.situation!r} is not one of {', '.join(SITUATIONS)}"
        )
    if event.coverage_year != policy.meta.year:
        raise EligibilityError(
            f"coverage_year: {event.coverage_year} but the policy is for {policy.meta.year}"
        )
    e = policy.enrollment
    start, end = coverage_period(policy)
    _, collection_end = collection_period(policy)
    pay = event.payment_date
    if pay > end:
        raise EligibilityError(f"payment_date: {pay} is after the coverage period ends ({end})")
    categories = canonical_all(list(event.categories))

    result = _Builder(event, start, end, Citation.of("coverage_start", e.coverage_start))

    # 按年集中参保缴费: paid by the end of the collection period → the whole year.
    if pay <= collection_end:
        return result(
            start,
            None,
            "on_time",
            f"集中征缴期内缴费（截至{collection_end}），{start}起享受全年待遇",
            Citation.of("collection_end", e.collection_end),
        )

    # 外出务工人员: the collection may be extended to the end of February (池州 一、3).
    month = e.migrant_worker_deadline_month.value
    if event.situation == "migrant_worker" and month is not None:
        deadline = last_day_of_month(event.coverage_year, month)
        if pay <= deadline:
            return result(
                start,
                None,
                "migrant_extension",
                f"外出务工人员延长缴费期内缴费（截至{deadline}），{start}起享受全年待遇",
                Citation.of("migrant_worker_deadline_month", e.migrant_worker_deadline_month),
            )

    no_waiting = _no_waiting(policy, categories)
    no_wait_cite = Citation.of("no_waiting_categories", e.no_waiting_categories)

    if event.situation == "newborn":
        birth = event.birth_date
        if birth is None:
            raise EligibilityError("birth_date: required for a newborn")
        if birth > pay:
            raise EligibilityError(f"birth_date: {birth} is after payment_date {pay}")
        cite = Citation.of("newborn_grace_days", e.newborn_grace_days)
        age = (pay - birth).days
        if age <= e.newborn_grace_days.value:
            return result(
                birth,
                None,
                "newborn_from_birth",
                f"新生儿出生第{age}天参保缴费（{e.newborn_grace_days.value}天内），自出生之日起享受待遇",
                cite,
            )
        return result(
            pay + ONE_DAY,
            None,
            "newborn_next_day",
            f"新生儿出生第{age}天参保缴费（超过{e.newborn_grace_days.value}天），自缴费次日起享受待遇",
            cite,
        )

    if event.situation == "continuation":
        return _continuation(event, policy, no_waiting, no_wait_cite, result)

    if event.situation == "transfer_in":
        cite = Citation.of("transfer_in_benefit_start", e.transfer_in_benefit_start)
        if e.transfer_in_benefit_start.value == "next_month":
            begin = add_months(pay.replace(day=1), 1)
            return result(
                begin, None, "transfer_in", f"跨统筹区迁入，缴费次月（{begin}）起享受当年待遇", cite
            )
        return result(
            pay + ONE_DAY, None, "transfer_in", "跨统筹区迁入，缴费次日起享受当年待遇", cite
        )

    # Everyone else paying after the collection period: a late joiner.
    if no_waiting:
        return result(
            pay + ONE_DAY,
            None,
            "no_waiting_category",
            "集中征缴期后缴费，但属于不设等待期的人员，缴费次日起享受待遇",
            no_wait_cite,
        )
    months = e.late_enrollment_waiting_months.value
    waiting = add_months(pay, months)
    return result(
        waiting + ONE_DAY,
        waiting if months else None,
        "late_waiting",
        f"集中征缴期后参保，设{months}个月等待期（至{waiting}），{waiting + ONE_DAY}起享受待遇",
        Citation.of("late_enrollment_waiting_months", e.late_enrollment_waiting_months),
    )


def _continuation(
    event: EnrollmentEvent,
    policy: Policy,
    no_waiting: bool,
    no_wait_cite: Citation,
    result: _Builder,
) -> Coverage:
    """职工医保中断、退役、刑满释放 … (continuation_events): within the grace months no waiting
    and benefits reach back to the day after the old coverage ended; later, a waiting period."""
    e = policy.enrollment
    if event.continuation_event not in e.continuation_events.value:
        raise EligibilityError(
            f"continuation_event: {event.continuation_event!r} is not one of "
            f"{'、'.join(e.continuation_events.value)}"
        )
    old_end = event.previous_coverage_end
    if old_end is None:
        raise EligibilityError("previous_coverage_end: required for a continuation")
    if old_end >= event.payment_date:
        raise EligibilityError(
            f"previous_coverage_end: {old_end} is not before payment_date {event.payment_date}"
        )
    grace = e.continuation_grace_months.value
    deadline = add_months(old_end, grace)
    events_cite = Citation.of("continuation_events", e.continuation_events)
    if event.payment_date <= deadline:
        return result(
            old_end + ONE_DAY,
            None,
            "continuation_within_grace",
            f"{event.continuation_event}后{grace}个月内（截至{deadline}）接续参保，不设等待期，"
            f"待遇追溯至{old_end + ONE_DAY}",
            Citation.of("continuation_grace_months", e.continuation_grace_months),
            events_cite,
        )
    if no_waiting:
        return result(
            event.payment_date + ONE_DAY,
            None,
            "no_waiting_category",
            f"超过{grace}个月接续参保（期限{deadline}），但属于不设等待期的人员，缴费次日起享受待遇",
            no_wait_cite,
            events_cite,
        )
    months = e.continuation_waiting_months.value
    waiting = add_months(event.payment_date, months)
    return result(
        waiting + ONE_DAY,
        waiting if months else None,
        "continuation_waiting",
        f"超过{grace}个月接续参保（期限{deadline}），设{months}个月等待期（至{waiting}），"
        f"{waiting + ONE_DAY}起享受待遇",
        Citation.of("continuation_waiting_months", e.continuation_waiting_months),
        events_cite,
    )
