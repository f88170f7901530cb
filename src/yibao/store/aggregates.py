"""The stored aggregates (store.aggregate_models): what a settlement or its reversal adds to
them, written in the same transaction as the settlement; their recomputation from the
settlements, the consistency check and the rebuild.

Every write path builds a ``Delta`` (one entry per settlement, +1 when settled, -1 when
reversed) and ``apply``-s it: one INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col
per table, rows in key order (two transactions adding to the same cells lock them in the same
order, so they wait for each other instead of deadlocking).

The cell's keys come from what is stored with the settlement: the claim as the register
completed it (med_type, hosp_lv, categories: ``claims.row``), setl_time's month, the
settlement's coverage year and 参保地, and the person's household 乡镇 (``households.addr``).
``recompute`` derives the same keys from the same columns, so ``check`` compares like with like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, extract, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from yibao.store import enrollment_aggregates, pg_bulk
from yibao.store.aggregate_models import (
    AMOUNTS,
    LISTED,
    SUMMED,
    AggCell,
    AggPersonYear,
    SettlementListing,
)
from yibao.store.enrollment_aggregates import EnrollmentAggregateCheck
from yibao.store.keyed_sums import add_into
from yibao.store.models import Claim, Household, Person
from yibao.store.models import Settlement as SettlementRow

CELL_KEYS = ("insuplc_admdvs", "year", "township", "categories", "month", "med_type", "hosp_lv")
PERSON_KEYS = ("psn_no", "year")
CELLS: Table = AggCell.__table__  # type: ignore[assignment]
PERSON_YEARS: Table = AggPersonYear.__table__  # type: ignore[assignment]
LISTING: Table = SettlementListing.__table__  # type: ignore[assignment]
LISTING_COLUMNS = tuple(c.name for c in LISTING.columns)
REPORTED = 20  # differences listed by check (all are counted)

CellKey = tuple[str, int, str, str, int, str, str]
PersonKey = tuple[str, int]


def township_of(addr: str | None) -> str:
    """The cell's 乡镇: the household's addr as stored, trimmed ("" without a household)."""
    return (addr or "").strip()


def claim_keys(claim: Mapping[str, Any]) -> tuple[str, str, str]:
    """(med_type, hosp_lv, categories) of a claim row (the engine's or its stored JSON)."""
    categories = claim.get("categories") or ""
    if not isinstance(categories, str):  # a list, as some callers pass them
        categories = "|".join(str(c) for c in categories if c)
    return str(claim.get("med_type") or ""), str(claim.get("hosp_lv") or ""), categories


@dataclass
class Delta:
    """What a set of settlements adds to the aggregates (fen; a reversal adds with sign -1)."""

    cells: dict[CellKey, list[int]] = field(default_factory=dict)
    persons: dict[PersonKey, list[int]] = field(default_factory=dict)
    regions: dict[PersonKey, str] = field(default_factory=dict)
    listing: list[dict[str, Any]] = field(default_factory=list)  # new settlements' rows

    def add(
        self,
        *,
        setl_id: str,
        psn_no: str,
        year: int,
        insuplc_admdvs: str,
        township: str,
        claim: Mapping[str, Any],
        setl_time: dt.datetime,
        amounts: Mapping[str, Any],
        critical_eligible: int,
        sign: int = 1,
    ) -> None:
        values = [sign, *(sign * int(amounts.get(a) or 0) for a in AMOUNTS)]
        values.append(sign * int(critical_eligible or 0))
        med_type, hosp_lv, categories = claim_keys(claim)
        cell = (insuplc_admdvs, year, township, categories, setl_time.month, med_type, hosp_lv)
        add_into(self.cells, cell, values)
        add_into(self.persons, (psn_no, year), values)
        self.regions[(psn_no, year)] = insuplc_admdvs
        if sign > 0:
            self.listing.append(
                {
                    "setl_id": setl_id,
                    "psn_no": psn_no,
                    "year": year,
                    "insuplc_admdvs": insuplc_admdvs,
                    "setl_time": setl_time,
                    "med_type": med_type,
                    "fixmedins_code": str(claim.get("fixmedins_code") or ""),
                    "status": "settled",
                    **{a: int(amounts.get(a) or 0) for a in LISTED},
                }
            )

    def __bool__(self) -> bool:
        return bool(self.cells or self.listing)


def cell_rows(delta: Delta) -> list[dict[str, Any]]:
    return [
        {**dict(zip(CELL_KEYS, key, strict=True)), **dict(zip(SUMMED, v, strict=True))}
        for key, v in sorted(delta.cells.items())
    ]


def person_rows(delta: Delta) -> list[dict[str, Any]]:
    return [
        {
            "psn_no": key[0],
            "year": key[1],
            "insuplc_admdvs": delta.regions[key],
            **dict(zip(SUMMED, v, strict=True)),
        }
        for key, v in sorted(delta.persons.items())
    ]


def apply(conn: Connection, delta: Delta) -> None:
    """Add ``delta`` to both tables inside the caller's transaction (rows created where
    missing). On PostgreSQL one array statement per table (pg_bulk.add_rows, which a psycopg
    pipeline can carry); elsewhere an executemany of INSERT … ON CONFLICT DO UPDATE."""
    if not delta:
        return
    for table, keys, rows in (
        (PERSON_YEARS, PERSON_KEYS, person_rows(delta)),
        (CELLS, CELL_KEYS, cell_rows(delta)),
    ):
        if conn.dialect.name == "postgresql":
            pg_bulk.add_rows(conn, table, keys, SUMMED, rows)
        else:
            conn.execute(_upsert(conn, table, keys), rows)
    if delta.listing:
        if conn.dialect.name == "postgresql":
            pg_bulk.insert_rows(conn, LISTING, delta.listing)
        else:
            conn.execute(LISTING.insert(), delta.listing)


def _upsert(conn: Connection, table: Any, keys: tuple[str, ...]) -> Any:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in SUMMED},
    )


