"""The three layers as arithmetic on int64 arrays: one claim per person per call.

Each capped or segmented layer is a monotone function F of a person-year running total B; a claim
that moves B from b0 to b1 is paid round(F(b1)) − round(F(b0)), with F evaluated exactly in
integer fen × basis points and rounded once (``money.divide_half_up``). Payments therefore
telescope: the sum over a year equals round(F(total)) for a fixed F, and undoing a claim gives
back exactly what it consumed.

The chain of layers is written once (``layer_chain``) and evaluated two ways: ``settle_step``
takes arrays of claims that belong to *different* person-years (the k-th claim of each person),
so a year is settled in as many vectorised steps as the busiest person has claims, and a single
claim is the same call with arrays of length one; ``settle_cumulative`` takes whole person-years
at once and reads each running total as a cumulative sum over the claims' groups. The two differ
only in where "the total before this claim" comes from (``Before``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from yibao.engine.running_totals import BY_NAME, RunningTotals
from yibao.money import apply_ratio, divide_half_up

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
BP = 10_000


@dataclass(frozen=True)
class StepInput:
    """The claims of one step (fen, basis points), one entry per claim."""

    medfee_sumamt: I64
    inscp_scp_amt: I64
    covered: Bool  # False: in a waiting period or outside coverage — no fund pays
    days: I64
    dedc_paid_in_stay: I64  # 中途结算: a per-admission deductible already paid in this stay
    deductible: I64
    deductible_per_year: Bool
    ratio_bp: I64
    annual_cap: I64
    daily_cap: I64
    has_daily_cap: Bool
    critical_included: Bool
    critical_lows: I64  # (n, segments)
    critical_highs: I64
    critical_ratios: I64
    critical_cap: I64
    assistance_included: Bool
    assistance_ratio_bp: I64
    assistance_deductible: I64
    assistance_limit: I64


class StepState(RunningTotals[I64, I64]):
    """Each claim's person-year running totals before the claim (b0), an int64 array each."""


@dataclass(frozen=True)
class Exclusive:
    """池州 二、7 (benefits.exclusive_pools), per claim: its pool pays nothing once the pool it
    watches has been used this person-year; a prevailing pool's claims record their policy
    scope as their deductible_used (the deductible met is min(deductible, it) either way), so
    the use is kept in the accumulators a store already holds."""

    watches_pool: Bool
    marks_pool_use: Bool
    watched_used: I64  # the watched pool's deductible_used before the claim (the first claim)


@dataclass(frozen=True)
class StepResult:
    act_pay_dedc: I64
    basic_before_caps: I64  # ratio × (policy scope − deductible)
    daily_limit: I64
    hifp_pay: I64
    critical_eligible_delta: I64  # this claim's addition to the 大病 running total
    critical_before_cap: I64
    hifmi_pay: I64
    assistance_eligible_delta: I64  # this claim's addition to the 救助 running total
    assistance_before_limit: I64
    maf_pay: I64
    fund_pay_sumamt: I64
    psn_part_amt: I64
    deductible_used_delta: I64  # what the claim adds to its pool's yearly deductible met
    # (each running total's increment is named in running_totals.RunningTotals)
    exclusive_excluded: I64  # 1: paid by no fund, its watched pool used this year (池州 二、7)


def _result(
    x: StepInput,
    dedc: I64,
    basic: I64,
    daily_limit: I64,
    hifp: I64,
    c_add: I64,
    c_raw: I64,
    hifmi: I64,
    a_add: I64,
    a_raw: I64,
    maf: I64,
    zero: I64,
) -> StepResult:
    """The per-claim result both paths (step loop and running sums) return."""
    fund = hifp + hifmi + maf
    return StepResult(
        act_pay_dedc=dedc,
        basic_before_caps=basic,
        daily_limit=daily_limit,
        hifp_pay=hifp,
        critical_eligible_delta=c_add,
        critical_before_cap=c_raw,
        hifmi_pay=hifmi,
        assistance_eligible_delta=a_add,
        assistance_before_limit=a_raw,
        maf_pay=maf,
        fund_pay_sumamt=fund,
        psn_part_amt=x.medfee_sumamt - fund,
        deductible_used_delta=np.where(x.deductible_per_year, dedc, zero),
        exclusive_excluded=zero,
    )


