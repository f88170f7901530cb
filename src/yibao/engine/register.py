"""The register decides (以登记为准): what a stored settlement may take from the claim.

In every stored path (API, console, gateway, bulk load) a claim is settled on the facts the
register holds, not on what the hospital writes:

- 参保地, tier and coverage dates come from the person's enrollment for the claim's coverage
  year (the policy year of its settle time). No enrollment for that year: 未参保, and no
  settlement through the fund at all (the hospital settles the visit as 自费).
- Categories (身份类别) come from the register as valid on the settlement day (the 民政 /
  乡村振兴 roster is their source, not the hospital). 风险消除 of a monitored group
  (``monitoring.followup_categories``) is recorded as the end date of that category; the
  category then stays valid ``monitoring.followup_months_after_risk_eliminated`` months more
  (彭水 三（三）2: 标注风险消除后12个月内继续落实医保帮扶政策) — ``categories_valid_on``, the one
  place the quote (store.persons.categories_on) and the settlement (here) read categories.
- A claim that names another 参保地, another tier, other coverage dates or a category the
  register does not hold on that day is refused, with a message saying what the register holds
  (cross-region claims, 异地就医, get their own rules; until then they are refused).
- Enrolled but in the waiting period, or after coverage ended: the fund pays nothing (the
  engine's ``covered`` flag), and the settlement says why (``Entitlement.reason``).

Pure functions on plain records; the store reads the records (``store.settle_batch``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from yibao.categories import applicable, canonical, matches
from yibao.policy.model import Policy

if TYPE_CHECKING:
    from yibao.policy.loader import PolicyLibrary

TIER_NAMES = {1: "一档", 2: "二档"}


class RegisterError(ValueError):
    """A claim that contradicts the register (422); the message names the field."""


class NotInsured(RegisterError):
    """未参保: no enrollment for the coverage year of the claim."""


@dataclass(frozen=True)
class EnrollmentRecord:
    """参保登记 of one coverage year, as stored."""

    year: int
    insuplc_admdvs: str
    tier: int
    enrolled_on: dt.date | None
    coverage_begin: dt.date | None
    coverage_end: dt.date | None
    coverage_rule: str = ""


@dataclass(frozen=True)
class CategoryRecord:
    """A category with its validity (both ends inclusive, end open if None)."""

    category: str
    begin_date: dt.date
    end_date: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.begin_date <= day and (self.end_date is None or day <= self.end_date)


def followup_until(eliminated: dt.date, months: int) -> dt.date:
    """The last day the assistance policy still applies after risk was marked eliminated:
    ``months`` calendar months on (a month-end day clips to the shorter month), minus a day."""
    month_index = eliminated.month - 1 + months
    year, month = eliminated.year + month_index // 12, month_index % 12 + 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(eliminated.day, last_day)) - dt.timedelta(days=1)


@dataclass(frozen=True)
class FollowUp:
    """风险消除后延续帮扶: a category of ``categories`` (the monitored groups) whose validity ended
    (the end date is the day the risk was marked eliminated) stays valid ``months`` more."""

    months: int
    categories: tuple[str, ...]

    @classmethod
    def of(cls, policy: Policy) -> FollowUp:
        m = policy.monitoring
        return cls(
            m.followup_months_after_risk_eliminated.value, tuple(m.followup_categories.value)
        )

    def last_day(self, record: CategoryRecord) -> dt.date | None:
        """The last day ``record`` counts as held (None: open)."""
        end = record.end_date
        if end is None or self.months <= 0 or not applicable(self.categories, [record.category]):
            return end
        return max(end, followup_until(end, self.months))


def categories_valid_on(
    records: Iterable[CategoryRecord], day: dt.date, followup: FollowUp | None = None
) -> tuple[str, ...]:
    """The categories held on ``day``: valid then, or within the follow-up after 风险消除."""
    return tuple(
        dict.fromkeys(
            r.category
            for r in records
            if r.valid_on(day)
            or (
                followup is not None
                and r.begin_date <= day
                and day <= (followup.last_day(r) or day)
            )
        )
    )


def followup_in(library: PolicyLibrary, code: str, day: dt.date) -> FollowUp | None:
    """The follow-up rule of the region's policy in force on ``day`` in ``library`` (the
    policy of the latest year not after ``day``, else the region's first year — a payment in
    the collection period falls in the year before coverage). None where the region has no
    policy."""
    from yibao.policy.errors import PolicyError

    try:
        years = library.years_of(library.policy_region(code).code)
        if not years:
            return None
        year = max((y for y in years if y <= day.year), default=min(years))
        return FollowUp.of(library.resolve(code, year))
    except (PolicyError, KeyError):
        return None


# Keyed by day: a year of claims asks for every day of it (365 per region); 256 entries
# thrashed, and a miss resolves the policy.
@functools.lru_cache(maxsize=8192)
def default_followup(code: str, day: dt.date) -> FollowUp | None:
    """``followup_in`` the default policy library (for callers that hold no library)."""
    from yibao.policy.loader import default_library

    return followup_in(default_library(), code, day)


@dataclass
class RegisterRecord:
    """What the register holds of one person: ID number, enrollments by coverage year and
    categories with their validity (in order of begin date)."""

    psn_no: str
    certno: str
    enrollments: dict[int, EnrollmentRecord] = field(default_factory=dict)
    categories: list[CategoryRecord] = field(default_factory=list)

    def categories_on(self, day: dt.date, followup: FollowUp | None = None) -> tuple[str, ...]:
        return categories_valid_on(self.categories, day, followup)


Status = Literal["covered", "waiting", "ended"]


@dataclass(frozen=True)
class Entitlement:
    """待遇享受 of one claim: whether the fund may pay it, and why not in Chinese."""

    status: Status
    reason: str
    coverage_begin: dt.date | None
    coverage_end: dt.date | None

    @property
    def payable(self) -> bool:
        return self.status == "covered"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "payable": self.payable,
            "reason": self.reason,
            "coverage_begin": _iso(self.coverage_begin),
            "coverage_end": _iso(self.coverage_end),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def coverage_year(row: Mapping[str, Any]) -> int:
    """The coverage year a claim is settled in: the year of its settle time (the policy year
    the engine applies)."""
    setl_time: dt.datetime = row["setl_time"]
    return setl_time.year


def entitlement(enrollment: EnrollmentRecord, treated_on: dt.date) -> Entitlement:
    """Covered when the first day of treatment lies in [coverage_begin, coverage_end] (the
    engine's ``covered`` rule, same dates)."""
    begin, end = enrollment.coverage_begin, enrollment.coverage_end
    year = enrollment.year
    if begin is not None and treated_on < begin:
        if begin > dt.date(year, 1, 1) and enrollment.enrolled_on is not None:
            until = begin - dt.timedelta(days=1)
            reason = (
                f"待遇等待期至 {until.isoformat()}：{year}年度于 {enrollment.enrolled_on.isoformat()} "
                f"参保缴费，待遇自 {begin.isoformat()} 起享受；本次就诊（{treated_on.isoformat()}）"
                "在等待期内，各项基金不予支付，费用由个人负担"
            )
        else:
            reason = (
                f"未到待遇享受期：待遇自 {begin.isoformat()} 起享受，本次就诊"
                f"（{treated_on.isoformat()}）在其前，各项基金不予支付，费用由个人负担"
            )
        return Entitlement("waiting", reason, begin, end)
    if end is not None and treated_on > end:
        reason = (
            f"参保期外：待遇享受期至 {end.isoformat()} 止，本次就诊（{treated_on.isoformat()}）"
            "在其后，各项基金不予支付，费用由个人负担"
        )
        return Entitlement("ended", reason, begin, end)
    shown_begin = begin.isoformat() if begin else f"{year}-01-01"
    shown_end = end.isoformat() if end else f"{year}-12-31"
    return Entitlement("covered", f"待遇享受期 {shown_begin} 至 {shown_end}", begin, end)


def _split(categories: str | Sequence[str] | None) -> tuple[str, ...]:
    if not categories:
        return ()
    names = categories.split("|") if isinstance(categories, str) else list(categories)
    return tuple(canonical(c) for c in names if c)


def _held(claimed: str, held: tuple[str, ...]) -> bool:
    """A claimed category is held when the register has it, or has a narrower kind it covers
    (a hospital writing the umbrella 防止返贫监测对象 for a 脱贫不稳定人口)."""
    return any(claimed == h or matches(claimed, h) for h in held)


def complete_claim(
    row: Mapping[str, Any],
    record: RegisterRecord,
    region_name: Callable[[str], str] = str,
    followup: Callable[[str, dt.date], FollowUp | None] = default_followup,
) -> tuple[dict[str, Any], Entitlement]:
    """The claim as the engine must see it, from the register; and its entitlement.

    ``row`` is a CLAIM_SCHEMA row (fen) whose ``tier``, ``coverage_begin``/``coverage_end``
    and ``categories`` may be absent (None / empty: take the register's); when present they
    must agree with the register. Raises NotInsured or RegisterError, naming the field."""
    if record.certno != row["certno"]:
        raise RegisterError("certno: 与登记的身份证号不符")
    year = coverage_year(row)
    enrollment = record.enrollments.get(year)
    if enrollment is None:
        years = "、".join(str(y) for y in sorted(record.enrollments)) or "无"
        raise NotInsured(
            f"psn_no: 未参保：人员 {record.psn_no} 无 {year} 年度城乡居民医保参保登记"
            f"（已登记年度：{years}），不能医保结算，费用按自费处理"
        )
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if (enrollment.coverage_begin is not None and enrollment.coverage_begin > last) or (
        enrollment.coverage_end is not None and enrollment.coverage_end < first
    ):
        raise NotInsured(
            f"psn_no: 人员 {record.psn_no} {year} 年度无待遇享受期（登记的待遇享受期 "
            f"{_iso(enrollment.coverage_begin) or '—'} 至 {_iso(enrollment.coverage_end) or '—'}），"
            "不能医保结算，费用按自费处理"
        )
    claimed_region = row.get("insuplc_admdvs")
    if claimed_region and claimed_region != enrollment.insuplc_admdvs:
        raise RegisterError(
            f"insuplc_admdvs: 登记的参保地为 {enrollment.insuplc_admdvs} "
            f"{region_name(enrollment.insuplc_admdvs)}，结算请求为 {claimed_region}；"
            "异地就医结算尚未开通，请按参保地结算"
        )
    tier = row.get("tier")
    if tier is not None and int(tier) != enrollment.tier:
        raise RegisterError(
            f"tier: 登记的缴费档次为 {TIER_NAMES.get(enrollment.tier, enrollment.tier)}，"
            f"结算请求为 {TIER_NAMES.get(int(tier), tier)}"
        )
    for name in ("coverage_begin", "coverage_end"):
        stated = row.get(name)
        held = getattr(enrollment, name)
        if stated is not None and stated != held:
            raise RegisterError(
                f"{name}: 登记的待遇享受期为 {_iso(enrollment.coverage_begin) or '—'} 至 "
                f"{_iso(enrollment.coverage_end) or '—'}，结算请求为 {stated}"
            )
    setl_time: dt.datetime = row["setl_time"]
    day = setl_time.date()
    held_categories = record.categories_on(day, followup(enrollment.insuplc_admdvs, day))
    unknown = [c for c in _split(row.get("categories")) if not _held(c, held_categories)]
    if unknown:
        raise RegisterError(
            f"categories: 登记的身份类别（{day.isoformat()} 有效）为 "
            f"{'、'.join(held_categories) or '无'}，结算请求中的 {'、'.join(unknown)} 未登记；"
            "身份类别以民政、乡村振兴等部门认定并登记的为准"
        )
    claim = dict(row)
    claim["insuplc_admdvs"] = enrollment.insuplc_admdvs
    claim["tier"] = enrollment.tier
    # Coverage from 1 January (or to 31 December) is the engine's open end: a stay begun in the
    # old year and settled in this one (跨年度住院) is settled in the year of its settle time,
    # covered when the person is covered from the first day of that year.
    begin, end = enrollment.coverage_begin, enrollment.coverage_end
    claim["coverage_begin"] = None if begin is None or begin <= first else begin
    claim["coverage_end"] = None if end is None or end >= last else end
    claim["categories"] = "|".join(held_categories)
    return claim, entitlement_of(claim, enrollment)


def entitlement_of(claim: Mapping[str, Any], enrollment: EnrollmentRecord) -> Entitlement:
    """The entitlement of a (completed) claim: judged on its first day of treatment, or on
    1 January for a stay begun in the old year."""
    setl_time: dt.datetime = claim["setl_time"]
    treated_on = claim.get("begndate") or setl_time.date()
    return entitlement(enrollment, max(treated_on, dt.date(enrollment.year, 1, 1)))
