"""A case to group (病案首页 fields the grouper reads), parsed from the JSON contract
``{gend, age, age_days, weight, los, leaving_type, diagnoses, procedures}``: the first diagnosis
is the 主诊断, the first procedure the 主要手术/操作."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class CaseError(ValueError):
    """A case that cannot be grouped as given: names the case and the field."""


@dataclass(frozen=True)
class Case:
    case_id: str
    gend: str  # 1 男, 2 女 (GB/T 2261.1)
    age: int  # years
    age_days: int | None  # days, for age 0
    weight: int | None  # birth weight in grams (新生儿)
    los: int  # 住院天数
    leaving_type: str  # 离院方式 1 医嘱离院 … 5 死亡, 9 其他
    diagnoses: tuple[str, ...]
    procedures: tuple[str, ...]


LEAVING_TYPES = {"1", "2", "3", "4", "5", "9"}


def _int(doc: Mapping[str, Any], key: str, who: str, *, required: bool) -> int | None:
    value = doc.get(key)
    if value is None or value == "":
        if required:
            raise CaseError(f"{who}{key}: 缺少")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CaseError(f"{who}{key}: 应为整数，得到 {value!r}")
    try:
        number = int(value)
    except ValueError as exc:
        raise CaseError(f"{who}{key}: 应为整数，得到 {value!r}") from exc
    if number < 0:
        raise CaseError(f"{who}{key}: 不能为负数（{number}）")
    return number


def _codes(doc: Mapping[str, Any], key: str, who: str) -> tuple[str, ...]:
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [c for c in value.replace(",", "|").split("|")]
    if not isinstance(value, list):
        raise CaseError(f"{who}{key}: 应为编码列表")
    codes = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or not code.strip():
            raise CaseError(f"{who}{key}[{i}]: 编码为空或不是字符串")
        codes.append(code.strip())
    return tuple(codes)


def parse_case(doc: Mapping[str, Any], case_id: str = "") -> Case:
    """The case from its JSON object; a missing 主诊断 or a bad field is an error naming it."""
    who = f"病例 {case_id}: " if case_id else ""
    if not isinstance(doc, Mapping):
        raise CaseError(f"{who}病例应为 JSON 对象")
    gend = str(doc.get("gend", "")).strip()
    if gend not in ("1", "2"):
        raise CaseError(f"{who}gend: 性别应为 1（男）或 2（女），得到 {doc.get('gend')!r}")
    age = _int(doc, "age", who, required=True)
    assert age is not None
    age_days = _int(doc, "age_days", who, required=False)
    weight = _int(doc, "weight", who, required=False)
    if age == 0 and age_days is None:
        raise CaseError(f"{who}age_days: 年龄为 0 岁时必须填写年龄（天）")
    if age == 0 and age_days is not None and age_days <= 28 and weight is None:
        raise CaseError(f"{who}weight: 新生儿（≤28 天）必须填写出生体重（克）")
    los = _int(doc, "los", who, required=True)
    assert los is not None
    leaving = str(doc.get("leaving_type", "1")).strip()
    if leaving not in LEAVING_TYPES:
        raise CaseError(f"{who}leaving_type: 离院方式 {leaving!r} 不认识（1、2、3、4、5、9）")
    diagnoses = _codes(doc, "diagnoses", who)
    if not diagnoses:
        raise CaseError(f"{who}diagnoses: 缺少主诊断（diagnoses 的第一项）")
    return Case(
        case_id=case_id or str(doc.get("case_id", "")),
        gend=gend,
        age=age,
        age_days=age_days,
        weight=weight,
        los=los,
        leaving_type=leaving,
        diagnoses=diagnoses,
        procedures=_codes(doc, "procedures", who),
    )
