"""The demo pipeline without I/O decisions: simulate → settle → fund statement → warnings → store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine

from yibao.demo.load import load_fund_history, load_year
from yibao.drg.statement import as_paid_for_year
from yibao.engine.fund import FundStatement, fund_statement
from yibao.engine.fund_risk import FundRiskReport, assess, drg_fund_share_bp
from yibao.engine.settlement import settle_year
from yibao.engine.warning import early_warnings
from yibao.money import divide_half_up
from yibao.policy.loader import PolicyLibrary
from yibao.services import reviews
from yibao.services.register import register_records, registered_claims
from yibao.store import enrollment_aggregates, session_factory, transaction
from yibao.synth.calibration import load_calibration
from yibao.synth.county import SyntheticYear, simulate_county

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    year: SyntheticYear
    settlements: pl.DataFrame
    accumulators: pl.DataFrame
    statement: FundStatement
    risk: FundRiskReport
    warnings: pl.DataFrame
    counts: dict[str, int]
    timings: dict[str, float]


def opening_balance_for(expenditure_fen: int, year: int) -> int:
    """A synthetic county has no history: its opening balance is set to the national ratio of
    the previous year's 累计结存 to this year's expenditure (statistics bulletins, in the
    calibration file), so the balance-months indicator is meaningful."""
    calib = load_calibration()
    prev = calib.figure(year - 1, "fund_balance").value
    spent = calib.figure(year, "fund_expenditure").value
    # both in 亿元 with two decimals: work in hundredths to stay in integers
    prev_hundredths: int = round(prev * 100)
    spent_hundredths: int = round(spent * 100)
    return divide_half_up(expenditure_fen * prev_hundredths, spent_hundredths)


def opening_seed_note(year: int) -> str:
    """How the demo's prior-year 累计结存 was seeded (stored with the fund history row)."""
    calib = load_calibration()
    prev = calib.figure(year - 1, "fund_balance")
    spent = calib.figure(year, "fund_expenditure")
    return (
        f"演示种子：按全国{prev.year}年居民医保累计结存{prev.value}亿元÷{spent.year}年基金支出"
        f"{spent.value}亿元的比例推算（{prev.source}；{spent.source}）"
    )


def run_demo(
    region: str,
    year: int,
    persons: int,
    seed: int,
    engine: Engine,
    library: PolicyLibrary,
    step: Step,
    clock: Callable[[], float],
) -> DemoResult:
    timings: dict[str, float] = {}
    t = clock()

    def lap(name: str) -> None:
        nonlocal t
        now = clock()
        timings[name] = now - t
        t = now
        step(name)

    policy = library.resolve(region, year)
    synthetic = simulate_county(region, year, persons, seed, library=library)
    lap("simulate")
    # The register decides: the claims as the enrollments and categories to be stored
    # complete them (a claim they contradict stops the load before anything is written).
    register = register_records(synthetic.persons, synthetic.enrollments, dt.date(year, 1, 1))
    claims = registered_claims(synthetic.claims, register)
    synthetic = dataclasses.replace(synthetic, claims=claims)
    lap("register")
    settlements, accumulators = settle_year(claims, library)
    lap("settle")
    spent = int(settlements["hifp_pay"].sum())
    opening = opening_balance_for(spent, year)
    # 住院: as the fund pays the hospitals (DRG points × 点值), on the national defaults where
    # the region has no DRG/DIP parameters (as the console's 基金 page does).
    as_paid = as_paid_for_year(settlements, claims, region, year, assume_drg=True)
    statement = fund_statement(
        settlements, synthetic.contributions, policy, opening_balance=opening,
        inpatient_as_paid=as_paid,
    )  # fmt: skip
    risk = assess(
        policy,
        statement.revenue,
        statement.expenditure,
        statement.closing_balance or 0,
        drg_fund_share_bp(settlements) if "drg" in settlements.columns else None,
    )
    warnings = early_warnings(settlements, synthetic.persons, policy, as_of=dt.date(year, 12, 31))
    lap("analyse")
    counts = load_year(
        engine, synthetic, settlements, accumulators, warnings, list(policy.meta.files)
    )
    # 预警 and 监管疑点 as the console's stored records (待核实 / 待核查), scanned from the store
    # the way a bureau's 扫描 does it, so both pages open on the year's records (part of the
    # load: the console's records are written).
    with transaction(session_factory(engine)) as session:
        # The register's aggregates of the year the loader wrote (基金, 台账, 目标 read them).
        enrollment_aggregates.rebuild(session.connection(), region, year)
        scanned = reviews.scan(session, library, region, year)
        # 基金: the prior year's 累计结存 (seeded) and this year's figures, as the page reads them.
        counts["fund_years"] = load_fund_history(session, statement, opening_seed_note(year))
    counts["warning_records"] = scanned["warnings"].get("added", 0)
    counts["supervision_records"] = scanned["supervision"].get("added", 0)
    lap("load")
    return DemoResult(
        synthetic, settlements, accumulators, statement, risk, warnings, counts, timings
    )


def summary(result: DemoResult) -> dict[str, Any]:
    return {
        "region": result.year.region,
        "year": result.year.year,
        "persons": result.year.persons.height,
        "claims": result.year.claims.height,
        "fund_statement": result.statement.to_json(),
        "fund_risk": result.risk.to_json(),
        "early_warnings": result.warnings.height,
        "stored_rows": result.counts,
        "seconds": {k: round(v, 2) for k, v in result.timings.items()},
    }
