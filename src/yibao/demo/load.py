"""Bulk-load a settled synthetic year into the store (SQLAlchemy Core, executemany in chunks).

The real-time path (store.ledger.settle) writes one claim per transaction with row locks; a
year of history is loaded here in bulk instead, with the same tables and the same numbers: each
settlement row carries what it consumed, and the loader checks that, per person-year, the sum
of what the settlements consumed equals the accumulators the engine returned. So reversal and
the store's consistency check work on loaded history exactly as on real-time settlements.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

import polars as pl
from sqlalchemy import JSON, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yibao.engine.fund import FundStatement
from yibao.engine.settlement import Accumulators, accumulators_from_frame
from yibao.money import fen_to_json
from yibao.services import fund_history
from yibao.services.payments import default_payment_id
from yibao.store.aggregate_models import AMOUNTS as AGG_AMOUNTS
from yibao.store.aggregate_models import LISTED, AggCell, AggPersonYear, SettlementListing
from yibao.store.audit import Actor
from yibao.store.models import (
    SETLINFO_FEN,
    Accumulator,
    Claim,
    ContributionPayment,
    Enrollment,
    Household,
    Person,
    PersonCategory,
    SetlDetail,
    Settlement,
    Warning,
)
from yibao.synth.county import SyntheticYear

CHUNK = 5_000
LOADER = "批量导入"
FUNDS = (("390100", "hifp_pay"), ("390200", "hifmi_pay"), ("610100", "maf_pay"))


class LoadError(RuntimeError):
    pass


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_value(value: Any, column: Any) -> Any:
    """A Python value as SQLAlchemy's SQLite dialect stores it (so the ORM reads it back)."""
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _defaults(table: Any) -> dict[str, Any]:
    out = {}
    for column in table.__table__.columns:
        default = column.default
        if default is not None:
            out[column.name] = default
    return out


def _insert(engine: Engine, table: Any, rows: Iterable[dict[str, Any]]) -> int:
    """Bulk insert of one table in a transaction of its own (``_insert_together``)."""
    return _insert_together(engine, [(table, rows)])[0]


def _insert_together(
    engine: Engine, tables: list[tuple[Any, Iterable[dict[str, Any]]]]
) -> list[int]:
    """Bulk insert of several tables in ONE transaction (rows counted per table). On SQLite
    straight through the DBAPI's executemany (SQLAlchemy's per-row parameter processing costs
    more than the insert), values stored the way the dialect stores them; elsewhere
    SQLAlchemy Core executemany."""
    counts: list[int] = []
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            for table, rows in tables:
                count = 0
                for batch in _chunks(rows):
                    conn.execute(insert(table), batch)
                    count += len(batch)
                counts.append(count)
        return counts
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        for table, rows in tables:
            counts.append(_sqlite_executemany(cur, table, rows))
        cur.execute("COMMIT")
    except BaseException:
        raw.cursor().execute("ROLLBACK")
        raise
    finally:
        raw.close()
    return counts


def _sqlite_executemany(cur: Any, table: Any, rows: Iterable[dict[str, Any]]) -> int:
    columns = {c.name: c for c in table.__table__.columns}
    defaults = _defaults(table)
    names: list[str] | None = None
    count = 0
    for batch in _chunks(rows):
        if names is None:
            names = list(batch[0]) + [n for n in defaults if n not in batch[0]]
            sql = (
                f"INSERT INTO {table.__tablename__} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})"
            )
        params = []
        for row in batch:
            values = []
            for name in names:
                if name in row:
                    value = row[name]
                else:
                    d = defaults[name]
                    value = d.arg(None) if d.is_callable else d.arg
                values.append(_sqlite_value(value, columns[name]))
            params.append(values)
        cur.executemany(sql, params)
        count += len(batch)
    return count


