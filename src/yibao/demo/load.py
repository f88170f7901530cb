"""Bulk-load a settled synthetic year into the store: every table's rows built column-wise as
polars frames and written in one transaction by ``store.frame_write``.

The real-time path (store.ledger.settle) writes one claim per transaction with row locks; a
year of history is loaded here in bulk instead, with the same tables and the same numbers: each
settlement row carries what it consumed, and the loader checks that, per person-year, the sum
of what the settlements consumed equals the accumulators the engine returned. So reversal and
the store's consistency check work on loaded history exactly as on real-time settlements.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yibao.engine.fund import FundStatement
from yibao.engine.running_totals import TOTALS
from yibao.services import fund_history
from yibao.services.payments import default_payment_id
from yibao.store.aggregate_models import AMOUNTS as AGG_AMOUNTS
from yibao.store.aggregate_models import LISTED, AggCell, AggPersonYear, SettlementListing
from yibao.store.audit import Actor
from yibao.store.db import json_dumps
from yibao.store.frame_write import (
    fen_json_text,
    iso_columns,
    json_text,
    ratio_json_text,
    write_frames,
)
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

LOADER = "批量导入"
FUNDS = (("390100", "hifp_pay"), ("390200", "hifmi_pay"), ("610100", "maf_pay"))
# The settled frame's column that names a keyed total's slot (the map key of Accumulators).
SLOT_COLUMNS = {"cap": "cap_group", "pool": "pool"}
ORDER = ("psn_no", "year", "setl_time", "setl_id")  # the engine's settlement order


class LoadError(RuntimeError):
    pass


def _wide_name(total: str, key: str) -> str:
    return f"{total}\x1f{key}"


def _slot_keys(settlements: pl.DataFrame) -> dict[str, list[str]]:
    """Each keyed total's map keys present in the settlements (cap groups, pools), sorted."""
    out: dict[str, list[str]] = {}
    for t in TOTALS:
        if t.keyed:
            column = settlements[SLOT_COLUMNS[t.slot]]
            out[t.name] = sorted(k for k in column.drop_nulls().unique().to_list() if k)
    return out


def _increments(keys: dict[str, list[str]]) -> list[pl.Expr]:
    """What each settlement added to each running total, one column per total and (for the
    keyed totals) per key: the wide form of ``Accumulators``."""
    out = []
    for t in TOTALS:
        value = pl.col(t.increment).fill_null(0).cast(pl.Int64)
        if not t.keyed:
            out.append(value.alias(t.name))
            continue
        slot = pl.col(SLOT_COLUMNS[t.slot])
        out.extend(
            pl.when(slot == k).then(value).otherwise(0).alias(_wide_name(t.name, k))
            for k in keys[t.name]
        )
    return out


def _wide_columns(keys: dict[str, list[str]]) -> list[str]:
    return [
        _wide_name(t.name, k) if t.keyed else t.name
        for t in TOTALS
        for k in (keys[t.name] if t.keyed else [""])
    ]


def _map_json(total: str, keys: list[str]) -> pl.Expr:
    """A keyed total's wide columns as a JSON map: zero entries dropped, keys sorted."""
    entries = [
        pl.when(pl.col(_wide_name(total, k)) != 0).then(
            pl.lit(json.dumps(k, ensure_ascii=False) + ": ")
            + pl.col(_wide_name(total, k)).cast(pl.String)
        )
        for k in keys
    ]
    if not entries:
        return pl.lit("{}")
    inner = pl.concat_str(entries, separator=", ", ignore_nulls=True).fill_null("")
    return pl.lit("{") + inner + pl.lit("}")


def _totals_json(keys: dict[str, list[str]]) -> pl.Expr:
    """The wide totals as ``Accumulators.as_dict()``'s JSON: maps with their zero entries
    dropped, keys sorted, the person-year totals as integers."""
    parts = [
        pl.lit(f'"{t.name}": ')
        + (_map_json(t.name, keys[t.name]) if t.keyed else pl.col(t.name).cast(pl.String))
        for t in TOTALS
    ]
    return pl.lit("{") + pl.concat_str(parts, separator=", ") + pl.lit("}")


