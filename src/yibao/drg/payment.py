"""From settled inpatient claims with their cases to the hospitals' year (pure: frames in,
results out): group every case, price the groups from the cases' costs, give each case its
points, then settle the year (settlement.settle_year)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from yibao.drg.case import Case, CaseError, parse_case
from yibao.drg.grouping import GROUPED, GroupResult
from yibao.drg.params import PaymentParams
from yibao.drg.points import CasePoints, base_points, case_points
from yibao.drg.settlement import PaidCase, YearSettlement, points_json, settle_year
from yibao.drg.supervision import PricedCase, scan
from yibao.money import fen_to_json, round_ratio

Grouper = Callable[[Case], GroupResult]
REQUIRED = (
    "setl_id", "fixmedins_code", "hosp_lv", "month", "medfee_sumamt", "hifp_pay",
    "gend", "age", "los", "leaving_type", "diagnoses", "procedures",
)  # fmt: skip


@dataclass(frozen=True)
class PaymentYear:
    settlement: YearSettlement
    grouped: int
    ambiguous: int
    ungrouped: int
    by_kind: dict[str, int]
    groups: dict[str, dict[str, Any]]  # group → cases, base points
    unpaid_by_points: list[dict[str, Any]]  # 未入组 / 歧义组 cases (paid 按项目), with reasons
    unpaid_fund_fen: int  # what the fund paid 按项目 on them (their hifp_pay)
    hits: list[dict[str, Any]]  # DRG01 高套分组, DRG02 低标准入院
    hospitals_all: int  # hospitals with inpatient cases in the year

    def to_json(self) -> dict[str, Any]:
        doc = self.settlement.to_json()
        total = self.grouped + self.ambiguous + self.ungrouped
        doc["cases"] = {
            "total": total,
            "grouped": self.grouped,
            "ambiguous": self.ambiguous,
            "ungrouped": self.ungrouped,
            "by_kind": self.by_kind,
        }
        paid = sum(h.payment_fen for h in self.settlement.hospitals)
        # The targets' measured figures (枣庄 70% of inpatient fund expenditure, 内蒙古 病种覆盖率
        # 80% / 基金支出覆盖率 50%): shares of this year's inpatient cases, hospitals and fund.
        doc["coverage"] = {
            "cases": _percent(self.grouped, total),
            "hospitals": _percent(len(self.settlement.hospitals), self.hospitals_all),
            "fund_expenditure": _percent(paid, paid + self.unpaid_fund_fen),
        }
        claims_fund = (
            sum(h.fund_claims_fen for h in self.settlement.hospitals) + self.unpaid_fund_fen
        )
        # The fund statement's inpatient line as the fund pays it: points × 点值 for the grouped
        # cases, 按项目 (their hifp_pay) for the rest; against the claim-level sum it reports now.
        doc["fund"] = {
            "inpatient_claim_level": fen_to_json(claims_fund),
            "paid_by_points": fen_to_json(paid),
            "paid_by_project": fen_to_json(self.unpaid_fund_fen),
            "inpatient_as_paid": fen_to_json(paid + self.unpaid_fund_fen),
            "difference": fen_to_json(paid + self.unpaid_fund_fen - claims_fund),
        }
        doc["groups"] = {
            g: {"cases": v["cases"], "base_points": points_json(v["base_points"])}
            for g, v in sorted(self.groups.items())
        }
        doc["not_paid_by_points"] = self.unpaid_by_points[:50]
        by_rule: dict[str, int] = {}
        for hit in self.hits:
            by_rule[hit["rule_name"]] = by_rule.get(hit["rule_name"], 0) + 1
        doc["monitoring"] = {"hits": len(self.hits), "by_rule": by_rule, "items": self.hits[:100]}
        return doc


def _percent(part: int, whole: int) -> str:
    return f"{round_ratio(Fraction(part * 100, max(whole, 1)), 2)}%"


def case_of(row: dict[str, Any]) -> Case:
    doc = {
        k: row[k]
        for k in ("gend", "age", "age_days", "weight", "los", "leaving_type")
        if row.get(k) is not None
    }
    doc["diagnoses"] = [c for c in (row.get("diagnoses") or "").split("|") if c]
    doc["procedures"] = [c for c in (row.get("procedures") or "").split("|") if c]
    return parse_case(doc, str(row["setl_id"]))


GROUP_SCHEMA = {
    "setl_id": pl.String,
    "status": pl.String,
    "mdc": pl.String,
    "adrg": pl.String,
    "drg": pl.String,
    "reason": pl.String,
}


def group_frame(rows: pl.DataFrame, grouper: Grouper) -> pl.DataFrame:
    """Every case's group (GROUP_SCHEMA), one row per case: what runs per partition on Spark."""
    missing = [c for c in REQUIRED if c not in rows.columns]
    if missing:
        raise CaseError(f"cases: 缺少列 {', '.join(missing)}")
    out: dict[str, list[str | None]] = {k: [] for k in GROUP_SCHEMA}
    for row in rows.iter_rows(named=True):
        r = grouper(case_of(row))
        for key, value in zip(
            GROUP_SCHEMA,
            (str(row["setl_id"]), r.status, r.mdc, r.adrg, r.drg, r.reason),
            strict=True,
        ):
            out[key].append(value)
    return pl.DataFrame(out, schema=GROUP_SCHEMA)


