"""批量导入参保人员: the file a clerk uploads, read and checked row by row.

A CSV (UTF-8 with or without BOM, or GBK/GB18030 — what Excel saves here by default) or an
Excel .xlsx, with the Chinese headers of the template (or the API's own column names, so a file
made for ``POST /api/persons/import`` reads too). Every bad field of every row is reported with
its row number (as Excel numbers it: the header is row 1), the field's Chinese name and a
Chinese reason; nothing here writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from yibao.api.schemas import EnrollmentIn, PersonIn
from yibao.categories import CategoryError, canonical
from yibao.idcard import IdNumberError, parse_id
from yibao.policy import PolicyLibrary
from yibao.policy.errors import PolicyError
from yibao.web import messages

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    name: str  # the API's column name (import's IMPORT_COLUMNS)
    header: str  # the template's Chinese header
    required: bool
    example: str
    hint: str


COLUMNS = (
    Column("psn_no", "个人编号", False, "", "不填由系统生成；填写时为字母、数字，不含身份证号"),
    Column("certno", "身份证号", True, "500243199001011234", "18位，末位可为X；Excel中请设为文本"),
    Column("psn_name", "姓名", True, "张三", ""),
    Column("insuplc_admdvs", "参保地", True, "500243", "6位行政区划代码；不填为本局统筹区"),
    Column("hh_id", "家庭编号", False, "H500243000123", "同一家庭填同一编号；不填则单独立户"),
    Column("categories", "人员类别", False, "低保对象", "多个用“、”或“|”分隔，如 低保对象、残疾人"),
    Column("category_begin", "类别起始日期", False, "2023-01-01", "YYYY-MM-DD；不填为长期有效"),
    Column("year", "参保年度", False, "2024", "与缴费日期一起填写时同时办理该年度参保登记"),
    Column("tier", "缴费档次", False, "1", "1 或 2，不填为 1"),
    Column("enrolled_on", "缴费日期", False, "2023-10-15", "YYYY-MM-DD，即参保登记（缴费）日期"),
)
BY_HEADER = {c.header: c for c in COLUMNS} | {c.name: c for c in COLUMNS}
TEXT_COLUMNS = ("psn_no", "certno", "insuplc_admdvs", "hh_id")  # text cells in the template
CATEGORY_SPLIT = re.compile(r"[、|，,；;/\s]+")


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, header, format): a Chinese message."""


@dataclass
class Row:
    number: int  # as Excel shows it (the header is row 1)
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (字段, 原因)
    person: PersonIn | None = None
    enrollment: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.values.get("psn_name", "")


# ------------------------------------------------------------------------------ reading
def decode(raw: bytes) -> str:
    """CSV text: UTF-8 (a BOM or not), else GB18030 (a superset of GBK and GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(
            "file: 无法识别文件编码（应为 UTF-8 或 GBK 的 CSV 文件，或 Excel .xlsx 文件）"
        ) from None


def read(filename: str, raw: bytes) -> list[tuple[int, dict[str, str], set[str]]]:
    """The data rows as (row number, {column name: text}, columns stored as numbers)."""
    if not raw.strip():
        raise TableError("file: 文件为空，请选择填写好的导入文件")
    if len(raw) > MAX_BYTES:
        raise TableError("file: 文件超过20 MB，请分批导入")
    if filename.lower().endswith((".xlsx", ".xlsm")) or raw[:2] == b"PK":
        return _read_excel(raw)
    if filename.lower().endswith(".xls") or raw[:4] == b"\xd0\xcf\x11\xe0":
        raise TableError("file: 不支持旧版 Excel .xls 文件，请另存为 .xlsx 或 CSV 后导入")
    text = decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(f"file: CSV 文件格式有误（{exc}）") from None
    if not rows:
        raise TableError("file: 文件为空，请选择填写好的导入文件")
    header = _header(rows[0])
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in header}
        out.append((number, values, set()))
    return out


def _header(cells: list[Any]) -> list[tuple[int, str]]:
    """(position, column name) of the recognised headers; the required ones must be there."""
    found: list[tuple[int, str]] = []
    for i, cell in enumerate(cells):
        text = re.sub(r"[\s*＊]|（必填）|\(必填\)", "", str(cell or "")).lstrip("\ufeff")
        column = BY_HEADER.get(text)
        if column is not None:
            found.append((i, column.name))
    names = {n for _, n in found}
    missing = [c.header for c in COLUMNS if c.required and c.name not in names]
    if missing:
        raise TableError(
            f"file: 第1行（表头）缺少“{'”“'.join(missing)}”列；请使用下载的导入模板"
            f"（表头：{'、'.join(c.header for c in COLUMNS)}）"
        )
    return found


def _read_excel(raw: bytes) -> list[tuple[int, dict[str, str], set[str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        raise TableError("file: 无法读取该 Excel 文件（应为 .xlsx 格式）") from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        raise TableError("file: Excel 第一个工作表为空")
    header = _header(list(rows[0]))
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        values: dict[str, str] = {}
        numeric: set[str] = set()
        for i, name in header:
            value = cells[i] if i < len(cells) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                numeric.add(name)
            values[name] = _cell(value)
        out.append((number, values, numeric))
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


# ------------------------------------------------------------------------------ checking
def insured_regions(library: PolicyLibrary) -> list[str]:
    """参保地 a person may be registered in: cities and counties with their own policy files
    (as on the 新增参保人员 form)."""
    return [r.code for r, _ in library.available() if r.level in ("city", "county")]


def _date(text: str) -> dt.date:
    """2023-10-15, 2023/10/15, 2023.10.15 or 20231015."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", t
    )
    if m is None:
        raise ValueError("日期格式应为 YYYY-MM-DD，如 2023-10-15")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"{t} 不是有效日期") from None


