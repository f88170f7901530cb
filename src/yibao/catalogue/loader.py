"""Read the 医保目录 files (``policies/<code>/catalogue/*.csv``) into a resolved Catalogue.

Three CSV files per jurisdiction, all optional, UTF-8 with a header row (docs/catalogue.md):

* ``items.csv``   one row per dated version of an item: code, name, class, 限定支付, source;
* ``prices.csv``  限价 per item, hospital level and date;
* ``selfpay.csv`` the jurisdiction's 乙类 先行自付比例 per 目录类别 and date.

A bad value is a CatalogueFileError naming the file, the row (as a spreadsheet shows it: the
header is row 1) and the field. A region's catalogue is resolved along its chain
000000 → province → city → county: for one item code the most local jurisdiction listing it
gives all its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from yibao.catalogue.model import (
    CHRGITM_LVS,
    LEVELS,
    LIST_TYPES,
    MED_CHRGITM_TYPES,
    MED_SCOPES,
    Catalogue,
    CatalogueEntry,
    Cited,
    PriceCeiling,
    Restriction,
    SelfpayRule,
)
from yibao.money import MoneyError, ratio_to_bp, yuan_to_fen
from yibao.policy.regions import RegionRegistry

ITEM_COLUMNS = (
    "hilist_code",
    "hilist_name",
    "list_type",
    "med_chrgitm_type",
    "chrgitm_lv",
    "begndate",
    "enddate",
    "selfpay_prop",
    "lmt_sex",
    "lmt_age_min",
    "lmt_age_max",
    "lmt_hosp_lv",
    "lmt_med_scope",
    "lmt_text",
)
PRICE_COLUMNS = ("hilist_code", "hosp_lv", "hilist_pric_uplmt_amt", "begndate", "enddate")
SELFPAY_COLUMNS = ("list_type", "selfpay_prop", "begndate", "enddate")
CITE_COLUMNS = ("source", "clause", "assumed", "note")
FILES = {
    "items.csv": ITEM_COLUMNS,
    "prices.csv": PRICE_COLUMNS,
    "selfpay.csv": SELFPAY_COLUMNS,
}
REQUIRED = {
    "items.csv": ("hilist_code", "hilist_name", "list_type", "med_chrgitm_type", "chrgitm_lv"),
    "prices.csv": ("hilist_code", "hilist_pric_uplmt_amt"),
    "selfpay.csv": ("selfpay_prop",),
}


# The national code formats (docs/catalogue.md): 医保药品代码 23 characters (X 西药 / Z 中成药 and
# 22 letters or digits), 医疗服务项目 15 digits, 医用耗材 C and 19 digits.
CODE_FORMATS = {
    "101": (re.compile(r"[XZ][A-Z0-9]{22}"), "23位药品代码（X或Z开头）"),
    "201": (re.compile(r"[0-9]{15}"), "15位数字医疗服务项目代码"),
    "301": (re.compile(r"C[0-9]{19}"), "20位医用耗材代码（C开头）"),
}


class CatalogueFileError(ValueError):
    """A catalogue file that cannot be read; the message names file, row and field."""

    def __init__(self, file: str, row: int, field: str, message: str) -> None:
        super().__init__(f"{file} 第{row}行 {field}：{message}" if row else f"{file}：{message}")
        self.file, self.row, self.field = file, row, field


@dataclass(frozen=True)
class _Row:
    file: str
    row: int
    values: dict[str, str]
    jurisdiction: str

    def fail(self, field: str, message: str) -> CatalogueFileError:
        return CatalogueFileError(self.file, self.row, field, message)

    def text(self, field: str) -> str:
        return self.values.get(field, "").strip()

    def date(self, field: str, *, required: bool) -> dt.date | None:
        raw = self.text(field)
        if not raw:
            if required:
                raise self.fail(field, "缺失（日期 YYYY-MM-DD）")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise self.fail(field, f"不是日期 YYYY-MM-DD：{raw!r}") from exc

    def whole(self, field: str) -> int | None:
        raw = self.text(field)
        if not raw:
            return None
        if not raw.isdigit():
            raise self.fail(field, f"应为不小于0的整数（周岁），收到 {raw!r}")
        return int(raw)

    def ratio(self, field: str) -> int | None:
        raw = self.text(field)
        if not raw:
            return None
        try:
            bp = ratio_to_bp(raw, field)
        except MoneyError as exc:
            raise self.fail(field, f"不是比例（如 0.10 或 10%）：{raw!r}") from exc
        if not 0 <= bp <= 10_000:
            raise self.fail(field, f"比例应在 0 至 1 之间：{raw!r}")
        return bp

    def code(self, field: str, allowed: Iterable[str]) -> str:
        allowed = tuple(allowed)
        raw = self.text(field)
        if raw not in allowed:
            raise self.fail(field, f"{raw!r} 不在代码表中（可选：{'、'.join(allowed)}）")
        return raw

    def levels(self, field: str) -> frozenset[str]:
        raw = self.text(field)
        if not raw:
            return frozenset()
        parts = [p.strip() for p in raw.split("|")]
        bad = [p for p in parts if p not in LEVELS]
        if bad:
            raise self.fail(field, f"医院等级应为 三级/二级/一级（多个用|分隔），收到 {raw!r}")
        return frozenset(parts)

    def cite(self) -> Cited:
        source = self.text("source")
        if not source:
            raise self.fail("source", "缺失（文件号或官方发布来源）")
        assumed_raw = self.text("assumed").lower()
        if assumed_raw not in ("", "true", "false"):
            raise self.fail("assumed", f"应为 true 或 false，收到 {assumed_raw!r}")
        assumed = assumed_raw == "true"
        note = self.text("note")
        clause = self.text("clause")
        if assumed and not note:
            raise self.fail("note", "假定值（assumed: true）须写明理由")
        if not assumed and not clause:
            raise self.fail("clause", "缺失（条款，或 assumed 为 true 并写明理由）")
        return Cited(source, clause, assumed, note, self.file, self.row, self.jurisdiction)


def _rows(path: Path, root: Path, jurisdiction: str) -> Iterator[_Row]:
    name = path.name
    columns = (*FILES[name], *CITE_COLUMNS)
    label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CatalogueFileError(label, 0, "", f"无法读取：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CatalogueFileError(label, 0, "", "不是 UTF-8 编码的文本") from exc
    # Comment lines (#) are skipped; rows are numbered by their line in the file.
    kept = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in kept)
    header_line = kept[0][0] if kept else 1
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise CatalogueFileError(
            label, header_line, unknown[0], f"未知列（可用列：{', '.join(columns)}）"
        )
    missing = [c for c in (*REQUIRED[name], "source") if c not in header]
    if missing:
        raise CatalogueFileError(label, header_line, missing[0], "缺少此列")
    for values in reader:
        i = kept[reader.line_num - 1][0]
        if None in values:
            raise CatalogueFileError(label, i, "", "列数多于表头")
        yield _Row(label, i, {k: v or "" for k, v in values.items()}, jurisdiction)


def _item(row: _Row) -> CatalogueEntry:
    for field in REQUIRED["items.csv"]:
        if not row.text(field):
            raise row.fail(field, "缺失")
    list_type = row.code("list_type", LIST_TYPES)
    code = row.text("hilist_code")
    pattern = CODE_FORMATS.get(list_type)
    if pattern is not None and not pattern[0].fullmatch(code):
        raise row.fail("hilist_code", f"{code!r} 不是{pattern[1]}")
    chrgitm_lv = row.code("chrgitm_lv", CHRGITM_LVS)
    selfpay = row.ratio("selfpay_prop")
    if selfpay is not None and chrgitm_lv != "02":
        raise row.fail("selfpay_prop", "只有乙类（02）项目有先行自付比例")
    sex = row.text("lmt_sex") or None
    if sex is not None and sex not in ("1", "2"):
        raise row.fail("lmt_sex", f'应为 "1"（男）或 "2"（女），收到 {sex!r}')
    age_min, age_max = row.whole("lmt_age_min"), row.whole("lmt_age_max")
    if age_min is not None and age_max is not None and age_max < age_min:
        raise row.fail("lmt_age_max", f"小于 lmt_age_min（{age_max} < {age_min}）")
    scope = row.text("lmt_med_scope") or None
    if scope is not None and scope not in MED_SCOPES:
        raise row.fail("lmt_med_scope", f"应为 门诊 或 住院，收到 {scope!r}")
    restriction = Restriction(
        sex=sex,
        age_min=age_min,
        age_max=age_max,
        hosp_levels=row.levels("lmt_hosp_lv"),
        med_scope=scope,
        text=row.text("lmt_text"),
    )
    if restriction.any and not restriction.text:
        raise row.fail("lmt_text", "有限定支付条件时须写明限定支付范围原文")
    begin = row.date("begndate", required=True)
    end = row.date("enddate", required=False)
    assert begin is not None
    if end is not None and end < begin:
        raise row.fail("enddate", f"早于 begndate（{end} < {begin}）")
    return CatalogueEntry(
        hilist_code=code,
        hilist_name=row.text("hilist_name"),
        list_type=list_type,
        med_chrgitm_type=row.code("med_chrgitm_type", MED_CHRGITM_TYPES),
        chrgitm_lv=chrgitm_lv,
        begndate=begin,
        enddate=end,
        cite=row.cite(),
        selfpay_prop=selfpay,
        restriction=restriction,
    )


def _price(row: _Row) -> PriceCeiling:
    code = row.text("hilist_code")
    if not code:
        raise row.fail("hilist_code", "缺失")
    raw = row.text("hilist_pric_uplmt_amt")
    try:
        fen = yuan_to_fen(raw, "hilist_pric_uplmt_amt")
    except MoneyError as exc:
        raise row.fail("hilist_pric_uplmt_amt", f"不是金额（元，至多两位小数）：{raw!r}") from exc
    if fen <= 0:
        raise row.fail("hilist_pric_uplmt_amt", f"限价应大于0：{raw!r}")
    begin = row.date("begndate", required=True)
    end = row.date("enddate", required=False)
    assert begin is not None
    if end is not None and end < begin:
        raise row.fail("enddate", f"早于 begndate（{end} < {begin}）")
    return PriceCeiling(code, fen, row.levels("hosp_lv"), begin, end, row.cite())


def _selfpay(row: _Row) -> SelfpayRule:
    prop = row.ratio("selfpay_prop")
    if prop is None:
        raise row.fail("selfpay_prop", "缺失")
    raw = row.text("list_type")
    types = frozenset(p.strip() for p in raw.split("|")) if raw else frozenset()
    bad = [t for t in types if t not in LIST_TYPES]
    if bad:
        raise row.fail("list_type", f"{bad[0]!r} 不在代码表中（可选：{'、'.join(LIST_TYPES)}）")
    begin = row.date("begndate", required=True)
    end = row.date("enddate", required=False)
    assert begin is not None
    if end is not None and end < begin:
        raise row.fail("enddate", f"早于 begndate（{end} < {begin}）")
    return SelfpayRule(types, prop, begin, end, row.cite())


@dataclass(frozen=True)
class JurisdictionCatalogue:
    """One jurisdiction's own files, validated, before inheritance."""

    code: str
    items: dict[str, tuple[CatalogueEntry, ...]]
    prices: dict[str, tuple[PriceCeiling, ...]]
    selfpay: tuple[SelfpayRule, ...]


