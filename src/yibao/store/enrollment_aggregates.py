"""The register's stored aggregates (store.enrollment_aggregate_models): kept in the transaction
of every write, built set-based by ``rebuild``, compared with the base tables by ``check``, and
read by the console's 基金, 台账 and 目标.

Keeping them: every flush of an ORM session that inserts, changes or deletes an enrollment, a
缴费 record, a category, a person or a household (``store.persons``, the services, the console
and API paths, imports: all write through the ORM) refreshes the person-years it touches, in
that flush: the person-year's row is computed afresh from the base tables and compared with the
stored one, and the groups get the difference (INSERT … ON CONFLICT DO UPDATE SET n = n + …, in
key order). A new 缴费 record adds itself to its month. A refresh is idempotent, so a person-year
touched twice in one transaction, or by two paths, is simply right. Bulk loads written with Core
(the demo's loader) call ``rebuild`` for what they wrote.

Only the (参保地, year) pairs listed in ``agg_enrollment_years`` are kept: a pair is built by the
migration (every pair with an enrollment or a payment), by ``rebuild``, or by the first page
that asks for it (``ensure``); until then writes pass it by (the build reads them all).

Concurrency on PostgreSQL: a refresh takes a shared advisory lock per 参保地 and the persons'
rows (FOR NO KEY UPDATE: a refresh of one person waits for another's commit, then reads what it
wrote); a build takes the advisory lock exclusively, so it waits for the writes in flight and
the writes that follow wait for it. SQLite serialises every write transaction (BEGIN
IMMEDIATE), so none of this is needed there.
"""

from __future__ import annotations

import datetime as dt
import weakref
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    event,
    extract,
    false,
    func,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yibao.store import pg_bulk
from yibao.store.aggregate_models import AggPersonYear
from yibao.store.enrollment_aggregate_models import (
    GROUP_KEYS,
    GROUP_SUMS,
    MONTH_KEYS,
    MONTH_SUMS,
    UNKNOWN_TOWNSHIP,
    AggEnrollmentGroup,
    AggEnrollmentPerson,
    AggEnrollmentYear,
    AggPaymentMonth,
    EnrollmentHolding,
)
from yibao.store.keyed_sums import add_into
from yibao.store.models import ContributionPayment, Enrollment, Household, Person, PersonCategory

YEARS: Any = AggEnrollmentYear.__table__
PERSON_YEARS: Any = AggEnrollmentPerson.__table__
GROUPS: Any = AggEnrollmentGroup.__table__
MONTHS: Any = AggPaymentMonth.__table__
HOLDINGS: Any = EnrollmentHolding.__table__
ROWS = (PERSON_YEARS, GROUPS, MONTHS, HOLDINGS)  # the tables of a built pair
P: Any = Person.__table__
H: Any = Household.__table__
C: Any = PersonCategory.__table__
E: Any = Enrollment.__table__
PAY: Any = ContributionPayment.__table__

# str.strip()'s whitespace (every character whose isspace() is true), so that the database's
# trim and Python's strip give the same 乡镇 (a test checks the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
PERSON_COLUMNS = (
    "psn_no", "year", "insuplc_admdvs", "township", "categories", "tier", "status",
    "payments", "personal_paid", "assistance_subsidy",
)  # fmt: skip
HOLDING_COLUMNS = (
    "psn_no", "year", "category", "insuplc_admdvs", "township", "certno", "insured",
)  # fmt: skip
INSURED = "enrolled"  # the enrollment status that counts as insured (台账, 参保率)
REPORTED = 20  # differences listed by check (all are counted)
_LOCK_SPACE = 0x59424147  # advisory lock namespace ("YBAG")

Pair = tuple[str, int]


def township_of(addr: str | None) -> str:
    """A person's 乡镇 as these aggregates keep it: the household's addr, stripped."""
    return (addr or "").strip() or UNKNOWN_TOWNSHIP


def _township_sql(addr: Any) -> Any:
    trimmed = func.trim(func.coalesce(addr, ""), WHITESPACE)
    return case((trimmed == "", UNKNOWN_TOWNSHIP), else_=trimmed)


