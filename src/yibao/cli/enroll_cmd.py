"""yibao enroll duplicates | ledger | coverage: duplicate enrollment, the 应保尽保 ledger, and
coverage dates of one enrollment event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from yibao.cli.output import UserError, print_json, user_errors
from yibao.engine.eligibility import SITUATIONS, EnrollmentEvent, coverage_for
from yibao.enrollment.duplicates import duplicate_pairs, duplicate_persons
from yibao.enrollment.files import read_table, write_ledger_xlsx
from yibao.enrollment.ledger import build_ledger
from yibao.enrollment.records import validate_enrollments, validate_roster
from yibao.idcard import mask, parse_id
from yibao.money import bp_to_percent
from yibao.policy import default_library

app = typer.Typer(help="参保管理：重复参保、应保尽保台账、待遇享受期", no_args_is_help=True)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _records(frame: pl.DataFrame, unmask: bool) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dicts():
        row = {k: _iso(v) for k, v in row.items()}
        if not unmask and "certno" in row:
            row["certno"] = mask(row["certno"])
        out.append(row)
    return out


@app.command("duplicates")
def duplicates(
    file: Path = typer.Argument(..., help="enrollments: CSV, Excel or Parquet"),
    year: int = typer.Option(..., "--year", help="calendar year to check"),
    unmask: bool = typer.Option(False, "--unmask", help="print full ID numbers"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """重复参保：同一年度内参保期间重叠的人员（居民+居民、居民+职工），按身份证号。"""
    with user_errors():
        enrollments = validate_enrollments(read_table(file), what=str(file))
        pairs = duplicate_pairs(enrollments, year)
        persons = duplicate_persons(pairs)
    doc = {
        "year": year,
        "records": enrollments.height,
        "duplicate_persons": persons.height,
        "persons": _records(persons, unmask),
        "pairs": _records(pairs, unmask),
    }
    if json_out:
        print_json(doc)
        return
    table = Table(title=f"{year}年重复参保 {persons.height}人（共{enrollments.height}条参保记录）")
    for col in ("身份证号", "类型", "参保地A", "参保地B", "重叠起", "重叠止", "天数"):
        table.add_column(col)
    for r in doc["pairs"]:
        table.add_row(
            r["certno"],
            r["kind"],
            f"{r['a_insuplc_admdvs']}/{r['a_insutype']}",
            f"{r['b_insuplc_admdvs']}/{r['b_insutype']}",
            r["overlap_begin"],
            r["overlap_end"],
            str(r["overlap_days"]),
        )
    Console(width=160).print(table)


@app.command("ledger")
def ledger(
    roster: Path = typer.Option(..., "--roster", help="低收入人口台账: CSV or Excel"),
    enrollments: Path = typer.Option(..., "--enrollments", help="参保记录: CSV, Excel, Parquet"),
    region: str = typer.Option(..., "--region", help="行政区划代码 (targets)"),
    year: int = typer.Option(..., "--year"),
    out: Path | None = typer.Option(None, "--out", help="write the ledger to this .xlsx"),
    unmask: bool = typer.Option(False, "--unmask", help="print full ID numbers (JSON)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """应保尽保台账：未参保人员名单，分乡镇、分类别参保率及目标达成情况。"""
    with user_errors():
        if out is not None and out.suffix.lower() != ".xlsx":
            raise UserError(f"out: {out} must end in .xlsx")
        policy = default_library().resolve(region, year)
        people = validate_roster(read_table(roster), what=str(roster))
        records = validate_enrollments(read_table(enrollments), what=str(enrollments))
        result = build_ledger(people, records, policy)
        if out is not None:
            write_ledger_xlsx(result, out)
    doc = result.to_json(unmask=unmask)
    doc["out"] = str(out) if out is not None else None
    if json_out:
        print_json(doc)
        return
    table = Table(
        title=f"{policy.meta.name} {year} 应保尽保台账（未参保 {doc['uninsured_count']} 人）"
    )
    for col in ("乡镇", "类别", "应参保", "已参保", "参保率", "目标", "达标"):
        table.add_column(col)
    for r in result.rates.to_dicts():
        table.add_row(
            r["township"] or "合计",
            r["category"] or "全部",
            str(r["roster"]),
            str(r["insured"]),
            bp_to_percent(r["rate_bp"]),
            bp_to_percent(r["target_bp"]) if r["target_bp"] is not None else "",
            {True: "是", False: "否", None: ""}[r["meets_target"]],
        )
    Console(width=160).print(table)
    if out is not None:
        typer.echo(f"written: {out}")


def _date(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("coverage")
def coverage(
    region: str = typer.Option(..., "--region"),
    year: int = typer.Option(..., "--year", help="coverage year"),
    payment_date: str = typer.Option(..., "--payment-date", help="YYYY-MM-DD"),
    situation: str = typer.Option("resident", "--situation", help=" | ".join(SITUATIONS)),
    category: list[str] = typer.Option([], "--category", help="人员类别 (repeatable)"),
    birth_date: str | None = typer.Option(None, "--birth-date", help="newborn"),
    certno: str | None = typer.Option(
        None, "--certno", help="ID number: validated; a newborn's birth date is read from it"
    ),
    previous_end: str | None = typer.Option(
        None, "--previous-end", help="continuation: last day of the old coverage"
    ),
    event: str | None = typer.Option(None, "--event", help="continuation: e.g. 职工医保中断"),
    claim_date: str | None = typer.Option(None, "--claim-date", help="is a claim payable?"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """待遇享受期：缴费日期、身份 → 待遇起止日、等待期及依据。"""
    with user_errors():
        if situation not in SITUATIONS:
            raise UserError(f"situation: {situation!r} is not one of {', '.join(SITUATIONS)}")
        pay = _date(payment_date, "payment_date")
        assert pay is not None
        birth = _date(birth_date, "birth_date")
        if certno is not None:
            person = parse_id(certno, "certno")
            if birth is not None and birth != person.birth_date:
                raise UserError(f"birth_date: {birth} differs from the ID number's birth date")
            if situation == "newborn":
                birth = person.birth_date
        ev = EnrollmentEvent(
            coverage_year=year,
            payment_date=pay,
            situation=situation,  # type: ignore[arg-type]
            categories=tuple(category),
            previous_coverage_end=_date(previous_end, "previous_end"),
            continuation_event=event,
            birth_date=birth,
        )
        result = coverage_for(ev, default_library().resolve(region, year))
        claim = _date(claim_date, "claim_date")
    doc = result.to_json()
    doc["region"] = region
    if claim is not None:
        payable, why = result.payable_on(claim)
        doc["claim"] = {"date": claim.isoformat(), "payable": payable, "reason": why}
    if json_out:
        print_json(doc)
        return
    console = Console(width=160)
    console.print(f"{region} {year}: {result.reason}")
    console.print(f"待遇享受期 {result.coverage_begin} — {result.coverage_end}")
    if "claim" in doc:
        console.print(
            f"{claim}: {'可报销' if doc['claim']['payable'] else '不予报销'} — {doc['claim']['reason']}"
        )
    for c in result.citations:
        console.print(f"  {c.item}: {c.value} — {c.source} {c.clause}".rstrip())


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="enroll")