def _final_wide(accumulators: pl.DataFrame, keys: dict[str, list[str]]) -> pl.DataFrame:
    """The engine's final accumulators (``accumulators_frame`` layout) in the wide form."""
    columns = []
    for t in TOTALS:
        if not t.keyed:
            columns.append(pl.col(t.name).fill_null(0).cast(pl.Int64))
            continue
        for k in keys[t.name]:
            entry = pl.element().struct.field("name") == k
            columns.append(
                pl.col(t.name)
                .list.eval(pl.element().filter(entry).struct.field("fen"))
                .list.sum()
                .fill_null(0)
                .cast(pl.Int64)
                .alias(_wide_name(t.name, k))
            )
    return accumulators.select("psn_no", pl.col("year").cast(pl.Int64), *columns)


def _all_keys(settlements: pl.DataFrame, accumulators: pl.DataFrame) -> dict[str, list[str]]:
    keys = _slot_keys(settlements)
    for name in keys:
        held = accumulators[name].explode().struct.field("name").drop_nulls().unique().to_list()
        keys[name] = sorted(set(keys[name]) | {k for k in held if k})
    return keys


def check_consumed_matches(settlements: pl.DataFrame, accumulators: pl.DataFrame) -> None:
    """Σ consumed per person-year == the engine's final accumulators, or the load is refused."""
    keys = _all_keys(settlements, accumulators)
    wide = _wide_columns(keys)
    summed = (
        settlements.select("psn_no", pl.col("year").cast(pl.Int64), *_increments(keys))
        .group_by("psn_no", "year")
        .agg(pl.col(c).sum() for c in wide)
    )
    final = _final_wide(accumulators, keys)
    both = summed.join(final, on=["psn_no", "year"], how="full", coalesce=True, suffix="_final")
    differs = pl.any_horizontal(
        pl.col(c).fill_null(0) != pl.col(f"{c}_final").fill_null(0) for c in wide
    )
    bad = both.filter(differs).sort("psn_no", "year")
    if bad.height:
        key = (bad["psn_no"][0], bad["year"][0])
        raise LoadError(f"person-year {key}: settlements do not add up to its accumulators")


def settlement_totals(settlements: pl.DataFrame) -> pl.DataFrame:
    """Per settlement (setl_id): ``consumed``, what it added to its person-year's running
    totals, and ``acc_before``, the totals before it (the sum of what the person-year's earlier
    settlements consumed, in the engine's order), both as the JSON the store keeps. With the
    stored claim, ``acc_before`` is all a settlement needs to be recomputed whole
    (ledger.settlement_document). ``settlements`` must carry setl_time."""
    keys = _slot_keys(settlements)
    wide = _wide_columns(keys)
    increments = settlements.select(
        *(pl.col(c).cast(pl.Int64) if c == "year" else pl.col(c) for c in ORDER), *_increments(keys)
    ).sort(*ORDER)
    consumed = increments.select("setl_id", _totals_json(keys).alias("consumed"))
    before = increments.select(
        "setl_id",
        *((pl.col(c).cum_sum() - pl.col(c)).over("psn_no", "year").alias(c) for c in wide),
    ).select("setl_id", _totals_json(keys).alias("acc_before"))
    return consumed.join(before, on="setl_id")


