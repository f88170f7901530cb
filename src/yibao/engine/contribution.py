"""Contribution quote (参保缴费): the standard, the assistance subsidy (资助参保), what the person
pays, and how the fiscal subsidy is shared between governments.

Rules, as the notices state them:
- The personal contribution standard is per tier (重庆: 一档 / 二档; elsewhere one tier).
- Assistance subsidy rules (医疗救助资助参保) are per category: a share of the tier-1 standard
  (池州 特困 100%, 低保 90%, 返贫致贫 80%, 监测对象 50%), a fixed amount (彭水 稳定脱贫 50 元) or a
  share of an older base (咸宁 2022 稳定脱贫: 80% of the 2021 standard 160 元 = 128 元).
- A person in several categories gets the most favourable rule (就高不就低), once (不重复资助);
  ties go to the rule listed first.
- 彭水: a subsidised person choosing 二档 gets 100% of the 一档 standard; the rest is theirs.
- The total standard (筹资标准) is the fiscal subsidy plus the personal standard (内蒙古 一:
  640 + 380 = 1020 元; the loader refuses a file whose stated total disagrees).
- 持居住证 residents get the fiscal subsidy of locals (``resident_permit``; 池州 一、5, 内蒙古 三);
  a policy saying otherwise has no standard for them and the quote is refused.
- A commercial supplement (彭水 三（一）3 渝快保: 脱贫人口 50 / 50 元, 监测对象 150 元 升级款,
  69 元 普惠款) is its own item, paid by its own fund, never mixed into 资助参保.
- The previous year's shortfall (内蒙古 一: below 380 元 for 2023, made up in the 2024
  collection) is quoted from what the person paid for the previous year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from yibao.categories import CategoryError, all_categories, applicable, canonical_all
from yibao.engine.fiscal import FiscalShares, SchemeChoice, choose_scheme, split
from yibao.money import apply_ratio, bp_to_percent, fen_to_json, format_yuan
from yibao.policy.model import Param, Policy, SubsidyRule

DEFAULT_CATEGORY = "一般居民"


class QuoteError(ValueError):
    """Bad input for a quote: the message names the field."""


@dataclass(frozen=True)
class Citation:
    """One value a quote used, with where it comes from."""

    item: str
    value: str
    source: str
    clause: str
    assumed: bool = False
    note: str = ""

    @classmethod
    def of(cls, item: str, param: Param[Any], value: str | None = None) -> Citation:
        shown = value if value is not None else str(param.raw if param.raw is not None else "")
        return cls(item, shown, param.source, param.clause, param.assumed, param.note)

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "value": self.value,
            "source": self.source,
            "clause": self.clause,
            "assumed": self.assumed,
            "note": self.note,
        }


@dataclass(frozen=True)
class SubsidyCandidate:
    """A rule that matches one of the person's categories, and what it would give."""

    order: int  # position in the policy's rule list (ties are broken by it)
    rule: SubsidyRule
    person_category: str
    amount: int  # fen, already capped at the standard


@dataclass(frozen=True)
class Supplement:
    """The subsidy towards a commercial supplementary insurance the person buys (彭水 渝快保):
    not 资助参保 and not revenue of the basic fund; ``fund`` pays it."""

    product: str
    group: str | None  # the category group it is given for (None: not eligible)
    subsidy: int  # fen
    fund: str

    def to_json(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "group": self.group,
            "subsidy": fen_to_json(self.subsidy),
            "fund": self.fund,
        }


@dataclass(frozen=True)
class PreviousYearShortfall:
    """内蒙古 一: the previous year's standard, what the person paid for it (personal and
    subsidy, fen) and the 补缴 collected now (0 when they paid the standard)."""

    year: int
    standard: int
    paid: int | None
    makeup: int | None  # None: not computed per person (policy) or nothing paid known

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "standard": fen_to_json(self.standard),
            "paid": None if self.paid is None else fen_to_json(self.paid),
            "makeup": None if self.makeup is None else fen_to_json(self.makeup),
        }


