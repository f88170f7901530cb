"""政策 page: a parameter's value as a policy officer reads it — a table by 档次 for
``{"1": 380, "2": 735}``, a grid for a ratio by 档次 and 医院级别, a table of rules for a list of
mappings, percentages for ratios, yuan with separators for amounts, 是/否, 未规定 — never raw
JSON. And the topics the parameters are grouped under."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

from yibao.claims import HOSP_LVS, MED_TYPES
from yibao.money import format_yuan, yuan_to_fen
from yibao.web import labels

# Topics of the page, in the order of a bureau's work; a parameter goes to the first topic whose
# prefix it starts with (the pools by the kind of care).
TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("financing", "参保缴费：筹资标准", ("financing.",)),
    ("subsidy", "参保缴费：资助参保", ("assistance_subsidy.",)),
    ("fiscal", "参保缴费：财政补助分担", ("fiscal_sharing.",)),
    ("enrollment", "参保缴费：参保登记与待遇享受期", ("enrollment.",)),
    (
        "outpatient",
        "待遇：门诊",
        tuple(
            f"benefits.pools.{p}."
            for p in (
                "outpatient_general",
                "chronic_outpatient",
                "two_diseases",
                "separately_paid_drugs",
            )
        ),
    ),
    ("inpatient", "待遇：住院与生育", ("benefits.pools.inpatient.", "benefits.pools.maternity.")),
    ("benefits", "待遇：共用规则", ("benefits.",)),
    ("critical", "待遇：大病保险", ("critical_illness.",)),
    ("assistance", "待遇：医疗救助", ("medical_assistance.",)),
    ("fund", "基金运行与风险", ("fund_risk.",)),
    ("monitoring", "防止因病返贫监测", ("monitoring.",)),
    ("targets", "工作目标", ("targets.",)),
)

# Keys inside values (rules, segments, sharing schemes).
KEYS = {
    "amount": "金额",
    "base_amount": "基数",
    "category": "人员类别",
    "fund": "资助资金",
    "kind": "方式",
    "regions": "适用地区",
    "share": "比例",
    "tier2": "二档资助方式",
    "tier2_share": "二档比例",
    "parts": "分担比例",
    "level": "层级",
    "share_of_remainder": "剩余部分分担比例",
    "label": "名称",
    "cascade": "分担顺序",
    "upper": "分段上限",
    "ratio": "支付比例",
    "source": "文件",
    "clause": "条款",
    "assumed": "假定值",
    "note": "说明",
}
WORDS = {
    **labels.VALUE_WORDS,
    "fixed": "固定金额",
    "share": "按比例",
    "share_of_base": "按基数比例",
    "share_of_tier1": "按一档标准比例",
    "every_resident": "全体居民",
    "next_month": "缴费次月",
    "yibao": labels.OWN_SOURCE_LABEL,
}
TIERS = {"1": "一档", "2": "二档", "3": "三档", "4": "四档", "5": "五档"}
_RATIO_HINTS = ("ratio", "share", "factor", "rate", "tolerance", "_add", "coverage")
_MONEY_HINTS = ("deductible", "cap", "limit", "amount", "contribution", "subsidy", "standard",
                "threshold", "upper", "financing", "tier2", "premium")  # fmt: skip
_COUNT_HINTS = ("months", "days", "month", "multiple", "min_institutions", "min_pharmacies")


def topic_of(path: str) -> str:
    if path.endswith("_target") and path.startswith("benefits."):
        return "targets"
    for key, _, prefixes in TOPICS:
        if any(path.startswith(p) for p in prefixes):
            return key
    return "benefits"


def _kind(name: str, unit: str) -> str:
    """How a number under ``name`` reads (by the parameter's own name, not its pool's)."""
    low = name.rsplit(".", 1)[-1].lower()
    if any(h in low for h in _COUNT_HINTS):
        return "count"
    if any(h in low for h in _RATIO_HINTS) and "元" not in unit:
        return "ratio"
    if "元" in unit or any(h in low for h in _MONEY_HINTS):
        return "money"
    return "plain"


def _number(value: int | float, kind: str) -> str:
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if kind == "ratio" and abs(exact) <= 1:
        pct = (exact * 100).normalize()
        return f"{pct:f}%"
    if kind == "money":
        return f"{format_yuan(yuan_to_fen(str(exact)))} 元"
    return f"{exact.normalize():f}" if exact == exact.to_integral_value() else f"{exact:f}"


def key_label(key: str, context: str) -> str:
    """A key inside a value: 档次 for tiers, the code tables' names, the known words."""
    if context.endswith("hosp_level_map") and key in HOSP_LVS:
        return f"{key} {HOSP_LVS[key]}"
    if context.endswith("med_type_pool") and key in MED_TYPES:
        return f"{key} {MED_TYPES[key]}"
    if context.endswith("central_share_by_group") and key in TIERS:
        return f"第{TIERS[key]}"
    if key in TIERS and not context.endswith(("schemes",)):
        return TIERS[key]
    return KEYS.get(key, WORDS.get(key, key))


