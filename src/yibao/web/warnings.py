"""预警: persons whose yearly out-of-pocket reached the warning line (yibao.engine.warning),
filtered by township and category, exported to Excel for the township to check."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote as urlquote

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]

from yibao.engine.warning import early_warnings, warning_lines
from yibao.idcard import mask
from yibao.money import fen_to_yuan
from yibao.store import transaction
from yibao.store.audit import mask_name
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import persons_frame, scope_context, settlements_frame
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

COLUMNS = (
    ("township", "乡镇（街道）"),
    ("psn_no", "个人编号"),
    ("psn_name", "姓名"),
    ("certno", "身份证号"),
    ("categories", "身份类别"),
    ("claim_count", "结算笔数"),
    ("medfee_sumamt", "医疗费总额"),
    ("fund_pay_sumamt", "基金支付"),
    ("psn_part_amt", "个人自付"),
    ("threshold", "预警线"),
    ("basis", "预警依据"),
)
MONEY = {"medfee_sumamt", "fund_pay_sumamt", "psn_part_amt", "threshold"}


def _warnings(
    request: Request, region: str, year: int | None, township: str, category: str
) -> dict[str, Any]:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, out = scope_context(s, lib, region, year)
        if scope is None:
            return {**out, "rows": [], "townships": [], "categories": [], "lines": None}
        people = persons_frame(s, lib, scope)
        spent = settlements_frame(s, lib, scope)
    policy = lib.resolve(scope.region, scope.year)
    flagged = early_warnings(spent, people, policy, as_of=dt.date.today())
    flagged = flagged.join(people.select("psn_no", "psn_name", "certno"), on="psn_no", how="left")
    townships = sorted(set(flagged["township"].to_list()))
    categories = sorted(
        {c for cats in flagged["categories"].to_list() for c in (cats or "").split("|") if c}
    )
    if township:
        flagged = flagged.filter(pl.col("township") == township)
    if category:
        flagged = flagged.filter(pl.col("categories").str.split("|").list.contains(category))
    return {
        **out,
        "rows": flagged.to_dicts(),
        "townships": townships,
        "categories": categories,
        "lines": warning_lines(policy),
    }


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    township: str = Query("", max_length=60),
    category: str = Query("", max_length=40),
    user: WebUser = Depends(web_user),
) -> Response:
    data = _warnings(request, region, year, township, category)
    return page(
        request,
        user,
        "warnings.html",
        title="因病返贫致贫预警",
        active="warnings",
        township=township,
        category=category,
        **data,
    )


@router.get("/warnings.xlsx")
def warnings_excel(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    township: str = Query("", max_length=60),
    category: str = Query("", max_length=40),
    user: WebUser = Depends(web_user),
) -> Response:
    data = _warnings(request, region, year, township, category)
    book = Workbook()
    sheet = book.active
    sheet.title = "预警名单"
    scope = data["scope"]
    sheet.append(
        [f"因病返贫致贫预警名单 {scope.region if scope else ''} {scope.year if scope else ''}年"]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
    for row in data["rows"]:
        values: list[Any] = []
        for key, _ in COLUMNS:
            value = row.get(key)
            if key in MONEY:
                value = float(fen_to_yuan(int(value or 0)))
            elif key == "certno" and user.masked:
                value = mask(value or "")
            elif key == "psn_name" and user.masked:
                value = mask_name(value or "")
            elif key == "categories":
                value = (value or "").replace("|", "、") or "一般居民"
            values.append(value)
        sheet.append(values)
    for r in sheet.iter_rows(min_row=3):
        for cell, (key, _) in zip(r, COLUMNS, strict=True):
            if key in MONEY:
                cell.number_format = "#,##0.00"
                cell.alignment = Alignment(horizontal="right")
    for col, width in zip("ABCDEFGHIJK", (14, 18, 10, 22, 22, 9, 14, 14, 14, 12, 14), strict=True):
        sheet.column_dimensions[col].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"预警名单_{scope.region if scope else ''}_{scope.year if scope else ''}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(name)}"},
    )