# ------------------------------------------------------------------- reversal
def reversal_delta(conn: Connection, stored: Any) -> Delta:
    """What reversing the settled ``stored`` (a settlements row) takes out of the aggregates:
    exactly what it added, from its stored claim and amounts."""
    claim_row, addr = conn.execute(
        select(Claim.row, Household.addr)
        .select_from(Claim)
        .join(Person, Person.psn_no == Claim.psn_no)
        .outerjoin(Household, Household.hh_id == Person.hh_id)
        .where(Claim.setl_id == stored.setl_id)
    ).one()
    delta = Delta()
    delta.add(
        setl_id=stored.setl_id,
        psn_no=stored.psn_no,
        year=stored.year,
        insuplc_admdvs=stored.insuplc_admdvs,
        township=township_of(addr),
        claim=claim_row or {},
        setl_time=stored.setl_time,
        amounts={a: getattr(stored, a) for a in AMOUNTS},
        critical_eligible=int((stored.consumed or {}).get("critical_eligible") or 0),
        sign=-1,
    )
    return delta


def reverse(conn: Connection, stored: Any) -> None:
    """Reversing the settled ``stored``: its aggregates taken out, its listing marked."""
    apply(conn, reversal_delta(conn, stored))
    conn.execute(
        update(LISTING).where(LISTING.c.setl_id == stored.setl_id).values(status="reversed")
    )


# ------------------------------------------------------------------- recomputation
def recompute(conn: Connection, settlements: Any = None) -> Delta:
    """The aggregates of the settled settlements (all, or those ``settlements`` selects: a
    WHERE clause on the settlements table), summed by the database and keyed as the write
    paths key them."""
    s = SettlementRow.__table__
    med_type = Claim.row["med_type"].as_string()
    hosp_lv = Claim.row["hosp_lv"].as_string()
    categories = Claim.row["categories"].as_string()
    month = extract("month", s.c.setl_time)
    critical = s.c.consumed["critical_eligible"].as_integer()
    keys = (
        s.c.psn_no,
        s.c.year,
        s.c.insuplc_admdvs,
        Household.addr,
        categories,
        month,
        med_type,
        hosp_lv,
    )
    sums: list[Any] = [func.count()]
    sums += [func.sum(s.c[a]) for a in AMOUNTS]
    sums.append(func.sum(func.coalesce(critical, 0)))
    stmt = (
        select(*keys, *sums)
        .select_from(s)
        .join(Claim, Claim.setl_id == s.c.setl_id)
        .join(Person, Person.psn_no == s.c.psn_no)
        .outerjoin(Household, Household.hh_id == Person.hh_id)
        .where(s.c.status == "settled")
        .group_by(*keys)
    )
    if settlements is not None:
        stmt = stmt.where(settlements)
    delta = Delta()
    for row in conn.execute(stmt):
        psn_no, year, region, addr, cats, mon, med, lv, *values = row
        key_claim = {"med_type": med, "hosp_lv": lv, "categories": cats}
        cell_values = [int(v or 0) for v in values]
        med_s, lv_s, cats_s = claim_keys(key_claim)
        cell = (region, int(year), township_of(addr), cats_s, int(mon), med_s, lv_s)
        add_into(delta.cells, cell, cell_values)
        add_into(delta.persons, (psn_no, int(year)), cell_values)
        delta.regions[(psn_no, int(year))] = region
    return delta