def _valid_in(year: int) -> Any:
    """A category row valid at some time in the year."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return and_(C.c.begin_date <= last, or_(C.c.end_date.is_(None), C.c.end_date >= first))


def month_of(paid_on: dt.date, year: int) -> int:
    """The month a record of ``year`` counts in: its month when paid in the year, else 0."""
    return paid_on.month if paid_on.year == year else 0


# ------------------------------------------------------------------- one person-year
@dataclass(frozen=True)
class PersonYear:
    """A person-year's row (agg_enrollment_person) and the ID number its holdings carry."""

    psn_no: str
    year: int
    insuplc_admdvs: str
    township: str
    categories: str
    tier: int
    status: str
    payments: int
    personal_paid: int
    assistance_subsidy: int
    certno: str = field(default="", compare=False)

    @property
    def group(self) -> tuple[Any, ...]:
        return (self.insuplc_admdvs, self.year, self.township, self.categories, self.tier,
                self.status)  # fmt: skip

    @property
    def sums(self) -> list[int]:
        paying = 1 if self.payments else 0
        return [1, paying, self.payments, self.personal_paid, self.assistance_subsidy]

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PERSON_COLUMNS}

    def holdings(self) -> list[dict[str, Any]]:
        return [
            {
                "psn_no": self.psn_no,
                "year": self.year,
                "category": category,
                "insuplc_admdvs": self.insuplc_admdvs,
                "township": self.township,
                "certno": self.certno,
                "insured": self.status == INSURED,
            }
            for category in self.categories.split("|")
            if category
        ]


def compute(conn: Connection, psn_no: str, year: int) -> PersonYear | None:
    """The person-year's row from the base tables (None: not in the year's population)."""
    person = conn.execute(
        select(P.c.insuplc_admdvs, P.c.certno, H.c.addr)
        .select_from(P.outerjoin(H, H.c.hh_id == P.c.hh_id))
        .where(P.c.psn_no == psn_no)
    ).one_or_none()
    if person is None:
        return None
    held = conn.scalars(
        select(C.c.category)
        .where(C.c.psn_no == psn_no, _valid_in(year))
        .order_by(C.c.begin_date, C.c.id)
    ).all()
    enrolled = conn.execute(
        select(E.c.tier, E.c.status).where(E.c.psn_no == psn_no, E.c.year == year)
    ).one_or_none()
    payments, personal, subsidy = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(PAY.c.personal_paid), 0),
            func.coalesce(func.sum(PAY.c.assistance_subsidy), 0),
        ).where(PAY.c.psn_no == psn_no, PAY.c.year == year)
    ).one()
    if not held and enrolled is None and not payments:
        return None
    return PersonYear(
        psn_no=psn_no,
        year=year,
        insuplc_admdvs=person.insuplc_admdvs,
        township=township_of(person.addr),
        categories="|".join(dict.fromkeys(held)),
        tier=0 if enrolled is None else int(enrolled.tier),
        status="" if enrolled is None else str(enrolled.status),
        payments=int(payments),
        personal_paid=int(personal),
        assistance_subsidy=int(subsidy),
        certno=person.certno,
    )


def _stored(conn: Connection, psn_no: str, year: int) -> PersonYear | None:
    row = conn.execute(
        select(*(PERSON_YEARS.c[c] for c in PERSON_COLUMNS)).where(
            PERSON_YEARS.c.psn_no == psn_no, PERSON_YEARS.c.year == year
        )
    ).one_or_none()
    return None if row is None else PersonYear(*row)


def refresh(conn: Connection, person_years: Iterable[tuple[str, int]]) -> int:
    """Bring the stored rows of these person-years in line with the base tables (inside the
    caller's transaction): each built pair's person-year is computed afresh, the groups get
    the difference; person-years of pairs not built lose any row they had. Returns how many
    person-years changed."""
    todo = sorted(set(person_years))
    if not todo:
        return 0
    psn_nos = sorted({psn_no for psn_no, _ in todo})
    codes: dict[str, str] = dict(
        conn.execute(select(P.c.psn_no, P.c.insuplc_admdvs).where(P.c.psn_no.in_(psn_nos))).all()
    )
    _lock(conn, set(codes.values()), exclusive=False)
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(P.c.psn_no)
            .where(P.c.psn_no.in_(psn_nos))
            .order_by(P.c.psn_no)
            .with_for_update(key_share=True)
        )
    built = _built(conn, set(codes.values()))
    groups: dict[tuple[Any, ...], list[int]] = {}
    changed: list[tuple[PersonYear | None, PersonYear | None, str, int]] = []
    for psn_no, year in todo:
        old = _stored(conn, psn_no, year)
        code = codes.get(psn_no)
        new = compute(conn, psn_no, year) if (code, year) in built else None
        if old == new:  # (the holdings follow the row: written from it, never apart)
            continue
        for person, sign in ((old, -1), (new, 1)):
            if person is not None:
                add_into(groups, person.group, [sign * v for v in person.sums])
        changed.append((old, new, psn_no, year))
    if not changed:
        return 0
    for _, _, psn_no, year in changed:
        for table in (PERSON_YEARS, HOLDINGS):
            conn.execute(delete(table).where(table.c.psn_no == psn_no, table.c.year == year))
    rows = [new.row() for _, new, _, _ in changed if new is not None]
    holdings = [h for _, new, _, _ in changed if new is not None for h in new.holdings()]
    if rows:
        conn.execute(PERSON_YEARS.insert(), rows)
    if holdings:
        conn.execute(HOLDINGS.insert(), holdings)
    _add(conn, GROUPS, GROUP_KEYS, GROUP_SUMS, groups)
    return len(changed)


