"""Reading rosters and enrollment files (CSV, Excel, Parquet) and writing the ledger to Excel.

Every cell of a CSV or Excel file is read as text so that ID numbers keep their trailing X
and region codes their leading digits; validation (records.py) then types the columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from yibao.enrollment.ledger import Ledger
from yibao.enrollment.records import RecordError
from yibao.money import bp_to_percent

READABLE = (".csv", ".xlsx", ".parquet")


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(path: str | Path) -> pl.DataFrame:
    """A CSV, Excel (first sheet, header on row 1) or Parquet file as a DataFrame."""
    p = Path(path)
    if not p.exists():
        raise RecordError(f"file: {p} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        try:
            return pl.read_csv(p, infer_schema=False, encoding="utf8-lossy")
        except pl.exceptions.PolarsError as exc:
            raise RecordError(f"file: {p} is not a readable CSV: {exc}") from None
    if suffix == ".parquet":
        return pl.read_parquet(p)
    if suffix == ".xlsx":
        book = load_workbook(p, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
        if not rows:
            raise RecordError(f"file: {p} has an empty first sheet")
        header = [_cell_text(h) or f"column{i + 1}" for i, h in enumerate(rows[0])]
        body = [r for r in rows[1:] if any(v is not None for v in r)]
        columns = {
            name: [_cell_text(r[i]) if i < len(r) else None for r in body]
            for i, name in enumerate(header)
        }
        return pl.DataFrame(columns, schema=dict.fromkeys(header, pl.Utf8))
    raise RecordError(f"file: {p} must be one of {', '.join(READABLE)}")


HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MISS_FILL = PatternFill("solid", fgColor="FCE4D6")


def write_ledger_xlsx(ledger: Ledger, path: str | Path) -> Path:
    """The ledger as a workbook: 未参保名单 (who), 参保率 (rates against targets), 目标 (sources)."""
    book = Workbook()
    who = book.active
    assert who is not None
    who.title = "未参保名单"
    _write_rows(
        who,
        ["乡镇（街道）", "人员类别", "身份证号", "姓名"],
        [
            [r["township"], r["category"], r["certno"], r["psn_name"]]
            for r in ledger.uninsured.to_dicts()
        ],
    )
    rates = book.create_sheet("参保率")
    rate_rows = []
    for r in ledger.rates.to_dicts():
        rate_rows.append(
            [
                r["township"] or "合计",
                r["category"] or "全部",
                r["roster"],
                r["insured"],
                r["uninsured"],
                bp_to_percent(r["rate_bp"]),
                bp_to_percent(r["target_bp"]) if r["target_bp"] is not None else "",
                {True: "达标", False: "未达标", None: ""}[r["meets_target"]],
            ]
        )
    _write_rows(
        rates,
        ["乡镇（街道）", "人员类别", "应参保", "已参保", "未参保", "参保率", "目标", "是否达标"],
        rate_rows,
    )
    for row in rates.iter_rows(min_row=2):
        if row[7].value == "未达标":
            for cell in row:
                cell.fill = MISS_FILL
    targets = book.create_sheet("目标")
    _write_rows(
        targets,
        ["人员类别", "目标参保率", "参数", "来源", "条款", "假定值"],
        [
            [
                name,
                bp_to_percent(t.bp) if t.bp is not None else "未规定",
                t.param,
                t.source,
                t.clause,
                "是" if t.assumed else "",
            ]
            for name, t in ledger.targets.items()
        ],
    )
    out = Path(path)
    book.save(out)
    return out


def _write_rows(sheet: Any, header: list[str], rows: list[list[Any]]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        sheet.append(row)
    for i, title in enumerate(header, start=1):
        width = max([len(str(title)) * 2, *(len(str(r[i - 1])) for r in rows)], default=10)
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, 40)
    sheet.freeze_panes = "A2"