def _overlaps(a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]) -> bool:
    far = dt.date.max
    return a[0] <= (b[1] or far) and b[0] <= (a[1] or far)


def read_jurisdiction(folder: Path, root: Path, code: str) -> JurisdictionCatalogue:
    """Validate one jurisdiction's catalogue folder (missing files are empty)."""
    items: dict[str, list[CatalogueEntry]] = {}
    prices: dict[str, list[PriceCeiling]] = {}
    selfpay: list[SelfpayRule] = []
    if (folder / "items.csv").exists():
        for row in _rows(folder / "items.csv", root, code):
            entry = _item(row)
            for other in items.get(entry.hilist_code, []):
                if _overlaps((entry.begndate, entry.enddate), (other.begndate, other.enddate)):
                    raise row.fail(
                        "begndate",
                        f"{entry.hilist_code} 的有效期与第{other.cite.row}行重叠"
                        "（同一编码同一天只能有一个版本）",
                    )
            items.setdefault(entry.hilist_code, []).append(entry)
    if (folder / "prices.csv").exists():
        for row in _rows(folder / "prices.csv", root, code):
            price = _price(row)
            # a ceiling for an item a parent lists is allowed; checked on resolving
            prices.setdefault(price.hilist_code, []).append(price)
    if (folder / "selfpay.csv").exists():
        selfpay = [_selfpay(row) for row in _rows(folder / "selfpay.csv", root, code)]
    return JurisdictionCatalogue(
        code,
        {k: tuple(sorted(v, key=lambda e: e.begndate)) for k, v in items.items()},
        {k: tuple(v) for k, v in prices.items()},
        tuple(selfpay),
    )