def _with_exclusive(r: StepResult, ex: Exclusive | None, scope: I64, excluded: Bool) -> StepResult:
    """池州 二、7: which claims were excluded, and a prevailing pool's use recorded."""
    if ex is None:
        return r
    return dataclasses.replace(
        r,
        deductible_used_delta=np.where(ex.marks_pool_use, scope, r.deductible_used_delta),
        exclusive_excluded=excluded.astype(np.int64),
    )


def capped_increment(b0: I64, amount: I64, cap: I64) -> I64:
    """min(cap, b0 + x) − min(cap, b0): what fits under a yearly cap given b0 already used."""
    return np.minimum(cap, b0 + amount) - np.minimum(cap, b0)  # type: ignore[no-any-return]


def segments_value(b: I64, lows: I64, highs: I64, ratios: I64) -> I64:
    """F(B) = Σ ratio_s × (clip(B, low_s, high_s) − low_s), rounded once, half up, to the fen."""
    clipped = np.clip(b[:, None], lows, highs) - lows
    return divide_half_up((clipped * ratios).sum(axis=1), BP)


def _excluded(x: StepInput, ex: Exclusive | None, watched_used: I64 | None) -> Bool:
    """池州 二、7: claims whose watched pool has been used this person-year."""
    if ex is None or watched_used is None:
        return np.zeros(len(x.medfee_sumamt), bool)
    return ex.watches_pool & (watched_used > 0)


@dataclass(frozen=True)
class Runs:
    """A grouping of claims prepared once for all the running sums over it: the claims in
    group order (None: they already are) and, per claim in that order, where its group starts."""

    order: I64 | None
    start: I64


def runs(group: I64) -> Runs:
    """The runs of ``group`` (claims in settlement order; a stable sort keeps that order)."""
    if len(group) and bool(np.all(group[1:] >= group[:-1])):
        order, g = None, group
    else:
        order = np.argsort(group, kind="stable")
        g = group[order]
    new = np.ones(len(g), bool)
    new[1:] = g[1:] != g[:-1]
    return Runs(order=order, start=np.flatnonzero(new)[np.cumsum(new) - 1])


def running_before(amount: I64, group: I64 | Runs) -> I64:
    """Σ amount over the earlier claims of the same group (claims in settlement order)."""
    r = group if isinstance(group, Runs) else runs(group)
    a = amount if r.order is None else amount[r.order]
    before: I64 = np.cumsum(a) - a
    before = before - before[r.start]
    if r.order is None:
        return before
    out = np.empty_like(before)
    out[r.order] = before
    return out


@dataclass(frozen=True)
class Groups:
    """Each claim's running-total groups: cap slot, pool slot, person-year slot."""

    cap: I64
    pool: I64
    person_year: I64
    # the pool slot whose use a claim watches (its own pool slot where it watches none)
    watch: I64 | None = None


class Before(Protocol):
    """Each claim's running totals before it, in one of the two ways a chain is evaluated."""

    def total(self, name: str, increment: I64) -> I64:
        """Running total ``name`` before each claim, given each claim's increment of it before
        any cap (what the claims of a group add, uncapped)."""
        ...

    def watched_used(self, x: StepInput, ex: Exclusive) -> I64:
        """池州 二、7: each claim's watched pool's use before it."""
        ...


