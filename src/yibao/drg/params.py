"""DRG/DIP payment parameters of a region: data/drg/params/000000.yaml overridden key by key by
data/drg/params/<region>.yaml (each value with its source or assumed: true)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from yibao import yamlfile
from yibao.drg.tables import DATA_DIR

PARAMS_DIR = DATA_DIR / "params"
LEVEL_CLASS = {
    **{c: "三级" for c in ("01", "02", "03", "04", "12")},
    **{c: "二级" for c in ("05", "06", "07", "13")},
    **{c: "一级" for c in ("08", "09", "10", "11", "14")},
}


class ParamsError(ValueError):
    pass


@dataclass(frozen=True)
class Band:
    up_to_bp: int | None  # this band covers the difference up to this share of the project amount
    share_bp: int  # surplus: the hospital keeps; deficit: the fund shares


@dataclass(frozen=True)
class MonitoringParams:
    upcoding_cost_ratio_bp: (
        int  # DRG01 高套分组: cost below this share of the plain group's average
    )
    low_standard_max_los: int  # DRG02 低标准入院: at most this many days


@dataclass(frozen=True)
class PaymentParams:
    region: str
    method: str  # drg | dip
    tables: tuple[tuple[int, str], ...]  # (from year, grouping version), ascending
    point_scale: int
    level_coefficient: dict[str, int]  # 三级/二级/一级 → bp
    hospital_coefficient: dict[str, int]  # fixmedins_code → bp
    high_ratio_bp: int
    high_ratio_by_points: tuple[tuple[int | None, int], ...]  # (up to base points, ratio bp)
    low_ratio_bp: int
    high_formula: str  # drg | dip
    special_los_days: int
    budget_rule: str
    prepay_ratio_bp: int
    surplus_bands: tuple[Band, ...]
    deficit_bands: tuple[Band, ...]
    sources: dict[str, dict[str, Any]]
    monitoring: MonitoringParams

    def coefficient(self, fixmedins_code: str, hosp_lv: str) -> int:
        if fixmedins_code in self.hospital_coefficient:
            return self.hospital_coefficient[fixmedins_code]
        level = LEVEL_CLASS.get(hosp_lv)
        if level is None or level not in self.level_coefficient:
            raise ParamsError(
                f"hosp_lv: 医院 {fixmedins_code} 的等级 {hosp_lv!r} 没有{'成本系数' if self.method == 'drg' else '医疗机构系数'}"
                f"（{self.region} 的 {self.method}.cost_coefficient / hospitals 均未给出）"
            )
        return self.level_coefficient[level]

    def table_for(self, year: int) -> str:
        """The grouping version in force in ``year`` (the latest that starts by then)."""
        found = [version for start, version in self.tables if start <= year]
        if not found:
            raise ParamsError(
                f"year: {self.region} 在 {year} 年没有 {self.method} 分组版本（table）"
            )
        return found[-1]

    def high_ratio_for(self, base_points: int, unit: int) -> int:
        """The 高倍率 threshold of a group with these base points (in 1/unit points)."""
        for up_to, ratio in self.high_ratio_by_points:
            if up_to is None or base_points <= up_to * unit:
                return ratio
        return self.high_ratio_bp


def _file(region: str) -> dict[str, Any]:
    path = PARAMS_DIR / f"{region}.yaml"
    if not path.exists():
        return {}
    try:
        doc = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # a YAML syntax error: name the file, not the parser's internals
        raise ParamsError(f"{path}: 不是合法的 YAML（{str(exc).splitlines()[0]}）") from exc
    if not isinstance(doc, dict):
        raise ParamsError(f"{path}: 应为映射（key: value）")
    return doc


def _bands(raw: list[dict[str, Any]], key: str, where: str) -> tuple[Band, ...]:
    bands = []
    for i, band in enumerate(raw):
        if key not in band:
            raise ParamsError(f"{where}[{i}].{key}: 缺少")
        up = band.get("up_to")
        bands.append(Band(None if up is None else int(up), int(band[key])))
    if not bands or bands[-1].up_to_bp is not None:
        raise ParamsError(f"{where}: 最后一档应为 up_to: null")
    return tuple(bands)


def _tables(value: Any, where: str) -> tuple[tuple[int, str], ...]:
    """A version for all years, or versions keyed by the year they start."""
    if isinstance(value, str):
        return ((0, value),)
    if not isinstance(value, dict) or not value:
        raise ParamsError(f"{where}: 应为分组版本名，或 {{起始年份: 版本名}}")
    try:
        return tuple(sorted((int(year), str(version)) for year, version in value.items()))
    except ValueError as exc:
        raise ParamsError(f"{where}: 起始年份应为整数") from exc


def _point_bands(merged: dict[str, Any], where: str) -> tuple[tuple[int | None, int], ...]:
    raw = (merged.get("high_ratio_by_points") or {}).get("value") or []
    bands = []
    for i, band in enumerate(raw):
        if "ratio" not in band:
            raise ParamsError(f"{where}[{i}].ratio: 缺少")
        up = band.get("up_to")
        bands.append((None if up is None else int(up), int(band["ratio"])))
    if bands and bands[-1][0] is not None:
        raise ParamsError(f"{where}: 最后一档应为 up_to: null")
    return tuple(bands)


@cache
def payment_params(region: str, method: str) -> PaymentParams:
    if method not in ("drg", "dip"):
        raise ParamsError(f"method: {method!r} 应为 drg 或 dip")
    base = _file("000000").get(method, {})
    mine = _file(region)
    if not mine:
        raise ParamsError(
            f"region: {region} 没有 DRG/DIP 付费参数（data/drg/params/{region}.yaml）"
        )
    merged = {**base, **mine.get(method, {})}
    needed = (
        "table", "point_scale", "cost_coefficient", "hospitals", "high_ratio", "low_ratio",
        "high_formula", "special_los_days", "budget_rule", "prepay_ratio", "bands",
    )  # fmt: skip
    for key in needed:
        if key not in merged or "value" not in merged[key]:
            raise ParamsError(f"{region} {method}.{key}: 缺少参数值")
    v = {k: merged[k]["value"] for k in needed}
    where = f"{region} {method}.bands"
    return PaymentParams(
        region=region,
        method=method,
        tables=_tables(v["table"], f"{region} {method}.table"),
        point_scale=int(v["point_scale"]),
        level_coefficient={str(k): int(x) for k, x in v["cost_coefficient"].items()},
        hospital_coefficient={str(k): int(x) for k, x in (v["hospitals"] or {}).items()},
        high_ratio_bp=int(v["high_ratio"]),
        high_ratio_by_points=_point_bands(merged, f"{region} {method}.high_ratio_by_points"),
        low_ratio_bp=int(v["low_ratio"]),
        high_formula=str(v["high_formula"]),
        special_los_days=int(v["special_los_days"]),
        budget_rule=str(v["budget_rule"]),
        prepay_ratio_bp=int(v["prepay_ratio"]),
        surplus_bands=_bands(v["bands"]["surplus"], "hospital_keeps", where + ".surplus"),
        deficit_bands=_bands(v["bands"]["deficit"], "fund_shares", where + ".deficit"),
        sources={k: {x: y for x, y in merged[k].items() if x != "value"} for k in needed},
        monitoring=_monitoring(merged, f"{region} {method}"),
    )


def _monitoring(merged: dict[str, Any], where: str) -> MonitoringParams:
    values = {}
    for key in ("upcoding_cost_ratio", "low_standard_max_los"):
        node = merged.get(key)
        if not isinstance(node, dict) or "value" not in node:
            raise ParamsError(f"{where}.{key}: 缺少参数值")
        values[key] = int(node["value"])
    return MonitoringParams(values["upcoding_cost_ratio"], values["low_standard_max_los"])


def params_path(region: str) -> Path:
    return PARAMS_DIR / f"{region}.yaml"