def add_payments(conn: Connection, payments: Iterable[Mapping[str, Any]]) -> None:
    """New 缴费 records (psn_no, year, paid_on, personal_paid, assistance_subsidy) added to
    their months, where their pair is built."""
    rows = list(payments)
    if not rows:
        return
    codes: dict[str, str] = dict(
        conn.execute(
            select(P.c.psn_no, P.c.insuplc_admdvs).where(
                P.c.psn_no.in_(sorted({r["psn_no"] for r in rows}))
            )
        ).all()
    )
    built = _built(conn, set(codes.values()))
    months: dict[tuple[Any, ...], list[int]] = {}
    for r in rows:
        code, year = codes.get(r["psn_no"]), int(r["year"])
        if (code, year) in built:
            key = (code, year, month_of(r["paid_on"], year))
            add_into(
                months, key, [1, int(r["personal_paid"] or 0), int(r["assistance_subsidy"] or 0)]
            )
    _add(conn, MONTHS, MONTH_KEYS, MONTH_SUMS, months)


def _add(
    conn: Connection,
    table: Any,
    keys: tuple[str, ...],
    sums: tuple[str, ...],
    values: Mapping[tuple[Any, ...], list[int]],
) -> None:
    """Add ``values`` (key → sums) to ``table``, rows created where missing, in key order."""
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(sums, v, strict=True))}
        for key, v in sorted(values.items())
        if any(v)
    ]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        pg_bulk.add_rows(conn, table, keys, sums, rows)
        return
    stmt = sqlite_insert(table)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys), set_={n: table.c[n] + stmt.excluded[n] for n in sums}
        ),
        rows,
    )


def _built(conn: Connection, codes: set[str]) -> set[Pair]:
    if not codes:
        return set()
    rows = conn.execute(
        select(YEARS.c.insuplc_admdvs, YEARS.c.year).where(
            YEARS.c.insuplc_admdvs.in_(sorted(codes))
        )
    ).all()
    return {(code, int(year)) for code, year in rows}


def _lock(conn: Connection, codes: Iterable[str], exclusive: bool) -> None:
    """PostgreSQL: the advisory lock of each 参保地 (shared by refreshes, exclusive for a
    build), until the transaction ends; in code order."""
    if conn.dialect.name != "postgresql":
        return
    take = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    for code in sorted(set(codes)):
        key = zlib.crc32(code.encode()) - (1 << 31)  # a signed int4
        conn.execute(select(take(literal(_LOCK_SPACE, Integer), literal(key, Integer))))


# ------------------------------------------------------------------- the ORM hook
def _touched(session: Session) -> tuple[set[tuple[str, int]], set[str], list[dict[str, Any]], bool]:
    """What a flush changes: person-years, persons (every year of theirs), the new 缴费
    records, and whether a record was changed or deleted (their months are rebuilt)."""
    years: set[tuple[str, int]] = set()
    persons: set[str] = set()
    paid: list[dict[str, Any]] = []
    rewritten = False
    households: set[str] = set()
    for objects, is_new in ((session.new, True), (session.dirty, False), (session.deleted, False)):
        for obj in objects:
            if isinstance(obj, Enrollment):
                years.add((obj.psn_no, obj.year))
            elif isinstance(obj, ContributionPayment):
                years.add((obj.psn_no, obj.year))
                if is_new:
                    paid.append(
                        {name: getattr(obj, name) for name in
                         ("psn_no", "year", "paid_on", "personal_paid", "assistance_subsidy")}
                    )  # fmt: skip
                else:
                    rewritten = True
            elif isinstance(obj, PersonCategory) and obj.psn_no:
                persons.add(obj.psn_no)
            elif isinstance(obj, Person) and not is_new:
                persons.add(obj.psn_no)  # its 参保地 or household changed, or its categories
            elif isinstance(obj, Household) and not is_new:
                households.add(obj.hh_id)
    if households:
        persons |= set(
            session.connection().scalars(
                select(P.c.psn_no).where(P.c.hh_id.in_(sorted(households)))
            )
        )
    return years, persons, paid, rewritten