def aggregate_frames(
    settlements: pl.DataFrame, claims: pl.DataFrame, year: SyntheticYear
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The stored aggregates of the loaded settlements (agg_cells, agg_person_year and
    settlement_listing rows), keyed as store.aggregates keys them: the claim's med_type,
    hosp_lv and categories, the month of setl_time, the household's 乡镇; summed by polars."""
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
    return cells, person_years, listing


def _fen(column: str) -> pl.Expr:
    return pl.col(column).fill_null(0).cast(pl.Int64)


def _documents(region: str, year: int, files: list[str]) -> pl.Expr:
    """The stored settlement document of a bulk-loaded settlement (its setlinfo and the three
    funds' setldetail, amounts as ``fen_to_json`` writes them; no explanation: a loaded
    settlement is explained when it is opened), as JSON text."""
    amounts = [pl.lit(f'"{k}": ') + fen_json_text(_fen(k)) for k in SETLINFO_FEN]
    names = json_text(
        pl.col("setl_id"),
        pl.col("psn_no"),
        pl.lit("390").alias("insutype"),
        pl.col("med_type"),
        pl.lit(region).alias("insuplc_admdvs"),
    )
    setlinfo = pl.concat_str(
        pl.lit("{"),
        pl.concat_str(amounts, separator=", "),
        pl.lit(", "),
        names.str.strip_prefix("{").str.strip_suffix("}"),
        pl.lit(', "pool_prop_selfpay": '),
        ratio_json_text(_fen("pool_prop_selfpay")),
        pl.lit("}"),
    )
    detail = pl.concat_str(
        [
            pl.lit(f'{{"fund_pay_type": "{code}", "fund_payamt": ')
            + fen_json_text(_fen(col))
            + pl.lit("}")
            for code, col in FUNDS
        ],
        separator=", ",
    )
    rest = json.dumps(
        {"explanation": [], "policy": {"region": region, "year": year, "files": files},
         "loaded_in_bulk": True},
        ensure_ascii=False,
    )  # fmt: skip
    return pl.concat_str(
        pl.lit('{"setlinfo": '), setlinfo, pl.lit(', "setldetail": ['), detail,
        pl.lit("], " + rest[1:]),
    )  # fmt: skip


def _claim_rows(claims: pl.DataFrame) -> pl.DataFrame:
    """The stored claims: each claim row as JSON, dates as ISO text."""
    rows = iso_columns(claims)
    return claims.select(
        "setl_id",
        "psn_no",
        pl.col("setl_time").dt.year().cast(pl.Int64).alias("year"),
        pl.lit("").alias("digest"),
    ).with_columns(rows.select(json_text(*(pl.col(c) for c in rows.columns)).alias("row")))


def _settlement_rows(
    settled: pl.DataFrame, totals: pl.DataFrame, year: SyntheticYear, files: list[str]
) -> pl.DataFrame:
    return settled.join(totals, on="setl_id", how="left", maintain_order="left").select(
        "setl_id",
        pl.col("setl_id").alias("mdtrt_id"),
        "psn_no",
        pl.col("year").cast(pl.Int64),
        pl.lit(year.region).alias("insuplc_admdvs"),
        "setl_time",
        *(_fen(k) for k in SETLINFO_FEN),
        ratio_json_text(_fen("pool_prop_selfpay")).alias("pool_prop_selfpay"),
        _documents(year.region, year.year, files).alias("document"),
        "acc_before",
        pl.lit("{}").alias("acc_after"),
        "consumed",
        pl.lit("settled").alias("status"),
        pl.lit(LOADER).alias("created_by"),
    )


def _setldetail_rows(settled: pl.DataFrame) -> pl.DataFrame:
    """Three setldetail rows per settlement (基本医保, 大病保险, 医疗救助), settlement by settlement."""
    parts = [
        settled.select(
            pl.int_range(pl.len()).alias("_order"),
            pl.lit(i).alias("_fund"),
            "setl_id",
            pl.lit(code).alias("fund_pay_type"),
            _fen(col).alias("fund_payamt"),
            _fen("inscp_scp_amt").alias("inscp_scp_amt"),
            pl.lit(None, pl.Int64).alias("crt_payb_lmt_amt"),
            pl.lit(LOADER).alias("setl_proc_info"),
        )
        for i, (code, col) in enumerate(FUNDS)
    ]
    return pl.concat(parts).sort("_order", "_fund").drop("_order", "_fund")


def _accumulator_rows(settlements: pl.DataFrame, accumulators: pl.DataFrame) -> pl.DataFrame:
    keys = _all_keys(settlements, accumulators)
    final = _final_wide(accumulators, keys)
    counts = settlements.group_by("psn_no", pl.col("year").cast(pl.Int64)).agg(
        pl.len().cast(pl.Int64).alias("settlements")
    )
    return (
        final.join(counts, on=["psn_no", "year"], how="left", maintain_order="left")
        .with_columns(pl.col("settlements").fill_null(0))
        .select(
            "psn_no",
            "year",
            *(
                _map_json(t.name, keys[t.name]).alias(t.name) if t.keyed else pl.col(t.name)
                for t in TOTALS
            ),
            "settlements",
        )
    )


def _frames(
    year: SyntheticYear,
    settlements: pl.DataFrame,
    accumulators: pl.DataFrame,
    warnings: pl.DataFrame,
    policy_files: list[str],
) -> list[tuple[Any, pl.DataFrame]]:
    """Every table's rows of the year, as frames (``store.frame_write``)."""
    persons = year.persons
    begin = dt.date(year.year, 1, 1)
    resident = year.enrollments.filter(pl.col("insutype") == "390").unique(
        ["psn_no", "year"], keep="first", maintain_order=True
    )
    tiers = persons.select("psn_no", pl.col("tier").fill_null(1).cast(pl.Int64))
    paying = year.contributions.select(
        "psn_no", "subsidy_category", "subsidy_fund",
        "supplement_product", "supplement_subsidy", "supplement_fund",
    )  # fmt: skip
    claims = year.claims
    settled = settlements.join(
        claims.select("setl_id", "setl_time"), on="setl_id", how="left", maintain_order="left"
    )
    cells, person_years, listing = aggregate_frames(settlements, claims, year)
    subsidised = pl.col("subsidy").fill_null(0) != 0
    payment_ids = pl.Series(
        "payment_id",
        [default_payment_id(p, y) for p, y in resident.select("psn_no", "year").iter_rows()],
        dtype=pl.String,
    )
    supplemented = pl.col("supplement_subsidy").fill_null(0) != 0
    return [
        (Household, year.households.select(
            pl.col("household_id").alias("hh_id"), pl.col("insuplc_admdvs").alias("admdvs"),
            pl.col("township").alias("addr"))),
        (Person, persons.select(
            "psn_no", "certno", pl.col("name").alias("psn_name"), pl.col("sex").alias("gend"),
            pl.col("birth_date").alias("brdy"), "insuplc_admdvs",
            pl.col("household_id").alias("hh_id"))),
        (PersonCategory, persons.select(
            "psn_no", pl.col("categories").fill_null("").str.split("|").alias("category"))
            .explode("category").filter(pl.col("category") != "")
            .with_columns(pl.lit(begin).alias("begin_date"),
                          pl.lit(None, pl.Date).alias("end_date"))),
        (Enrollment, resident.join(tiers, on="psn_no", how="left", maintain_order="left").select(
            "psn_no", pl.col("year").cast(pl.Int64), pl.col("admdvs").alias("insuplc_admdvs"),
            pl.col("tier").fill_null(1), pl.col("paid_date").alias("enrolled_on"),
            pl.col("begin").alias("coverage_begin"), pl.col("end").alias("coverage_end"),
            pl.col("event").alias("situation"), pl.col("event").alias("coverage_rule"),
            pl.lit("enrolled").alias("status"))),
        (ContributionPayment, resident.join(paying, on="psn_no", how="left",
                                            maintain_order="left").select(
            payment_ids,
            "psn_no", pl.col("year").cast(pl.Int64), pl.lit("缴费").alias("kind"),
            "personal_paid", pl.col("subsidy").alias("assistance_subsidy"),
            pl.when(subsidised).then(pl.col("subsidy_fund").fill_null("")).otherwise(pl.lit(""))
            .alias("subsidy_fund"),
            pl.when(pl.col("subsidy_category") != "").then(pl.col("subsidy_category"))
            .alias("applied_category"),
            pl.col("personal_paid").alias("quoted_personal"),
            pl.col("subsidy").alias("quoted_subsidy"),
            pl.col("supplement_product").fill_null(""),
            pl.col("supplement_subsidy").fill_null(0),
            pl.when(supplemented).then(pl.col("supplement_fund").fill_null(""))
            .otherwise(pl.lit("")).alias("supplement_fund"),
            pl.lit("").alias("reason"), pl.lit(None, pl.String).alias("refers_to"),
            pl.col("paid_date").alias("paid_on"), pl.lit("税务征收").alias("channel"),
            pl.lit(LOADER).alias("created_by"))),
        (Claim, _claim_rows(claims)),
        # The settlements and the aggregates they add to, in the same transaction.
        (Settlement, _settlement_rows(settled, settlement_totals(settled), year, policy_files)),
        (AggCell, cells),
        (AggPersonYear, person_years),
        (SettlementListing, listing),
        (SetlDetail, _setldetail_rows(settled)),
        (Accumulator, _accumulator_rows(settlements, accumulators)),
        (Warning, warnings.select(
            "psn_no", pl.lit(year.year).alias("year"), pl.col("basis").alias("kind"),
            pl.col("psn_part_amt").alias("amount"), "threshold",
            pl.Series("detail", [json_dumps(
                {"township": r["township"], "categories": r["categories"],
                 "claims": [str(c) for c in r["top_claims"] or []]})
                for r in warnings.iter_rows(named=True)], dtype=pl.String),
            pl.lit("open").alias("status"))),
    ]  # fmt: skip


def load_year(
    engine: Engine,
    year: SyntheticYear,
    settlements: pl.DataFrame,
    accumulators: pl.DataFrame,
    warnings: pl.DataFrame,
    policy_files: list[str],
) -> dict[str, int]:
    """Write the whole year in one transaction (every row or none); returns row counts per
    table. Refused (nothing written) when the settlements do not add up to the accumulators."""
    check_consumed_matches(settlements, accumulators)
    tables = _frames(year, settlements, accumulators, warnings, policy_files)
    counts = write_frames(engine, tables)
    return {table.__tablename__: n for (table, _), n in zip(tables, counts, strict=True)}


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
