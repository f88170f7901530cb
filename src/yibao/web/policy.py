"""政策: every jurisdiction-year's parameters with source and clause (assumed values marked
假定值), and the difference between two years or two regions (yibao.policy.render)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.policy.render import diff_policies, flatten_policy
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
        rows = flatten_policy(policy)
        if assumed_only:
            rows = [r for r in rows if r["assumed"]]
    if a and b:
        diff = diff_policies(lib.resolve(*_split(a)), lib.resolve(*_split(b)))
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
        meta=meta,
        diff=diff,
        assumed_only=assumed_only,
        assumed_count=sum(1 for r in rows if r["assumed"]),
        assumed_by_region=by_region,
    )
