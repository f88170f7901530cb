"""Which rules a claim falls under: its pool, level, ratios, caps, 大病 segments and 救助 ratio.

A claim's rules depend only on (region, policy year, med_type, hosp_lv, tier, categories), so a
year of claims resolves a few hundred distinct rule sets, not one per claim. The same
``ClaimRules`` feeds the arithmetic (``settlement_layers``) and the explanation (``explain``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yibao.categories import CategoryError, applicable
from yibao.money import BP_PER_UNIT, apply_ratio, bp_to_percent, format_yuan
from yibao.policy.model import Param, Policy, Pool, PoolValues

# "No cap": far above any real amount, yet small enough that cap + amount stays in int64.
NO_CAP = 2**53


# The largest amount a claim may carry (2^52 fen, about 45 万亿元): anything above is a keying or
# encoding error, refused by both the batch and the real-time path.
MAX_AMOUNT_FEN = 2**52
TOO_LARGE = f"larger than {MAX_AMOUNT_FEN - 1} fen (no claim is this large)"


class SettlementError(ValueError):
    """A claim that cannot be settled; the message starts with the field at fault."""


@dataclass(frozen=True)
class ClaimRules:
    """Every policy value one claim is settled with (fen, basis points)."""

    policy: Policy
    pool: str
    pool_def: Pool  # its values are cited Params (deductible, ratio, annual_cap, …)
    pool_values: PoolValues
    cap_group: str
    level: str
    tier_used: str  # "2" falls back to "1" where a pool has no tier-2 entry
    deductible: int
    deductible_per_year: bool
    ratio_bp: int
    annual_cap: int  # NO_CAP: none
    daily_cap: int  # NO_CAP: none
    critical_included: bool
    critical_special: str  # the special group the person belongs to ("" if none)
    critical_deductible: int
    critical_lows: tuple[int, ...]
    critical_highs: tuple[int, ...]  # NO_CAP for the open last segment
    critical_ratios: tuple[int, ...]
    critical_cap: int
    assistance_included: bool
    assistance_category: str  # the category whose ratio applies ("" if none)
    assistance_ratio_bp: int
    assistance_deductible: int
    assistance_limit: int
    # 池州 二、7 (benefits.exclusive_pools): the pool whose use this person-year stops this
    # claim's pool from paying ("" none), and whether this pool's use is recorded for that.
    exclusive_watch: str = ""
    marks_pool_use: bool = False
    # 异地就医: the claim's 备案 kind ("" 本地), the points its ratio was lowered by, and the
    # level its deductible was taken at (dedc_hosp_lv; the hospital's own level otherwise).
    offsite_kind: str = ""
    offsite_reduction_bp: int = 0
    deductible_level: str = ""
    # The policy value (a cited Param) that decided each value above, by field name: the
    # explanation cites what was applied (e.g. a special group whose 大病 cap is not lifted
    # keeps the ordinary cap, and cites it).
    applied: Mapping[str, Param[Any]] = field(default_factory=dict)


def level_of(policy: Policy, hosp_lv: str) -> str:
    levels = policy.benefits.hosp_level_map.value
    if hosp_lv not in levels:
        raise SettlementError(
            f"hosp_lv: unknown {hosp_lv!r} in {policy.meta.code} {policy.meta.year}; "
            f"known: {', '.join(sorted(levels))}"
        )
    return levels[hosp_lv]


def pool_of(policy: Policy, med_type: str) -> str:
    pools = policy.benefits.med_type_pool.value
    if med_type not in pools:
        raise SettlementError(
            f"med_type: unknown {med_type!r} in {policy.meta.code} {policy.meta.year}; "
            f"known: {', '.join(sorted(pools))}"
        )
    return pools[med_type]


def _tier(table: dict[str, Any], tier: str) -> str:
    """Tier 2 falls back to tier 1 where the notice sets no separate tier-2 value."""
    return tier if tier in table else "1"


def _special_group(policy: Policy, categories: tuple[str, ...]) -> str:
    # 国办发〔2021〕42号 四（二）: 特困人员、低保对象、返贫致贫人口 get the 大病 tilt. An umbrella
    # tag gets it when every narrow kind does (categories.applicable).
    try:
        applied = applicable(policy.critical_illness.special_groups.value, categories)
    except CategoryError as exc:
        raise SettlementError(str(exc)) from None
    return applied[0].rule_category if applied else ""


def _assistance_category(policy: Policy, categories: tuple[str, ...]) -> tuple[str, int, int]:
    """The most favourable assistance category: highest ratio, then lowest deductible (the
    first listed on a tie). An umbrella tag gets the ratio and deductible its narrow kinds
    agree on; refused (SettlementError naming ``categories``) where they differ."""
    ma = policy.medical_assistance
    rules = [
        (rule_cat, ratio, ma.deductible_by_category.value.get(rule_cat, 0))
        for rule_cat, ratio in ma.ratio_by_category.value.items()
    ]

    def best(indices: tuple[int, ...]) -> tuple[str, int, int]:
        out: tuple[str, int, int] = ("", 0, 0)
        for i in indices:
            rule_cat, ratio, deductible = rules[i]
            if out[0] == "" or (ratio, -deductible) > (out[1], -out[2]):
                out = (rule_cat, ratio, deductible)
        return out

    def terms(indices: tuple[int, ...]) -> tuple[int, int] | None:
        rule_cat, ratio, deductible = best(indices)
        return (ratio, deductible) if rule_cat else None

    def shown(indices: tuple[int, ...]) -> str:
        t = terms(indices)
        if t is None:
            return "不享受医疗救助"
        return f"救助比例{bp_to_percent(t[0])}、起付{format_yuan(t[1])}元"

    try:
        applied = applicable([r[0] for r in rules], categories, terms, shown)
    except CategoryError as exc:
        raise SettlementError(str(exc)) from None
    return best(tuple(a.index for a in applied))


@dataclass(frozen=True)
class CategoryRules:
    """The part of a claim's rules that depends only on the person's categories (fen, bp).

    A year has thousands of (med_type, hosp_lv, tier, categories) rule sets but only dozens of
    category combinations and of (med_type, hosp_lv, tier): the batch path resolves each part
    once and combines them.
    """

    critical_special: str
    critical_deductible: int
    critical_lows: tuple[int, ...]
    critical_highs: tuple[int, ...]
    critical_ratios: tuple[int, ...]
    critical_cap: int
    assistance_category: str
    assistance_ratio_bp: int
    assistance_deductible: int
    applied: Mapping[str, Param[Any]]


def category_rules(policy: Policy, categories: tuple[str, ...]) -> CategoryRules:
    """大病 segments (with the special-group tilt) and the 救助 category of these categories."""
    ci = policy.critical_illness
    special = _special_group(policy, categories)
    c_ded = ci.deductible.value
    add = 0
    c_cap = ci.annual_cap.value
    applied: dict[str, Param[Any]] = {
        "critical_deductible": ci.deductible,
        "critical_ratios": ci.segments,
        "critical_cap": ci.annual_cap,
    }
    if special:
        c_ded = apply_ratio(c_ded, ci.special_deductible_factor.value)
        add = ci.special_ratio_add.value
        applied["critical_deductible"] = ci.special_deductible_factor
        applied["critical_ratios"] = ci.special_ratio_add
        if ci.special_no_cap.value:
            c_cap = None
            applied["critical_cap"] = ci.special_no_cap
    lows: list[int] = []
    highs: list[int] = []
    ratios: list[int] = []
    low = c_ded
    for seg in ci.segments.value:
        high = NO_CAP if seg.upper is None else seg.upper
        lows.append(low)
        highs.append(max(low, high))
        ratios.append(min(BP_PER_UNIT, seg.ratio + add))
        low = max(low, high)

    a_cat, a_ratio, a_ded = _assistance_category(policy, categories)
    return CategoryRules(
        critical_special=special,
        critical_deductible=c_ded,
        critical_lows=tuple(lows),
        critical_highs=tuple(highs),
        critical_ratios=tuple(ratios),
        critical_cap=NO_CAP if c_cap is None else c_cap,
        assistance_category=a_cat,
        assistance_ratio_bp=a_ratio,
        assistance_deductible=a_ded,
        applied={
            **applied,
            "assistance_ratio_bp": policy.medical_assistance.ratio_by_category,
            "assistance_deductible": policy.medical_assistance.deductible_by_category,
        },
    )


def exclusive_of(policy: Policy, pool: str) -> tuple[str, bool]:
    """(the pool whose use excludes ``pool`` this person-year or "", does ``pool``'s use count).

    池州 二、7 (做好“两病”门诊用药专项保障与慢特病门诊保障的政策衔接，避免重复报销、重复享受待遇):
    each ``benefits.exclusive_pools`` set lists its pools from the one given up to the one that
    prevails (医保发〔2019〕54号: 已纳入门诊慢特病保障范围的“两病”患者按门诊慢特病执行). Once the
    person-year has policy-scope spending in the prevailing pool, claims in the others are paid
    by no fund. One prevailing pool a set (a longer chain is refused, naming the field).
    """
    watch, marks = "", False
    for pools in policy.benefits.exclusive_pools.value:
        if len(pools) < 2 or pool not in pools:
            continue
        if len(pools) > 2 or (watch and watch != pools[-1]):
            raise SettlementError(
                f"benefits.exclusive_pools: {pools} in {policy.meta.code} {policy.meta.year}: "
                "each set is [pool given up, pool that prevails], one prevailing pool a pool"
            )
        if pool == pools[-1]:
            marks = True
        else:
            watch = pools[-1]
    if watch and marks:
        raise SettlementError(
            f"benefits.exclusive_pools: {pool!r} both prevails and is given up in "
            f"{policy.meta.code} {policy.meta.year}"
        )
    return watch, marks


@dataclass(frozen=True)
class PoolRules:
    """The part of a claim's rules fixed by (med_type, hosp_lv, tier): its pool and level."""

    pool: str
    pool_def: Pool
    pool_values: PoolValues
    level: str
    tier_used: str
    deductible: int
    ratio_bp: int
    annual_cap: int
    daily_cap: int
    exclusive_watch: str = ""
    marks_pool_use: bool = False
    offsite_kind: str = ""
    offsite_reduction_bp: int = 0
    deductible_level: str = ""


def offsite_reduction(policy: Policy, offsite_kind: str) -> int:
    """异地就医: the points (bp) the ratio is lowered by for this 备案 kind ("" 本地: none)."""
    if not offsite_kind or offsite_kind in policy.benefits.student_local_places.value:
        return 0  # 本地, or a student's care where it is paid at local rates (池州 二、9)
    table = policy.benefits.offsite_ratio_reduction.value
    if offsite_kind not in table:
        raise SettlementError(
            f"offsite_kind: unknown {offsite_kind!r} in {policy.meta.code} {policy.meta.year}; "
            f"known: {', '.join([*table, *policy.benefits.student_local_places.value])}"
        )
    return table[offsite_kind]


STUDENT = "在校学生"


def check_student_place(policy: Policy, offsite_kind: str, categories: tuple[str, ...]) -> None:
    """池州 二、9: care at a student's 学籍地/户籍地/就业见习地/实习地 is paid at the local rates —
    for 在校学生 only; anyone else sending such a kind is refused (naming offsite_kind)."""
    if offsite_kind in policy.benefits.student_local_places.value and STUDENT not in categories:
        raise SettlementError(
            f"offsite_kind: {offsite_kind} 按本地标准结算只适用于在校学生"
            f"（{policy.benefits.student_local_places.cite()}）"
        )


def pool_rules(
    policy: Policy,
    med_type: str,
    hosp_lv: str,
    tier: int,
    offsite_kind: str = "",
    dedc_hosp_lv: str = "",
) -> PoolRules:
    """Pool, level, deductible, ratio and caps; unknown codes are an error naming the field.

    异地就医 (就医地目录、参保地政策): the 参保地's pool, ratio lowered by the 备案 kind's points
    (never below 0); the deductible at ``dedc_hosp_lv``'s level where one is given."""
    if tier not in (1, 2):
        raise SettlementError(f"tier: must be 1 or 2, got {tier}")
    level = level_of(policy, hosp_lv)
    try:
        deductible_level = level_of(policy, dedc_hosp_lv) if dedc_hosp_lv else level
    except SettlementError as exc:
        raise SettlementError(f"dedc_{exc}") from None
    pool = pool_of(policy, med_type)
    pool_def = policy.benefits.pools[pool]
    p = pool_def.values()
    t = str(tier)
    ratio_tier = _tier(p.ratio, t)
    annual_cap = p.annual_cap[_tier(p.annual_cap, t)]
    daily = p.daily_cap.get(level)
    watch, marks = exclusive_of(policy, pool)
    reduction = offsite_reduction(policy, offsite_kind)
    return PoolRules(
        pool=pool,
        pool_def=pool_def,
        pool_values=p,
        level=level,
        tier_used=ratio_tier,
        deductible=p.deductible[deductible_level],
        ratio_bp=max(0, p.ratio[ratio_tier][level] - reduction),
        annual_cap=NO_CAP if annual_cap is None else annual_cap,
        daily_cap=NO_CAP if daily is None else daily,
        exclusive_watch=watch,
        marks_pool_use=marks,
        offsite_kind=offsite_kind,
        offsite_reduction_bp=reduction,
        deductible_level=deductible_level,
    )


def combine_rules(policy: Policy, b: PoolRules, c: CategoryRules) -> ClaimRules:
    """A claim's rules from its pool part and its category part."""
    p = b.pool_values
    ma = policy.medical_assistance
    return ClaimRules(
        policy=policy,
        pool=b.pool,
        pool_def=b.pool_def,
        pool_values=p,
        cap_group=p.cap_group or b.pool,
        level=b.level,
        tier_used=b.tier_used,
        deductible=b.deductible,
        deductible_per_year=p.deductible_basis == "per_year",
        ratio_bp=b.ratio_bp,
        annual_cap=b.annual_cap,
        daily_cap=b.daily_cap,
        critical_included=b.pool in policy.critical_illness.included_pools.value,
        critical_special=c.critical_special,
        critical_deductible=c.critical_deductible,
        critical_lows=c.critical_lows,
        critical_highs=c.critical_highs,
        critical_ratios=c.critical_ratios,
        critical_cap=c.critical_cap,
        assistance_included=bool(c.assistance_category) and b.pool in ma.included_pools.value,
        assistance_category=c.assistance_category,
        assistance_ratio_bp=c.assistance_ratio_bp,
        assistance_deductible=c.assistance_deductible,
        assistance_limit=ma.annual_limit.value,
        exclusive_watch=b.exclusive_watch,
        marks_pool_use=b.marks_pool_use,
        offsite_kind=b.offsite_kind,
        offsite_reduction_bp=b.offsite_reduction_bp,
        deductible_level=b.deductible_level,
        applied={
            **(
                {"offsite_reduction_bp": policy.benefits.offsite_ratio_reduction}
                if b.offsite_kind
                else {}
            ),
            "deductible": b.pool_def.deductible,
            "ratio_bp": b.pool_def.ratio,
            "annual_cap": b.pool_def.annual_cap,
            "daily_cap": b.pool_def.daily_cap,
            "critical_included": policy.critical_illness.included_pools,
            **c.applied,
            "assistance_included": ma.included_pools,
            "assistance_limit": ma.annual_limit,
        },
    )


def claim_rules(
    policy: Policy,
    med_type: str,
    hosp_lv: str,
    tier: int,
    categories: tuple[str, ...],
    offsite_kind: str = "",
    dedc_hosp_lv: str = "",
) -> ClaimRules:
    """Resolve the rules of one kind of claim; unknown codes are an error naming the field."""
    check_student_place(policy, offsite_kind, categories)
    by_pool = pool_rules(policy, med_type, hosp_lv, tier, offsite_kind, dedc_hosp_lv)
    return combine_rules(policy, by_pool, category_rules(policy, categories))


def cite(param: Param[Any]) -> dict[str, Any]:
    """Where a value comes from, for the explanation."""
    return {
        "source": param.source,
        "clause": param.clause,
        "assumed": param.assumed,
        "cite": param.cite(),
    }