def _years_of(conn: Connection, psn_nos: set[str]) -> set[tuple[str, int]]:
    """Every person-year of these persons that is or could be kept: their stored rows and
    the built years of their 参保地."""
    if not psn_nos:
        return set()
    wanted = sorted(psn_nos)
    out = {
        (p, int(y))
        for p, y in conn.execute(
            select(PERSON_YEARS.c.psn_no, PERSON_YEARS.c.year).where(
                PERSON_YEARS.c.psn_no.in_(wanted)
            )
        )
    }
    out |= {
        (p, int(y))
        for p, y in conn.execute(
            select(P.c.psn_no, YEARS.c.year)
            .join(YEARS, YEARS.c.insuplc_admdvs == P.c.insuplc_admdvs)
            .where(P.c.psn_no.in_(wanted))
        )
    }
    return out


# Engines whose store has these tables (a store not yet migrated to revision 0011 has none:
# its writes have nothing to keep, and the migration builds from what they wrote).
_READY: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _kept(conn: Connection) -> bool:
    if _READY.get(conn.engine):
        return True
    present = inspect(conn).has_table(YEARS.name)
    if present:
        _READY[conn.engine] = True
    return present


def after_flush(session: Session, _context: Any) -> None:
    """The session's flush refreshes what it changed (in its transaction)."""
    years, persons, paid, rewritten = _touched(session)
    if not (years or persons):
        return
    conn = session.connection()
    if not _kept(conn):
        return
    refresh(conn, years | _years_of(conn, persons))
    if rewritten:  # a record changed or deleted (the register never does): its months afresh
        for pair in _pairs_of(conn, {p for p, _ in years}, {y for _, y in years}):
            _build_months(conn, *pair)
    else:
        add_payments(conn, paid)


def _pairs_of(conn: Connection, psn_nos: set[str], years: set[int]) -> set[Pair]:
    codes = set(conn.scalars(select(P.c.insuplc_admdvs).where(P.c.psn_no.in_(sorted(psn_nos)))))
    return {pair for pair in _built(conn, codes) if pair[1] in years}


event.listen(Session, "after_flush", after_flush)


# ------------------------------------------------------------------- building a pair
def _categories_select(code: str, year: int) -> Any:
    """Each holder's categories string (the definition above) for the pair, set-based: the
    valid rows ranked by (begin_date, id), each category at its first rank, joined in rank
    order (an ordered window: SQLite's group_concat, PostgreSQL's string_agg)."""
    ranked = (
        select(
            C.c.psn_no,
            C.c.category,
            func.row_number()
            .over(partition_by=C.c.psn_no, order_by=(C.c.begin_date, C.c.id))
            .label("rn"),
        )
        .join(P, P.c.psn_no == C.c.psn_no)
        .where(_valid_in(year), P.c.insuplc_admdvs == code)
        .subquery("ranked")
    )
    firsts = (
        select(ranked.c.psn_no, ranked.c.category, func.min(ranked.c.rn).label("rn"))
        .group_by(ranked.c.psn_no, ranked.c.category)
        .subquery("firsts")
    )
    joined = func.aggregate_strings(firsts.c.category, "|").over(
        partition_by=firsts.c.psn_no, order_by=firsts.c.rn, rows=(None, None)
    )
    return select(firsts.c.psn_no, joined.label("categories")).distinct().subquery("held")


def person_years_select(code: str, year: int) -> Select[Any]:
    """The pair's person-year rows (PERSON_COLUMNS) from the base tables, with categories ""
    (``categories_select`` has them: joined in a second step, which both databases do by key,
    where a join on the window's result would be a scan per person in SQLite)."""
    paid = (
        select(
            PAY.c.psn_no,
            func.count().label("payments"),
            func.sum(PAY.c.personal_paid).label("personal"),
            func.sum(PAY.c.assistance_subsidy).label("subsidy"),
        )
        .where(PAY.c.year == year)
        .group_by(PAY.c.psn_no)
        .subquery("paid")
    )
    holder = select(C.c.psn_no).where(C.c.psn_no == P.c.psn_no, _valid_in(year)).exists()
    joined = (
        P.outerjoin(H, H.c.hh_id == P.c.hh_id)
        .outerjoin(E, and_(E.c.psn_no == P.c.psn_no, E.c.year == year))
        .outerjoin(paid, paid.c.psn_no == P.c.psn_no)
    )
    return (
        select(
            P.c.psn_no,
            literal(year, Integer).label("year"),
            P.c.insuplc_admdvs,
            _township_sql(H.c.addr).label("township"),
            literal("").label("categories"),
            func.coalesce(E.c.tier, 0).label("tier"),
            func.coalesce(E.c.status, "").label("status"),
            func.coalesce(paid.c.payments, 0).label("payments"),
            func.coalesce(paid.c.personal, 0).label("personal_paid"),
            func.coalesce(paid.c.subsidy, 0).label("assistance_subsidy"),
        )
        .select_from(joined)
        .where(
            P.c.insuplc_admdvs == code,
            or_(E.c.psn_no.is_not(None), paid.c.psn_no.is_not(None), holder),
        )
    )


