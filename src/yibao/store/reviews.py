"""The review workflows' store (issue 16): the engines' input read for one policy region and
year, 监管疑点 records stored from the rule hits, the workflow steps of both record types (who,
when, note) and the paged, filtered queries the console and the API list them with.

Transitions are data (``STEPS``): an action, the statuses it may start from and the status it
leads to. A step never moves a record backwards and is never undone; each is one row of
``review_steps`` and one audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.money import format_yuan
from yibao.store import audit
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import (
    AuditEntry,
    Claim,
    Household,
    Person,
    PersonCategory,
    Settlement,
    utc_now,
)
from yibao.store.review_models import ReviewStep, SupervisionRecord, WarningRecord

UNKNOWN_TOWNSHIP = "（未登记乡镇）"
SETTLEMENT_AMOUNTS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "inscp_scp_amt",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
)
SCANNER = "扫描"  # the action of a record's first step


@dataclass(frozen=True)
class Step:
    action: str  # Chinese, as stored and shown
    starts: tuple[str, ...]
    leads_to: str


# 预警: 核实 → 推送 (民政 / 乡村振兴) → 处置; 排除 (with its reason) before it is pushed.
WARNING_STEPS = {
    "verify": Step("核实", ("待核实",), "已核实"),
    "push": Step("推送", ("已核实",), "已推送"),
    "dispose": Step("处置", ("已推送",), "已处置"),
    "exclude": Step("排除", ("待核实", "已核实"), "已排除"),
}
# 监管疑点: 开始核查 → 申诉 (the institution's text) → 认定; 认定 straight after 核查 when the
# institution does not appeal.
SUPERVISION_STEPS = {
    "start": Step("开始核查", ("待核查",), "核查中"),
    "appeal": Step("申诉", ("核查中",), "申诉中"),
    "decide": Step("认定", ("核查中", "申诉中"), "已认定"),
}
RECORDS: dict[str, type[WarningRecord] | type[SupervisionRecord]] = {
    "warning": WarningRecord,
    "supervision": SupervisionRecord,
}
NOUN = {"warning": "预警", "supervision": "疑点"}


# ---------------------------------------------------------------- the engines' input
def persons_frame(session: Session, codes: Iterable[str], year: int) -> pl.DataFrame:
    """psn_no, township (the household's 乡镇（街道）), categories valid at any time in the year
    ("|"), sex, birth_date, for the persons whose 参保地 is one of ``codes``."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    codes = list(codes)
    rows = session.execute(
        select(Person.psn_no, Person.gend, Person.brdy, Household.addr)
        .outerjoin(Household, Household.hh_id == Person.hh_id)
        .where(Person.insuplc_admdvs.in_(codes))
    ).all()
    cats: dict[str, list[str]] = {}
    for psn_no, category in session.execute(
        select(PersonCategory.psn_no, PersonCategory.category)
        .join(Person, Person.psn_no == PersonCategory.psn_no)
        .where(
            Person.insuplc_admdvs.in_(codes),
            PersonCategory.begin_date <= last,
            (PersonCategory.end_date.is_(None)) | (PersonCategory.end_date >= first),
        )
        .order_by(PersonCategory.psn_no, PersonCategory.begin_date, PersonCategory.id)
    ):
        cats.setdefault(psn_no, []).append(category)
    return pl.DataFrame(
        {
            "psn_no": [r[0] for r in rows],
            "township": [(r[3] or "").strip() or UNKNOWN_TOWNSHIP for r in rows],
            "categories": ["|".join(dict.fromkeys(cats.get(r[0], []))) for r in rows],
            "sex": [r[1] for r in rows],
            "birth_date": [r[2] for r in rows],
        },
        schema={
            "psn_no": pl.String,
            "township": pl.String,
            "categories": pl.String,
            "sex": pl.String,
            "birth_date": pl.Date,
        },
    )


CLAIM_TEXT = ("med_type", "hosp_lv", "fixmedins_code", "dise_codg")
CLAIM_DATES = ("begndate", "enddate")


def settlements_frame(
    session: Session, codes: Iterable[str], year: int, *, claims: bool = False
) -> pl.DataFrame:
    """The settled (not reversed) settlements of the year whose 参保地 is one of ``codes``:
    setl_id, psn_no, year and the setlinfo amounts (fen); with ``claims`` also the claim's
    med_type, hosp_lv, fixmedins_code, dise_codg, begndate, enddate (the rules' columns, read
    from the stored claim by the database's JSON operators, not by decoding every row)."""
    cols: list[Any] = [Settlement.setl_id, Settlement.psn_no, Settlement.year]
    cols += [getattr(Settlement, a) for a in SETTLEMENT_AMOUNTS]
    names = ["setl_id", "psn_no", "year", *SETTLEMENT_AMOUNTS]
    schema: dict[str, Any] = {
        "setl_id": pl.String,
        "psn_no": pl.String,
        "year": pl.Int32,
        **dict.fromkeys(SETTLEMENT_AMOUNTS, pl.Int64),
    }
    stmt = select(*cols)
    if claims:
        fields = (*CLAIM_TEXT, *CLAIM_DATES)
        stmt = select(*cols, *(Claim.row[k].as_string() for k in fields)).join(
            Claim, Claim.setl_id == Settlement.setl_id
        )
        names += fields
        schema |= dict.fromkeys(CLAIM_TEXT, pl.String) | dict.fromkeys(CLAIM_DATES, pl.String)
    stmt = stmt.where(
        Settlement.year == year,
        Settlement.status == "settled",
        Settlement.insuplc_admdvs.in_(list(codes)),
    ).order_by(Settlement.setl_id)
    # Core rows (the session's connection), not ORM rows: a year's claims are many
    rows = session.connection().execute(stmt).all()
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    if claims:
        frame = frame.with_columns(
            *(pl.col(k).fill_null("") for k in CLAIM_TEXT),
            *(
                pl.col(k).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
                for k in CLAIM_DATES
            ),
        )
    return frame


# ---------------------------------------------------------------- steps
def add_step(
    session: Session,
    record_type: str,
    record_id: int,
    action: str,
    from_status: str,
    to_status: str,
    actor: Actor,
    note: str = "",
    amount: int | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ReviewStep:
    step = ReviewStep(
        record_type=record_type,
        record_id=record_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor.name,
        role=actor.role,
        at=at or utc_now(),
        note=note,
        amount=amount,
        detail=detail or {},
    )
    session.add(step)
    return step


def history(session: Session, record_type: str, record_id: int) -> list[ReviewStep]:
    return list(
        session.scalars(
            select(ReviewStep)
            .where(ReviewStep.record_type == record_type, ReviewStep.record_id == record_id)
            .order_by(ReviewStep.id)
        )
    )


def get(session: Session, record_type: str, record_id: int, *, lock: bool = False) -> Any:
    record = session.get(RECORDS[record_type], record_id, with_for_update=lock)
    if record is None:
        raise NotFound(f"id: {NOUN[record_type]} {record_id} 不存在")
    return record


def advance(
    session: Session,
    record_type: str,
    record_id: int,
    key: str,
    actor: Actor,
    note: str,
    *,
    changes: dict[str, Any] | None = None,
    amount: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Any:
    """Take step ``key`` on a record (locked): refused (Conflict, naming the status) unless the
    record is in one of the statuses the step starts from; the record gets ``changes`` and the
    new status, and the step its row and an audit entry."""
    steps = WARNING_STEPS if record_type == "warning" else SUPERVISION_STEPS
    if key not in steps:
        raise Invalid(f"action: 未知的操作“{key}”，可用：{'、'.join(steps)}")
    step = steps[key]
    record = get(session, record_type, record_id, lock=True)
    if record.status not in step.starts:
        raise Conflict(
            f"status: {NOUN[record_type]} {record_id} 当前为“{record.status}”，"
            f"只有“{'”或“'.join(step.starts)}”的{NOUN[record_type]}可以{step.action}"
        )
    before = record_document(record)
    now = utc_now()
    for name, value in (changes or {}).items():
        setattr(record, name, value)
    was, record.status, record.updated_at = record.status, step.leads_to, now
    add_step(
        session, record_type, record.id, step.action, was, step.leads_to, actor, note,
        amount, detail, at=now,
    )  # fmt: skip
    audit.record(
        session, actor, step.action, record_type, str(record.id), before, record_document(record)
    )
    return record


def record_document(record: Any) -> dict[str, Any]:
    """The record as plain values (fen, UTC ISO times) for the audit log and the API."""
    out: dict[str, Any] = {}
    for column in record.__table__.columns:
        value = getattr(record, column.key)
        out[column.key] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


# ---------------------------------------------------------------- 监管疑点 records
def hit_key(rule_id: str, setl_id: str, evidence: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{setl_id}\x1f{evidence}".encode()).hexdigest()


def store_hits(
    session: Session,
    region: str,
    year: int,
    hits: pl.DataFrame,
    claims: pl.DataFrame,
    persons: pl.DataFrame,
    actor: Actor,
) -> tuple[int, int]:
    """Store the rule hits (the audit shape) of a region-year: a hit not seen before becomes a
    待核查 record; one already stored and still 待核查 gets the amounts found now; a record
    under review or decided is never changed by a scan. Returns (added, updated)."""
    now = utc_now()
    institution = dict(claims.select("setl_id", "fixmedins_code").iter_rows())
    fund_paid = dict(claims.select("setl_id", "fund_pay_sumamt").iter_rows())
    town = dict(persons.select("psn_no", "township").iter_rows())
    keyed = {
        hit_key(h["rule_id"], h["setl_id"], h["vola_evid"] or ""): h
        for h in hits.iter_rows(named=True)
    }
    stored = {
        r.hit_key: r
        for r in session.scalars(
            select(SupervisionRecord).where(
                SupervisionRecord.region == region, SupervisionRecord.year == year
            )
        )
    }
    added = updated = 0
    new_rows = []
    for key, h in keyed.items():
        record = stored.get(key)
        if record is None:
            new_rows.append(
                SupervisionRecord(
                    hit_key=key,
                    region=region,
                    year=year,
                    rule_id=h["rule_id"],
                    rule_name=h["rule_name"],
                    setl_id=h["setl_id"],
                    psn_no=h["psn_no"],
                    fixmedins_code=institution.get(h["setl_id"]) or "",
                    township=(town.get(h["psn_no"]) or UNKNOWN_TOWNSHIP)[:100],
                    vola_cont=h["vola_cont"] or "",
                    vola_amt=int(h["vola_amt"] or 0),
                    sev_deg=h["sev_deg"] or "",
                    vola_evid=h["vola_evid"] or "",
                    vola_bhvr_type=h["vola_bhvr_type"] or "",
                    fund_pay_sumamt=int(fund_paid.get(h["setl_id"]) or 0),
                    status="待核查",
                    created_at=now,
                    updated_at=now,
                    scanned_at=now,
                )
            )
            continue
        record.scanned_at = now
        amount = int(h["vola_amt"] or 0)
        if record.status == "待核查" and (amount, h["vola_cont"]) != (
            record.vola_amt,
            record.vola_cont,
        ):
            add_step(
                session, "supervision", record.id, "金额更新", record.status, record.status,
                actor, f"重新扫描：涉及金额 {format_yuan(record.vola_amt)} → {format_yuan(amount)} 元", amount,
                {"before": record.vola_amt, "after": amount}, at=now,
            )  # fmt: skip
            record.vola_amt, record.vola_cont, record.updated_at = amount, h["vola_cont"], now
            updated += 1
    session.add_all(new_rows)
    session.flush()
    for record in new_rows:
        add_step(
            session, "supervision", record.id, SCANNER, "", record.status, actor,
            f"{record.rule_id} {record.rule_name}", record.vola_amt, at=now,
        )  # fmt: skip
        added += 1
    return added, updated


# ---------------------------------------------------------------- queries
@dataclass(frozen=True)
class Filter:
    """What a list is narrowed to; empty strings mean no filter."""

    region: str
    year: int
    status: str = ""
    township: str = ""
    rule: str = ""  # 监管 only
    institution: str = ""  # 监管 only
    psn_no: str = ""


def _where(stmt: Any, model: Any, f: Filter) -> Any:
    stmt = stmt.where(model.region == f.region, model.year == f.year)
    if f.status:
        stmt = stmt.where(model.status == f.status)
    if f.township:
        stmt = stmt.where(model.township == f.township)
    if f.psn_no:
        stmt = stmt.where(model.psn_no == f.psn_no)
    if model is SupervisionRecord:
        if f.rule:
            stmt = stmt.where(model.rule_id == f.rule)
        if f.institution:
            stmt = stmt.where(model.fixmedins_code == f.institution)
    return stmt


def _order(model: Any) -> Sequence[Any]:
    if model is WarningRecord:
        return (WarningRecord.amount.desc(), WarningRecord.id)
    return (SupervisionRecord.vola_amt.desc(), SupervisionRecord.id)


def page(
    session: Session, record_type: str, f: Filter, page_no: int, per_page: int
) -> tuple[list[tuple[Any, str, str]], int]:
    """One page of records (largest amount first) with the person's name and ID number, and
    the total count under the filter."""
    model = RECORDS[record_type]
    total = session.scalar(_where(select(func.count()).select_from(model), model, f)) or 0
    stmt = _where(
        select(model, Person.psn_name, Person.certno).join(Person, Person.psn_no == model.psn_no),
        model,
        f,
    )
    stmt = stmt.order_by(*_order(model)).offset((page_no - 1) * per_page).limit(per_page)
    return [(r, name, certno) for r, name, certno in session.execute(stmt)], int(total)


def all_matching(
    session: Session, record_type: str, f: Filter, limit: int
) -> list[tuple[Any, str, str]]:
    rows, _ = page(session, record_type, f, 1, limit)
    return rows


def counts_by(
    session: Session, record_type: str, f: Filter, column: str
) -> list[tuple[str, int, int]]:
    """How many records of the scope fall under each value of ``column`` (status, township,
    rule_id, fixmedins_code) and their amount (fen), the other filters applied."""
    model = RECORDS[record_type]
    col = getattr(model, column)
    amount = getattr(model, "amount" if model is WarningRecord else "vola_amt")
    unfiltered = replace(f, **{_FILTER_OF[column]: ""}) if column in _FILTER_OF else f  # type: ignore[arg-type]
    stmt = _where(select(col, func.count(), func.sum(amount)).select_from(model), model, unfiltered)
    return [
        (v, int(n), int(total or 0))
        for v, n, total in session.execute(stmt.group_by(col).order_by(col))
    ]


_FILTER_OF = {
    "status": "status",
    "township": "township",
    "rule_id": "rule",
    "fixmedins_code": "institution",
}


SCAN_ENTITY = {"warning": "warning_scan", "supervision": "supervision_scan"}


def record_scan(
    session: Session, record_type: str, region: str, year: int, actor: Actor, result: dict[str, Any]
) -> None:
    """A scan is an audit entry of its own (a scan that finds nothing new is still a scan)."""
    audit.record(session, actor, "scan", SCAN_ENTITY[record_type], f"{region}-{year}", after=result)


def last_scan(session: Session, record_type: str, region: str, year: int) -> AuditEntry | None:
    return session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == SCAN_ENTITY[record_type],
            AuditEntry.entity_id == f"{region}-{year}",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
