"""The hospitals' DRG/DIP year-end statement (the settle JSON document) as an Excel workbook:
the CLI's ``--excel`` and the console's 医保支付 download."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def statement_workbook(doc: dict[str, Any]) -> bytes:
    """The statement as .xlsx bytes: 医院结算单 (one row per hospital) and 月度预结算."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "医院结算单"
    sheet.append([f"{doc['region']} {doc['year']} {doc['method'].upper()} 年终清算", f"点值 {doc['point_value']}",
                  f"总点数 {doc['total_points']}", f"预算 {doc['budget']}"])  # fmt: skip
    heads = ["定点医疗机构", "病例数", "点数", "按点数金额", "按项目金额", "盈亏", "患者及其他支付",
             "基金支付", "月度预结算合计", "年终清算"]  # fmt: skip
    sheet.append(heads)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for h in doc["hospitals"]:
        sheet.append([h["fixmedins_code"], h["cases"], h["points"], h["drg_amount"], h["project_amount"],
                      h["gain_loss"], h["patients_and_other_layers"], h["payment"], h["prepaid"],
                      h["year_end_settlement"]])  # fmt: skip
    months = book.create_sheet("月度预结算")
    months.append(["定点医疗机构", *[f"{m:02d}月" for m in range(1, 13)]])
    for h in doc["hospitals"]:
        months.append(
            [
                h["fixmedins_code"],
                *[h["monthly_prepayment"].get(f"{m:02d}", 0) for m in range(1, 13)],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_statement(path: Path, doc: dict[str, Any]) -> None:
    """The statement written to ``path`` (a temporary file, then renamed)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(statement_workbook(doc))
    tmp.replace(path)