def categories_select(code: str, year: int) -> Select[Any]:
    """(psn_no, categories) of the pair's holders."""
    held = _categories_select(code, year)
    return select(held.c.psn_no, held.c.categories)


def recomputed(conn: Connection, code: str, year: int) -> list[tuple[Any, ...]]:
    """The pair's person-year rows recomputed from the base tables (PERSON_COLUMNS)."""
    held: dict[str, str] = dict(conn.execute(categories_select(code, year)).all())
    return [
        _person_row((*r[:4], held.get(r[0], ""), *r[5:]))
        for r in conn.execute(person_years_select(code, year))
    ]


def holdings_select(code: str, year: int) -> Select[Any]:
    """The pair's holdings (HOLDING_COLUMNS), from its person-year rows as stored."""
    held = (
        select(C.c.psn_no, C.c.category)
        .join(P, P.c.psn_no == C.c.psn_no)
        .where(_valid_in(year), P.c.insuplc_admdvs == code)
        .distinct()
        .subquery("held")
    )
    st = PERSON_YEARS
    return (
        select(
            held.c.psn_no, st.c.year, held.c.category, st.c.insuplc_admdvs, st.c.township,
            P.c.certno, (st.c.status == INSURED).label("insured"),
        )
        .select_from(
            held.join(st, and_(st.c.psn_no == held.c.psn_no, st.c.year == year))
            .join(P, P.c.psn_no == held.c.psn_no)
        )
        .where(st.c.insuplc_admdvs == code)
    )  # fmt: skip


def months_select(code: str, year: int) -> Select[Any]:
    """The pair's 缴费 records by month paid (MONTH_KEYS + MONTH_SUMS)."""
    the_year = literal_column(str(int(year)), Integer)  # inline: grouped by an expression of it
    month = case(
        (cast(extract("year", PAY.c.paid_on), Integer) == the_year,
         cast(extract("month", PAY.c.paid_on), Integer)),
        else_=0,
    )  # fmt: skip
    return (
        select(
            P.c.insuplc_admdvs,
            PAY.c.year,
            month.label("month"),
            func.count(),
            func.sum(PAY.c.personal_paid),
            func.sum(PAY.c.assistance_subsidy),
        )
        .select_from(PAY.join(P, P.c.psn_no == PAY.c.psn_no))
        .where(PAY.c.year == year, P.c.insuplc_admdvs == code)
        .group_by(P.c.insuplc_admdvs, PAY.c.year, month)
    )


def _build_months(conn: Connection, code: str, year: int) -> None:
    conn.execute(delete(MONTHS).where(MONTHS.c.insuplc_admdvs == code, MONTHS.c.year == year))
    conn.execute(MONTHS.insert().from_select([*MONTH_KEYS, *MONTH_SUMS], months_select(code, year)))


def build(conn: Connection, code: str, year: int) -> None:
    """The pair's rows replaced by their recomputation from the base tables, set-based
    (INSERT … SELECT), and the pair marked built; in the caller's transaction."""
    _lock(conn, [code], exclusive=True)
    for table in ROWS:
        conn.execute(delete(table).where(table.c.insuplc_admdvs == code, table.c.year == year))
    conn.execute(PERSON_YEARS.insert().from_select(PERSON_COLUMNS, person_years_select(code, year)))
    st = PERSON_YEARS
    held = _categories_select(code, year)
    conn.execute(
        update(st)
        .values(categories=held.c.categories)
        .where(st.c.psn_no == held.c.psn_no, st.c.year == year)
    )
    keys = [st.c[k] for k in GROUP_KEYS]
    conn.execute(
        GROUPS.insert().from_select(
            [*GROUP_KEYS, *GROUP_SUMS],
            select(
                *keys,
                func.count(),
                func.sum(case((st.c.payments > 0, 1), else_=0)),
                func.sum(st.c.payments),
                func.sum(st.c.personal_paid),
                func.sum(st.c.assistance_subsidy),
            )
            .where(st.c.insuplc_admdvs == code, st.c.year == year)
            .group_by(*keys),
        )
    )
    conn.execute(HOLDINGS.insert().from_select(HOLDING_COLUMNS, holdings_select(code, year)))
    _build_months(conn, code, year)
    if (code, year) not in _built(conn, {code}):
        conn.execute(YEARS.insert().values(insuplc_admdvs=code, year=year))


