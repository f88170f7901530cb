"""One function per ``yibao monitor`` command, from frames to its JSON document (yuan), called
by the Parquet path and the store path (``--db``, monitoring/store_frames.py) alike: the two
cannot drift, as neither holds a rule (every rule is the engine's).

Each checks first the columns it reads and names the option (or file) and the column in
Chinese; the engine's own checks stay as a second line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from yibao.engine.application_assistance import COLUMNS as ASSIST_COLUMNS
from yibao.engine.application_assistance import application_assistance
from yibao.engine.fund import InpatientAsPaid
from yibao.engine.fund_risk import assess, drg_fund_share_bp, expenditure_by
from yibao.engine.supervision import RULE_KEYS, RuleSet, hits_to_json, run_rules
from yibao.engine.supervision.inputs import CLAIM_COLUMNS, FEE_DETAIL_SCHEMA, PERSON_SCHEMA
from yibao.engine.warning import AMOUNTS as WARNING_AMOUNTS
from yibao.engine.warning import early_warnings, warnings_to_json
from yibao.money import fen_to_json
from yibao.policy.model import Policy

# The rules that read claims alone (the store keeps no 费用明细); the review scan's own list.
CLAIM_LEVEL_RULES = ("split_admission", "outpatient_during_stay")
PERSON_RULES = ("restricted_sex", "restricted_age")
REVENUE_COLUMNS = ("personal_paid", "subsidy", "fiscal_subsidy")


class ReportInputError(ValueError):
    """A frame lacks a column the command reads; the message names the option and column."""


def need(frame: pl.DataFrame, columns: Iterable[str], source: str, why: str = "") -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        tail = f"（{why}）" if why else ""
        raise ReportInputError(f"{source}: 缺少列 {', '.join(missing)}{tail}")


def of_year(settled: pl.DataFrame, year: int) -> pl.DataFrame:
    return settled.filter(pl.col("year") == year) if "year" in settled.columns else settled


# ---------------------------------------------------------------- 预警
def warnings_report(
    settled: pl.DataFrame,
    persons: pl.DataFrame,
    policy: Policy,
    as_of: dt.date,
    sources: tuple[str, str] = ("--settlements", "--persons"),
) -> tuple[dict[str, Any], pl.DataFrame]:
    """The early-warning document and the flagged frame (for the Excel export)."""
    need(settled, ("setl_id", "psn_no", *WARNING_AMOUNTS), sources[0])
    need(persons, ("psn_no", "township", "categories"), sources[1])
    flagged = early_warnings(settled, persons, policy, as_of)
    return warnings_to_json(flagged, policy), flagged


# ---------------------------------------------------------------- 智能监控
def rules_report(
    claims: pl.DataFrame,
    details: pl.DataFrame | None,
    persons: pl.DataFrame | None,
    ruleset: RuleSet,
    only: Sequence[str] = RULE_KEYS,
    sources: tuple[str, str, str] = ("--claims", "--details", "--persons"),
) -> dict[str, Any]:
    """The rules' hits in the platform's audit shape. Without fee detail only the claim-level
    rules run, without persons not the sex/age rules: each rule left out is named with why."""
    unknown = [k for k in only if k not in RULE_KEYS]
    if unknown:
        raise ReportInputError(
            f"--rule: 没有规则 {', '.join(unknown)}；可选：{', '.join(RULE_KEYS)}"
        )
    need(claims, CLAIM_COLUMNS, sources[0])
    skipped: list[dict[str, str]] = []
    run: list[str] = []
    for key in only:
        if details is None and key not in CLAIM_LEVEL_RULES:
            reason = f"需要费用明细（{sources[1]}），未提供"
        elif persons is None and key in PERSON_RULES:
            reason = f"需要人员性别、出生日期（{sources[2]}），未提供"
        else:
            run.append(key)
            continue
        meta = ruleset.meta[key]
        skipped.append({"rule": key, "rule_id": meta.rule_id, "rule_name": meta.rule_name,
                        "reason": reason})  # fmt: skip
    if details is not None:
        need(details, FEE_DETAIL_SCHEMA, sources[1])
    if persons is not None and any(k in PERSON_RULES for k in run):
        need(persons, ("psn_no", "sex", "birth_date"), sources[2])
    hits = run_rules(
        claims,
        details if details is not None else pl.DataFrame(schema=FEE_DETAIL_SCHEMA),
        persons if persons is not None else pl.DataFrame(schema=PERSON_SCHEMA),
        ruleset,
        tuple(run),
    )
    counts = (
        hits.group_by("rule_id", "rule_name")
        .agg(pl.len().alias("hits"), pl.col("vola_amt").sum().alias("amount"))
        .sort("rule_id")
    )
    return {
        "claims": claims.height,
        "rules_run": run,
        "rules_skipped": skipped,
        "hit_count": hits.height,
        "by_rule": [
            {"rule_id": r["rule_id"], "rule_name": r["rule_name"], "hits": r["hits"],
             "vola_amt": fen_to_json(r["amount"])}
            for r in counts.to_dicts()
        ],
        "hits": hits_to_json(hits),
    }  # fmt: skip


# ---------------------------------------------------------------- 基金
def revenue_of(contributions: pl.DataFrame, source: str = "--contributions") -> int:
    """The basic fund's revenue (fen): personal contributions + 资助参保 + fiscal subsidy."""
    need(contributions, REVENUE_COLUMNS, source)
    return int(
        contributions.select(
            (pl.col("personal_paid") + pl.col("subsidy") + pl.col("fiscal_subsidy")).sum()
        ).item()
        or 0
    )