def listing_of(conn: Connection) -> list[dict[str, Any]]:
    """The listing rows of every stored settlement, derived from settlements and claims."""
    s = SettlementRow.__table__
    stmt = (
        select(
            s.c.setl_id, s.c.psn_no, s.c.year, s.c.insuplc_admdvs, s.c.setl_time,
            Claim.row["med_type"].as_string(), Claim.row["fixmedins_code"].as_string(),
            s.c.status, *(s.c[a] for a in LISTED),
        )
        .select_from(s)
        .join(Claim, Claim.setl_id == s.c.setl_id)
    )  # fmt: skip
    out = []
    for row in conn.execute(stmt):
        values = dict(zip(LISTING_COLUMNS, row, strict=True))
        values["med_type"] = str(values["med_type"] or "")
        values["fixmedins_code"] = str(values["fixmedins_code"] or "")
        out.append(values)
    return out


def _listing_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(
        row[c].replace(microsecond=0) if c == "setl_time" else row[c] for c in LISTING_COLUMNS
    )


def _stored(conn: Connection) -> Delta:
    delta = Delta()
    for row in conn.execute(select(*(CELLS.c[k] for k in CELL_KEYS), *_sum_columns(CELLS))):
        delta.cells[tuple(row[: len(CELL_KEYS)])] = [int(v) for v in row[len(CELL_KEYS) :]]  # type: ignore[index]
    for row in conn.execute(
        select(PERSON_YEARS.c.psn_no, PERSON_YEARS.c.year, PERSON_YEARS.c.insuplc_admdvs,
               *_sum_columns(PERSON_YEARS))
    ):  # fmt: skip
        delta.persons[(row[0], row[1])] = [int(v) for v in row[3:]]
        delta.regions[(row[0], row[1])] = row[2]
    return delta


def _sum_columns(table: Any) -> list[Any]:
    return [table.c[name] for name in SUMMED]


@dataclass
class AggregateCheck:
    """The stored aggregates against their recomputation from the settled settlements, and
    (``register``) the register's aggregates against enrollments, payments and categories."""

    cells: int = 0
    person_years: int = 0
    mismatch_count: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)  # the first REPORTED
    register: EnrollmentAggregateCheck | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0 and (self.register is None or self.register.ok)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "cells": self.cells,
            "person_years": self.person_years,
            "mismatch_count": self.mismatch_count,
            "mismatches": self.mismatches,
        }
        if self.register is not None:
            out["register"] = self.register.to_json()
        return out

    def summary(self) -> str:
        tail = "" if self.register is None else f"; {self.register.summary()}"
        if self.mismatch_count == 0:
            return (
                f"aggregates ok: {self.cells} cells, {self.person_years} person-years equal "
                "their recomputation from the settled settlements" + tail
            )
        first = self.mismatches[0]
        name, values = next(iter(first["fields"].items()))
        return (
            f"aggregates FAILED: {self.mismatch_count} rows differ from the settlements; first "
            f"{first['table']} {first['key']} {name}: stored {values['stored']}, "
            f"settlements {values['settlements']}" + tail
        )


