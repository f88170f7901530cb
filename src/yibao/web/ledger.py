"""台账: the 应保尽保 ledger by township and category — who on the low-income roster is not
insured in the year, and the enrollment rate against the target (yibao.enrollment.ledger's
definitions and targets).

The roster is the store's persons holding a low-income, monitored or poverty-alleviated
category in the year (their household's township); an enrollment of the year counts as insured
for the whole calendar year (参保, whatever its waiting period). The counts come from the
register's stored groups (store.enrollment_aggregates: persons by 乡镇, categories held and
enrollment status), the 未参保人员名单 page by page from the indexed holdings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.categories import EIGHT_CATEGORIES, all_categories
from yibao.enrollment.ledger import LOW_INCOME_GROUPS, Target, target_for
from yibao.money import BP_PER_UNIT, divide_half_up
from yibao.policy import PolicyLibrary
from yibao.policy.model import Policy
from yibao.store import enrollment_aggregates, transaction
from yibao.store.enrollment_aggregates import INSURED
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import Scope, register_codes, scope_context
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LIST_PAGE = 50  # 未参保人员 per page


def on_roster(category: str) -> bool:
    """A category of the 应保尽保 roster: a low-income, monitored or poverty-alleviated group,
    or one of the 八类."""
    cat = all_categories().get(category)
    return cat is not None and (cat.group in LOW_INCOME_GROUPS or category in EIGHT_CATEGORIES)


@dataclass
class RosterCounts:
    """Roster and insured persons by 乡镇 × category, 乡镇, category and overall (a person
    holding two roster categories counts once in each category and once in the others)."""

    cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    townships: dict[str, list[int]] = field(default_factory=dict)
    categories: dict[str, list[int]] = field(default_factory=dict)
    overall: list[int] = field(default_factory=lambda: [0, 0])

    def add(self, township: str, categories: str, status: str, persons: int) -> None:
        held = [c for c in dict.fromkeys(categories.split("|")) if c and on_roster(c)]
        if not held:
            return
        counts = (persons, persons if status == INSURED else 0)
        for c in held:
            _plus(self.cells, (township, c), counts)
            _plus(self.categories, c, counts)
        _plus(self.townships, township, counts)
        self.overall[0] += counts[0]
        self.overall[1] += counts[1]

    def uninsured_rows(self, township: str = "") -> int:
        """Rows of the 未参保人员名单 (one per person and roster category), of a 乡镇 or all."""
        return sum(r - i for (t, _), (r, i) in self.cells.items() if not township or t == township)


def _plus(into: dict[Any, list[int]], key: Any, counts: tuple[int, int]) -> None:
    have = into.setdefault(key, [0, 0])
    have[0] += counts[0]
    have[1] += counts[1]


def roster_counts(groups: Iterable[tuple[Any, ...]]) -> RosterCounts:
    """The counts from the register's groups (township, categories, status, persons, …)."""
    out = RosterCounts()
    for township, categories, status, persons, *_ in groups:
        out.add(township, categories, status, persons)
    return out


def rates(counts: RosterCounts, policy: Policy) -> tuple[list[dict[str, Any]], dict[str, Target]]:
    """The ledger's rate rows (township, category — "" for all —, roster, insured, uninsured,
    rate_bp, target_bp, meets_target; ordered by township then category) and the targets,
    as yibao.enrollment.ledger.build_ledger states them: rate = insured / roster rounded half
    up, met when insured × 10000 >= target × roster."""
    targets: dict[str, Target] = {"全部": target_for(policy, None)}
    for category in sorted(counts.categories):
        targets[category] = target_for(policy, category)
    keyed = [
        *((t, c, v) for (t, c), v in counts.cells.items()),
        *((t, "", v) for t, v in counts.townships.items()),
        *(("", c, v) for c, v in counts.categories.items()),
    ]
    if counts.overall[0]:
        keyed.append(("", "", counts.overall))
    rows = []
    for township, category, (roster, insured) in sorted(keyed, key=lambda r: (r[0], r[1])):
        target = targets[category or "全部"]
        meets = None if target.bp is None else insured * BP_PER_UNIT >= target.bp * roster
        rows.append(
            {
                "township": township,
                "category": category,
                "roster": roster,
                "insured": insured,
                "uninsured": roster - insured,
                "rate_bp": divide_half_up(insured * BP_PER_UNIT, roster) if roster else 0,
                "target_bp": target.bp,
                "meets_target": meets,
            }
        )
    return rows, targets


@dataclass(frozen=True)
class LedgerView:
    """What the 台账 page shows of a scope: the rate rows and targets, the roster's size and
    one page of the 未参保人员名单 (of a 乡镇, or all) with the number of its rows."""

    rows: list[dict[str, Any]]
    targets: dict[str, Target]
    roster_size: int
    uninsured: list[dict[str, Any]]
    uninsured_total: int
    page_no: int
    pages: int


def ledger_view(
    session: Session, lib: PolicyLibrary, scope: Scope, township: str = "", page_no: int = 1
) -> LedgerView:
    """The scope's ledger from the register's groups, the list's page from the holdings."""
    codes = register_codes(session, lib, scope)
    conn = session.connection()
    groups = enrollment_aggregates.group_sums(
        conn, codes, scope.year, ("township", "categories", "status")
    )
    counts = roster_counts(groups)
    total = counts.uninsured_rows(township)
    pages = max(1, -(-total // LIST_PAGE))
    page_no = min(page_no, pages)  # past the end (a stale link): the last page
    uninsured = enrollment_aggregates.uninsured(
        conn, codes, scope.year, counts.categories, township, LIST_PAGE, (page_no - 1) * LIST_PAGE
    )
    rows, targets = rates(counts, lib.resolve(scope.region, scope.year))
    return LedgerView(rows, targets, counts.overall[0], uninsured, total, page_no, pages)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    township: str = Query("", max_length=60),
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year, township=township)
        if scope is None:
            return page(
                request, user, "ledger.html", title="应保尽保台账", active="ledger", **context
            )
        view = ledger_view(s, lib, scope, township, page_no)
    rows = view.rows
    return page(
        request,
        user,
        "ledger.html",
        title="应保尽保台账",
        active="ledger",
        by_township=[r for r in rows if r["township"] and not r["category"]],
        by_category=[r for r in rows if r["category"] and not r["township"]],
        cells=[r for r in rows if r["category"] and r["township"]],
        overall=next((r for r in rows if not r["category"] and not r["township"]), None),
        uninsured=view.uninsured,
        uninsured_total=view.uninsured_total,
        targets=view.targets,
        roster_size=view.roster_size,
        page_no=view.page_no,
        pages=view.pages,
        query_string=urlencode({"region": scope.region, "year": scope.year, "township": township}),
        **context,
    )