@dataclass(frozen=True)
class Quote:
    region: str
    year: int
    tier: str
    categories: tuple[str, ...]
    standard: int  # fen: the personal contribution standard of the tier
    assistance_subsidy: int  # fen
    personal_due: int  # fen
    applied_category: str | None
    subsidy_fund: str | None
    fiscal_subsidy: int  # fen per person
    fiscal_shares: FiscalShares
    scheme: SchemeChoice
    candidates: tuple[SubsidyCandidate, ...]
    sources: tuple[Citation, ...] = field(default_factory=tuple)
    resident_permit: bool = False  # 持居住证参保 (fiscal subsidy as for locals)
    supplement: Supplement | None = None  # 渝快保 etc., its own item
    previous_year: PreviousYearShortfall | None = None  # 内蒙古 补缴 of the previous year

    @property
    def total_standard(self) -> int:
        """筹资标准 per person (fen): the fiscal subsidy plus the personal standard of the tier."""
        return self.fiscal_subsidy + self.standard

    @property
    def assumed(self) -> tuple[Citation, ...]:
        return tuple(c for c in self.sources if c.assumed)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "year": self.year,
            "tier": int(self.tier),
            "categories": list(self.categories),
            "standard": fen_to_json(self.standard),
            "assistance_subsidy": fen_to_json(self.assistance_subsidy),
            "personal_due": fen_to_json(self.personal_due),
            "applied_category": self.applied_category,
            "subsidy_fund": self.subsidy_fund,
            "fiscal_subsidy": fen_to_json(self.fiscal_subsidy),
            "fiscal_scheme": self.scheme.name,
            "fiscal_scheme_label": self.scheme.scheme.label,
            "fiscal_shares": self.fiscal_shares.to_json(),
            "candidates": [
                {
                    "category": c.rule.category,
                    "person_category": c.person_category,
                    "amount": fen_to_json(c.amount),
                    "fund": c.rule.fund,
                }
                for c in self.candidates
            ],
            "total_standard": fen_to_json(self.total_standard),
            "resident_permit": self.resident_permit,
            "supplement": None if self.supplement is None else self.supplement.to_json(),
            "previous_year": None if self.previous_year is None else self.previous_year.to_json(),
            "sources": [c.to_json() for c in self.sources],
            "assumed": [c.to_json() for c in self.assumed],
        }


def standard_for(policy: Policy, tier: str) -> int:
    """The personal contribution standard (fen) of a tier; a tier the region lacks is an error."""
    by_tier = policy.financing.personal_contribution.value
    if tier not in by_tier:
        have = ", ".join(sorted(by_tier))
        raise QuoteError(
            f"tier: {tier} does not exist in {policy.meta.code} {policy.meta.year} (tiers: {have})"
        )
    return by_tier[tier]


def rule_applies_here(rule: SubsidyRule, policy: Policy) -> bool:
    """A rule limited to some counties (池州 退捕渔民: 贵池区, 东至县) applies only there."""
    return not rule.regions or any(code in rule.regions for code in policy.meta.chain)


def rule_amount(rule: SubsidyRule, tier: str, tier1_standard: int) -> int:
    """What one rule gives, in fen, before capping at the standard."""
    if tier != "1" and rule.tier2 == "share_of_tier1":
        # 彭水: 二档 gets a share (100%) of the 一档 standard, the rest is paid by the person.
        assert rule.tier2_share is not None
        return apply_ratio(tier1_standard, rule.tier2_share)
    if rule.kind == "fixed":
        assert rule.amount is not None
        return rule.amount
    if rule.kind == "share_of_base":
        assert rule.share is not None and rule.base_amount is not None
        return apply_ratio(rule.base_amount, rule.share)
    assert rule.share is not None
    return apply_ratio(tier1_standard, rule.share)