def check(conn: Connection) -> AggregateCheck:
    """Every stored aggregate row against the recomputation (rows whose sums are all zero,
    left by reversals, count as absent); and the register's aggregates against the register
    (store.enrollment_aggregates.check), so ``yibao db check`` reports both."""
    want, have = recompute(conn), _stored(conn)
    out = AggregateCheck(cells=len(want.cells), person_years=len(want.persons))
    out.register = enrollment_aggregates.check(conn)
    for table, stored, summed in (
        ("agg_person_year", have.persons, want.persons),
        ("agg_cells", have.cells, want.cells),
    ):
        zero = [0] * len(SUMMED)
        for key in sorted(set(stored) | set(summed), key=repr):
            a, b = stored.get(key, zero), summed.get(key, zero)
            if a != b:
                out.mismatch_count += 1
                if len(out.mismatches) < REPORTED:
                    fields = {
                        n: {"stored": x, "settlements": y}
                        for n, x, y in zip(SUMMED, a, b, strict=True)
                        if x != y
                    }
                    out.mismatches.append({"table": table, "key": list(key), "fields": fields})
    stored_rows = {r["setl_id"]: r for r in conn.execute(select(LISTING)).mappings()}
    for row in listing_of(conn):
        listed = stored_rows.pop(row["setl_id"], None)
        if listed is None or _listing_key(listed) != _listing_key(row):
            out.mismatch_count += 1
            if len(out.mismatches) < REPORTED:
                differ = {
                    c: {
                        "stored": None if listed is None else str(listed[c]),
                        "settlements": str(row[c]),
                    }
                    for c in LISTING_COLUMNS
                    if listed is None or listed[c] != row[c]
                }
                out.mismatches.append(
                    {"table": "settlement_listing", "key": [row["setl_id"]], "fields": differ}
                )
    for setl_id in sorted(stored_rows):  # listed, but no such settlement
        out.mismatch_count += 1
        if len(out.mismatches) < REPORTED:
            out.mismatches.append(
                {"table": "settlement_listing", "key": [setl_id],
                 "fields": {"setl_id": {"stored": setl_id, "settlements": None}}}
            )  # fmt: skip
    return out


def rebuild(conn: Connection, verify: bool = True) -> AggregateCheck | None:
    """Both tables replaced by the recomputation (a store written before they existed, or
    one ``check`` found wrong), in the caller's transaction; with ``verify``, the check
    after."""
    conn.execute(delete(CELLS))
    conn.execute(delete(PERSON_YEARS))
    conn.execute(delete(LISTING))
    delta = recompute(conn)
    delta.listing = listing_of(conn)
    apply(conn, delta)
    return check(conn) if verify else None


# ------------------------------------------------------------------- reading
def person_year(conn: Connection, psn_no: str) -> list[dict[str, Any]]:
    """The person's settled totals by year, newest first (fen)."""
    rows = conn.execute(
        select(PERSON_YEARS)
        .where(PERSON_YEARS.c.psn_no == psn_no, PERSON_YEARS.c.settlements > 0)
        .order_by(PERSON_YEARS.c.year.desc())
    ).mappings()
    return [dict(r) for r in rows]


def cell_sums(
    conn: Connection,
    codes: Iterable[str],
    year: int,
    by: tuple[str, ...],
    sums: tuple[str, ...] = SUMMED,
) -> list[tuple[Any, ...]]:
    """The cells of these 参保地 codes and year summed by the database over ``by`` (cell key
    names): one tuple per group, ``by`` values then ``sums`` (of SUMMED; fen), groups with a
    settled settlement only. A page asks for the dimensions it shows (基金: month × med_type)
    and the sums it uses, so it reads tens of rows however many cells the year has."""
    keys = [CELLS.c[k] for k in by]
    rows = conn.execute(
        select(*keys, *(func.sum(CELLS.c[name]) for name in sums))
        .where(CELLS.c.insuplc_admdvs.in_(sorted(set(codes))), CELLS.c.year == year)
        .group_by(*keys)
        .having(func.sum(CELLS.c.settlements) != 0)
        .order_by(*keys)
    )
    return [(*r[: len(by)], *(int(v or 0) for v in r[len(by) :])) for r in rows]


# ------------------------------------------------------------------- 结算查询
@dataclass(frozen=True)
class ListingQuery:
    """The 结算查询's filters (all optional but the year): setl_time from/to (days,
    inclusive), 定点机构, 医疗类别, status, the persons (psn_no list, from a name or ID
    search) or one setl_id."""

    year: int
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    fixmedins_code: str = ""
    med_type: str = ""
    status: str = ""
    psn_nos: tuple[str, ...] | None = None
    setl_id: str = ""


