"""参保人员: create, import (CSV / Excel), query; categories with validity dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, clerk, present
from yibao.api.deps import db
from yibao.api.schemas import CategoryIn, Code, EnrollmentIn, PersonIn, PersonOut, PsnNoPath
from yibao.services import enrollment as enrollments
from yibao.services import persons as people
from yibao.store import audit, persons
from yibao.store.audit import Actor
from yibao.store.errors import Invalid

router = APIRouter(prefix="/api/persons", tags=["persons"])

IMPORT_COLUMNS = (
    "psn_no",
    "certno",
    "psn_name",
    "insuplc_admdvs",
    "hh_id",
    "categories",  # names separated by | ; valid from category_begin
    "category_begin",
    "year",  # with enrolled_on: also enrol for this year
    "tier",
    "enrolled_on",
)
MAX_IMPORT_BYTES = 20 * 1024 * 1024


@router.post("", status_code=201, response_model=PersonOut)
def create_person(
    body: PersonIn, session: Session = Depends(db), actor: Actor = Depends(clerk)
) -> dict[str, Any]:
    with session.begin():
        return people.register_person(session, body.to_spec(), actor)


@router.get("", response_model=list[PersonOut])
def find_persons(
    certno: str | None = Query(None, pattern=r"^[0-9Xx]{18}$"),
    hh_id: Code | None = None,
    insuplc_admdvs: str | None = Query(None, pattern=r"^\d{6}$"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> list[dict[str, Any]]:
    with session.begin():
        rows = persons.find_persons(
            session,
            certno=certno,
            hh_id=hh_id,
            insuplc_admdvs=insuplc_admdvs,
            limit=limit,
            offset=offset,
        )
        return [present(persons.person_document(p), actor) for p in rows]


@router.get("/{psn_no}", response_model=PersonOut)
def get_person(
    psn_no: PsnNoPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> dict[str, Any]:
    with session.begin():
        return present(persons.person_document(persons.get_person(session, psn_no)), actor)


@router.post("/{psn_no}/categories", status_code=201, response_model=PersonOut)
def add_category(
    psn_no: PsnNoPath,
    body: CategoryIn,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """Record a category (低保对象, 特困人员 …) valid from begin_date to end_date (inclusive)."""
    with session.begin():
        person = persons.get_person(session, psn_no)
        before = persons.person_document(person)
        persons.add_category(
            session, psn_no, persons.CategorySpan(body.category, body.begin_date, body.end_date)
        )
        after = persons.person_document(persons.get_person(session, psn_no))
        audit.record(session, actor, "add_category", "person", psn_no, before, after)
        return after


@router.post("/import")
def import_persons(
    request: Request,
    file: UploadFile = File(..., description="CSV (UTF-8) or Excel .xlsx; see IMPORT_COLUMNS"),
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """Import persons (and optionally their enrollment) from CSV or Excel. All rows or none:
    any bad row is a 422 listing every bad row and field, and nothing is written."""
    raw = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise Invalid("file: larger than 20 MiB")
    records = _read_table(file.filename or "", raw)
    errors: list[str] = []
    parsed: list[tuple[int, PersonIn, dict[str, Any] | None]] = []
    for number, rec in enumerate(records, start=2):  # row 1 is the header
        try:
            parsed.append((number, *_parse_record(rec)))
        except (ValidationError, ValueError) as exc:
            errors.append(f"row {number}: {_describe(exc)}")
    if errors:
        raise Invalid("; ".join(errors[:50]))
    created = enrolled = 0
    with session.begin():
        for number, body, enrollment in parsed:
            try:
                doc = people.register_person(session, body.to_spec(), actor, action="import")
                created += 1
                if enrollment is not None:
                    enrollments.enroll(
                        session,
                        request.app.state.library,
                        EnrollmentIn(psn_no=doc["psn_no"], **enrollment).to_request(),
                        actor,
                    )
                    enrolled += 1
            except (ValidationError, ValueError) as exc:
                raise Invalid(f"row {number}: {_describe(exc)}") from exc
    return {"created": created, "enrolled": enrolled}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def _read_table(filename: str, raw: bytes) -> list[dict[str, str]]:
    if filename.lower().endswith((".xlsx", ".xlsm")) or raw[:2] == b"PK":
        return _read_excel(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file: not UTF-8 CSV or an Excel .xlsx file") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        _check_header(reader.fieldnames or [])
        return [{k: (v or "") for k, v in row.items() if k} for row in reader]
    except csv.Error as exc:
        raise Invalid(f"file: not a readable CSV file ({exc})") from None


def _read_excel(raw: bytes) -> list[dict[str, str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise Invalid("file: not a readable Excel .xlsx file") from None
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    if not rows:
        raise Invalid("file: the first sheet is empty")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    _check_header(header)
    out = []
    for values in rows[1:]:
        if all(v is None for v in values):
            continue
        out.append({h: _cell(v) for h, v in zip(header, values, strict=False) if h})
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_header(header: list[str]) -> None:
    missing = [c for c in ("certno", "psn_name", "insuplc_admdvs") if c not in header]
    if missing:
        raise Invalid(f"file: missing column {missing[0]} (columns: {', '.join(IMPORT_COLUMNS)})")


def _parse_record(rec: dict[str, str]) -> tuple[PersonIn, dict[str, Any] | None]:
    names = [c for c in (rec.get("categories") or "").split("|") if c.strip()]
    begin = rec.get("category_begin") or "1900-01-01"
    body = PersonIn(
        psn_no=rec.get("psn_no") or None,
        certno=rec.get("certno", ""),
        psn_name=rec.get("psn_name", ""),
        insuplc_admdvs=rec.get("insuplc_admdvs", ""),
        hh_id=rec.get("hh_id") or None,
        categories=[{"category": n, "begin_date": begin} for n in names],  # type: ignore[list-item]
    )
    enrollment = None
    if rec.get("year") and rec.get("enrolled_on"):
        tier = (rec.get("tier") or "1").strip()
        if tier not in ("1", "2"):
            raise ValueError(f"tier: must be 1 or 2, got {tier!r}")
        enrollment = {
            "year": rec["year"],
            "tier": int(tier),
            "enrolled_on": rec["enrolled_on"],
        }
        EnrollmentIn(psn_no="x", **enrollment)  # validate now: all rows or none
    return body, enrollment
