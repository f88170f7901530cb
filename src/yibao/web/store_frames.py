"""The store's rows as the engines' input frames (fen), for one policy region and year:
settled claims, persons (township, categories) and contributions. Reading only; every rule
is the engine's.

The store keeps no township column: a household's ``addr`` holds its 乡镇（街道）, as the
synthetic county and the import write it; a person without one is shown as （未登记乡镇）.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from yibao.engine.contribution import quote
from yibao.policy import PolicyLibrary
from yibao.services.bureau import BUREAU_KEY
from yibao.store import aggregates
from yibao.store.aggregate_models import AMOUNTS as AGG_AMOUNTS
from yibao.store.aggregate_models import AggPersonYear
from yibao.store.models import (
    Claim,
    ContributionPayment,
    Enrollment,
    Household,
    Person,
    PersonCategory,
)
from yibao.store.models import Settlement as SettlementRow

UNKNOWN_TOWNSHIP = "（未登记乡镇）"
SETL_AMOUNTS = (
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


@dataclass(frozen=True)
class Scope:
    """A policy region (its own policy files) and year; a person belongs to it when the
    region resolving their insuplc_admdvs is this one."""

    region: str
    year: int


def regions_in_store(session: Session, library: PolicyLibrary) -> list[tuple[str, str]]:
    codes = session.scalars(select(Person.insuplc_admdvs).distinct()).all()
    owners = {}
    for code in codes:
        try:
            owner = library.policy_region(code)
        except ValueError:
            continue
        owners[owner.code] = owner.name
    return sorted(owners.items())


def _in_scope(library: PolicyLibrary, scope: Scope, codes: Iterable[str]) -> set[str]:
    out = set()
    for code in set(codes):
        try:
            if library.policy_region(code).code == scope.region:
                out.add(code)
        except ValueError:
            continue
    return out


def persons_frame(
    session: Session, library: PolicyLibrary, scope: Scope, holders_only: bool = False
) -> pl.DataFrame:
    """psn_no, certno, psn_name, township, categories ("|", valid in the year), sex,
    birth_date, insuplc_admdvs; with ``holders_only`` only the persons holding a category in
    the year (what the 台账 and the 参保率 targets count). Two Core queries, no ORM objects."""
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    codes = sorted(
        _in_scope(library, scope, session.scalars(select(Person.insuplc_admdvs).distinct()).all())
    )
    p, h, c = Person.__table__, Household.__table__, PersonCategory.__table__
    valid = (c.c.begin_date <= last) & (c.c.end_date.is_(None) | (c.c.end_date >= first))
    held: dict[str, list[str]] = {}
    for psn_no, category in session.execute(
        select(c.c.psn_no, c.c.category)
        .join(p, p.c.psn_no == c.c.psn_no)
        .where(p.c.insuplc_admdvs.in_(codes), valid)
        .order_by(c.c.psn_no, c.c.begin_date, c.c.id)
    ):
        held.setdefault(psn_no, []).append(category)
    stmt = (
        select(p.c.psn_no, p.c.certno, p.c.psn_name, h.c.addr, p.c.gend, p.c.brdy,
               p.c.insuplc_admdvs)
        .outerjoin(h, h.c.hh_id == p.c.hh_id)
        .where(p.c.insuplc_admdvs.in_(codes))
        .order_by(p.c.psn_no)
    )  # fmt: skip
    if holders_only:
        stmt = stmt.where(p.c.psn_no.in_(select(c.c.psn_no).where(valid)))
    rows = [
        (
            psn_no,
            certno,
            name,
            (addr or "").strip() or UNKNOWN_TOWNSHIP,
            "|".join(dict.fromkeys(held.get(psn_no, ()))),
            sex,
            birth,
            admdvs,
        )
        for psn_no, certno, name, addr, sex, birth, admdvs in session.execute(stmt)
    ]
    return pl.DataFrame(rows, schema=PERSONS_SCHEMA, orient="row")


def held_categories(session: Session, library: PolicyLibrary, scope: Scope) -> pl.DataFrame:
    """psn_no and categories ("|", valid in the year, in order of begin date) of the scope's
    persons holding a category in the year (what 目标 needs of them): one query on the
    categories (joined to persons only when the store holds other regions too), grouped in
    polars; the same rows and order as persons_frame(holders_only=True)."""
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    every = session.scalars(select(Person.insuplc_admdvs).distinct()).all()
    codes = _in_scope(library, scope, every)
    p, c = Person.__table__, PersonCategory.__table__
    stmt = select(c.c.psn_no, c.c.category).where(
        c.c.begin_date <= last, c.c.end_date.is_(None) | (c.c.end_date >= first)
    )
    if codes != set(every):
        stmt = stmt.join(p, p.c.psn_no == c.c.psn_no).where(p.c.insuplc_admdvs.in_(codes))
    rows = session.execute(stmt.order_by(c.c.psn_no, c.c.begin_date, c.c.id)).all()
    return (
        pl.DataFrame(rows, schema={"psn_no": pl.String, "category": pl.String}, orient="row")
        .unique(maintain_order=True)
        .group_by("psn_no", maintain_order=True)
        .agg(pl.col("category").str.join("|").alias("categories"))
        .sort("psn_no")
    )


def enrolled_categories(session: Session, library: PolicyLibrary, scope: Scope) -> pl.DataFrame:
    """psn_no and categories ("|", valid in the year, in order of begin date) of the scope's
    persons enrolled in the year: what the fund page's contributions need, without reading
    every person's row (two queries; the joining and grouping in polars)."""
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    codes = sorted(
        _in_scope(library, scope, session.scalars(select(Person.insuplc_admdvs).distinct()).all())
    )
    p, c, e = Person.__table__, PersonCategory.__table__, Enrollment.__table__
    valid = (c.c.begin_date <= last) & (c.c.end_date.is_(None) | (c.c.end_date >= first))
    held = pl.DataFrame(
        session.execute(
            select(c.c.psn_no, c.c.category)
            .join(p, p.c.psn_no == c.c.psn_no)
            .where(p.c.insuplc_admdvs.in_(codes), valid)
            .order_by(c.c.psn_no, c.c.begin_date, c.c.id)
        ).all(),
        schema={"psn_no": pl.String, "category": pl.String},
        orient="row",
    )
    joined = (
        held.unique(maintain_order=True)
        .group_by("psn_no", maintain_order=True)
        .agg(pl.col("category").str.join("|").alias("categories"))
    )
    enrolled = pl.DataFrame(
        session.execute(
            select(e.c.psn_no)
            .join(p, p.c.psn_no == e.c.psn_no)
            .where(e.c.year == scope.year, p.c.insuplc_admdvs.in_(codes))
        ).all(),
        schema={"psn_no": pl.String},
        orient="row",
    ).unique()
    return (
        enrolled.join(joined, on="psn_no", how="left")
        .with_columns(pl.col("categories").fill_null(""))
        .sort("psn_no")
    )


