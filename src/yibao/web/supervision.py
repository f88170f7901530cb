"""监管: smart-monitoring rule hits (yibao.engine.supervision) over the settled claims in the
store, with their evidence, summarised by institution and by rule.

The store keeps claims but not their 费用明细 (fee-detail lines), so only the rules that read
claims alone run here; the page names the others. Batch runs over Parquet cover them all."""

from __future__ import annotations

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.engine.supervision import run_rules
from yibao.engine.supervision.inputs import FEE_DETAIL_SCHEMA
from yibao.monitoring.rules_file import load_rules
from yibao.store import transaction
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import persons_frame, scope_context, settlements_frame
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

CLAIM_ONLY_RULES = ("split_admission", "outpatient_during_stay")


@router.get("/supervision", response_class=HTMLResponse)
def supervision_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    institution: str = Query("", max_length=40),
    rule: str = Query("", max_length=40),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    rules = load_rules()
    skipped = [rules.meta[k].rule_name for k in rules.meta if k not in CLAIM_ONLY_RULES]
    with transaction(db(request)) as s:
        scope, context = scope_context(
            s, lib, region, year, institution=institution, rule=rule, skipped=skipped
        )
        if scope is None:
            return page(
                request, user, "supervision.html", title="智能监管", active="supervision", **context
            )
        people = persons_frame(s, lib, scope)
        claims = settlements_frame(s, lib, scope)
    details = pl.DataFrame(schema=FEE_DETAIL_SCHEMA)
    hits = run_rules(claims, details, people, rules, only=CLAIM_ONLY_RULES)
    hits = hits.join(claims.select("setl_id", "fixmedins_code"), on="setl_id", how="left")
    by_institution = (
        hits.group_by("fixmedins_code")
        .agg(
            pl.len().alias("hits"),
            pl.col("vola_amt").sum(),
            pl.col("psn_no").n_unique().alias("persons"),
        )
        .sort("hits", "fixmedins_code", descending=[True, False])
        .to_dicts()
    )
    by_rule = (
        hits.group_by("rule_id", "rule_name", "sev_deg")
        .agg(pl.len().alias("hits"), pl.col("vola_amt").sum())
        .sort("rule_id")
        .to_dicts()
    )
    shown = hits
    if institution:
        shown = shown.filter(pl.col("fixmedins_code") == institution)
    if rule:
        shown = shown.filter(pl.col("rule_id") == rule)
    return page(
        request,
        user,
        "supervision.html",
        title="智能监管",
        active="supervision",
        by_institution=by_institution,
        by_rule=by_rule,
        hits=shown.to_dicts(),
        claims=claims.height,
        **context,
    )