class CatalogueLibrary:
    """The catalogue folders under one policy root, resolved per 就医地 region."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.regions = RegionRegistry.load(root / "regions.yaml")

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the library lives as long as the process
    def jurisdiction(self, code: str) -> JurisdictionCatalogue:
        return read_jurisdiction(self.root / code / "catalogue", self.root, code)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def resolve(self, region: str) -> Catalogue:
        """The 医保目录 of a 就医地: its chain's files, the most local listing of a code winning."""
        chain = [r.code for r in self.regions.chain(region)]
        used = [c for c in chain if (self.root / c / "catalogue").is_dir()]
        entries: dict[str, tuple[CatalogueEntry, ...]] = {}
        prices: dict[str, tuple[PriceCeiling, ...]] = {}
        selfpay: list[SelfpayRule] = []
        for code in used:
            layer = self.jurisdiction(code)
            entries.update(layer.items)
            prices.update(layer.prices)
            selfpay = [*layer.selfpay, *selfpay]  # most local first
        for code, rows in prices.items():
            if code not in entries:
                cite = rows[0].cite
                raise CatalogueFileError(
                    cite.file, cite.row, "hilist_code", f"{code} 不在 {region} 的医保目录中"
                )
        _check_selfpay(entries, selfpay, region)
        return Catalogue(region, tuple(used), entries, prices, tuple(selfpay))


