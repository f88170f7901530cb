"""防止因病返贫 early warning: a person whose yearly out-of-pocket after all three layers
(基本医保、大病保险、医疗救助) reaches the warning line is flagged, with the amounts and the claims
behind it, for the rural-revitalisation department and the township to check.

彭水 2023 三（三）2: 经基本医保、大病保险和医疗救助等报销后，自付费用达到乡村振兴部门确定的
监测标准2倍及以上人员，及时推送 — the line for low-income, monitored and poverty-alleviated
persons is ``monitoring.standard × monitoring.warning_multiple``; ordinary residents are watched
against ``monitoring.general_resident_threshold``. "达到…及以上" is ≥.
对标注风险消除的监测对象，在标注风险消除后12个月内继续落实医保帮扶政策: see ``followup_until``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.categories import CategoryError, all_categories, applicable
from yibao.engine.register import followup_until
from yibao.money import BP_PER_UNIT, apply_ratio, fen_to_json
from yibao.policy.model import Policy

AMOUNTS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
)
TOP_CLAIMS = 5  # the claims with the largest out-of-pocket shown as evidence


@dataclass(frozen=True)
class WarningLines:
    """The two warning lines of a region-year, in fen, with where they come from."""

    watched: int  # standard × multiple
    general: int
    standard: int
    multiple_bp: int
    followup_months: int
    every_resident: bool  # everyone against ``watched`` (monitoring.warning_scope)
    sources: tuple[str, ...]


def warning_lines(policy: Policy) -> WarningLines:
    m = policy.monitoring
    return WarningLines(
        watched=apply_ratio(m.standard.value, m.warning_multiple.value),
        general=m.general_resident_threshold.value,
        standard=m.standard.value,
        multiple_bp=m.warning_multiple.value,
        followup_months=m.followup_months_after_risk_eliminated.value,
        every_resident=m.warning_scope.value == "every_resident",
        sources=tuple(
            f"{p.path}: {p.cite()}"
            for p in (
                m.standard,
                m.warning_multiple,
                m.general_resident_threshold,
                m.followup_months_after_risk_eliminated,
                m.watched_categories,
                m.warning_scope,
            )
        ),
    )


def watched_categories(policy: Policy) -> tuple[str, ...]:
    """The categories judged against standard × multiple (policy.monitoring.watched_categories);
    an umbrella category brings its narrower ones (防止返贫监测对象 → its three kinds)."""
    names = list(policy.monitoring.watched_categories.value)
    for name in list(names):
        names.extend(all_categories()[name].includes if name in all_categories() else ())
    return tuple(dict.fromkeys(names))


def is_watched(policy: Policy, categories: str) -> bool:
    """Is a person with these ("|"-joined) categories judged against standard × multiple?
    Everyone is where ``monitoring.warning_scope`` is every_resident; elsewhere those in
    ``watched_categories`` (an umbrella tag when all its narrow kinds are: categories.applicable;
    CategoryError when only some are)."""
    if policy.monitoring.warning_scope.value == "every_resident":
        return True
    tags = [c for c in categories.split("|") if c]
    return bool(applicable(policy.monitoring.watched_categories.value, tags))


def keeps_assistance(eliminated: dt.date | None, day: dt.date, months: int) -> bool:
    """Does a monitored person whose risk was marked eliminated still get the assistance
    policy on ``day``? (彭水 2023 三（三）2: 12 months after the mark.)"""
    return eliminated is not None and eliminated <= day <= followup_until(eliminated, months)


def early_warnings(
    settlements: pl.DataFrame, persons: pl.DataFrame, policy: Policy, as_of: dt.date
) -> pl.DataFrame:
    """One row per flagged person: the yearly amounts (fen), the line reached and the claims.

    ``settlements``: one row per claim (settle_year's output: setl_id, psn_no, setlinfo fen).
    ``persons``: psn_no, township, categories ("|"-joined); optional risk_eliminated_date.
    ``as_of``: the day the follow-up status is judged on (the engine has no clock).
    """
    for table, frame, cols in (
        ("settlements", settlements, ("setl_id", "psn_no", *AMOUNTS)),
        ("persons", persons, ("psn_no", "township", "categories")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{table}: missing column(s) {', '.join(missing)}")
    lines = warning_lines(policy)
    if "year" in settlements.columns:
        settlements = settlements.filter(pl.col("year") == policy.meta.year)
    per_claim = settlements.sort(
        "psn_no", "psn_part_amt", "setl_id", descending=[False, True, False]
    )
    yearly = per_claim.group_by("psn_no", maintain_order=True).agg(
        *[pl.col(a).sum() for a in AMOUNTS],
        pl.len().alias("claim_count"),
        pl.col("setl_id").head(TOP_CLAIMS).alias("top_claims"),
    )
    people = persons.select(
        "psn_no",
        "township",
        pl.col("categories").fill_null(""),
        (
            pl.col("risk_eliminated_date")
            if "risk_eliminated_date" in persons.columns
            else pl.lit(None, pl.Date).alias("risk_eliminated_date")
        ),
    )
    watched_by_categories: dict[str, bool] = {}
    for psn_no, cats in people.select("psn_no", "categories").iter_rows():
        if cats not in watched_by_categories:
            try:
                watched_by_categories[cats] = is_watched(policy, cats)
            except CategoryError as exc:
                raise CategoryError(f"{exc}（psn_no {psn_no}）") from None
    watched = pl.col("categories").replace_strict(
        watched_by_categories, default=is_watched(policy, ""), return_dtype=pl.Boolean
    )
    flagged = (
        yearly.join(people, on="psn_no", how="left")
        .with_columns(
            pl.col("township").fill_null("（未知乡镇）"),
            pl.col("categories").fill_null(""),
        )
        .with_columns(
            pl.when(watched)
            .then(pl.lit("监测标准倍数"))
            .otherwise(pl.lit("一般居民"))
            .alias("basis"),
            pl.when(watched)
            .then(pl.lit(lines.watched))
            .otherwise(pl.lit(lines.general))
            .alias("threshold"),
        )
        .filter(pl.col("psn_part_amt") >= pl.col("threshold"))
        .with_columns(
            # how many times the monitoring standard the out-of-pocket is, in basis points
            (pl.col("psn_part_amt") * BP_PER_UNIT // lines.standard).alias("standard_multiple_bp"),
        )
        .sort("township", "psn_part_amt", "psn_no", descending=[False, True, False])
    )
    followup = [
        keeps_assistance(d, as_of, lines.followup_months)
        for d in flagged["risk_eliminated_date"].to_list()
    ]
    until = [
        None if d is None else followup_until(d, lines.followup_months)
        for d in flagged["risk_eliminated_date"].to_list()
    ]
    return flagged.with_columns(
        pl.Series("in_followup", followup, pl.Boolean),
        pl.Series("followup_until", until, pl.Date),
    )


def warnings_to_json(flagged: pl.DataFrame, policy: Policy) -> dict[str, Any]:
    """The warning list grouped by township, yuan at the edges."""
    lines = warning_lines(policy)
    by_town: dict[str, list[dict[str, Any]]] = {}
    for row in flagged.to_dicts():
        item = {
            "psn_no": row["psn_no"],
            "categories": [c for c in row["categories"].split("|") if c],
            "basis": row["basis"],
            "threshold": fen_to_json(row["threshold"]),
            "out_of_pocket": fen_to_json(row["psn_part_amt"]),
            "standard_multiple": row["standard_multiple_bp"] / BP_PER_UNIT,
            **{a: fen_to_json(row[a]) for a in AMOUNTS},
            "claim_count": row["claim_count"],
            "claims": list(row["top_claims"]),
            "risk_eliminated_date": row["risk_eliminated_date"],
            "in_followup": row["in_followup"],
            "followup_until": row["followup_until"],
        }
        by_town.setdefault(row["township"], []).append(item)
    return {
        "region": policy.meta.code,
        "year": policy.meta.year,
        "standard": fen_to_json(lines.standard),
        "warning_multiple": lines.multiple_bp / BP_PER_UNIT,
        "watched_line": fen_to_json(lines.watched),
        "general_line": fen_to_json(lines.general),
        "warning_scope": "every_resident" if lines.every_resident else "watched_categories",
        "flagged": flagged.height,
        "townships": [
            {"township": town, "count": len(rows), "persons": rows}
            for town, rows in sorted(by_town.items())
        ],
        "sources": list(lines.sources),
    }