PERSONS_SCHEMA = {
    "psn_no": pl.String,
    "certno": pl.String,
    "psn_name": pl.String,
    "township": pl.String,
    "categories": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "insuplc_admdvs": pl.String,
}


def scope_codes(session: Session, library: PolicyLibrary, scope: Scope) -> list[str]:
    """The 参保地 codes with settlements whose policy region is the scope's."""
    codes = session.scalars(select(AggPersonYear.insuplc_admdvs).distinct()).all()
    return sorted(_in_scope(library, scope, codes))


CELL_SCHEMA = {
    "township": pl.String,
    "categories": pl.String,
    "month": pl.Int32,
    "med_type": pl.String,
    "hosp_lv": pl.String,
}


def cells_frame(
    session: Session,
    library: PolicyLibrary,
    scope: Scope,
    by: tuple[str, ...] = ("month", "med_type", "hosp_lv"),
) -> pl.DataFrame:
    """The scope's stored aggregate cells (store.aggregates) summed over ``by`` (of 乡镇,
    人员类别, month, med_type, hosp_lv) by the database: one row per group with ``claims``
    (the number of settled settlements) and the summed setlinfo amounts (fen), named as in
    settlements_frame. Tens of rows whatever the year's number of settlements."""
    rows = aggregates.cell_sums(
        session.connection(), scope_codes(session, library, scope), scope.year, by
    )
    schema = {k: CELL_SCHEMA[k] for k in by}
    schema.update({"claims": pl.Int64, **dict.fromkeys(AGG_AMOUNTS, pl.Int64)})
    schema["critical_eligible"] = pl.Int64
    return pl.DataFrame(rows, schema=schema, orient="row")