def layer_chain(x: StepInput, before: Before, ex: Exclusive | None = None) -> StepResult:
    """基本医保 → 大病保险 → 医疗救助 → 个人, stated once.

    Each layer asks ``before`` for the running total it is capped or segmented on, passing the
    amounts the claims add to it before that cap; ``settle_step`` answers with the state it
    was given, ``settle_cumulative`` with running sums over the claims' groups."""
    zero = np.zeros_like(x.medfee_sumamt)
    excluded = _excluded(x, ex, None if ex is None else before.watched_used(x, ex))
    scope = np.where(x.covered & ~excluded, x.inscp_scp_amt, zero)

    # 基本医保: the deductible (per admission, or what is left of the yearly one), then the ratio.
    used = before.total("deductible_used", np.where(x.deductible_per_year, scope, zero))
    # (a per-admission deductible is paid once a stay: its 中途结算 parts share it)
    room = np.maximum(x.deductible - np.where(x.deductible_per_year, used, x.dedc_paid_in_stay), 0)
    dedc = np.minimum(scope, room)
    basic = apply_ratio(scope - dedc, x.ratio_bp)
    daily_limit = np.where(x.has_daily_cap, np.where(x.has_daily_cap, x.daily_cap, 0) * x.days, 0)
    after_daily = np.where(x.has_daily_cap, np.minimum(basic, daily_limit), basic)
    hifp = capped_increment(before.total("pool_paid", after_daily), after_daily, x.annual_cap)

    # 大病保险: on the yearly running total of policy-scope self-pay after the basic fund.
    c_add = np.where(x.critical_included, scope - hifp, zero)
    eligible = before.total("critical_eligible", c_add)
    c_raw = segments_value(
        eligible + c_add, x.critical_lows, x.critical_highs, x.critical_ratios
    ) - segments_value(eligible, x.critical_lows, x.critical_highs, x.critical_ratios)
    hifmi = capped_increment(before.total("critical_paid", c_raw), c_raw, x.critical_cap)

    # 医疗救助: on what remains of the policy-scope self-pay, above the yearly deductible.
    a_add = np.where(x.assistance_included, scope - hifp - hifmi, zero)
    base = before.total("assistance_eligible", a_add)
    a0 = np.maximum(base - x.assistance_deductible, 0)
    a1 = np.maximum(base + a_add - x.assistance_deductible, 0)
    a_raw = apply_ratio(a1, x.assistance_ratio_bp) - apply_ratio(a0, x.assistance_ratio_bp)
    maf = capped_increment(before.total("assistance_paid", a_raw), a_raw, x.assistance_limit)

    r = _result(x, dedc, basic, daily_limit, hifp, c_add, c_raw, hifmi, a_add, a_raw, maf, zero)
    return _with_exclusive(r, ex, scope, excluded)


@dataclass(frozen=True)
class _Given:
    """The totals before each claim, as given (claims of different person-years)."""

    state: StepState

    def total(self, name: str, increment: I64) -> I64:
        return getattr(self.state, name)  # type: ignore[no-any-return]

    def watched_used(self, x: StepInput, ex: Exclusive) -> I64:
        return ex.watched_used


def settle_step(x: StepInput, s: StepState, ex: Exclusive | None = None) -> StepResult:
    """Claims of *different* person-years (the k-th claim of each), each with its running
    totals before it in ``s``; a single claim is the same call with arrays of length one."""
    return layer_chain(x, _Given(s), ex)


class _RunningSums:
    """The totals before each claim as b0 plus the uncapped increments of the earlier claims
    of its group (see ``settle_cumulative``); notes any negative increment."""

    def __init__(self, s0: StepState, g: Groups) -> None:
        self.s0, self.g = s0, g
        self.runs: dict[str, Runs] = {}
        self.negative = False

    def total(self, name: str, increment: I64) -> I64:
        if int(increment.min(initial=0)) < 0:
            self.negative = True
        slot = BY_NAME[name].slot
        r = self.runs.get(slot)
        if r is None:  # each grouping sorted out once for all its running sums
            r = self.runs[slot] = runs(getattr(self.g, slot))
        return getattr(self.s0, name) + running_before(increment, r)  # type: ignore[no-any-return]

    def watched_used(self, x: StepInput, ex: Exclusive) -> I64:
        if self.g.watch is None:
            return ex.watched_used
        # A prevailing pool's claims never watch, so their scope is known before any exclusion.
        marked = np.where(ex.marks_pool_use & x.covered, x.inscp_scp_amt, 0)
        return ex.watched_used + running_before(marked, self.g.watch)


def settle_cumulative(
    x: StepInput, s0: StepState, g: Groups, ex: Exclusive | None = None
) -> StepResult | None:
    """All claims of many person-years at once, equal to ``settle_step`` claim after claim.

    ``s0`` holds each claim's group totals before the first of these claims. A yearly cap or
    deductible only ever sees ``min(cap, b)`` of its running total b, and with increments that
    are never negative min(cap, b0 + Σ paid) = min(cap, b0 + Σ before-cap amounts): so the
    running total before each claim may be taken as b0 plus the *uncapped* amounts of the
    group's earlier claims, a cumulative sum. This needs each group's cap (deductible) to be the
    same for all its claims — the caller checks — and returns None if an increment is negative
    (then the caller settles step by step).
    """
    before = _RunningSums(s0, g)
    result = layer_chain(x, before, ex)
    return None if before.negative else result