def subsidy_candidates(
    policy: Policy, categories: Sequence[str], tier: str
) -> tuple[SubsidyCandidate, ...]:
    """Every rule that matches one of the categories here, in rule order. An umbrella tag
    (防止返贫监测对象) gets what its narrow kinds' rules agree on; where they give different
    subsidies the quote is refused (QuoteError naming ``categories``)."""
    standard = standard_for(policy, tier)
    tier1 = standard_for(policy, "1")
    here = [
        (order, rule)
        for order, rule in enumerate(policy.assistance_subsidy.rules.value)
        if rule_applies_here(rule, policy)
    ]
    amounts = [min(rule_amount(rule, tier, tier1), standard) for _, rule in here]

    def candidate(i: int, person: str) -> SubsidyCandidate:
        order, rule = here[i]
        return SubsidyCandidate(order, rule, person, amounts[i])

    def given(indices: tuple[int, ...]) -> tuple[int, tuple[str, ...]]:
        chosen = choose_subsidy(policy, [candidate(i, "") for i in indices])
        return min(sum(c.amount for c in chosen), standard), tuple(c.rule.fund for c in chosen)

    def shown(indices: tuple[int, ...]) -> str:
        return f"{format_yuan(given(indices)[0])}元"

    try:
        applied = applicable([r.category for _, r in here], categories, given, shown)
    except CategoryError as exc:
        raise QuoteError(str(exc)) from None
    return tuple(candidate(a.index, a.person_category) for a in applied)


def choose_subsidy(
    policy: Policy, candidates: Sequence[SubsidyCandidate]
) -> list[SubsidyCandidate]:
    """就高不就低 and 不重复资助: the single largest rule (first listed on a tie). Where a policy
    allowed stacking, all would apply (capped at the standard by the caller)."""
    if not candidates:
        return []
    subsidy = policy.assistance_subsidy
    if subsidy.no_double_subsidy.value or subsidy.highest_applies.value:
        if subsidy.highest_applies.value:
            best = max(candidates, key=lambda c: (c.amount, -c.order))
        else:
            best = min(candidates, key=lambda c: c.order)
        return [best]
    return list(candidates)


def quote(
    policy: Policy,
    categories: Sequence[str] = (),
    tier: str | int = "1",
    scheme: str | None = None,
    student: str | None = None,
    *,
    resident_permit: bool = False,
    supplement_product: str | None = None,
    previous_year_paid: int | None = None,
) -> Quote:
    """The contribution quote for one person in ``policy``'s region (a county's policy when the
    county matters: county-only rules and the county's sharing scheme). ``resident_permit``: a
    持居住证 resident; ``supplement_product``: the 渝快保 product bought (普惠款 / 升级款);
    ``previous_year_paid``: fen paid for the previous year (personal and subsidy), for 补缴."""
    tier = str(tier).strip()
    names = canonical_all(list(categories) or [DEFAULT_CATEGORY])
    standard = standard_for(policy, tier)
    candidates = subsidy_candidates(policy, names, tier)
    chosen = choose_subsidy(policy, candidates)
    subsidy_amount = min(sum(c.amount for c in chosen), standard)
    choice = choose_scheme(policy, scheme=scheme, student=student)
    fiscal = policy.financing.fiscal_subsidy_per_capita.value
    shares = split(fiscal, choice.scheme)

    fin = policy.financing
    sources: list[Citation] = [
        Citation.of("personal_contribution", fin.personal_contribution, format_yuan(standard)),
        Citation.of("fiscal_subsidy_per_capita", fin.fiscal_subsidy_per_capita),
    ]
    rules_param = policy.assistance_subsidy.rules
    for c in chosen:
        rule = c.rule
        sources.append(
            Citation(
                item=f"assistance_subsidy.{rule.category}",
                value=_describe_rule(rule, tier, c.amount),
                source=rule.source or rules_param.source,
                clause=rule.clause or rules_param.clause,
                assumed=rule.assumed or rules_param.assumed,
                note=rule.note or (rules_param.note if rules_param.assumed else ""),
            )
        )
    if len(candidates) > 1:
        sources.append(Citation.of("highest_applies", policy.assistance_subsidy.highest_applies))
        sources.append(
            Citation.of("no_double_subsidy", policy.assistance_subsidy.no_double_subsidy)
        )
    sources.append(Citation.of(f"fiscal_sharing.{choice.chosen_by}", choice.param, choice.name))
    if choice.chosen_by != "scheme":
        sources.append(
            Citation.of("fiscal_sharing.schemes", policy.fiscal_sharing.schemes, choice.name)
        )
    if fin.total_standard_min.value is not None:
        total = fin.total_standard_min
        sources.append(Citation.of("total_standard_min", total, format_yuan(total.value or 0)))
    if resident_permit:
        permit = fin.resident_permit_same_subsidy
        if not permit.value:
            raise QuoteError(
                f"resident_permit: {policy.meta.code} {policy.meta.year} 未规定持居住证参保人员"
                f"按当地居民标准补助（{permit.cite()}），无其财政补助标准"
            )
        sources.append(Citation.of("resident_permit_same_subsidy", permit))
    supplement = _supplement(policy, names, supplement_product, sources)
    previous = _previous_year(policy, previous_year_paid, sources)
    return Quote(
        region=policy.meta.code,
        year=policy.meta.year,
        tier=tier,
        categories=names,
        standard=standard,
        assistance_subsidy=subsidy_amount,
        personal_due=standard - subsidy_amount,
        applied_category="、".join(c.rule.category for c in chosen) or None,
        subsidy_fund="、".join(dict.fromkeys(c.rule.fund for c in chosen)) or None,
        fiscal_subsidy=fiscal,
        fiscal_shares=shares,
        scheme=choice,
        candidates=candidates,
        sources=tuple(sources),
        resident_permit=resident_permit,
        supplement=supplement,
        previous_year=previous,
    )


