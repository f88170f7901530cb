"""Claims (CLAIM_SCHEMA, fen) → validated, sorted arrays → the three layers, step by step.

Claims are sorted by (person, settle time); the k-th claim of every person-year is settled in
one vectorised ``settle_step``, carrying each person-year's running totals in slot arrays. A
single claim is the same run with one row and its slots primed from the accumulators, so the
real-time and the batch paths cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from yibao.engine.settlement_layers import I64, StepInput, StepResult, StepState, settle_step
from yibao.engine.settlement_rules import ClaimRules, SettlementError, claim_rules
from yibao.policy.errors import PolicyError
from yibao.policy.model import Policy

AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
REQUIRED = ("setl_id", "psn_no", "insuplc_admdvs", "med_type", "hosp_lv", "setl_time")
Resolver = Callable[[str, int], Policy]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Prepared:
    """Validated claims in settlement order with their rules and running-total slots."""

    frame: pl.DataFrame  # sorted by (psn_no, setl_time, setl_id); adds year, inscp_scp_amt
    rules: list[ClaimRules]  # distinct rule sets
    rule_index: npt.NDArray[np.int64]  # per claim → rules
    step: StepInput  # per claim, full length
    person_year: list[tuple[str, int]]  # slot → key
    cap_slots: list[tuple[int, str]]  # slot → (person-year slot, cap group)
    pool_slots: list[tuple[int, str]]  # slot → (person-year slot, pool)
    py_slot: npt.NDArray[np.int64]
    cap_slot: npt.NDArray[np.int64]
    pool_slot: npt.NDArray[np.int64]
    rank: npt.NDArray[np.int64]  # the claim's position within its person-year


@dataclass(frozen=True)
class Totals:
    """Running totals per slot (fen)."""

    pool_paid: I64  # per cap slot
    deductible_used: I64  # per pool slot
    critical_eligible: I64  # per person-year slot
    critical_paid: I64
    assistance_eligible: I64
    assistance_paid: I64


def _fail(frame: pl.DataFrame, mask: pl.Series, message: str) -> None:
    if mask.any():
        first = frame.filter(mask).row(0, named=True)
        raise SettlementError(f"{message} (setl_id {first['setl_id']})")


def _normalise(claims: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in claims.columns]
    if missing:
        raise SettlementError(f"{missing[0]}: missing column")
    frame = claims
    defaults: dict[str, pl.Expr] = {
        "tier": pl.lit(1, pl.Int8),
        "categories": pl.lit("", pl.String),
        "certno": pl.lit("", pl.String),
        "begndate": pl.col("setl_time").dt.date(),
        "enddate": pl.col("begndate"),
        "coverage_begin": pl.lit(None, pl.Date),
        "coverage_end": pl.lit(None, pl.Date),
    }
    for name in AMOUNTS:
        defaults[name] = pl.lit(0, pl.Int64)
    for name, expr in defaults.items():
        if name not in frame.columns:
            frame = frame.with_columns(expr.alias(name))
    for name in REQUIRED:
        _fail(frame, frame[name].is_null(), f"{name}: missing")
    frame = frame.with_columns(
        pl.col("setl_time").cast(pl.Datetime("us")),
        pl.col("begndate").fill_null(pl.col("setl_time").dt.date()),
        pl.col("categories").fill_null(""),
        pl.col("tier").fill_null(1).cast(pl.Int64),
        *[pl.col(a).fill_null(0).cast(pl.Int64) for a in AMOUNTS],
    ).with_columns(pl.col("enddate").fill_null(pl.col("begndate")))
    for name in AMOUNTS:
        _fail(frame, frame[name] < 0, f"{name}: must not be negative")
    parts = frame["fulamt_ownpay_amt"] + frame["overlmt_selfpay"] + frame["preselfpay_amt"]
    _fail(
        frame,
        parts > frame["medfee_sumamt"],
        "fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt: larger than medfee_sumamt",
    )
    _fail(frame, frame["enddate"] < frame["begndate"], "enddate: before begndate")
    _fail(
        frame,
        (frame["coverage_end"] < frame["coverage_begin"]).fill_null(False),
        "coverage_end: before coverage_begin",
    )
    _fail(frame, frame["setl_id"].is_duplicated(), "setl_id: duplicate")
    return frame.with_columns(
        pl.col("setl_time").dt.year().cast(pl.Int64).alias("year"),
        (
            pl.col("medfee_sumamt")
            - pl.col("fulamt_ownpay_amt")
            - pl.col("overlmt_selfpay")
            - pl.col("preselfpay_amt")
        ).alias("inscp_scp_amt"),
    ).sort(["psn_no", "setl_time", "setl_id"])


def _policies(frame: pl.DataFrame, resolve: Resolver) -> pl.DataFrame:
    """Resolve each (region, year) once; check settle times and coverage against it."""
    keys = frame.select("insuplc_admdvs", "year").unique()
    rows = []
    for code, year in keys.iter_rows():
        try:
            policy = resolve(code, year)
        except (PolicyError, KeyError) as exc:
            raise SettlementError(f"insuplc_admdvs: {exc}") from exc
        rows.append((code, year, policy.meta.coverage_from, policy.meta.coverage_to))
    cover = pl.DataFrame(
        rows,
        schema={
            "insuplc_admdvs": pl.String,
            "year": pl.Int64,
            "_from": pl.Date,
            "_to": pl.Date,
        },
        orient="row",
    )
    joined = frame.join(cover, on=["insuplc_admdvs", "year"], how="left", maintain_order="left")
    day = joined["setl_time"].dt.date()
    _fail(
        joined,
        (day < joined["_from"]) | (day > joined["_to"]),
        "setl_time: outside the policy year's coverage",
    )
    _fail(
        joined,
        (joined["coverage_end"] < joined["_from"]).fill_null(False)
        | (joined["coverage_begin"] > joined["_to"]).fill_null(False),
        "coverage_end: person has no coverage in the policy year",
    )
    covered = (
        (joined["coverage_begin"].is_null() | (joined["begndate"] >= joined["coverage_begin"]))
        & (joined["coverage_end"].is_null() | (joined["begndate"] <= joined["coverage_end"]))
    ).fill_null(True)
    return joined.drop("_from", "_to").with_columns(covered.alias("covered"))


def _slot_ids(keys: list[K]) -> tuple[npt.NDArray[np.int64], list[K]]:
    """Dense ids in order of first appearance, and the key of each id."""
    index: dict[K, int] = {}
    ids = np.fromiter((index.setdefault(k, len(index)) for k in keys), np.int64, len(keys))
    return ids, list(index)


def prepare(claims: pl.DataFrame, resolve: Resolver) -> Prepared:
    frame = _policies(_normalise(claims), resolve)
    rule_keys: list[tuple[str, int, str, str, int, str]] = list(
        zip(
            frame["insuplc_admdvs"].to_list(),
            frame["year"].to_list(),
            frame["med_type"].to_list(),
            frame["hosp_lv"].to_list(),
            frame["tier"].to_list(),
            frame["categories"].to_list(),
            strict=True,
        )
    )
    rule_index, distinct = _slot_ids(rule_keys)
    rules: list[ClaimRules] = []
    for key in distinct:
        code, year, med_type, hosp_lv, tier, cats = key
        try:
            rules.append(
                claim_rules(
                    resolve(code, year),
                    med_type,
                    hosp_lv,
                    int(tier),
                    tuple(c for c in str(cats).split("|") if c),
                )
            )
        except SettlementError as exc:
            first = frame.filter(
                (pl.col("med_type") == med_type) & (pl.col("hosp_lv") == hosp_lv)
            ).row(0, named=True)
            raise SettlementError(f"{exc} (setl_id {first['setl_id']})") from exc

    def per_rule(get: Callable[[ClaimRules], int]) -> I64:
        return np.asarray([get(r) for r in rules], np.int64)[rule_index]

    def per_rule_segments(get: Callable[[ClaimRules], tuple[int, ...]]) -> I64:
        width = max(len(get(r)) for r in rules)
        table = np.asarray([list(get(r)) + [get(r)[-1]] * (width - len(get(r))) for r in rules])
        return table.astype(np.int64)[rule_index]

    begin = frame["begndate"].to_numpy().astype("datetime64[D]")
    end = frame["enddate"].to_numpy().astype("datetime64[D]")
    step = StepInput(
        medfee_sumamt=frame["medfee_sumamt"].to_numpy().astype(np.int64),
        inscp_scp_amt=frame["inscp_scp_amt"].to_numpy().astype(np.int64),
        covered=frame["covered"].to_numpy().astype(bool),
        days=((end - begin).astype(np.int64) + 1).astype(np.int64),
        deductible=per_rule(lambda r: r.deductible),
        deductible_per_year=per_rule(lambda r: r.deductible_per_year).astype(bool),
        ratio_bp=per_rule(lambda r: r.ratio_bp),
        annual_cap=per_rule(lambda r: r.annual_cap),
        daily_cap=per_rule(lambda r: r.daily_cap),
        has_daily_cap=per_rule(lambda r: r.daily_cap < 2**53).astype(bool),
        critical_included=per_rule(lambda r: r.critical_included).astype(bool),
        critical_lows=per_rule_segments(lambda r: r.critical_lows),
        critical_highs=per_rule_segments(lambda r: r.critical_highs),
        critical_ratios=per_rule_segments(lambda r: r.critical_ratios),
        critical_cap=per_rule(lambda r: r.critical_cap),
        assistance_included=per_rule(lambda r: r.assistance_included).astype(bool),
        assistance_ratio_bp=per_rule(lambda r: r.assistance_ratio_bp),
        assistance_deductible=per_rule(lambda r: r.assistance_deductible),
        assistance_limit=per_rule(lambda r: r.assistance_limit),
    )
    psn = frame["psn_no"].to_list()
    years = frame["year"].to_list()
    py_slot, py_keys = _slot_ids(list(zip(psn, years, strict=True)))
    cap_names = [rules[i].cap_group for i in rule_index]
    pool_names = [rules[i].pool for i in rule_index]
    cap_slot, cap_keys = _slot_ids(list(zip(py_slot.tolist(), cap_names, strict=True)))
    pool_slot, pool_keys = _slot_ids(list(zip(py_slot.tolist(), pool_names, strict=True)))
    # Sorted by person then time, so a claim's rank is its distance from its person-year's first.
    starts = np.r_[0, np.flatnonzero(np.diff(py_slot) != 0) + 1] if len(py_slot) else py_slot
    run_start = np.zeros(len(py_slot), np.int64)
    if len(py_slot):
        run_start[starts] = starts
        run_start = np.maximum.accumulate(run_start)
    rank = np.arange(len(py_slot), dtype=np.int64) - run_start
    return Prepared(
        frame=frame,
        rules=rules,
        rule_index=rule_index,
        step=step,
        person_year=py_keys,
        cap_slots=cap_keys,
        pool_slots=pool_keys,
        py_slot=py_slot,
        cap_slot=cap_slot,
        pool_slot=pool_slot,
        rank=rank,
    )


def initial_totals(
    prep: Prepared,
    person_year: Mapping[tuple[str, int], Mapping[str, object]],
) -> Totals:
    """Prime each slot from prior accumulators (fen) keyed by (psn_no, year)."""

    def scalar(name: str) -> I64:
        return np.asarray(
            [int(person_year.get(k, {}).get(name, 0) or 0) for k in prep.person_year],  # type: ignore[call-overload]
            np.int64,
        )

    def keyed(name: str, slots: list[tuple[int, str]]) -> I64:
        out = []
        for py, key in slots:
            table = person_year.get(prep.person_year[py], {}).get(name) or {}
            out.append(int(table.get(key, 0)))  # type: ignore[attr-defined]
        return np.asarray(out, np.int64)

    return Totals(
        pool_paid=keyed("pool_paid", prep.cap_slots),
        deductible_used=keyed("deductible_used", prep.pool_slots),
        critical_eligible=scalar("critical_eligible"),
        critical_paid=scalar("critical_paid"),
        assistance_eligible=scalar("assistance_eligible"),
        assistance_paid=scalar("assistance_paid"),
    )


def _take(x: StepInput, idx: npt.NDArray[np.int64]) -> StepInput:
    return StepInput(**{f.name: getattr(x, f.name)[idx] for f in dataclasses.fields(x)})


def run(prep: Prepared, totals: Totals) -> tuple[dict[str, I64], Totals]:
    """Settle every claim in order; returns per-claim results and the final running totals."""
    n = len(prep.rank)
    out = {f.name: np.zeros(n, np.int64) for f in dataclasses.fields(StepResult)}
    t = Totals(*(np.array(getattr(totals, f.name)) for f in dataclasses.fields(Totals)))
    order = np.argsort(prep.rank, kind="stable")
    bounds = np.searchsorted(prep.rank[order], np.arange(int(prep.rank.max(initial=-1)) + 2))
    for k in range(len(bounds) - 1):
        idx = order[bounds[k] : bounds[k + 1]]
        cap, pool, py = prep.cap_slot[idx], prep.pool_slot[idx], prep.py_slot[idx]
        before = StepState(
            pool_paid=t.pool_paid[cap],
            deductible_used=t.deductible_used[pool],
            critical_eligible=t.critical_eligible[py],
            critical_paid=t.critical_paid[py],
            assistance_eligible=t.assistance_eligible[py],
            assistance_paid=t.assistance_paid[py],
        )
        result = settle_step(_take(prep.step, idx), before)
        for name, array in out.items():
            array[idx] = getattr(result, name)
        # Within a step every claim belongs to a different person-year: slots are distinct.
        t.pool_paid[cap] += result.hifp_pay
        t.deductible_used[pool] += result.deductible_used_delta
        t.critical_eligible[py] += result.critical_eligible
        t.critical_paid[py] += result.hifmi_pay
        t.assistance_eligible[py] += result.assistance_base
        t.assistance_paid[py] += result.maf_pay
    return out, t
