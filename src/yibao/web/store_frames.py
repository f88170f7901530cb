"""The store's rows as the engines' input frames (fen), for one policy region and year:
settled claims (the settlement aggregates' cells), and the register's aggregates as the fund's
contributions and monthly receipts. Reading only; every rule is the engine's.

The store keeps no township column: a household's ``addr`` holds its 乡镇（街道）, as the
synthetic county and the import write it; a person without one is shown as （未登记乡镇）.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.engine.contribution import quote
from yibao.policy import PolicyLibrary
from yibao.services.bureau import BUREAU_KEY
from yibao.store import aggregates, enrollment_aggregates
from yibao.store.aggregate_models import AMOUNTS as AGG_AMOUNTS
from yibao.store.aggregate_models import AggPersonYear
from yibao.store.models import Claim, Person
from yibao.store.models import Settlement as SettlementRow

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


def distinct_values(session: Session, column: Any) -> list[Any]:
    """The distinct values of an indexed column, by one index probe per value (a loose index
    scan: each next value is the least one above the last), not a scan of every row: the
    scoped pages ask which 参保地 the store holds on every request."""
    step = select(func.min(column))
    found = step.cte("found", recursive=True)
    following = step.where(column > found.c[0]).scalar_subquery()
    found = found.union_all(select(following).where(found.c[0].is_not(None)))
    return list(session.scalars(select(found.c[0]).where(found.c[0].is_not(None))))


def person_codes(session: Session) -> list[str]:
    """The 参保地 codes of the store's persons."""
    return distinct_values(session, Person.insuplc_admdvs)


def regions_in_store(session: Session, library: PolicyLibrary) -> list[tuple[str, str]]:
    codes = person_codes(session)
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


def register_codes(session: Session, library: PolicyLibrary, scope: Scope) -> list[str]:
    """The 参保地 codes of the persons whose policy region is the scope's, with the register's
    aggregates of the year built for each (store.enrollment_aggregates.ensure: a year no write
    has touched yet is built on its first page)."""
    codes = sorted(_in_scope(library, scope, person_codes(session)))
    enrollment_aggregates.ensure(session.connection(), codes, scope.year)
    return codes


def scope_codes(session: Session, library: PolicyLibrary, scope: Scope) -> list[str]:
    """The 参保地 codes with settlements whose policy region is the scope's."""
    codes = distinct_values(session, AggPersonYear.insuplc_admdvs)
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
    amounts: tuple[str, ...] = (*AGG_AMOUNTS, "critical_eligible"),
) -> pl.DataFrame:
    """The scope's stored aggregate cells (store.aggregates) summed over ``by`` (of 乡镇,
    人员类别, month, med_type, hosp_lv) by the database: one row per group with ``claims``
    (the number of settled settlements) and the summed ``amounts`` (setlinfo names, fen; a
    page asks for those it uses: each is a sum over every cell of the year), named as in
    settlements_frame. Tens of rows whatever the year's number of settlements."""
    rows = aggregates.cell_sums(
        session.connection(),
        scope_codes(session, library, scope),
        scope.year,
        by,
        ("settlements", *amounts),
    )
    schema = {k: CELL_SCHEMA[k] for k in by}
    schema.update({"claims": pl.Int64, **dict.fromkeys(amounts, pl.Int64)})
    return pl.DataFrame(rows, schema=schema, orient="row")


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


def revenue_frame(
    session: Session, library: PolicyLibrary, scope: Scope, codes: list[str]
) -> pl.DataFrame:
    """The fund page's contributions (fund.fund_statement's input) from the register's groups
    (``codes``: register_codes): per (tier, categories) the enrolled persons with a 缴费 record
    (their records' net sums) and those without one (the quote's amounts), each group quoted
    once. The frame has one row per insured person (its height is the insured count), each
    with the fiscal shares of its quote; a group's amounts are carried on its first row, zero
    on the others, so every sum is exact."""
    policy = library.resolve(scope.region, scope.year)
    groups: dict[tuple[int, str, bool], list[int]] = {}
    for tier, categories, persons, paying, _, personal, subsidy in enrollment_aggregates.group_sums(
        session.connection(), codes, scope.year, ("tier", "categories"), enrolled=True
    ):
        if paying:
            groups[(int(tier), categories, True)] = [paying, personal, subsidy]
        if persons - paying:
            groups[(int(tier), categories, False)] = [persons - paying, 0, 0]
    rows = []
    for (tier, categories, done), (n, personal, subsidy) in sorted(groups.items()):
        q = quote(policy, [x for x in categories.split("|") if x], str(tier))
        if not done:
            personal, subsidy = n * q.personal_due, n * q.assistance_subsidy
        shares = q.fiscal_shares
        rows.append(
            (f"{tier}|{categories}|{done}", n, personal, subsidy, q.subsidy_fund or "",
             shares.central, shares.provincial, shares.municipal, shares.county)
        )  # fmt: skip
    schema = {"psn_no": pl.String, "n": pl.Int64, **CONTRIBUTION_SCHEMA}
    grouped = pl.DataFrame(rows, schema=schema, orient="row")
    first = pl.col("i") == 0
    return (
        grouped.with_columns(pl.int_ranges(0, "n").alias("i"))
        .explode("i")
        .with_columns(
            pl.when(first).then("personal_paid").otherwise(0).alias("personal_paid"),
            pl.when(first).then("subsidy").otherwise(0).alias("subsidy"),
        )
        .select(list(CONTRIBUTION_SCHEMA))
        .cast(CONTRIBUTION_SCHEMA)  # type: ignore[arg-type]
    )


CONTRIBUTION_SCHEMA = {
    "psn_no": pl.String,  # a group, not a person
    "personal_paid": pl.Int64,
    "subsidy": pl.Int64,
    "subsidy_fund": pl.String,
    "fiscal_central": pl.Int64,
    "fiscal_provincial": pl.Int64,
    "fiscal_municipal": pl.Int64,
    "fiscal_county": pl.Int64,
}


def payments_by_month(session: Session, scope: Scope, codes: list[str]) -> dict[int, int]:
    """Contributions received (个人缴费 + 资助参保, fen) of the scope's persons (``codes``:
    register_codes) by the month they were paid; month 0 holds what was collected outside the
    year (集中征缴期, a later 补缴). From the register's monthly sums."""
    return enrollment_aggregates.month_sums(session.connection(), codes, scope.year)


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
