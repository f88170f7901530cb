"""The early-warning list for the rural-revitalisation department and the townships:
one JSON document and one Excel workbook with a sheet per township (yuan)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADERS = (
    ("psn_no", "人员编号"),
    ("categories", "人员类别"),
    ("basis", "预警口径"),
    ("threshold", "预警线（元）"),
    ("out_of_pocket", "三重保障后个人负担（元）"),
    ("standard_multiple", "相当于监测标准倍数"),
    ("medfee_sumamt", "医疗费用总额（元）"),
    ("hifp_pay", "基本医保支付（元）"),
    ("hifmi_pay", "大病保险支付（元）"),
    ("maf_pay", "医疗救助支付（元）"),
    ("fulamt_ownpay_amt", "全自费（元）"),
    ("claim_count", "结算次数"),
    ("claims", "主要结算单号"),
    ("in_followup", "风险消除后帮扶期内"),
    ("followup_until", "帮扶期截止"),
)


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name or "未知乡镇")[:31]
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base[:28]}({n})"
        n += 1
    used.add(candidate)
    return candidate


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def write_warnings(document: dict[str, Any], out: Path) -> dict[str, str]:
    """Write warnings.json and warnings.xlsx (a summary sheet, then one per township)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, xlsx_path = out / "warnings.json", out / "warnings.xlsx"
    json_path.write_text(
        json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(["地区", document["region"], "年度", document["year"]])
    summary.append(
        ["监测标准（元）", document["standard"], "预警倍数", document["warning_multiple"]]
    )
    summary.append(["监测对象预警线（元）", document["watched_line"]])
    summary.append(["一般居民预警线（元）", document["general_line"]])
    summary.append([])
    summary.append(["乡镇（街道）", "预警人数"])
    used = {"汇总"}
    for town in document["townships"]:
        summary.append([town["township"], town["count"]])
        ws = wb.create_sheet(_sheet_name(town["township"], used))
        ws.append([label for _, label in HEADERS])
        for person in town["persons"]:
            ws.append([_cell(person.get(key)) for key, _ in HEADERS])
    summary.append([])
    for source in document.get("sources", []):
        summary.append(["依据", source])
    wb.save(xlsx_path)
    return {"json": str(json_path), "xlsx": str(xlsx_path)}
