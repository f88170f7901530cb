"""The register as the authority for claims settled in bulk (a year of history loaded into the
store, a batch run against it): every claim is completed by the same rule as a real-time
settlement (engine.register.complete_claim), and a claim the register contradicts is refused.

The register here is given as frames (persons with their categories, 390 enrollments with
coverage dates), the tables the loader writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from yibao.engine.register import (
    CategoryRecord,
    EnrollmentRecord,
    RegisterError,
    RegisterRecord,
    complete_claim,
)

RESIDENT = "390"
SHOWN_REFUSALS = 5


class RegisterRefusal(ValueError):
    """Claims the register contradicts; the message lists the first of them."""


def register_records(
    persons: pl.DataFrame, enrollments: pl.DataFrame, categories_from: dt.date
) -> dict[str, RegisterRecord]:
    """RegisterRecords of ``persons`` (psn_no, certno, categories "a|b" valid from
    ``categories_from``) with their 390 ``enrollments`` (psn_no, year, admdvs, tier, paid_date,
    begin, end, event)."""
    records = {
        r["psn_no"]: RegisterRecord(
            r["psn_no"],
            r["certno"],
            categories=[
                CategoryRecord(c, categories_from) for c in (r["categories"] or "").split("|") if c
            ],
        )
        for r in persons.select("psn_no", "certno", "categories").iter_rows(named=True)
    }
    resident = enrollments.filter(pl.col("insutype") == RESIDENT)
    tiers = dict(persons.select("psn_no", "tier").iter_rows())
    for r in resident.unique(["psn_no", "year"], keep="first").iter_rows(named=True):
        record = records.get(r["psn_no"])
        if record is None:
            continue
        record.enrollments[int(r["year"])] = EnrollmentRecord(
            year=int(r["year"]),
            insuplc_admdvs=r["admdvs"],
            tier=int(tiers.get(r["psn_no"], 1)),
            enrolled_on=r["paid_date"],
            coverage_begin=r["begin"],
            coverage_end=r["end"],
            coverage_rule=r["event"] or "",
        )
    return records


def registered_claims(claims: pl.DataFrame, register: dict[str, RegisterRecord]) -> pl.DataFrame:
    """``claims`` (CLAIM_SCHEMA) as the register completes them, in the same order; raises
    RegisterRefusal naming the refused claims (and their number) if any is refused."""
    completed: list[dict[str, object]] = []
    refused: list[str] = []
    for row in claims.iter_rows(named=True):
        record = register.get(row["psn_no"])
        if record is None:
            refused.append(f"{row['setl_id']}: psn_no: 登记中无此人员")
            continue
        try:
            claim, _ = complete_claim(row, record)
        except RegisterError as exc:
            refused.append(f"{row['setl_id']}: {exc}")
            continue
        completed.append(claim)
    if refused:
        raise RegisterRefusal(_refusals(refused))
    return pl.DataFrame(completed, schema=claims.schema)


def _refusals(refused: Iterable[str]) -> str:
    items = list(refused)
    shown = "；".join(items[:SHOWN_REFUSALS])
    return f"{len(items)} 笔结算与参保登记不符，未导入：{shown}"
