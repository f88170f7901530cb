"""政策: a jurisdiction-year's parameters by topic (参保缴费, 待遇 门诊/住院/大病/救助, 基金 …),
each by its Chinese name with its value as a table (web/policy_values.py), the document and
clause beside it and assumed values marked 假定值 with their note; and the difference between
two years or two regions in the same form. Each topic folds (details/summary)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.policy import Policy
from yibao.policy.render import flatten_policy
from yibao.web import labels, policy_values
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, bureau, library, web_user
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

KEY = r"^\d{6}-\d{4}$"


def _split(key: str) -> tuple[str, int]:
    code, year = key.split("-")
    return code, int(year)


def _home(request: Request) -> str:
    """The bureau's region-year (its current year, else this year or its latest file), or ""."""
    region, year = bureau(request)
    if region is None:
        return ""
    years = library(request).years_of(region)
    if year not in years:
        year = dt.date.today().year if dt.date.today().year in years else years[-1]
    return f"{region}-{year}"


@router.get("/policy", response_class=HTMLResponse)
def policy_page(
    request: Request,
    show: str = Query("", pattern=rf"{KEY}|^$"),
    a: str = Query("", pattern=rf"{KEY}|^$"),
    b: str = Query("", pattern=rf"{KEY}|^$"),
    assumed_only: bool = False,
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    options = [
        (f"{region.code}-{year}", f"{region.code} {region.name} {year}年")
        for region, years in lib.available()
        for year in years
    ]
    # The bureau's own region-year first; else a jurisdiction's own file is the more useful
    # first view than the national defaults.
    local = [k for k, _ in options if not k.startswith("000000")]
    show = show or _home(request) or (local or [k for k, _ in options] or [""])[0]
    rows, meta, diff, by_region = [], None, None, {}
    if show:
        policy = lib.resolve(*_split(show))
        meta = policy.meta
        by_region = policy.assumed_counts()
        rows = parameter_rows(policy)
        if assumed_only:
            rows = [r for r in rows if r["assumed"]]
    if a and b:
        diff = diff_rows(lib.resolve(*_split(a)), lib.resolve(*_split(b)))
    names = dict(options)
    return page(
        request,
        user,
        "policy.html",
        title="政策参数",
        active="policy",
        options=options,
        show=show,
        a=a,
        b=b,
        rows=rows,
        topics=by_topic(rows),
        meta=meta,
        diff=diff,
        diff_topics=by_topic(diff or []),
        a_name=names.get(a, a),
        b_name=names.get(b, b),
        assumed_only=assumed_only,
        assumed_count=sum(1 for r in rows if r["assumed"]),
        assumed_by_region=by_region,
    )


def parameter_rows(policy: Policy) -> list[dict[str, Any]]:
    """One row per parameter: its Chinese name, topic, value as HTML, document and clause."""
    out = []
    for r in flatten_policy(policy):
        out.append(
            {
                **r,
                "label": labels.param(r["path"]),
                "topic": policy_values.topic_of(r["path"]),
                "html": policy_values.render(r["value"], r["path"], r["unit"] or ""),
                "source_label": labels.source(r["source"] or ""),
            }
        )
    return out


def diff_rows(a: Policy, b: Policy) -> list[dict[str, Any]]:
    """The parameters whose values differ, each with both values in the page's own form and
    both citations."""
    rows_b = {r["path"]: r for r in parameter_rows(b)}
    out = []
    for ra in parameter_rows(a):
        rb = rows_b.get(ra["path"])
        if rb is None or ra["value"] == rb["value"]:
            continue
        out.append({**ra, "a": ra, "b": rb, "assumed": ra["assumed"] or rb["assumed"]})
    return out


def by_topic(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows grouped under the page's topics, in the topics' order; empty topics left out."""
    groups = []
    for key, title, _ in policy_values.TOPICS:
        mine = [r for r in rows if r["topic"] == key]
        if mine:
            groups.append(
                {
                    "key": key,
                    "title": title,
                    "rows": mine,
                    "assumed": sum(1 for r in mine if r["assumed"]),
                }
            )
    return groups