def aggregate_frames(
    settlements: pl.DataFrame, claims: pl.DataFrame, year: SyntheticYear
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The stored aggregates of the loaded settlements (agg_cells, agg_person_year and
    settlement_listing rows),
    keyed as store.aggregates keys them: the claim's med_type, hosp_lv and categories, the
    month of setl_time, the household's 乡镇; summed by polars (one pass, no Python loop)."""
    keys = claims.select(
        "setl_id",
        pl.col("med_type").cast(pl.String).fill_null("").alias("claim_med_type"),
        pl.col("hosp_lv").cast(pl.String).fill_null(""),
        pl.col("categories").cast(pl.String).fill_null(""),
        pl.col("setl_time").dt.month().cast(pl.Int64).alias("month"),
    )
    towns = year.persons.select("psn_no", "household_id").join(
        year.households.select(
            "household_id",
            pl.col("township").cast(pl.String).fill_null("").str.strip_chars(),
        ),
        on="household_id",
        how="left",
    )
    amounts = [pl.col(a).fill_null(0).cast(pl.Int64).sum() for a in AGG_AMOUNTS]
    sums = [
        pl.len().cast(pl.Int64).alias("settlements"),
        *amounts,
        pl.col("critical_eligible_delta").fill_null(0).cast(pl.Int64).sum()
        .alias("critical_eligible"),
    ]  # fmt: skip
    frame = (
        settlements.select("setl_id", "psn_no", pl.col("year").cast(pl.Int64), *AGG_AMOUNTS,
                           "critical_eligible_delta")
        .join(keys, on="setl_id", how="left")
        .join(towns.select("psn_no", "township"), on="psn_no", how="left")
        .with_columns(
            pl.col("township").fill_null(""),
            pl.lit(year.region).alias("insuplc_admdvs"),
            pl.col("claim_med_type").alias("med_type"),
        )
    )  # fmt: skip
    cells = frame.group_by(
        "insuplc_admdvs", "year", "township", "categories", "month", "med_type", "hosp_lv"
    ).agg(sums)
    person_years = frame.group_by("psn_no", "year", "insuplc_admdvs").agg(sums)
    listing = settlements.select(
        "setl_id", "psn_no", pl.col("year").cast(pl.Int64), *LISTED
    ).join(
        claims.select(
            "setl_id", "setl_time",
            pl.col("med_type").cast(pl.String).fill_null(""),
            pl.col("fixmedins_code").cast(pl.String).fill_null(""),
        ),
        on="setl_id", how="left",
    ).with_columns(
        pl.lit(year.region).alias("insuplc_admdvs"),
        pl.lit("settled").alias("status"),
        *(pl.col(a).fill_null(0).cast(pl.Int64) for a in LISTED),
    )  # fmt: skip
    return cells.to_dicts(), person_years.to_dicts(), listing.to_dicts()


def _consumed(row: dict[str, Any]) -> dict[str, Any]:
    """What one settlement added to the person-year's running totals (fen)."""
    pool_paid = {row["cap_group"]: row["hifp_pay"]} if row["hifp_pay"] else {}
    ded = {row["pool"]: row["deductible_used_delta"]} if row["deductible_used_delta"] else {}
    return {
        "pool_paid": pool_paid,
        "deductible_used": ded,
        "critical_eligible": row["critical_eligible_delta"],
        "critical_paid": row["hifmi_pay"],
        "assistance_eligible": row["assistance_eligible_delta"],
        "assistance_paid": row["maf_pay"],
    }


def check_consumed_matches(
    settlements: pl.DataFrame, final: dict[tuple[str, int], Accumulators]
) -> None:
    """Σ consumed per person-year == the engine's final accumulators, or the load is refused."""
    sums: dict[tuple[str, int], Accumulators] = {}
    for row in settlements.iter_rows(named=True):
        key = (row["psn_no"], int(row["year"]))
        c = _consumed(row)
        sums[key] = sums.get(key, Accumulators.empty()).plus(Accumulators(**c))
    for key in set(sums) | set(final):
        if sums.get(key, Accumulators.empty()) != final.get(key, Accumulators.empty()):
            raise LoadError(f"person-year {key}: settlements do not add up to its accumulators")


def totals_before(
    settled: list[dict[str, Any]], times: dict[str, dt.datetime]
) -> dict[str, Accumulators]:
    """Each settlement's person-year totals before it: the sum of what the settlements before
    it consumed, in the engine's order (person, settle time, setl_id). With the stored claim
    this is all a settlement needs to be recomputed whole (ledger.settlement_document)."""
    order = sorted(
        settled, key=lambda r: (r["psn_no"], r["year"], times[r["setl_id"]], r["setl_id"])
    )
    out: dict[str, Accumulators] = {}
    running: dict[tuple[str, int], Accumulators] = {}
    for r in order:
        key = (r["psn_no"], int(r["year"]))
        acc = running.get(key, Accumulators.empty())
        out[r["setl_id"]] = acc
        running[key] = acc.plus(Accumulators(**_consumed(r)))
    return out


def _setlinfo_document(
    row: dict[str, Any], region: str, year: int, files: list[str]
) -> dict[str, Any]:
    info = {k: fen_to_json(int(row[k] or 0)) for k in SETLINFO_FEN}
    info.update(
        setl_id=row["setl_id"],
        psn_no=row["psn_no"],
        insutype="390",
        med_type=row["med_type"],
        insuplc_admdvs=region,
        pool_prop_selfpay=int(row["pool_prop_selfpay"] or 0) / 10_000,
    )
    return {
        "setlinfo": info,
        "setldetail": [
            {"fund_pay_type": code, "fund_payamt": fen_to_json(int(row[col] or 0))}
            for code, col in FUNDS
        ],
        "explanation": [],
        "policy": {"region": region, "year": year, "files": files},
        "loaded_in_bulk": True,
    }


def _json_row(claim: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in claim.items()
    }


def load_year(
    engine: Engine,
    year: SyntheticYear,
    settlements: pl.DataFrame,
    accumulators: pl.DataFrame,
    warnings: pl.DataFrame,
    policy_files: list[str],
) -> dict[str, int]:
    """Write the whole year; returns row counts per table."""
    final = accumulators_from_frame(accumulators)
    check_consumed_matches(settlements, final)
    counts: dict[str, int] = {}
    counts["households"] = _insert(
        engine,
        Household,
        ({"hh_id": r["household_id"], "admdvs": r["insuplc_admdvs"], "addr": r["township"]}
         for r in year.households.iter_rows(named=True)),
    )  # fmt: skip
    persons = year.persons
    counts["persons"] = _insert(
        engine,
        Person,
        ({"psn_no": r["psn_no"], "certno": r["certno"], "psn_name": r["name"], "gend": r["sex"],
          "brdy": r["birth_date"], "insuplc_admdvs": r["insuplc_admdvs"], "hh_id": r["household_id"]}
         for r in persons.iter_rows(named=True)),
    )  # fmt: skip
    begin = dt.date(year.year, 1, 1)
    counts["person_categories"] = _insert(
        engine,
        PersonCategory,
        ({"psn_no": r["psn_no"], "category": c, "begin_date": begin, "end_date": None}
         for r in persons.select("psn_no", "categories").iter_rows(named=True)
         for c in (r["categories"] or "").split("|") if c),
    )  # fmt: skip
    resident = year.enrollments.filter(pl.col("insutype") == "390")
    tiers = dict(persons.select("psn_no", "tier").iter_rows())
    counts["enrollments"] = _insert(
        engine,
        Enrollment,
        ({"psn_no": r["psn_no"], "year": r["year"], "insuplc_admdvs": r["admdvs"],
          "tier": int(tiers.get(r["psn_no"], 1)), "enrolled_on": r["paid_date"],
          "coverage_begin": r["begin"], "coverage_end": r["end"], "situation": r["event"],
          "coverage_rule": r["event"], "status": "enrolled"}
         for r in resident.unique(["psn_no", "year"], keep="first").iter_rows(named=True)),
    )  # fmt: skip
    paying = year.contributions.select(
        "psn_no", "subsidy_category", "subsidy_fund",
        "supplement_product", "supplement_subsidy", "supplement_fund",
    )  # fmt: skip
    counts["contribution_payments"] = _insert(
        engine,
        ContributionPayment,
        ({"payment_id": default_payment_id(r["psn_no"], r["year"]), "psn_no": r["psn_no"],
          "year": r["year"], "kind": "缴费", "personal_paid": r["personal_paid"],
          "assistance_subsidy": r["subsidy"],
          "subsidy_fund": (r["subsidy_fund"] or "") if r["subsidy"] else "",
          "applied_category": r["subsidy_category"] or None,
          "quoted_personal": r["personal_paid"], "quoted_subsidy": r["subsidy"],
          "supplement_product": r["supplement_product"] or "",
          "supplement_subsidy": r["supplement_subsidy"] or 0,
          "supplement_fund": (r["supplement_fund"] or "") if r["supplement_subsidy"] else "",
          "reason": "",
          "refers_to": None, "paid_on": r["paid_date"], "channel": "税务征收",
          "created_by": LOADER}
         for r in resident.unique(["psn_no", "year"], keep="first")
         .join(paying, on="psn_no", how="left").iter_rows(named=True)),
    )  # fmt: skip
    claims = year.claims
    counts["claims"] = _insert(
        engine,
        Claim,
        ({"setl_id": r["setl_id"], "psn_no": r["psn_no"], "year": r["setl_time"].year,
          "digest": "", "row": _json_row(r)} for r in claims.iter_rows(named=True)),
    )  # fmt: skip
    times = dict(claims.select("setl_id", "setl_time").iter_rows())
    settled = settlements.to_dicts()
    before = totals_before(settled, times)
    agg_cells, agg_person_years, listing = aggregate_frames(settlements, claims, year)
    # The settlements and the aggregates they add to, in one transaction (as every write path).
    (
        counts["settlements"],
        counts["agg_cells"],
        counts["agg_person_year"],
        counts["settlement_listing"],
    ) = _insert_together(
        engine,
        [(Settlement,
        ({"setl_id": r["setl_id"], "mdtrt_id": r["setl_id"], "psn_no": r["psn_no"],
          "year": r["year"], "insuplc_admdvs": year.region, "setl_time": times[r["setl_id"]],
          **{k: int(r[k] or 0) for k in SETLINFO_FEN},
          "pool_prop_selfpay": str(int(r["pool_prop_selfpay"] or 0) / 10_000),
          "document": _setlinfo_document(r, year.region, year.year, policy_files),
          "acc_before": before[r["setl_id"]].as_dict(), "acc_after": {},
          "consumed": _consumed(r), "status": "settled", "created_by": LOADER}
         for r in settled)),
         (AggCell, agg_cells), (AggPersonYear, agg_person_years),
         (SettlementListing, listing)],
    )  # fmt: skip
    counts["setldetail"] = _insert(
        engine,
        SetlDetail,
        ({"setl_id": r["setl_id"], "fund_pay_type": code, "fund_payamt": int(r[col] or 0),
          "inscp_scp_amt": int(r["inscp_scp_amt"] or 0), "crt_payb_lmt_amt": None,
          "setl_proc_info": LOADER} for r in settled for code, col in FUNDS),
    )  # fmt: skip
    per_person = settlements.group_by("psn_no", "year").len("n")
    n_by = {(p, y): n for p, y, n in per_person.iter_rows()}
    counts["accumulators"] = _insert(
        engine,
        Accumulator,
        ({"psn_no": psn, "year": yr, **acc.as_dict(), "settlements": n_by.get((psn, yr), 0)}
         for (psn, yr), acc in final.items()),
    )  # fmt: skip
    counts["warnings"] = _insert(
        engine,
        Warning,
        ({"psn_no": r["psn_no"], "year": year.year, "kind": r["basis"], "amount": r["psn_part_amt"],
          "threshold": r["threshold"],
          "detail": json.loads(json.dumps({"township": r["township"], "categories": r["categories"],
                                           "claims": list(r["top_claims"] or [])}, default=str)),
          "status": "open"} for r in warnings.iter_rows(named=True)),
    )  # fmt: skip
    return counts


DEMO_ACTOR = Actor("yibao demo", "管理")


def load_fund_history(session: Session, statement: FundStatement, seed_note: str) -> int:
    """The demo's fund history (issue 16): the prior year's 累计结存 seeded from the statistics
    bulletin (``seed_note`` says how), and the demo year as its statement computes it (opening
    balance, revenue, expenditure, closing balance). The 基金 page opens the year on it."""
    if statement.opening_balance is None:
        raise LoadError("fund statement: the demo year needs its opening balance")
    fund_history.record_year(
        session,
        DEMO_ACTOR,
        statement.region,
        statement.year - 1,
        closing_balance=statement.opening_balance,
        source="demo",
        note=seed_note,
    )
    fund_history.record_statement(
        session, DEMO_ACTOR, statement, note="演示年度：按库中结算与缴费计算"
    )
    return 2