def _check_selfpay(
    entries: dict[str, tuple[CatalogueEntry, ...]], rules: list[SelfpayRule], region: str
) -> None:
    """Every 乙类 version must find a 先行自付比例 on its first day (never a silent zero)."""
    for rows in entries.values():
        for e in rows:
            if e.chrgitm_lv != "02" or e.selfpay_prop is not None:
                continue
            if not any(r.applies(e.begndate, e.list_type) for r in rules):
                raise CatalogueFileError(
                    e.cite.file,
                    e.cite.row,
                    "selfpay_prop",
                    f"乙类项目 {e.hilist_code} 在 {region} 没有先行自付比例"
                    f"（本行未写，selfpay.csv 也没有 {e.begndate} 适用于目录类别 {e.list_type} 的比例）",
                )


def catalogue_library(root: Path | None = None) -> CatalogueLibrary:
    from yibao.policy.loader import policy_dir

    return _library_at(str(root or policy_dir()))


@functools.lru_cache(maxsize=4)
def _library_at(root: str) -> CatalogueLibrary:
    return CatalogueLibrary(Path(root))


def clear_catalogue_cache() -> None:
    _library_at.cache_clear()


def load_catalogue(region: str, root: Path | None = None) -> Catalogue:
    """The 医保目录 of the 就医地 ``region`` (a 行政区划代码 in regions.yaml)."""
    return catalogue_library(root).resolve(region)
