"""The explanation of one settlement: every step, the rule applied, the policy value and its
source and clause, and the amount (fen) the step produced."""

from __future__ import annotations

import functools
from typing import Any

from yibao.engine import settlement_rules
from yibao.engine.identity_cache import IdentityCache
from yibao.engine.settlement_rules import NO_CAP, ClaimRules
from yibao.money import bp_to_percent as _bp_to_percent
from yibao.money import format_yuan as _format_yuan

Entry = dict[str, Any]

# A real-time settlement explains itself every time; the same policy values are cited and the
# same amounts formatted over and over. The money functions are pure, so they are memoised
# (bounded) rather than re-implemented; a citation is memoised per Param object, holding the
# Param so that its id stays its own.
format_yuan = functools.lru_cache(maxsize=65_536)(_format_yuan)
bp_to_percent = functools.lru_cache(maxsize=4096)(_bp_to_percent)
_CITES: IdentityCache[dict[str, Any]] = IdentityCache("citations", 4096)


def cite(param: Any) -> dict[str, Any]:
    return _CITES.get(param, None, lambda: settlement_rules.cite(param))


def _yuan(fen: int) -> str:
    return "不设封顶" if fen >= NO_CAP else f"{format_yuan(fen)}元"


def explain(
    rules: ClaimRules,
    claim: dict[str, Any],
    r: dict[str, int],
    before: dict[str, int],
    covered: bool,
) -> list[Entry]:
    """``claim``: the CLAIM_SCHEMA row (fen); ``r``: the step results of this claim;
    ``before``: its running totals before the claim."""
    p = rules.policy
    b = p.benefits
    ci = p.critical_illness
    ma = p.medical_assistance
    pool = rules.pool_values
    applied = rules.applied  # the policy value each rule value came from, cited as applied
    out: list[Entry] = []

    def add(step: str, rule: str, value: str, param: Any, amount: int | None) -> None:
        out.append({"step": step, "rule": rule, "value": value, **cite(param), "amount": amount})

    scope = int(claim["inscp_scp_amt"])
    add(
        "政策范围内费用",
        "医疗费总额 − 全自费 − 超限价自付 − 乙类先行自付",
        f"{format_yuan(int(claim['medfee_sumamt']))} − {format_yuan(int(claim['fulamt_ownpay_amt']))}"
        f" − {format_yuan(int(claim['overlmt_selfpay']))} − {format_yuan(int(claim['preselfpay_amt']))}",
        b.med_type_pool,
        scope,
    )
    add(
        "医疗类别与医院等级",
        f"med_type {claim['med_type']} → {pool.label}；hosp_lv {claim['hosp_lv']} → {rules.level}",
        f"{rules.pool}（限额组 {rules.cap_group}），{rules.tier_used}档",
        b.hosp_level_map,
        None,
    )
    if rules.offsite_kind:
        add(
            "异地就医",
            f"{rules.offsite_kind}：就医地目录、参保地政策，基本医保支付比例按备案类别降低",
            f"降低 {bp_to_percent(rules.offsite_reduction_bp).removesuffix('%')} 个百分点",
            applied["offsite_reduction_bp"],
            None,
        )
    if not covered:
        add(
            "待遇享受期",
            "就诊日期不在待遇享受期内（等待期或参保期外）：各项基金不予支付，费用由个人负担",
            f"参保期 {claim.get('coverage_begin') or '—'} 至 {claim.get('coverage_end') or '—'}，"
            f"入院/就诊 {claim['begndate']}",
            p.enrollment.late_enrollment_waiting_months,
            0,
        )
    if r.get("exclusive_excluded"):
        watched = b.pools[rules.exclusive_watch].label.value
        add(
            "待遇衔接",
            f"本年已享受{watched}待遇：{pool.label}不再重复报销、重复享受待遇，各项基金不予支付",
            f"{rules.pool} 让位于 {rules.exclusive_watch}",
            b.exclusive_pools,
            0,
        )
    basis = "每年累计" if rules.deductible_per_year else "每次"
    level_note = rules.level
    if rules.deductible_level and rules.deductible_level != rules.level:
        level_note = f"按{rules.deductible_level}起付线（dedc_hosp_lv）"
    ded_note = f"{format_yuan(rules.deductible)}元（{basis}，{level_note}）"
    if rules.deductible_per_year:
        # (a prevailing exclusive pool keeps its policy scope there: the deductible met is the
        # smaller of the two, as for every pool)
        met = min(rules.deductible, before["deductible_used"])
        ded_note += f"，本年已累计 {format_yuan(met)}元"
    add(
        "基本医保起付线",
        "政策范围内费用先扣起付线",
        ded_note,
        applied["deductible"],
        r["act_pay_dedc"],
    )
    add(
        "基本医保支付比例",
        "（政策范围内费用 − 起付线）× 支付比例",
        f"{bp_to_percent(rules.ratio_bp)}（{rules.level}，{rules.tier_used}档）",
        applied["ratio_bp"],
        r["basic_before_caps"],
    )
    if rules.daily_cap < NO_CAP:
        add(
            "基本医保日支付限额",
            "日限额 × 天数",
            f"{format_yuan(rules.daily_cap)}元/日 × {int(claim['days'])}日",
            applied["daily_cap"],
            r["daily_limit"],
        )
    add(
        "基本医保年度限额",
        f"限额组 {rules.cap_group} 年度最高支付限额，减去本年已支付",
        f"{_yuan(rules.annual_cap)}，本年已支付 {format_yuan(before['pool_paid'])}元",
        applied["annual_cap"],
        r["hifp_pay"],
    )

    if rules.critical_included:
        segs = "；".join(
            f"{format_yuan(lo)}–{'以上' if hi >= NO_CAP else format_yuan(hi)}元 {bp_to_percent(ra)}"
            for lo, hi, ra in zip(
                rules.critical_lows, rules.critical_highs, rules.critical_ratios, strict=True
            )
        )
        add(
            "大病保险合规费用",
            "基本医保支付后政策范围内个人自付，按年累计",
            f"本年累计 {format_yuan(before['critical_eligible'])} → "
            f"{format_yuan(before['critical_eligible'] + r['critical_eligible_delta'])}元",
            applied["critical_included"],
            r["critical_eligible_delta"],
        )
        add(
            "大病保险起付线",
            "年度起付线" + ("（特殊群体降低）" if rules.critical_special else ""),
            f"{format_yuan(rules.critical_deductible)}元",
            applied["critical_deductible"],
            rules.critical_deductible,
        )
        if rules.critical_special:
            add(
                "大病保险倾斜政策",
                f"{rules.critical_special}：起付线降低、比例提高"
                + ("、不设封顶线" if ci.special_no_cap.value else ""),
                f"起付线 × {bp_to_percent(ci.special_deductible_factor.value)}，"
                f"比例 + {bp_to_percent(ci.special_ratio_add.value)}",
                ci.special_groups,
                None,
            )
        add(
            "大病保险分段支付",
            "F(本年累计后) − F(本年累计前)，分段比例",
            segs,
            ci.segments,  # the segments; a special group's raised ratios are the entry above
            r["critical_before_cap"],
        )
        add(
            "大病保险年度限额",
            "年度最高支付限额，减去本年已支付",
            f"{_yuan(rules.critical_cap)}，本年已支付 {format_yuan(before['critical_paid'])}元",
            applied["critical_cap"],
            r["hifmi_pay"],
        )
    else:
        add(
            "大病保险",
            f"{pool.label}不纳入大病保险合规费用",
            ", ".join(ci.included_pools.value),
            ci.included_pools,
            0,
        )

    if rules.assistance_included:
        add(
            "医疗救助对象",
            f"{rules.assistance_category}：政策范围内个人自付按比例救助（多重身份就高）",
            f"{bp_to_percent(rules.assistance_ratio_bp)}，年度起付 "
            f"{format_yuan(rules.assistance_deductible)}元",
            applied["assistance_ratio_bp"],
            r["assistance_eligible_delta"],
        )
        add(
            "医疗救助年度限额",
            "门诊和住院共用年度救助限额，减去本年已救助",
            f"{_yuan(rules.assistance_limit)}，本年已救助 {format_yuan(before['assistance_paid'])}元",
            applied["assistance_limit"],
            r["maf_pay"],
        )
    else:
        reason = (
            "不属于医疗救助对象"
            if not rules.assistance_category
            else f"{pool.label}不纳入医疗救助范围"
        )
        add("医疗救助", reason, "—", ma.ratio_by_category, 0)
    out.append(
        {
            "step": "个人负担",
            "rule": "医疗费总额 − 基本医保 − 大病保险 − 医疗救助",
            "value": f"基金支付合计 {format_yuan(r['fund_pay_sumamt'])}元",
            "source": "",
            "clause": "",
            "assumed": False,
            "cite": "",
            "amount": r["psn_part_amt"],
        }
    )
    return out