def text(value: Any, name: str = "", unit: str = "") -> str:
    """A scalar as words."""
    if value is None:
        return "未规定"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _number(value, _kind(name, unit))
    return WORDS.get(str(value), str(value))


def render(value: Any, name: str = "", unit: str = "") -> Markup:
    """A parameter's value as HTML (escaped), tables for mappings and lists of mappings."""
    if isinstance(value, dict):
        if not value:
            return Markup('<span class="hint">无</span>')
        inner = list(value.values())
        if all(
            isinstance(v, dict) and v and all(not isinstance(x, dict | list) for x in v.values())
            for v in inner
        ):
            return _grid(value, name, unit)
        rows = "".join(
            f"<tr><th>{escape(key_label(str(k), name))}</th><td>{render(v, _child(name, k), unit)}</td></tr>"
            for k, v in value.items()
        )
        return Markup(f'<table class="val">{rows}</table>')
    if isinstance(value, list):
        if not value:
            return Markup('<span class="hint">无</span>')
        if all(isinstance(v, dict) for v in value):
            return _records(value, name, unit)
        if all(isinstance(v, list) for v in value):
            return Markup("<br>".join(str(render(v, name, unit)) for v in value))
        return Markup(escape("、".join(text(v, name, unit) for v in value)))
    shown = escape(text(value, name, unit) + _unit_suffix(value, name, unit))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Markup(f'<span class="nw">{shown}</span>')  # "380.00 元" never breaks
    return Markup(shown)


def _child(name: str, key: Any) -> str:
    """The name a nested value is read under: its own key when that says more."""
    k = str(key)
    return k if k in KEYS else name


def _unit_suffix(value: Any, name: str, unit: str) -> str:
    if value is None or isinstance(value, bool) or not unit:
        return ""
    if isinstance(value, int | float) and _kind(name, unit) in ("money", "ratio"):
        return ""
    return f" {unit}" if isinstance(value, int | float) else ""


def _grid(value: dict[str, Any], name: str, unit: str) -> Markup:
    """{"1": {三级: 0.6, 二级: 0.75}}: rows by the outer key (档次), columns by the inner."""
    columns: list[str] = []
    for v in value.values():
        for k in v:
            if k not in columns:
                columns.append(k)
    head = "".join(f"<th>{escape(key_label(str(c), name))}</th>" for c in columns)
    body = "".join(
        f"<tr><th>{escape(key_label(str(k), name))}</th>"
        + "".join(f'<td class="num">{render(v.get(c), name, unit)}</td>' for c in columns)
        + "</tr>"
        for k, v in value.items()
    )
    return Markup(f'<table class="val"><tr><th></th>{head}</tr>{body}</table>')


def _records(items: list[dict[str, Any]], name: str, unit: str) -> Markup:
    """A list of rules: one row each, the keys as columns, and the rule's own citation (file ·
    clause, 假定值, the note folded) in a last 依据 column."""
    cite_keys = ("source", "clause", "assumed", "note")
    columns: list[str] = []
    for item in items:
        for k in item:
            if k not in columns and k not in cite_keys:
                columns.append(k)
    cited = any(any(k in item for k in cite_keys) for item in items)
    head = "".join(f"<th>{escape(KEYS.get(c, c))}</th>" for c in columns)
    head += "<th>依据</th>" if cited else ""
    body = []
    for item in items:
        cells = []
        for c in columns:
            v = item.get(c)
            if c == "upper" and v is None:
                cells.append("<td>以上（不设上限）</td>")
            else:
                cells.append(f"<td>{render(v, c, unit) if v is not None else ''}</td>")
        if cited:
            cells.append(f'<td class="hint">{_rule_cite(item)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return Markup(f'<table class="val"><tr>{head}</tr>{"".join(body)}</table>')


def _rule_cite(item: dict[str, Any]) -> Markup:
    source = WORDS.get(str(item.get("source") or ""), str(item.get("source") or ""))
    parts = [escape(" · ".join(x for x in (source, str(item.get("clause") or "")) if x))]
    if item.get("assumed"):
        parts.append(Markup(' <span class="assumed">假定值</span>'))
    if item.get("note"):
        note = escape(str(item["note"]))
        parts.append(Markup(f'<details class="note"><summary>说明</summary>{note}</details>'))
    return Markup("").join(parts)
