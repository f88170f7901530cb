"""A region-year's hospital statement from settled inpatient settlements, as `yibao drg settle`
computes it (the console's 医保支付 page and the fund statement use it): the cases derived from
the claims by yibao.synth.cases when no 病案首页 is held (synthetic, assumed), then
payment.pay_year with the region's parameters and grouping version. Pure: frames in."""

from __future__ import annotations

from typing import Any

import polars as pl

from yibao.drg.params import PaymentParams, _file, payment_params
from yibao.drg.payment import PaymentYear, pay_year
from yibao.engine.fund import InpatientAsPaid

SYNTHETIC = "synthetic (yibao.synth.cases, assumed distributions)"
NEEDED = (
    "setl_id", "certno", "fixmedins_code", "hosp_lv", "setl_time", "begndate", "enddate",
    "med_type", "medfee_sumamt", "hifp_pay",
)  # fmt: skip


def region_method(region: str) -> str | None:
    """drg or dip: the region's payment method (its params file's ``method``), None without one
    (the page and the fund statement then assume CHS-DRG on the national defaults)."""
    value = (_file(region).get("method") or {}).get("value")
    return str(value) if value in ("drg", "dip") else None


def region_params(region: str, method: str) -> PaymentParams:
    """The region's payment parameters; a region without a params file (彭水, the demo county)
    gets the national defaults (000000, every value assumed) and the caller says so
    (``params.region`` is then 000000). A region file with an error stays an error."""
    if _file(region):
        return payment_params(region, method)
    return payment_params("000000", method)


def inpatient_rows(settled: pl.DataFrame) -> pl.DataFrame:
    """The inpatient (21) settlements joined with their derived cases and their month, as the CLI's
    read_rows gives them when no cases file is held."""
    from yibao.synth.cases import simulate_cases

    missing = [c for c in NEEDED if c not in settled.columns]
    if missing:
        raise ValueError(f"settlements: 缺少列 {', '.join(missing)}")
    frame = settled.filter(pl.col("med_type") == "21")
    cases = simulate_cases(frame)
    joined = frame.join(cases, on="setl_id", how="left")
    return joined.with_columns(pl.col("setl_time").dt.month().alias("month"))


def pay_settlements(
    settled: pl.DataFrame,
    region: str,
    year: int,
    *,
    budget_fen: int | None = None,
    method: str | None = None,
) -> tuple[PaymentYear, dict[str, Any]]:
    """The year on points and its JSON document (the CLI's `settle --json` shape)."""
    return pay_rows(inpatient_rows(settled), region, year, budget_fen=budget_fen, method=method)


def pay_rows(
    rows: pl.DataFrame,
    region: str,
    year: int,
    *,
    budget_fen: int | None = None,
    method: str | None = None,
) -> tuple[PaymentYear, dict[str, Any]]:
    """pay_settlements on inpatient_rows' result (kept by a caller that recomputes budgets)."""
    from yibao.cli.drg_cmd import _grouper

    method = method or region_method(region) or "drg"
    params = region_params(region, method)
    grouper, used, plain = _grouper(method, params.table_for(year), None)
    result = pay_year(rows, grouper, params, budget_fen=budget_fen, plain_group=plain)
    doc = {"region": region, "year": year, "method": method, "version": used,
           "params_region": params.region, "cases_source": SYNTHETIC,
           **result.to_json()}  # fmt: skip
    return result, doc


def inpatient_as_paid(result: PaymentYear, method: str) -> InpatientAsPaid:
    """What the fund statement needs: the year's inpatient fund expenditure at claim level and as
    the fund pays it (points × 点值 for the grouped cases, 按项目 for the rest)."""
    hospitals = result.settlement.hospitals
    return InpatientAsPaid(
        method=method,
        claim_level_fen=sum(h.fund_claims_fen for h in hospitals) + result.unpaid_fund_fen,
        by_points_fen=sum(h.payment_fen for h in hospitals),
        by_project_fen=result.unpaid_fund_fen,
        point_value=result.settlement.point_value,
        budget_fen=result.settlement.budget_fen,
    )