def fund_report(
    policy: Policy,
    settled: pl.DataFrame,
    revenue: int,
    opening_balance: int,
    claims: pl.DataFrame | None = None,
    drg_institutions: Sequence[str] = (),
    sources: tuple[str, str] = ("--settlements", "--claims"),
    inpatient_as_paid: InpatientAsPaid | None = None,
) -> dict[str, Any]:
    """Expenditure by med_type and layer, balance months, deficit and DRG share warnings.
    The DRG share from a ``drg`` column, else from the claims' fixmedins_code (the settled
    frame's own when it carries one) against ``drg_institutions``. ``inpatient_as_paid``
    (drg.statement.as_paid_for_year, where the region pays by DRG/DIP): the inpatient line as
    the fund pays it, in the fund statement's shape (engine.fund.InpatientAsPaid.to_json)."""
    settled = of_year(settled, policy.meta.year)
    need(settled, ("med_type", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt"), sources[0])
    spent = int(settled["hifp_pay"].sum() or 0) + int(settled["hifmi_pay"].sum() or 0)
    balance = opening_balance + revenue - spent
    share = None
    if "drg" in settled.columns:
        share = drg_fund_share_bp(settled)
    elif drg_institutions:
        if "fixmedins_code" not in settled.columns:
            if claims is None:
                raise ReportInputError(
                    f"{sources[1]}: --drg-institution 需要就诊的 fixmedins_code（定点机构）"
                )
            need(claims, ("setl_id", "fixmedins_code"), sources[1])
            need(settled, ("setl_id",), sources[0])
            settled = settled.join(
                claims.select("setl_id", "fixmedins_code"), on="setl_id", how="left"
            )
        settled = settled.with_columns(
            pl.col("fixmedins_code").is_in(list(drg_institutions)).fill_null(False).alias("drg")
        )
        share = drg_fund_share_bp(settled)
    doc = assess(policy, revenue, spent, balance, share).to_json()
    doc["expenditure_by_med_type"] = [
        {k: (fen_to_json(v) if k not in ("med_type", "claims") else v) for k, v in row.items()}
        for row in expenditure_by(settled).to_dicts()
    ]
    if inpatient_as_paid is not None:
        doc["inpatient_as_paid"] = inpatient_as_paid.to_json()
    return doc


# ---------------------------------------------------------------- 依申请救助
def assist_report(
    psn_no: str,
    categories: Sequence[str],
    application: dt.date,
    settled: pl.DataFrame,
    policy: Policy,
    source: str = "--settlements",
) -> dict[str, Any]:
    need(settled, ASSIST_COLUMNS, source, "yibao batch settle 的输出带 setl_time")
    return application_assistance(psn_no, list(categories), application, settled, policy).to_json()
