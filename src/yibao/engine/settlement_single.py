"""One claim in real time, without a data frame: the same checks and the same ``settle_step``.

``settle_year`` (``settlement_batch``) validates and settles columns; a real-time settlement is
one claim, and building a one-row frame costs far more than the arithmetic. Here the claim dict
is checked field by field — in the same order and with the same messages as the batch path —
its rules come from ``settlement_rules.claim_rules`` (cached per kind of claim), and the layers
are computed by ``settlement_layers.settle_step`` on arrays of length one — the one
``layer_chain`` the batch evaluates too. The checks and their messages are ``claim_checks``'
table, which the batch evaluates as Polars expressions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.claims import CLAIM_SCHEMA
from yibao.engine.claim_checks import (
    AMOUNTS,
    COVERED,
    SELF_PAY_PARTS,
    fill_defaults,
    first_failure,
    first_span_failure,
)
from yibao.engine.identity_cache import IdentityCache
from yibao.engine.settlement_batch import Array, _rule_table
from yibao.engine.settlement_layers import (
    Exclusive,
    StepInput,
    StepResult,
    StepState,
    settle_step,
)
from yibao.engine.settlement_rules import (
    MAX_AMOUNT_FEN,
    ClaimRules,
    SettlementError,
    claim_rules,
)
from yibao.policy.model import Policy

CLAIM_NAMES = tuple(CLAIM_SCHEMA.names)
CLAIM_NAME_SET = frozenset(CLAIM_NAMES)
STRING_FIELDS = frozenset(
    f.name for f in CLAIM_SCHEMA if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
)
DATE_FIELDS = frozenset(f.name for f in CLAIM_SCHEMA if pa.types.is_date(f.type))
# No claim is this large (45 万亿元): refused on both paths, which keeps every sum of a year far
# inside int64 (settlement_rules.MAX_AMOUNT_FEN).
PLAIN_AMOUNT_LIMIT = MAX_AMOUNT_FEN
RESULT_NAMES = tuple(f.name for f in fields(StepResult))


@dataclass(frozen=True)
class Prepared:
    """One validated claim: its row as the batch path sees it (year, inscp_scp_amt, covered
    added; defaults filled), its rules and its number of days."""

    row: dict[str, Any]
    rules: ClaimRules
    rule_arrays: dict[str, Array]  # the StepInput rule fields, arrays of length one
    days: int


# ---------------------------------------------------------------- field types
def _plain(name: str, value: Any) -> bool:
    """Is ``value`` already what the Arrow conversion of CLAIM_SCHEMA would give back?"""
    if value is None:
        return True
    if name in STRING_FIELDS:
        return type(value) is str
    if name in DATE_FIELDS:
        return type(value) is dt.date
    if name == "setl_time":
        return type(value) is dt.datetime and value.tzinfo is None and value.microsecond == 0
    if name == "tier":
        return type(value) is int and -128 <= value <= 127
    return type(value) is int and abs(value) < PLAIN_AMOUNT_LIMIT


def typed_row(claim: Mapping[str, Any]) -> dict[str, Any]:
    """The claim as a full CLAIM_SCHEMA row with the Arrow conversion's types and errors."""
    unknown = set(claim) - CLAIM_NAME_SET
    if unknown:
        raise SettlementError(f"{sorted(unknown)[0]}: not a claim field")
    row = {name: claim.get(name) for name in CLAIM_NAMES}
    for name in AMOUNTS:
        value = row[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise SettlementError(f"{name}: expected integer fen, got {value!r}")
    if not row.get("setl_id"):
        row["setl_id"] = f"{row.get('psn_no')}-{row.get('setl_time')}"
    if all(_plain(name, value) for name, value in row.items()):
        return row
    # Anything else (a numpy int, an aware datetime, a datetime for a date, a wrong type):
    # let Arrow convert it exactly as the columnar path does, errors included.
    try:
        table = pa.Table.from_pylist([row], schema=CLAIM_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
        raise SettlementError(f"claim: {exc}") from exc
    typed: dict[str, Any] = table.to_pylist()[0]
    return typed


# ---------------------------------------------------------------- rules, cached
_RULES_FOR: IdentityCache[tuple[ClaimRules, dict[str, Array]]] = IdentityCache(
    "real-time claim rules", 4096
)


def rules_for(
    policy: Policy,
    med_type: str,
    hosp_lv: str,
    tier: int,
    categories: str,
    offsite_kind: str = "",
    dedc_hosp_lv: str = "",
) -> tuple[ClaimRules, dict[str, Array]]:
    """``claim_rules`` and its StepInput arrays, resolved once per kind of claim and policy."""

    def resolve() -> tuple[ClaimRules, dict[str, Array]]:
        cats = tuple(c for c in categories.split("|") if c)
        rules = claim_rules(policy, med_type, hosp_lv, tier, cats, offsite_kind, dedc_hosp_lv)
        arrays = _rule_table([rules])
        for array in arrays.values():
            array.flags.writeable = False  # shared by every claim of this kind
        return rules, arrays

    key = (med_type, hosp_lv, tier, categories, offsite_kind, dedc_hosp_lv)
    return _RULES_FOR.get(policy, key, resolve)


def clear_rules_cache() -> None:
    """Forget the cached rules (after a policy reload, to free the old policies)."""
    _RULES_FOR.clear()


# ---------------------------------------------------------------- validation
def prepare_claim(claim: Mapping[str, Any], policy: Policy) -> Prepared:
    """Validate one claim like ``settlement_batch.prepare`` does, in the same order and with the
    same messages; raises ``Unusual`` for a claim only the columnar path reproduces exactly."""
    row = typed_row(claim)
    setl_id = row["setl_id"]
    fill_defaults(row)  # (a claim without setl_time fails the first check below)
    failed = first_failure(row)
    if failed is not None:
        raise SettlementError(f"{failed} (setl_id {setl_id})")
    setl_time: dt.datetime = row["setl_time"]
    begin: dt.date = row["begndate"]
    end: dt.date = row["enddate"]
    row["year"] = setl_time.year
    row["inscp_scp_amt"] = row["medfee_sumamt"] - sum(row[name] for name in SELF_PAY_PARTS)

    # The policy year's coverage (settlement_batch._coverage).
    failed = first_span_failure(row, policy.meta.coverage_from, policy.meta.coverage_to)
    if failed is not None:
        raise SettlementError(f"{failed} (setl_id {setl_id})")
    row["covered"] = COVERED.holds(row)

    try:
        rules, arrays = rules_for(
            policy,
            row["med_type"],
            row["hosp_lv"],
            int(row["tier"]),
            row["categories"],
            row["offsite_kind"] or "",
            row["dedc_hosp_lv"] or "",
        )
    except SettlementError as exc:
        raise SettlementError(f"{exc} (setl_id {setl_id})") from exc
    return Prepared(row=row, rules=rules, rule_arrays=arrays, days=(end - begin).days + 1)


# ---------------------------------------------------------------- the layers
def _one(value: int) -> Array:
    return np.array([value], np.int64)


def settle_prepared(prep: Prepared, before: Mapping[str, int]) -> dict[str, int]:
    """``settle_step`` on the claim (arrays of length one) given its running totals before it:
    pool_paid (its cap group), deductible_used (its pool), the four person-year scalars and,
    for a pool that another excludes (池州 二、7), watched_used: that pool's deductible_used."""
    row = prep.row
    x = StepInput(
        medfee_sumamt=_one(row["medfee_sumamt"]),
        inscp_scp_amt=_one(row["inscp_scp_amt"]),
        covered=np.array([row["covered"]], bool),
        days=_one(prep.days),
        dedc_paid_in_stay=_one(row["dedc_paid_in_stay"]),
        **prep.rule_arrays,
    )
    s = StepState(**{name: _one(before[name]) for name in STATE_NAMES})
    rules = prep.rules
    ex = None
    if rules.exclusive_watch or rules.marks_pool_use:  # 池州 二、7 (exclusive_pools)
        ex = Exclusive(
            watches_pool=np.array([bool(rules.exclusive_watch)], bool),
            marks_pool_use=np.array([rules.marks_pool_use], bool),
            watched_used=_one(before["watched_used"] if rules.exclusive_watch else 0),
        )
    result = settle_step(x, s, ex)
    return {name: int(getattr(result, name)[0]) for name in RESULT_NAMES}


STATE_NAMES = tuple(f.name for f in fields(StepState))
