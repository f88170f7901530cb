"""The targets report (yibao.engine.targets) as a workbook: one sheet 目标, Chinese headers,
ratios as numbers formatted as percentages, money in yuan as numbers, persons as integers."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from yibao.engine.targets import COMPARISON_LABELS, TargetRow, TargetsReport
from yibao.money import BP_PER_UNIT, FEN_PER_YUAN

SHEET = "目标"
HEADERS = (
    "目标",
    "政策参数",
    "判定方式",
    "目标值",
    "容差（左右）",
    "实际值",
    "分子",
    "分母",
    "分子分母单位",
    "结果",
    "无法测算原因",
    "口径",
    "依据文件",
    "条款",
    "假定值",
    "说明",
    "目标年度",
)
PERCENT, YUAN, COUNT = "0.00%", "#,##0.00", "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
STATUS_FILLS = {
    "met": PatternFill("solid", fgColor="E2EFDA"),
    "not_met": PatternFill("solid", fgColor="FCE4D6"),
    "not_measurable": PatternFill("solid", fgColor="EDEDED"),
}


def _value(row: TargetRow, amount: int | bool | None, is_ratio: bool) -> tuple[Any, str | None]:
    """A cell value and its number format: ratios as fractions, fen as yuan."""
    if amount is None:
        return None, None
    if row.unit == "flag" or isinstance(amount, bool):
        return ("是" if amount else "否"), None
    if is_ratio and row.unit == "ratio":
        return amount / BP_PER_UNIT, PERCENT
    if row.unit == "fen":
        return amount / FEN_PER_YUAN, YUAN
    return amount, COUNT


def _figure(row: TargetRow, amount: int | None) -> tuple[Any, str | None]:
    if amount is None:
        return None, None
    if row.numerator_unit == "分":
        return amount / FEN_PER_YUAN, YUAN
    return amount, COUNT


def targets_workbook(report: TargetsReport) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(["地区", f"{report.region} {report.name}", "年度", report.year])
    sheet.append(["结算笔数", report.claims])
    sheet.append([])
    sheet.append(list(HEADERS))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in report.rows:
        cells: list[tuple[Any, str | None]] = [
            (row.name, None),
            (row.key, None),
            (COMPARISON_LABELS[row.comparison], None),
            _value(row, row.target, True),
            (None, None) if row.tolerance_bp is None else (row.tolerance_bp / BP_PER_UNIT, PERCENT),
            _value(row, row.actual_bp, True),
            _figure(row, row.numerator),
            _figure(row, row.denominator),
            ({"分": "元", "人": "人"}.get(row.numerator_unit), None),
            (row.status_label, None),
            (row.reason or None, None),
            (row.definition, None),
            (row.source, None),
            (row.clause, None),
            ("是" if row.assumed else "否", None),
            (row.note or None, None),
            (row.due_year, None),
        ]
        sheet.append([value for value, _ in cells])
        for cell, (_, fmt) in zip(sheet[sheet.max_row], cells, strict=True):
            if fmt:
                cell.number_format = fmt
        sheet.cell(sheet.max_row, HEADERS.index("结果") + 1).fill = STATUS_FILLS[row.status]
    for letter, width in zip("ABCDEFGHIJ", (34, 44, 14, 16, 12, 12, 18, 18, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["K"].width = 40
    sheet.column_dimensions["L"].width = 60
    sheet.freeze_panes = "B5"
    return book


def write_targets_xlsx(report: TargetsReport, path: str | Path) -> Path:
    out = Path(path)
    targets_workbook(report).save(out)
    return out


def targets_xlsx_bytes(report: TargetsReport) -> bytes:
    buffer = BytesIO()
    targets_workbook(report).save(buffer)
    return buffer.getvalue()