def ensure(conn: Connection, codes: Iterable[str], year: int) -> list[str]:
    """Build the pairs of these 参保地 codes and year that are not built yet (a page asking
    for a year no write and no rebuild has touched); returns the codes built."""
    wanted = set(codes)
    missing = sorted(code for code in wanted if (code, year) not in _built(conn, wanted))
    done = []
    for code in missing:
        _lock(conn, [code], exclusive=True)
        if (code, year) not in _built(conn, {code}):  # not built meanwhile by another
            build(conn, code, year)
            done.append(code)
    return done


def data_pairs(conn: Connection) -> set[Pair]:
    """The (参保地, year) pairs with an enrollment or a 缴费 record of a person there."""
    out: set[Pair] = set()
    for table in (E, PAY):
        rows = conn.execute(
            select(P.c.insuplc_admdvs, table.c.year)
            .join(P, P.c.psn_no == table.c.psn_no)
            .distinct()
        )
        out |= {(code, int(year)) for code, year in rows}
    return out


def built_pairs(conn: Connection) -> set[Pair]:
    return {(c, int(y)) for c, y in conn.execute(select(YEARS.c.insuplc_admdvs, YEARS.c.year))}


def rebuild(conn: Connection, region: str | None = None, year: int | None = None) -> list[Pair]:
    """Rebuild from the base tables (set-based), in the caller's transaction: the pair
    (``region`` = a 参保地 code, ``year``) when both are given; else every pair built or
    with data, narrowed to the region or year given (with neither: rows of pairs not built
    are dropped too). Returns the pairs built."""
    if region is not None and year is not None:
        pairs = {(region, year)}
    else:
        pairs = {
            (c, y)
            for c, y in built_pairs(conn) | data_pairs(conn)
            if (region is None or c == region) and (year is None or y == year)
        }
        if region is None and year is None:
            for table in ROWS:
                conn.execute(delete(table))
    for code, y in sorted(pairs):
        build(conn, code, y)
    return sorted(pairs)


# ------------------------------------------------------------------- the check
@dataclass
class EnrollmentAggregateCheck:
    """The stored register aggregates against their recomputation from the base tables."""

    pairs: int = 0
    person_years: int = 0
    mismatch_count: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)  # the first REPORTED

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pairs": self.pairs,
            "person_years": self.person_years,
            "mismatch_count": self.mismatch_count,
            "mismatches": self.mismatches,
        }

    def summary(self) -> str:
        if self.ok:
            return (
                f"register aggregates ok: {self.pairs} 参保地-years, {self.person_years} "
                "person-years equal their recomputation from enrollments, payments and categories"
            )
        first = self.mismatches[0]
        name, values = next(iter(first["fields"].items()))
        return (
            f"register aggregates FAILED: {self.mismatch_count} rows differ from the register; "
            f"first {first['table']} {first['key']} {name}: stored {values['stored']}, "
            f"register {values['register']}"
        )

    def _differ(
        self, table: str, key: Any, names: Iterable[str], stored: Any, register: Any
    ) -> None:
        self.mismatch_count += 1
        if len(self.mismatches) >= REPORTED:
            return
        fields = {
            n: {"stored": s, "register": r}
            for n, s, r in zip(names, stored, register, strict=True)
            if s != r
        }
        self.mismatches.append({"table": table, "key": list(key), "fields": fields})


def _compare(
    out: EnrollmentAggregateCheck,
    table: str,
    names: tuple[str, ...],
    stored: Mapping[Any, tuple[Any, ...]],
    register: Mapping[Any, tuple[Any, ...]],
) -> None:
    absent = (None,) * len(names)
    for key in sorted(set(stored) | set(register), key=repr):
        a, b = stored.get(key, absent), register.get(key, absent)
        if a != b:
            out._differ(table, key, names, a, b)


def _person_row(r: Any) -> tuple[Any, ...]:
    """A person-year row with its numbers as int (PostgreSQL sums come as Decimal)."""
    psn_no, year, code, township, categories, tier, status, *numbers = r
    return (psn_no, int(year), code, township, categories, int(tier), status,
            *(int(v) for v in numbers))  # fmt: skip


