"""Messages for a clerk: every refusal the console shows is Chinese and names the field.

The services speak ``field: reason`` (mostly Chinese already; some lower layers — ID numbers,
money, the store's duplicates — still say it in English for the API and the logs). Here, at the
console's edge, the field becomes its Chinese name (labels.FIELDS), the English reasons we know
become Chinese, and pydantic's validation errors are said by their type, so no
``validation error`` or ``errors.pydantic.dev`` text reaches a page."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from yibao.web import labels

# The English reasons of the layers below (idcard, money, store, claims, policy), as patterns
# of the text after "field: ". Groups are carried into the Chinese text.
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (r"^(\S+) is not an 18-character ID number$", r"\1 不是18位身份证号码"),
        (r"^(\S+) has an unknown province code (\S+)$", r"\1 的省级代码 \2 不存在"),
        (r"^(\S+) has an impossible birth date$", r"\1 的出生日期不存在"),
        (r"^(\S+) has a birth year before 1900$", r"\1 的出生年份早于1900年"),
        (r"^(\S+) fails the GB 11643 check digit$", r"\1 校验码错误（GB 11643），请核对号码"),
        (r"^a person with this ID number already exists$", "该身份证号已登记，不能重复登记"),
        (r"^person (\S+) already exists$", r"个人编号 \1 已存在"),
        (r"^no person (\S+)$", r"无个人编号为 \1 的人员"),
        (r"^no settlement (\S+)$", r"无结算编号为 \1 的结算"),
        (r"^before begin_date$", "终止日期早于起始日期"),
        (r"^before coverage_begin$", "待遇终止日早于起始日"),
        (r"^before begndate$", "出院日期早于入院日期"),
        (r"^must be 1 or 2, got (.*)$", r"应为 1（一档）或 2（二档），收到 \1"),
        (r"^unknown '([^']*)'; known: (.*)$", r"“\1”不在代码表中（可填：\2）"),
        (r"^expected a number, got (.*)$", r"应为金额数字，收到 \1"),
        (r"^not a number: (.*)$", r"应为金额数字，收到 \1"),
        (r"^not a finite number: (.*)$", r"应为金额数字，收到 \1"),
        (r"^(.*) has more than two decimals \(yuan\)$", r"\1 超过两位小数（金额单位：元）"),
        (r"^(.*) is finer than 0\.01%$", r"\1 精度超过0.01%"),
        (r"^control characters are not allowed$", "不能含控制字符"),
        (r"^larger than 20 MiB$", "文件超过20 MB"),
        (r"^region (\S+): no policy files on its chain$", r"统筹区 \1 没有政策文件"),
    )
)
_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.*)$", re.S)


def reason(text: str) -> str:
    """An English reason we know, in Chinese; anything else as it is."""
    for pattern, zh in _KNOWN:
        if pattern.match(text):
            return pattern.sub(zh, text)
    return text


def split(message: str) -> tuple[str, str]:
    """A service message ``field: reason`` as (Chinese field name, Chinese reason); a message
    without a field gives ("", reason)."""
    text = str(message).strip()
    m = _FIELD.match(text)
    if m is None:
        return "", reason(text)
    name, rest = m.group(1), m.group(2).strip()
    last = name.split(".")[-1]
    return labels.field(last), reason(rest)


def chinese(message: str) -> str:
    """A service message for a page: ``身份证号：… 校验码错误``."""
    name, text = split(message)
    return f"{name}：{text}" if name else text


# pydantic error types (pydantic-core) in Chinese; ctx values fill the braces.
_PYDANTIC = {
    "missing": "必填，未填写",
    "string_too_short": "长度不足（至少 {min_length} 个字符）",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为金额数字",
    "decimal_type": "应为金额数字",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_max_digits": "数字位数过多",
    "decimal_whole_digits": "整数位数过多",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期（不含时间）",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
    "datetime_from_date_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
    "datetime_type": "时间格式应为 YYYY-MM-DD HH:MM",
    "bool_parsing": "应为 是 或 否",
    "literal_error": "应为 {expected} 之一",
    "enum": "应为 {expected} 之一",
    "extra_forbidden": "不接受此项",
    "too_long": "条目过多（最多 {max_length} 项）",
    "list_type": "应为列表",
    "json_invalid": "不是有效的数据格式",
    "model_attributes_type": "内容有误",
    "dict_type": "内容有误",
}


def _ctx_text(value: Any) -> str:
    text = str(value)
    return text.replace("'", "").replace(" or ", "、")


def pydantic_reason(error: Mapping[str, Any]) -> str:
    """One pydantic error's reason in Chinese (a ValueError raised by our own validators keeps
    its own text, translated if it is a known English one)."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        inner = str(ctx.get("error") or error.get("msg") or "")
        return split(inner)[1] if _FIELD.match(inner) else reason(inner)
    template = _PYDANTIC.get(kind)
    if template is None:
        return "内容有误"
    try:
        return template.format(**{k: _ctx_text(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split("（")[0].replace("{", "").replace("}", "")


def pydantic_errors(errors: Iterable[Mapping[str, Any]], skip: int = 0) -> list[tuple[str, str]]:
    """(Chinese field name, Chinese reason) for each error; ``skip`` leading loc parts (the
    request's "body"/"query" for FastAPI)."""
    out = []
    for error in errors:
        loc = [str(p) for p in tuple(error.get("loc") or ())[skip:] if not str(p).isdigit()]
        name = labels.field(loc[-1]) if loc else ""
        out.append((name, pydantic_reason(error)))
    return out


def describe(errors: Iterable[Mapping[str, Any]], skip: int = 1) -> str:
    """A validation error for a page: ``身份证号：长度不足…；参保年度：应为整数``."""
    parts = [f"{n}：{r}" if n else r for n, r in pydantic_errors(errors, skip)]
    return "；".join(parts) or "表单内容有误，请检查后重新提交"


def is_clerk_text(text: str) -> bool:
    """No pydantic boilerplate and no English sentence (a code or a unit is allowed)."""
    if "validation error" in text or "errors.pydantic.dev" in text:
        return False
    return not re.search(r"[A-Za-z]{4,} [A-Za-z]{2,} [A-Za-z]{2,}", text)


__all__ = ["chinese", "describe", "is_clerk_text", "pydantic_errors", "reason", "split"]
