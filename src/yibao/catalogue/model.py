"""The resolved 医保目录 of one 就医地 (treatment region): immutable rows the engine reads.

Field names follow the national platform's catalogue interfaces (1312 医保目录信息查询, 1319 医保
目录限价信息, 1320 医保目录先自付比例信息): ``hilist_code``, ``hilist_name``, ``list_type``,
``med_chrgitm_type``, ``chrgitm_lv``, ``begndate``/``enddate``, ``selfpay_prop``,
``hilist_pric_uplmt_amt``. Money in fen, ratios in basis points (yibao.money).

Inheritance (docs/catalogue.md): the catalogue of a region is read along its chain 000000 →
province → city → county; for one item code the most local jurisdiction that lists the code
gives all of its rows (its dated versions), price ceilings and 先行自付 rules alike.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

# 目录类别 (list_type) of the platform's code list.
LIST_TYPES: dict[str, str] = {
    "101": "西药中成药",
    "102": "中药饮片",
    "201": "医疗服务项目",
    "301": "医用耗材",
}
# 收费项目等级 (chrgitm_lv).
CHRGITM_LVS: dict[str, str] = {"01": "甲类", "02": "乙类", "03": "丙类（自费）"}
# 医疗收费项目类别 (med_chrgitm_type) → the item kinds the supervision rules speak of.
MED_CHRGITM_TYPES: dict[str, tuple[str, str]] = {
    "01": ("床位费", "床位"),
    "02": ("诊察费", "诊察"),
    "03": ("检查费", "检查"),
    "04": ("化验费", "检查"),
    "05": ("治疗费", "治疗"),
    "06": ("手术费", "治疗"),
    "07": ("护理费", "护理"),
    "08": ("卫生材料费", "材料"),
    "09": ("西药费", "药品"),
    "10": ("中药饮片费", "药品"),
    "11": ("中成药费", "药品"),
    "12": ("一般诊疗费", "诊察"),
    "13": ("挂号费", "诊察"),
    "14": ("其他费", "治疗"),
}
LEVELS = ("三级", "二级", "一级")
MED_SCOPES = ("门诊", "住院")


@dataclass(frozen=True)
class Cited:
    """Where a row comes from: the document and clause, or ``assumed`` with a note; and the file
    and row it was read from (for error messages and the per-line reason)."""

    source: str
    clause: str = ""
    assumed: bool = False
    note: str = ""
    file: str = ""
    row: int = 0
    jurisdiction: str = ""

    @functools.cached_property
    def label(self) -> str:
        where = f"{self.file}第{self.row}行" if self.file else ""
        basis = f"{self.source}{(' ' + self.clause) if self.clause else ''}"
        if self.assumed:
            basis += "（假定值）"
        return f"{where}，{basis}" if where else basis


def _valid(begndate: dt.date, enddate: dt.date | None, day: dt.date) -> bool:
    return begndate <= day and (enddate is None or day <= enddate)


@dataclass(frozen=True)
class Restriction:
    """限定支付范围: the conditions under which the fund pays for the item. Empty: no limit."""

    sex: str | None = None  # "1" 男 / "2" 女 (GB/T 2261.1)
    age_min: int | None = None  # whole years, inclusive
    age_max: int | None = None
    hosp_levels: frozenset[str] = (
        frozenset()
    )  # levels where it is paid (三级/二级/一级); empty: all
    med_scope: str | None = None  # "门诊" or "住院"; None: both
    text: str = ""  # the 限定支付范围 as published

    @property
    def any(self) -> bool:
        return bool(
            self.sex
            or self.age_min is not None
            or self.age_max is not None
            or self.hosp_levels
            or self.med_scope
        )


@dataclass(frozen=True)
class CatalogueEntry:
    """One dated version of one catalogue item."""

    hilist_code: str
    hilist_name: str
    list_type: str
    med_chrgitm_type: str
    chrgitm_lv: str
    begndate: dt.date
    enddate: dt.date | None
    cite: Cited
    selfpay_prop: int | None = None  # 乙类 先行自付比例 of this item (bp); None: the region's
    restriction: Restriction = field(default_factory=Restriction)

    def valid_on(self, day: dt.date) -> bool:
        return _valid(self.begndate, self.enddate, day)

    @property
    def item_type(self) -> str:
        """药品/检查/治疗/床位/护理/诊察/材料 (the supervision rules' kinds)."""
        return MED_CHRGITM_TYPES[self.med_chrgitm_type][1]

    @property
    def lmt_used_flag(self) -> str:
        """限制使用标志: "1" when the item has a 限定支付范围 (checked by the split or not)."""
        return "1" if self.restriction.any or self.restriction.text else "0"


@dataclass(frozen=True)
class PriceCeiling:
    """医保支付限价 of an item per unit (fen), for some hospital levels (empty: every level)."""

    hilist_code: str
    hilist_pric_uplmt_amt: int
    levels: frozenset[str]
    begndate: dt.date
    enddate: dt.date | None
    cite: Cited

    def applies(self, day: dt.date, level: str) -> bool:
        return _valid(self.begndate, self.enddate, day) and (
            not self.levels or level in self.levels
        )


@dataclass(frozen=True)
class SelfpayRule:
    """A jurisdiction's 乙类 先行自付比例 for some catalogue types (empty: all), dated."""

    list_types: frozenset[str]
    selfpay_prop: int  # bp
    begndate: dt.date
    enddate: dt.date | None
    cite: Cited

    def applies(self, day: dt.date, list_type: str) -> bool:
        return _valid(self.begndate, self.enddate, day) and (
            not self.list_types or list_type in self.list_types
        )


@dataclass(frozen=True)
class Catalogue:
    """The 医保目录 of one 就医地 as resolved along its chain (000000 → … → region)."""

    region: str
    chain: tuple[str, ...]
    entries: Mapping[str, tuple[CatalogueEntry, ...]]
    prices: Mapping[str, tuple[PriceCeiling, ...]] = field(default_factory=dict)
    selfpay_rules: tuple[SelfpayRule, ...] = ()  # most local jurisdiction first

    def entry(self, code: str, day: dt.date) -> CatalogueEntry | None:
        """The version of ``code`` valid on ``day``; None when it is not in the catalogue then."""
        for e in self.entries.get(code, ()):
            if e.valid_on(day):
                return e
        return None

    def versions(self, code: str) -> tuple[CatalogueEntry, ...]:
        return self.entries.get(code, ())

    def ceiling(self, code: str, day: dt.date, level: str) -> PriceCeiling | None:
        """The price ceiling for a hospital level on a day: a level-specific row before a row
        for every level; None when the item has no ceiling."""
        rows = [p for p in self.prices.get(code, ()) if p.applies(day, level)]
        rows.sort(key=lambda p: not p.levels)
        return rows[0] if rows else None

    def selfpay(self, entry: CatalogueEntry, day: dt.date) -> tuple[int, Cited]:
        """The 先行自付比例 (bp) of a 乙类 item: the item's own where set, else the most local
        jurisdiction's rule for its list type. A 乙类 item with neither is an error of the
        data (the loader refuses such a catalogue), never a silent zero."""
        if entry.selfpay_prop is not None:
            return entry.selfpay_prop, entry.cite
        for rule in self.selfpay_rules:
            if rule.applies(day, entry.list_type):
                return rule.selfpay_prop, rule.cite
        raise LookupError(
            f"{self.region}: 乙类项目 {entry.hilist_code} 在 {day} 没有先行自付比例（目录与地区规则均未给出）"
        )

    def codes(self) -> list[str]:
        return sorted(self.entries)