def person_years_frame(session: Session, library: PolicyLibrary, scope: Scope) -> pl.DataFrame:
    """The scope's person-years with a 大病 running total (critical_eligible > 0) or a 大病
    payment: psn_no, year, critical_eligible_delta (their sum), hifmi_pay (fen)."""
    t = AggPersonYear.__table__
    rows = session.execute(
        select(t.c.psn_no, t.c.year, t.c.critical_eligible, t.c.hifmi_pay).where(
            t.c.insuplc_admdvs.in_(scope_codes(session, library, scope)),
            t.c.year == scope.year,
            t.c.settlements > 0,
            (t.c.critical_eligible != 0) | (t.c.hifmi_pay != 0),
        )
    ).all()
    schema = {
        "psn_no": pl.String,
        "year": pl.Int32,
        "critical_eligible_delta": pl.Int64,
        "hifmi_pay": pl.Int64,
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def settlements_frame(session: Session, library: PolicyLibrary, scope: Scope) -> pl.DataFrame:
    """Settled (not reversed) claims of the scope: setl_id, psn_no, year, month, med_type,
    hosp_lv, fixmedins_code, dise_codg, begndate, enddate, the setlinfo amounts (fen) and what
    each added to the 大病 running total (critical_eligible_delta, from its ``consumed``)."""
    codes = _in_scope(
        library,
        scope,
        session.scalars(select(SettlementRow.insuplc_admdvs).distinct()).all(),
    )
    stmt = (
        select(SettlementRow, Claim.row)
        .join(Claim, Claim.setl_id == SettlementRow.setl_id)
        .where(
            SettlementRow.year == scope.year,
            SettlementRow.status == "settled",
            SettlementRow.insuplc_admdvs.in_(codes),
        )
        .order_by(SettlementRow.setl_time, SettlementRow.setl_id)
    )
    rows = []
    for s, claim in session.execute(stmt):
        rows.append(
            {
                "setl_id": s.setl_id,
                "psn_no": s.psn_no,
                "year": s.year,
                "month": s.setl_time.month,
                "med_type": str(claim.get("med_type", "")),
                "hosp_lv": str(claim.get("hosp_lv") or ""),
                "fixmedins_code": str(claim.get("fixmedins_code") or ""),
                "dise_codg": str(claim.get("dise_codg") or ""),
                "begndate": _date(claim.get("begndate")),
                "enddate": _date(claim.get("enddate")),
                **{k: int(getattr(s, k)) for k in SETL_AMOUNTS},
                "critical_eligible_delta": int((s.consumed or {}).get("critical_eligible") or 0),
            }
        )
    schema = {
        "setl_id": pl.String,
        "psn_no": pl.String,
        "year": pl.Int32,
        "month": pl.Int32,
        "med_type": pl.String,
        "hosp_lv": pl.String,
        "fixmedins_code": pl.String,
        "dise_codg": pl.String,
        "begndate": pl.Date,
        "enddate": pl.Date,
        **dict.fromkeys(SETL_AMOUNTS, pl.Int64),
        "critical_eligible_delta": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def contributions_frame(
    session: Session, library: PolicyLibrary, scope: Scope, persons: pl.DataFrame
) -> pl.DataFrame:
    """One row per person enrolled in the year (fund.fund_statement's contributions): what the
    person paid and the 资助参保 subsidy as recorded (else as quoted), the subsidy's fund and the
    fiscal subsidy shares, both from the contribution engine's quote. Enrollments and the
    payments' sums come from the database in two queries; the quote is asked once per (tier,
    categories) and joined (polars), no loop over the persons."""
    policy = library.resolve(scope.region, scope.year)
    e, c = Enrollment.__table__, ContributionPayment.__table__
    enrolled = pl.DataFrame(
        session.execute(select(e.c.psn_no, e.c.tier).where(e.c.year == scope.year)).all(),
        schema={"psn_no": pl.String, "tier": pl.Int64},
        orient="row",
    ).unique("psn_no", keep="last")
    paid = pl.DataFrame(
        session.execute(
            select(c.c.psn_no, func.sum(c.c.personal_paid), func.sum(c.c.assistance_subsidy))
            .where(c.c.year == scope.year)
            .group_by(c.c.psn_no)
        ).all(),
        schema={"psn_no": pl.String, "paid_personal": pl.Int64, "paid_subsidy": pl.Int64},
        orient="row",
    )
    people = persons.select("psn_no", "categories").join(enrolled, on="psn_no", how="inner")
    quoted = []
    for tier, categories in people.select("tier", "categories").unique().iter_rows():
        q = quote(policy, [x for x in categories.split("|") if x], str(tier))
        shares = q.fiscal_shares
        quoted.append(
            (tier, categories, q.personal_due, q.assistance_subsidy, q.subsidy_fund or "",
             shares.central, shares.provincial, shares.municipal, shares.county)
        )  # fmt: skip
    quotes = pl.DataFrame(
        quoted,
        schema={
            "tier": pl.Int64, "categories": pl.String, "due_personal": pl.Int64,
            "due_subsidy": pl.Int64, "subsidy_fund": pl.String, "fiscal_central": pl.Int64,
            "fiscal_provincial": pl.Int64, "fiscal_municipal": pl.Int64, "fiscal_county": pl.Int64,
        },
        orient="row",
    )  # fmt: skip
    recorded = pl.col("paid_personal").is_not_null()
    return (
        people.join(quotes, on=["tier", "categories"], how="left")
        .join(paid, on="psn_no", how="left")
        .sort("psn_no")
        .select(
            "psn_no",
            pl.when(recorded).then("paid_personal").otherwise("due_personal")
            .alias("personal_paid"),
            pl.when(recorded).then("paid_subsidy").otherwise("due_subsidy").alias("subsidy"),
            "subsidy_fund", "fiscal_central", "fiscal_provincial", "fiscal_municipal",
            "fiscal_county",
        )
    )  # fmt: skip


def revenue_frame(session: Session, library: PolicyLibrary, scope: Scope) -> pl.DataFrame:
    """The fund page's contributions (fund.fund_statement's input) with the same sums as
    contributions_frame but without a row of Python per person: the database groups the
    enrolled persons without a category by (tier, payment recorded or not) and sends the
    category holders one row each (their categories are joined in polars); every group is
    quoted once. The frame has one row per insured person (its height is the insured count),
    each with the fiscal shares of its quote; a group's paid (or, unrecorded, quoted)
    amounts are carried on its first row, zero on the others, so every sum is exact."""
    policy = library.resolve(scope.region, scope.year)
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    p, c, e, pay = (
        Person.__table__, PersonCategory.__table__, Enrollment.__table__,
        ContributionPayment.__table__,
    )  # fmt: skip
    every = session.scalars(select(Person.insuplc_admdvs).distinct()).all()
    codes = _in_scope(library, scope, every)
    where = [e.c.year == scope.year]
    if codes != set(every):  # the store holds other regions too: only the scope's persons
        where.append(e.c.psn_no.in_(select(p.c.psn_no).where(p.c.insuplc_admdvs.in_(codes))))
    valid = (c.c.begin_date <= last) & (c.c.end_date.is_(None) | (c.c.end_date >= first))
    holders = select(c.c.psn_no).where(valid)
    paid = (
        select(
            pay.c.psn_no,
            func.sum(pay.c.personal_paid).label("personal"),
            func.sum(pay.c.assistance_subsidy).label("subsidy"),
        )
        .where(pay.c.year == scope.year)
        .group_by(pay.c.psn_no)
        .subquery()
    )
    joined = e.outerjoin(paid, paid.c.psn_no == e.c.psn_no)
    recorded = paid.c.psn_no.is_not(None)
    # One pass: persons without a category grouped by (tier, recorded), holders one by one.
    holder = e.c.psn_no.in_(holders)
    who = case((holder, e.c.psn_no), else_="")
    rows = session.execute(
        select(e.c.tier, recorded, who, func.count(), func.sum(paid.c.personal),
               func.sum(paid.c.subsidy))
        .select_from(joined)
        .where(*where)
        .group_by(e.c.tier, recorded, who)
    ).all()  # fmt: skip
    groups: dict[tuple[int, str, bool], list[int]] = {}
    for tier, done, psn_no, n, personal, subsidy in rows:
        if not psn_no:
            _add_group(groups, (int(tier), "", bool(done)), int(n), personal, subsidy)
    held = pl.DataFrame(
        [(psn_no, tier, done, personal, subsidy)
         for tier, done, psn_no, _, personal, subsidy in rows if psn_no],
        schema={"psn_no": pl.String, "tier": pl.Int64, "recorded": pl.Boolean,
                "personal": pl.Int64, "subsidy": pl.Int64},
        orient="row",
    )  # fmt: skip
    cats = pl.DataFrame(
        session.execute(
            select(c.c.psn_no, c.c.category)
            .where(valid, c.c.psn_no.in_(select(e.c.psn_no).where(*where)))
            .order_by(c.c.psn_no, c.c.begin_date, c.c.id)
        ).all(),
        schema={"psn_no": pl.String, "category": pl.String},
        orient="row",
    )
    named = (
        cats.unique(maintain_order=True)
        .group_by("psn_no", maintain_order=True)
        .agg(pl.col("category").str.join("|").alias("categories"))
    )
    by_group = (
        held.join(named, on="psn_no", how="left")
        .with_columns(pl.col("categories").fill_null(""))
        .group_by("tier", "categories", "recorded")
        .agg(pl.len(), pl.col("personal").sum(), pl.col("subsidy").sum())
    )
    for tier, categories, done, n, personal, subsidy in by_group.iter_rows():
        _add_group(groups, (int(tier), categories, bool(done)), int(n), personal, subsidy)
    columns: dict[str, list[Any]] = {name: [] for name in CONTRIBUTION_SCHEMA}
    for (tier, categories, done), (n, personal, subsidy) in sorted(groups.items()):
        q = quote(policy, [x for x in categories.split("|") if x], str(tier))
        if not done:
            personal, subsidy = n * q.personal_due, n * q.assistance_subsidy
        shares = q.fiscal_shares
        columns["psn_no"] += [f"{tier}|{categories}|{done}"] * n  # a group, not a person
        columns["personal_paid"] += [personal] + [0] * (n - 1)
        columns["subsidy"] += [subsidy] + [0] * (n - 1)
        columns["subsidy_fund"] += [q.subsidy_fund or ""] * n
        columns["fiscal_central"] += [shares.central] * n
        columns["fiscal_provincial"] += [shares.provincial] * n
        columns["fiscal_municipal"] += [shares.municipal] * n
        columns["fiscal_county"] += [shares.county] * n
    return pl.DataFrame(columns, schema=CONTRIBUTION_SCHEMA)


def _add_group(
    groups: dict[tuple[int, str, bool], list[int]],
    key: tuple[int, str, bool],
    n: int,
    personal: Any,
    subsidy: Any,
) -> None:
    have = groups.setdefault(key, [0, 0, 0])
    have[0] += n
    have[1] += int(personal or 0)
    have[2] += int(subsidy or 0)


CONTRIBUTION_SCHEMA = {
    "psn_no": pl.String,
    "personal_paid": pl.Int64,
    "subsidy": pl.Int64,
    "subsidy_fund": pl.String,
    "fiscal_central": pl.Int64,
    "fiscal_provincial": pl.Int64,
    "fiscal_municipal": pl.Int64,
    "fiscal_county": pl.Int64,
}


def payments_by_month(session: Session, library: PolicyLibrary, scope: Scope) -> dict[int, int]:
    """Contributions received (个人缴费 + 资助参保, fen) of the scope's persons by the month
    they were paid; month 0 holds what was collected before the year began (集中征缴期).
    Summed by the database."""
    every = session.scalars(select(Person.insuplc_admdvs).distinct()).all()
    codes = _in_scope(library, scope, every)
    c, p = ContributionPayment.__table__, Person.__table__
    paid_year, paid_month = extract("year", c.c.paid_on), extract("month", c.c.paid_on)
    where = [c.c.year == scope.year]
    if codes != set(every):  # the store holds other regions too: only the scope's persons
        where.append(c.c.psn_no.in_(select(p.c.psn_no).where(p.c.insuplc_admdvs.in_(codes))))
    out: dict[int, int] = {}
    for year, month, fen in session.execute(
        select(paid_year, paid_month, func.sum(c.c.personal_paid + c.c.assistance_subsidy))
        .where(*where)
        .group_by(paid_year, paid_month)
    ):
        key = int(month) if int(year) == scope.year else 0
        out[key] = out.get(key, 0) + int(fen or 0)
    return out


def scope_context(
    session: Session, library: PolicyLibrary, region: str, year: int | None, **filters: Any
) -> tuple[Scope | None, dict[str, Any]]:
    """``choose_scope`` and the context every scoped page starts from: the scope, the region
    and year choices for its selector, and the page's own filters."""
    scope, regions, years = choose_scope(session, library, region, year)
    return scope, {"scope": scope, "regions": regions, "years": years, **filters}


def choose_scope(
    session: Session, library: PolicyLibrary, region: str, year: int | None
) -> tuple[Scope | None, list[tuple[str, str]], list[int]]:
    """The scope asked for, else the bureau's (``yibao serve --region/--year``, carried in the
    store session's info), else the first region in the store and its latest policy year;
    with the region and year choices for the page's selector."""
    regions = regions_in_store(session, library)
    if not regions:
        return None, [], []
    codes = [c for c, _ in regions]
    home = session.info.get(BUREAU_KEY)
    if region not in codes:
        region = home.region if home is not None and home.region in codes else codes[0]
    years = library.years_of(region)
    if not years:
        return None, regions, []
    if year not in years:
        mine = home is not None and home.region == region and home.year in years
        year = home.year if mine else _latest_settled(session, region, years) or years[-1]
    return Scope(region, year), regions, years


def _latest_settled(session: Session, region: str, years: list[int]) -> int | None:
    """The latest policy year with settlements of the region in the store (a page opens on
    the year the bureau works in, not on a policy year that has no data yet)."""
    latest = session.scalar(  # the person-year aggregates' (参保地, year) index
        select(func.max(AggPersonYear.year)).where(AggPersonYear.insuplc_admdvs == region)
    )
    return latest if latest in years else None