def _keyed(rows: Iterable[Any], width: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {tuple(r[:width]): tuple(r[width:]) for r in rows}


def check(conn: Connection) -> EnrollmentAggregateCheck:
    """Every built pair's rows against their recomputation from enrollments, 缴费 records,
    categories, persons and households (groups: the recomputed person-years summed here, not
    by the database, so a wrong group and a wrong person-year both show); rows of pairs not
    built are differences too. Groups and months whose sums are all zero count as absent."""
    out = EnrollmentAggregateCheck()
    built = built_pairs(conn)
    out.pairs = len(built)
    group_names, month_names = GROUP_SUMS, MONTH_SUMS
    for code, year in sorted(built):
        want_people = recomputed(conn, code, year)
        out.person_years += len(want_people)
        mine = (PERSON_YEARS.c.insuplc_admdvs == code, PERSON_YEARS.c.year == year)
        have_people = [
            _person_row(r)
            for r in conn.execute(select(*(PERSON_YEARS.c[c] for c in PERSON_COLUMNS)).where(*mine))
        ]
        _compare(out, "agg_enrollment_person", PERSON_COLUMNS[2:],
                 _keyed(have_people, 2), _keyed(want_people, 2))  # fmt: skip
        want_groups: dict[tuple[Any, ...], list[int]] = {}
        for r in want_people:
            person = PersonYear(*r)
            add_into(want_groups, person.group, person.sums)
        have_groups = {
            tuple(r[: len(GROUP_KEYS)]): tuple(int(v) for v in r[len(GROUP_KEYS) :])
            for r in conn.execute(
                select(*(GROUPS.c[c] for c in (*GROUP_KEYS, *GROUP_SUMS))).where(
                    GROUPS.c.insuplc_admdvs == code, GROUPS.c.year == year
                )
            )
        }
        _compare(out, "agg_enrollment_groups", group_names,
                 {k: v for k, v in have_groups.items() if any(v)},
                 {k: tuple(v) for k, v in want_groups.items()})  # fmt: skip
        have_months = {
            tuple(r[:3]): tuple(int(v) for v in r[3:])
            for r in conn.execute(
                select(*(MONTHS.c[c] for c in (*MONTH_KEYS, *MONTH_SUMS))).where(
                    MONTHS.c.insuplc_admdvs == code, MONTHS.c.year == year
                )
            )
        }
        want_months = {
            tuple(r[:3]): tuple(int(v) for v in r[3:])
            for r in conn.execute(months_select(code, year))
        }
        _compare(out, "agg_payment_months", month_names,
                 {k: v for k, v in have_months.items() if any(v)}, want_months)  # fmt: skip
        _compare_holdings(out, conn, code, year, want_people)
    _stray(out, conn, built)
    return out


def _compare_holdings(
    out: EnrollmentAggregateCheck, conn: Connection, code: str, year: int, people: list[Any]
) -> None:
    """The pair's holdings against the categories each recomputed person-year holds."""
    certnos: dict[str, str] = dict(
        conn.execute(
            select(P.c.psn_no, P.c.certno).where(
                P.c.psn_no.in_(select(C.c.psn_no).where(_valid_in(year))),
                P.c.insuplc_admdvs == code,
            )
        ).all()
    )
    want: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in people:
        person = PersonYear(*r, certno=certnos.get(r[0], ""))  # type: ignore[misc]
        for h in person.holdings():
            want[(h["psn_no"], h["year"], h["category"])] = tuple(h[c] for c in HOLDING_COLUMNS[3:])
    have = {
        (r[0], r[1], r[2]): (*r[3:6], bool(r[6]))
        for r in conn.execute(
            select(*(HOLDINGS.c[c] for c in HOLDING_COLUMNS)).where(
                HOLDINGS.c.insuplc_admdvs == code, HOLDINGS.c.year == year
            )
        )
    }
    _compare(out, "enrollment_holdings", HOLDING_COLUMNS[3:], have, want)


def _stray(out: EnrollmentAggregateCheck, conn: Connection, built: set[Pair]) -> None:
    """Rows of pairs that are not built (none should exist)."""
    for table in ROWS:
        rows = conn.execute(
            select(table.c.insuplc_admdvs, table.c.year, func.count())
            .group_by(table.c.insuplc_admdvs, table.c.year)
        )  # fmt: skip
        for code, year, n in rows:
            if (code, int(year)) not in built:
                out._differ(table.name, (code, int(year)), ("rows",), (int(n),), (0,))


# ------------------------------------------------------------------- reading
def group_sums(
    conn: Connection,
    codes: Iterable[str],
    year: int,
    by: tuple[str, ...],
    enrolled: bool | None = None,
) -> list[tuple[Any, ...]]:
    """The groups of these 参保地 codes and year summed over ``by`` (of GROUP_KEYS): one
    tuple per group, ``by`` values then GROUP_SUMS; ``enrolled`` True: only person-years
    with an enrollment, False: only those without."""
    keys = [GROUPS.c[k] for k in by]
    where = [GROUPS.c.insuplc_admdvs.in_(sorted(set(codes))), GROUPS.c.year == year]
    if enrolled is not None:
        where.append(GROUPS.c.status != "" if enrolled else GROUPS.c.status == "")
    rows = conn.execute(
        select(*keys, *(func.sum(GROUPS.c[n]) for n in GROUP_SUMS))
        .where(*where)
        .group_by(*keys)
        .having(func.sum(GROUPS.c.persons) != 0)
        .order_by(*keys)
    )
    return [(*r[: len(by)], *(int(v or 0) for v in r[len(by) :])) for r in rows]


def month_sums(conn: Connection, codes: Iterable[str], year: int) -> dict[int, int]:
    """个人缴费 + 资助参保 (fen) of the year's records by month paid (0: outside the year)."""
    rows = conn.execute(
        select(MONTHS.c.month, func.sum(MONTHS.c.personal_paid + MONTHS.c.assistance_subsidy))
        .where(MONTHS.c.insuplc_admdvs.in_(sorted(set(codes))), MONTHS.c.year == year)
        .group_by(MONTHS.c.month)
    )
    return {int(m): int(v or 0) for m, v in rows if v}


def uninsured(
    conn: Connection,
    codes: Iterable[str],
    year: int,
    categories: Iterable[str],
    township: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of the holders of ``categories`` not insured in the year, by 乡镇, category
    and ID number (the holdings' index), with their names: township, category, certno,
    psn_name, psn_no."""
    t = HOLDINGS.c
    where = [
        t.insuplc_admdvs.in_(sorted(set(codes))),
        t.year == year,
        t.insured == false(),
        t.category.in_(sorted(set(categories))),
    ]
    if township:
        where.append(t.township == township)
    page = (
        select(t.township, t.category, t.certno, t.psn_no)
        .where(*where)
        .order_by(t.township, t.category, t.certno)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    rows = conn.execute(
        select(page.c.township, page.c.category, page.c.certno, P.c.psn_name, page.c.psn_no)
        .join(P, P.c.psn_no == page.c.psn_no)
        .order_by(page.c.township, page.c.category, page.c.certno)
    ).mappings()
    return [dict(r) for r in rows]


def critical_above(
    conn: Connection,
    settled_codes: Iterable[str],
    person_codes: Iterable[str],
    year: int,
    deductibles: Mapping[str, int | Exception],
) -> dict[str, int]:
    """Σ over the year's settled person-years (agg_person_year, 参保地 in ``settled_codes``)
    of max(0, critical_eligible − deductible), by the categories the person holds in the year
    (their row here, 参保地 in ``person_codes``; "" for none), fen. ``deductibles`` gives each
    categories string of the pair's groups (and "") its 大病 deductible, or the error that
    stops it being known (raised when a person-year holding it has a 大病 figure). Only the
    person-years above the lowest deductible can add anything: they are read by the index on
    critical_eligible (a few hundred of the year's tens of thousands)."""
    a, st = AggPersonYear.__table__, PERSON_YEARS
    settled = sorted(set(settled_codes))
    person = and_(
        st.c.psn_no == a.c.psn_no,
        st.c.year == a.c.year,
        st.c.insuplc_admdvs.in_(sorted(set(person_codes))),
    )
    categories = func.coalesce(st.c.categories, literal_column("''"))  # (grouped by: no bind)
    scoped = [a.c.insuplc_admdvs.in_(settled), a.c.year == year, a.c.settlements > 0]
    unknown = sorted(k for k, d in deductibles.items() if isinstance(d, Exception))
    if unknown:  # the report cannot be made if one of them has a 大病 figure
        held = conn.scalar(
            select(categories)
            .select_from(a.join(st, person))
            .where(*scoped, (a.c.critical_eligible != 0) | (a.c.hifmi_pay != 0))
            .where(categories.in_(unknown))
            .limit(1)
        )
        if held is not None:
            raise deductibles[str(held)]  # type: ignore[misc]
    known = {k: d for k, d in deductibles.items() if not isinstance(d, Exception)}
    if not known:
        return {}
    deductible = case(*((categories == k, literal(d)) for k, d in sorted(known.items())))
    rows = conn.execute(
        select(categories, func.sum(a.c.critical_eligible - deductible))
        .select_from(a.outerjoin(st, person))
        .where(*scoped, a.c.critical_eligible > min(known.values()))
        .where(a.c.critical_eligible > deductible)
        .group_by(categories)
    ).all()
    out = {}
    for k, total in rows:
        if str(k) not in known:  # a categories string the caller did not give
            raise KeyError(f"categories: {k!r} has no 大病 deductible given")
        out[str(k)] = int(total or 0)
    return out


__all__ = [
    "EnrollmentAggregateCheck",
    "PersonYear",
    "build",
    "check",
    "compute",
    "critical_above",
    "ensure",
    "group_sums",
    "month_sums",
    "rebuild",
    "refresh",
    "township_of",
    "uninsured",
]