def supplement_group(policy: Policy, categories: Sequence[str], product: str) -> str | None:
    """The category group (脱贫人口, 监测对象) a person is given the supplement for: of the
    groups their categories belong to, the one with the larger subsidy (first listed on a tie)."""
    by_group = policy.assistance_subsidy.commercial_supplement.value[product]
    known = all_categories()
    mine = {known[c].group for c in categories if c in known}
    eligible = [g for g in by_group if g in mine]
    if not eligible:
        return None
    return max(eligible, key=lambda g: (by_group[g], -list(by_group).index(g)))


def _supplement(
    policy: Policy, categories: Sequence[str], product: str | None, sources: list[Citation]
) -> Supplement | None:
    if product is None:
        return None
    param = policy.assistance_subsidy.commercial_supplement
    product = product.strip()
    if product not in param.value:
        have = "、".join(param.value) or "无"
        raise QuoteError(
            f"supplement_product: {product!r} 不是 {policy.meta.code} {policy.meta.year} "
            f"有补贴的商业补充保险（有：{have}）"
        )
    group = supplement_group(policy, categories, product)
    amount = param.value[product][group] if group is not None else 0
    fund = policy.assistance_subsidy.commercial_supplement_fund
    shown = f"{product}：{group or '不属补贴人群'} {format_yuan(amount)}元"
    sources.append(Citation.of(f"commercial_supplement.{product}", param, shown))
    if amount:
        sources.append(Citation.of("commercial_supplement_fund", fund))
    return Supplement(product, group, amount, fund.value if amount else "")


def _previous_year(
    policy: Policy, paid: int | None, sources: list[Citation]
) -> PreviousYearShortfall | None:
    fin = policy.financing
    standard = fin.previous_year_shortfall_standard
    if standard.value is None:
        if paid is not None:
            raise QuoteError(
                f"previous_year_paid: {policy.meta.code} {policy.meta.year} 无补缴上一年度差额的规定"
                f"（{standard.cite()}）"
            )
        return None
    if paid is not None and paid < 0:
        raise QuoteError("previous_year_paid: 上一年度已缴金额不能为负")
    per_person = fin.previous_year_shortfall_per_person
    makeup = None
    if paid is not None and per_person.value:
        makeup = max(standard.value - paid, 0)
    sources.append(
        Citation.of("previous_year_shortfall_standard", standard, format_yuan(standard.value))
    )
    sources.append(Citation.of("previous_year_shortfall_per_person", per_person))
    return PreviousYearShortfall(policy.meta.year - 1, standard.value, paid, makeup)


def _describe_rule(rule: SubsidyRule, tier: str, amount: int) -> str:
    if tier != "1" and rule.tier2 == "share_of_tier1" and rule.tier2_share is not None:
        how = f"一档标准的{bp_to_percent(rule.tier2_share)}"
    elif rule.kind == "fixed":
        how = "定额"
    elif rule.kind == "share_of_base" and rule.share is not None and rule.base_amount is not None:
        how = f"{format_yuan(rule.base_amount)}元的{bp_to_percent(rule.share)}"
    else:
        how = f"一档标准的{bp_to_percent(rule.share or 0)}"
    return f"{rule.category}：{how} = {format_yuan(amount)}元（{rule.fund}）"