def pay_year(
    rows: pl.DataFrame,
    grouper: Grouper,
    params: PaymentParams,
    *,
    budget_fen: int | None = None,
    bands: bool = False,
    provisional_fen_per_point: Decimal | None = None,
    plain_group: Callable[[str], str | None] = lambda _: None,
    grouped: pl.DataFrame | None = None,
) -> PaymentYear:
    """The year: ``grouped`` is group_frame's result when the grouping ran elsewhere (Spark)."""
    groups_of = grouped if grouped is not None else group_frame(rows, grouper)
    joined = rows.join(
        groups_of.rename({k: f"_{k}" for k in GROUP_SCHEMA if k != "setl_id"}),
        on="setl_id",
        how="left",
    )
    if joined["_status"].null_count():
        lost = joined.filter(pl.col("_status").is_null())["setl_id"][0]
        raise CaseError(f"病例 {lost}: 没有分组结果")
    results: list[tuple[dict[str, Any], GroupResult]] = []
    unpaid: list[dict[str, Any]] = []
    ambiguous = ungrouped = unpaid_fund = 0
    for row in joined.iter_rows(named=True):
        result = GroupResult(
            str(row["setl_id"]), row["_status"], row["_mdc"], row["_adrg"], row["_drg"], "",
            row["_reason"] or "", (),
        )  # fmt: skip
        if result.status == GROUPED:
            results.append((row, result))
            continue
        if result.drg:
            ambiguous += 1
        else:
            ungrouped += 1
        unpaid.append({"setl_id": row["setl_id"], "status": result.status, "reason": result.reason})
        unpaid_fund += int(row["hifp_pay"])
    # Coefficients first: a hospital without one is an error before any arithmetic.
    coefficient = {
        (row["fixmedins_code"], row["hosp_lv"]): params.coefficient(
            row["fixmedins_code"], row["hosp_lv"]
        )
        for row, _ in results
    }
    groups = [r.drg or "" for _, r in results]
    costs = [int(row["medfee_sumamt"]) for row, _ in results]
    bases = base_points(groups, costs, params.point_scale)
    all_cases, all_cost = len(costs), sum(costs)
    paid: list[PaidCase] = []
    priced: list[PricedCase] = []
    by_kind: dict[str, int] = {}
    for (row, result), group, cost in zip(results, groups, costs, strict=True):
        coef = coefficient[(row["fixmedins_code"], row["hosp_lv"])]
        pts: CasePoints = case_points(
            bases[group], cost, int(row["los"]), coef, params, all_cases=all_cases, all_cost=all_cost
        )  # fmt: skip
        priced.append(
            PricedCase(
                str(row["setl_id"]), str(row.get("psn_no") or ""), row["fixmedins_code"],
                result.adrg if result.mdc else None, group, pts.kind, pts.points, coef, cost,
                int(row["los"]), str(row.get("leaving_type") or "1"),
            )
        )  # fmt: skip
        by_kind[pts.kind] = by_kind.get(pts.kind, 0) + 1
        fund = int(row["hifp_pay"])
        paid.append(
            PaidCase(row["fixmedins_code"], int(row["month"]), pts.points, cost, fund, cost - fund)
        )
    year = settle_year(
        paid,
        params,
        budget_fen=budget_fen,
        bands=bands,
        provisional_fen_per_point=provisional_fen_per_point,
    )
    hits = scan(
        priced, bases, plain_group, params.monitoring,
        pool_fen=year.pool_fen, total_points=year.total_points,
    )  # fmt: skip
    return PaymentYear(
        hits=hits,
        settlement=year,
        grouped=len(results),
        ambiguous=ambiguous,
        ungrouped=ungrouped,
        by_kind=by_kind,
        groups={g: {"cases": b.cases, "base_points": b.base_points} for g, b in bases.items()},
        unpaid_by_points=unpaid,
        unpaid_fund_fen=unpaid_fund,
        hospitals_all=rows["fixmedins_code"].n_unique(),
    )
