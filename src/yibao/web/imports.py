"""批量导入 in the console (参保登记 area): upload a CSV or Excel file of persons (and their
year's 参保登记), download the template (CSV with the Chinese headers, or .xlsx).

All rows or none: the file is checked row by row (web/import_table.py), then every row is
written in one transaction, each in a savepoint so that a refusal of the services (a duplicate
ID number, an enrollment the policy refuses) is reported for its row and the next rows are still
tried; if any row is bad the transaction is rolled back and the page lists every bad row with its
row number, field and reason. A good file is committed and the POST redirects (303) to the page
with a summary, so F5 does not import again."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.api.schemas import EnrollmentIn
from yibao.policy.errors import PolicyError
from yibao.services import enrollment as enrollments
from yibao.services import persons as people
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.web import import_table, messages
from yibao.web.import_table import COLUMNS, Row, TableError
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, allowed, bureau, db, library, web_user
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

URL = f"{PREFIX}/import/persons"
SHOWN_ERRORS = 500  # a file of 50,000 bad rows lists the first 500 and says how many


def _page(request: Request, user: WebUser, status: int = 200, **extra: Any) -> Response:
    return page(
        request,
        user,
        "import_persons.html",
        status=status,
        title="批量导入参保人员",
        active="persons",
        columns=COLUMNS,
        url=URL,
        **extra,
    )


@router.get("/import/persons", response_class=HTMLResponse)
def import_page(
    request: Request,
    created: int | None = Query(None, ge=0),
    enrolled: int | None = Query(None, ge=0),
    file: str = Query("", max_length=200),
    user: WebUser = Depends(web_user),
) -> Response:
    summary = None
    if created is not None:
        summary = {"created": created, "enrolled": enrolled or 0, "file": file}
    return _page(request, user, summary=summary)


@router.post("/import/persons", response_class=HTMLResponse)
def import_file(
    request: Request,
    file: UploadFile | None = File(None),
    user: WebUser = Depends(allowed("enroll")),
) -> Response:
    """Sync, so FastAPI runs it in its thread pool: a large file's rows never block the loop."""
    name = (file.filename or "") if file is not None else ""
    raw = file.file.read(import_table.MAX_BYTES + 1) if file is not None else b""
    try:
        records = import_table.read(name, raw)
    except TableError as exc:
        return _page(request, user, 422, error=messages.chinese(str(exc)), file=name)
    if not records:
        return _page(request, user, 422, error="文件：除表头外没有数据行", file=name)
    region, _ = bureau(request)
    rows = import_table.check(records, library(request), region)
    created, enrolled, bad = _write(request, rows, user)
    if bad:
        shown = bad[:SHOWN_ERRORS]
        return _page(
            request,
            user,
            422,
            error=(
                f"{len({r for r, _, _ in bad})} 行有误（共 {len(rows)} 行），全部未导入；"
                "请按下表修改后重新选择文件导入"
            ),
            bad=shown,
            more=len(bad) - len(shown),
            total=len(rows),
            file=name,
        )
    query = urlencode({"created": created, "enrolled": enrolled, "file": name})
    return RedirectResponse(f"{URL}?{query}", status_code=303)


def _write(
    request: Request, rows: list[Row], user: WebUser
) -> tuple[int, int, list[tuple[int, str, str]]]:
    """Every good row written inside one transaction, committed only when no row is bad."""
    lib = library(request)
    bad: list[tuple[int, str, str]] = []
    created = enrolled = 0
    session = db(request)()
    try:
        session.begin()
        for row in rows:
            bad.extend((row.number, f, r) for f, r in row.errors)
            if row.errors or row.person is None:
                continue
            savepoint = session.begin_nested()
            try:
                doc = people.register_person(
                    session, row.person.to_spec(), user.actor, action="import"
                )
                if row.enrollment is not None:
                    body = EnrollmentIn(psn_no=doc["psn_no"], **row.enrollment)
                    enrollments.enroll(session, lib, body.to_request(), user.actor)
                    enrolled += 1
                savepoint.commit()
                created += 1
            except (Invalid, Conflict, NotFound, PolicyError, ValueError) as exc:
                savepoint.rollback()
                field, reason = messages.split(str(exc))
                bad.append((row.number, field or "整行", reason))
        if bad:
            session.rollback()
            return 0, 0, sorted(bad)
        session.commit()
        return created, enrolled, []
    finally:
        session.close()


# ------------------------------------------------------------------------------ templates
def _download(body: bytes, filename: str, media_type: str) -> Response:
    """An attachment named in Chinese (RFC 6266 filename*), with an ASCII name for old clients."""
    fallback = "persons-template." + filename.rsplit(".", 1)[-1]
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/import/persons/template.csv")
def template_csv(user: WebUser = Depends(web_user)) -> Response:
    """The headers alone, UTF-8 with a BOM (Excel opens it with the Chinese intact)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.header for c in COLUMNS])
    return _download(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        "参保人员导入模板.csv",
        "text/csv; charset=utf-8",
    )


@router.get("/import/persons/template.xlsx")
def template_xlsx(user: WebUser = Depends(web_user)) -> Response:
    """The headers on the first sheet (code columns formatted as text, so an ID number keeps
    its 18 digits) and a 填写说明 sheet with each column's rule and an example."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "参保人员"
    sheet.append([c.header for c in COLUMNS])
    fill = PatternFill("solid", fgColor="E3E9F1")
    for i, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True, color="B03A2E" if column.required else "1D2733")
        cell.fill = fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 22 if column.name == "certno" else 14
        if column.name in import_table.TEXT_COLUMNS:
            for r in range(2, 2002):  # text cells for the first 2,000 rows
                sheet.cell(row=r, column=i).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "填写说明", "示例"])
    for column in COLUMNS:
        notes.append(
            [column.header, "必填" if column.required else "选填", column.hint, column.example]
        )
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "第一行为表头，请勿修改；从第二行起每行一人。任一行有误时整个文件均不导入，页面列出每一行的错误。",
            "",
        ]
    )
    for letter, width in (("A", 14), ("B", 10), ("C", 60), ("D", 22)):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return _download(
        out.getvalue(),
        "参保人员导入模板.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
