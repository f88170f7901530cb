"""A region-year's hospital statement from settled inpatient settlements, as `yibao drg settle`
computes it (the console's 医保支付 page, the fund statements of `yibao batch settle`, `yibao
monitor fund` and the demo use it): the cases from the claims' own 病案首页 columns, or derived
by yibao.synth.cases when the claims carry none (synthetic, assumed; drg.claim_cases), then
payment.pay_year with the region's parameters and grouping version. Pure: frames in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from yibao.claims import CASE_FIELDS
from yibao.drg.claim_cases import SYNTHETIC, with_cases
from yibao.drg.groupers import grouper_for
from yibao.drg.params import PaymentParams, _file, payment_params
from yibao.drg.payment import PaymentYear, pay_year
from yibao.engine.fund import InpatientAsPaid

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


def settled_inpatient(
    settlements: pl.DataFrame,
    claims: pl.DataFrame,
    region: str,
    year: int,
    codes: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The region-year's covered inpatient (21) settlements (setl_id, medfee_sumamt, hifp_pay;
    ``covered`` where present) joined with their claims (insuplc_admdvs in ``codes``, default
    the region's own code; settled in ``year``): NEEDED plus psn_no and the claims' 病案首页
    columns where they have them."""
    need = {"setl_id", "med_type", "medfee_sumamt", "hifp_pay"}
    if not need <= set(settlements.columns):
        raise ValueError(
            f"settlements: 缺少列 {', '.join(sorted(need - set(settlements.columns)))}"
        )
    amounts = ("medfee_sumamt", "hifp_pay")
    from_claims = [c for c in (*NEEDED, "insuplc_admdvs") if c not in amounts]
    lacking = [c for c in from_claims if c not in claims.columns]
    if lacking:
        raise ValueError(f"claims: 缺少列 {', '.join(lacking)}")
    s = settlements.filter(pl.col("covered")) if "covered" in settlements.columns else settlements
    c = claims.filter(
        pl.col("insuplc_admdvs").is_in(list(codes or (region,))) & (pl.col("med_type") == "21")
        & (pl.col("setl_time").dt.year() == year)
    )  # fmt: skip
    wanted = [c for c in (*from_claims, "psn_no", *CASE_FIELDS) if c in claims.columns]
    return (
        s.filter(pl.col("med_type") == "21")
        .select("setl_id", *amounts)
        .join(
            c.select(wanted),
            on="setl_id",
            how="inner",
            maintain_order="left",
        )
    )


def as_paid_for_year(
    settlements: pl.DataFrame,
    claims: pl.DataFrame,
    region: str,
    year: int,
    *,
    codes: Sequence[str] | None = None,
    assume_drg: bool = False,
) -> InpatientAsPaid | None:
    """The fund statement's inpatient line as the fund pays it (engine.fund.fund_statement's
    ``inpatient_as_paid``) for a region-year from its settlements (settle_year's frame or the
    batch output) and claims: None where the region does not pay by DRG/DIP (no params file,
    region_method) unless ``assume_drg`` (then CHS-DRG on the national defaults, as the console
    does), and None when the year has no settled inpatient case. ``codes``: the 参保地 codes of
    the region's claims (default the region's own). Budget: the params' budget_rule."""
    method = region_method(region)
    if method is None and not assume_drg:
        return None
    settled = settled_inpatient(settlements, claims, region, year, codes)
    if settled.height == 0:
        return None
    result, doc = pay_settlements(settled, region, year, method=method or "drg")
    return inpatient_as_paid(result, doc["method"])


def inpatient_rows(settled: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The inpatient (21) settlements joined with their cases and their month, as the CLI's
    read_rows gives them when no cases file is held; and where the cases come from (the
    claims' 病案首页 columns, or derived: drg.claim_cases)."""
    missing = [c for c in NEEDED if c not in settled.columns]
    if missing:
        raise ValueError(f"settlements: 缺少列 {', '.join(missing)}")
    joined, source = with_cases(settled.filter(pl.col("med_type") == "21"))
    return joined.with_columns(pl.col("setl_time").dt.month().alias("month")), source


def pay_settlements(
    settled: pl.DataFrame,
    region: str,
    year: int,
    *,
    budget_fen: int | None = None,
    method: str | None = None,
) -> tuple[PaymentYear, dict[str, Any]]:
    """The year on points and its JSON document (the CLI's `settle --json` shape)."""
    rows, source = inpatient_rows(settled)
    return pay_rows(rows, region, year, budget_fen=budget_fen, method=method, cases_source=source)


def pay_rows(
    rows: pl.DataFrame,
    region: str,
    year: int,
    *,
    budget_fen: int | None = None,
    method: str | None = None,
    cases_source: str = SYNTHETIC,
) -> tuple[PaymentYear, dict[str, Any]]:
    """pay_settlements on inpatient_rows' result (kept by a caller that recomputes budgets)."""
    method = method or region_method(region) or "drg"
    params = region_params(region, method)
    grouper, used, plain = grouper_for(method, params.table_for(year), None)
    result = pay_year(rows, grouper, params, budget_fen=budget_fen, plain_group=plain)
    doc = {"region": region, "year": year, "method": method, "version": used,
           "params_region": params.region, "cases_source": cases_source,
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
