"""依申请救助: for a recognised 因病致贫重病患者 (and, in 彭水, an 易返贫致贫人口), recompute medical
assistance over the months before the application.

Who may apply is category data (``categories.application_categories`` of the policy's chain,
data/categories.yaml, cited): 因病致贫重病患者 everywhere (国办发〔2021〕42号); 彭水 三（三）1 adds
易返贫致贫人口 (发生高额医疗费用的易返贫致贫人口: the 防止返贫监测对象 and each of its three kinds).

枣庄 2023 （六）: 针对因病致贫重病患者自申请之月起前12个月产生的个人负担费用，按规定落实医疗救助待遇.
彭水 2023 三（三）1: 对其经基本医保、大病保险支付后，符合规定的个人自付费用酌情予以救助.
So: the window is the ``application_lookback_months`` whole months before the application
month; the eligible amount is the policy-scope personal burden left after the basic fund and
大病 (medfee − fund − 全自费 − 超限价 − 先行自付, i.e. psn_part_amt minus those three, plus any
assistance already paid back on it); assistance = (eligible − application_deductible) ×
application_ratio, within the annual limit less what assistance already paid in the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.categories import CategoryError, applicable, application_categories
from yibao.money import apply_ratio, bp_to_percent, fen_to_json
from yibao.policy.model import Policy

RECOGNISED = "因病致贫重病患者"  # recognised by 民政 in every region (国办发〔2021〕42号)
COLUMNS = (
    "setl_id",
    "setl_time",
    "psn_part_amt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "maf_pay",
)


@dataclass(frozen=True)
class ApplicationAssistance:
    psn_no: str
    application_date: dt.date
    window_from: dt.date  # first day inside the window
    window_to: dt.date  # last day inside the window
    eligible: int  # fen: policy-scope personal burden after basic fund and 大病
    deductible: int
    ratio_bp: int
    computed: int  # (eligible − deductible) × ratio
    already_paid: int  # assistance already paid on claims in the window
    limit_left: int
    assistance: int  # what is paid now
    claims: tuple[str, ...]
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "psn_no": self.psn_no,
            "application_date": self.application_date.isoformat(),
            "window": {"from": self.window_from.isoformat(), "to": self.window_to.isoformat()},
            "eligible": fen_to_json(self.eligible),
            "deductible": fen_to_json(self.deductible),
            "ratio": bp_to_percent(self.ratio_bp),
            "computed": fen_to_json(self.computed),
            "already_paid": fen_to_json(self.already_paid),
            "limit_left": fen_to_json(self.limit_left),
            "assistance": fen_to_json(self.assistance),
            "claims": list(self.claims),
            "sources": list(self.sources),
        }


def lookback_window(application: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The ``months`` whole calendar months before the application month (自申请之月起前N个月)."""
    first_of_month = application.replace(day=1)
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1), first_of_month - dt.timedelta(days=1)


def application_assistance(
    psn_no: str,
    categories: list[str] | tuple[str, ...],
    application: dt.date,
    settlements: pl.DataFrame,
    policy: Policy,
) -> ApplicationAssistance:
    """Assistance due on an application; ``settlements`` are the person's settled claims."""
    who = application_categories(policy.meta.chain)
    try:
        allowed = applicable(list(who), categories)
    except CategoryError as exc:
        raise ValueError(str(exc)) from None
    if not allowed:
        raise ValueError(
            f"categories: {psn_no} is not a recognised {'、'.join(who)} "
            f"(民政、乡村振兴部门认定) in {policy.meta.code}"
        )
    missing = [c for c in COLUMNS if c not in settlements.columns]
    if missing:
        raise ValueError(f"settlements: missing column(s) {', '.join(missing)}")
    ma = policy.medical_assistance
    start, end = lookback_window(application, ma.application_lookback_months.value)
    rows = settlements.filter(
        pl.col("setl_time").cast(pl.Date).is_between(start, end)
        & (pl.col("psn_no") == psn_no if "psn_no" in settlements.columns else pl.lit(True))
    ).sort("setl_time", "setl_id")
    burden = (
        pl.col("psn_part_amt")
        + pl.col("maf_pay")
        - pl.col("fulamt_ownpay_amt")
        - pl.col("overlmt_selfpay")
        - pl.col("preselfpay_amt")
    ).clip(lower_bound=0)
    eligible = int(rows.select(burden.sum()).item() or 0)
    already = int(rows["maf_pay"].sum() or 0)
    deductible = ma.application_deductible.value
    computed = apply_ratio(max(0, eligible - deductible), ma.application_ratio.value)
    limit_left = max(0, ma.annual_limit.value - already)
    paid_on_top = max(0, min(computed - already, limit_left))
    return ApplicationAssistance(
        psn_no=psn_no,
        application_date=application,
        window_from=start,
        window_to=end,
        eligible=eligible,
        deductible=deductible,
        ratio_bp=ma.application_ratio.value,
        computed=computed,
        already_paid=already,
        limit_left=limit_left,
        assistance=paid_on_top,
        claims=tuple(rows["setl_id"].to_list()),
        sources=(
            f"categories.{allowed[0].rule_category}: {who[allowed[0].rule_category]}",
            *(
                f"{p.path}: {p.cite()}"
                for p in (
                    ma.application_lookback_months,
                    ma.application_ratio,
                    ma.application_deductible,
                    ma.annual_limit,
                )
            ),
        ),
    )