def _where(query: ListingQuery) -> list[Any]:
    t = LISTING.c
    out: list[Any] = [t.year == query.year]
    if query.date_from is not None:
        out.append(t.setl_time >= dt.datetime.combine(query.date_from, dt.time()))
    if query.date_to is not None:
        out.append(t.setl_time < dt.datetime.combine(query.date_to, dt.time()) + dt.timedelta(1))
    for column, value in (
        (t.fixmedins_code, query.fixmedins_code),
        (t.med_type, query.med_type),
        (t.status, query.status),
        (t.setl_id, query.setl_id),
    ):
        if value:
            out.append(column == value)
    if query.psn_nos is not None:
        out.append(t.psn_no.in_(sorted(query.psn_nos)))
    return out


def query_listing(
    conn: Connection, query: ListingQuery, limit: int, offset: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One page of the matching settlements, newest setl_time first, and the totals of all
    that match: ``count`` and the sum of each listed amount (fen; settled ones only, a
    reversed settlement pays nothing) — from the indexed listing, never the settlements."""
    where = _where(query)
    rows = conn.execute(
        select(LISTING)
        .where(*where)
        .order_by(LISTING.c.setl_time.desc(), LISTING.c.setl_id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [dict(r) for r in rows], _totals(conn, query, where)


def _cell_aligned(query: ListingQuery) -> bool:
    """A filter the cells answer: the whole coverage year, by 医疗类别 and status only."""
    return (
        not (query.date_from or query.date_to or query.fixmedins_code or query.setl_id)
        and query.psn_nos is None
    )


def _totals(conn: Connection, query: ListingQuery, where: list[Any]) -> dict[str, int]:
    """count (both statuses), settled, and the settled settlements' sums (fen). A filter the
    cells answer reads them (a few hundred rows) and counts only the reversed settlements in
    the listing; any other filter sums the matching listing rows from its covering index."""
    settled = LISTING.c.status == "settled"
    if _cell_aligned(query):
        t = CELLS.c
        cell_where = [t.year == query.year] + (
            [t.med_type == query.med_type] if query.med_type else []
        )
        sums = conn.execute(
            select(
                func.coalesce(func.sum(t.settlements), 0),
                *(func.coalesce(func.sum(t[a]), 0) for a in LISTED),
            ).where(*cell_where)
        ).one()
        reversed_where = [LISTING.c.status == "reversed", LISTING.c.year == query.year]
        if query.med_type:
            reversed_where.append(LISTING.c.med_type == query.med_type)
        undone = int(conn.scalar(select(func.count()).where(*reversed_where)) or 0)
        done = int(sums[0])
        if query.status == "reversed":
            return {"count": undone, "settled": 0, **dict.fromkeys(LISTED, 0)}
        totals = {"count": done + (0 if query.status == "settled" else undone), "settled": done}
        totals.update({a: int(v) for a, v in zip(LISTED, sums[1:], strict=True)})
        return totals
    sums = conn.execute(
        select(
            func.count(),
            func.count().filter(settled),
            *(func.coalesce(func.sum(LISTING.c[a]).filter(settled), 0) for a in LISTED),
        ).where(*where)
    ).one()
    totals = {"count": int(sums[0]), "settled": int(sums[1])}
    totals.update({a: int(v) for a, v in zip(LISTED, sums[2:], strict=True)})
    return totals


def listing_of_person(
    conn: Connection, psn_no: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """A person's settlements (就医记录), newest first."""
    return [
        dict(r)
        for r in conn.execute(
            select(LISTING)
            .where(LISTING.c.psn_no == psn_no)
            .order_by(LISTING.c.setl_time.desc(), LISTING.c.setl_id.desc())
            .limit(limit)
            .offset(offset)
        ).mappings()
    ]


def is_listed(conn: Connection, setl_id: str) -> bool:
    return conn.scalar(select(LISTING.c.setl_id).where(LISTING.c.setl_id == setl_id)) is not None


def latest_year(conn: Connection) -> int | None:
    """The latest coverage year with a listed settlement."""
    return conn.scalar(select(func.max(LISTING.c.year)))