def check(
    records: list[tuple[int, dict[str, str], set[str]]],
    library: PolicyLibrary,
    default_region: str | None = None,
) -> list[Row]:
    """Each row checked field by field (all its errors, not the first), duplicates within the
    file named with the row they repeat."""
    rows = []
    seen: dict[str, int] = {}
    for number, values, numeric in records:
        row = Row(number, values)
        _check_row(row, numeric, library, default_region)
        certno = values.get("certno", "").upper()
        if certno and certno in seen:
            row.errors.append(("身份证号", f"与第 {seen[certno]} 行重复"))
        elif certno:
            seen[certno] = number
        rows.append(row)
    return rows


def _check_row(
    row: Row, numeric: set[str], library: PolicyLibrary, default_region: str | None
) -> None:
    v = row.values
    bad = row.errors.append
    certno = v.get("certno", "").strip().upper()
    if "certno" in numeric:
        bad(("身份证号", "Excel 将身份证号存为数字，末几位已丢失；请将该列设为文本后重新填写"))
    elif not certno:
        bad(("身份证号", "必填，未填写"))
    else:
        try:
            parse_id(certno, "certno")
        except IdNumberError as exc:
            bad(messages.split(str(exc)))
    if not v.get("psn_name", "").strip():
        bad(("姓名", "必填，未填写"))
    region = v.get("insuplc_admdvs", "").strip() or (default_region or "")
    if not region:
        bad(("参保地", "必填，未填写"))
    elif not re.fullmatch(r"\d{6}", region):
        bad(("参保地", f"“{region}”应为6位行政区划代码"))
    elif region not in insured_regions(library):
        bad(
            (
                "参保地",
                f"{region} 不是本系统的统筹区（可填：{'、'.join(insured_regions(library))}）",
            )
        )
    names = [n for n in CATEGORY_SPLIT.split(v.get("categories", "")) if n]
    categories = []
    for name in names:
        try:
            categories.append(canonical(name))
        except CategoryError:
            bad(("人员类别", f"“{name}”不是系统中的人员类别"))
    begin = "1900-01-01"
    if v.get("category_begin", "").strip():
        try:
            begin = _date(v["category_begin"]).isoformat()
        except ValueError as exc:
            bad(("类别起始日期", str(exc)))
    year_text, paid_text = v.get("year", "").strip(), v.get("enrolled_on", "").strip()
    enrollment: dict[str, Any] | None = None
    if year_text or paid_text:
        enrollment = _enrollment(row, year_text, paid_text, v.get("tier", ""), region, library)
    if row.errors:
        return
    try:
        row.person = PersonIn(
            psn_no=v.get("psn_no") or None,
            certno=certno,
            psn_name=v["psn_name"],
            insuplc_admdvs=region,
            hh_id=v.get("hh_id") or None,
            categories=[{"category": c, "begin_date": begin} for c in categories],  # type: ignore[misc]
        )
        if enrollment is not None:
            EnrollmentIn(psn_no="x", **enrollment)
    except ValidationError as exc:
        row.errors.extend(messages.pydantic_errors(exc.errors()))
    row.enrollment = enrollment


def _enrollment(
    row: Row, year_text: str, paid_text: str, tier_text: str, region: str, library: PolicyLibrary
) -> dict[str, Any] | None:
    bad = row.errors.append
    year: int | None = None
    if not year_text:
        bad(("参保年度", "填写了缴费日期时须填写参保年度"))
    elif not re.fullmatch(r"\d{4}", year_text):
        bad(("参保年度", f"“{year_text}”应为4位年份"))
    else:
        year = int(year_text)
        if region in insured_regions(library):
            try:
                library.resolve(region, year)
            except PolicyError:
                bad(("参保年度", f"{region} 无 {year} 年度的政策，不能办理该年度参保"))
    paid: dt.date | None = None
    if not paid_text:
        bad(("缴费日期", "填写了参保年度时须填写缴费日期"))
    else:
        try:
            paid = _date(paid_text)
        except ValueError as exc:
            bad(("缴费日期", str(exc)))
    tier = (tier_text or "1").strip()
    if tier not in ("1", "2"):
        bad(("缴费档次", f"应为 1（一档）或 2（二档），收到“{tier}”"))
    if year is None or paid is None or tier not in ("1", "2"):
        return None
    return {"year": year, "tier": int(tier), "enrolled_on": paid}
