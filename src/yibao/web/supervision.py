"""监管 (issue 16): the stored 智能监管疑点 of the scope (rule hits on the stored claims),
filtered by status, township, rule and institution, 50 a page with the total and a summary by
rule and by institution, the 扫描 button, one record with its history and its workflow
(开始核查 → 申诉 → 认定: 违规 with 扣款, or 不违规, after a confirmation page), and the Excel
export of the filtered list. Reads indexed records, never the year's settlements.

The store keeps claims but not their 费用明细, so only the rules that read claims alone run in
the scan; the page names the others (batch runs over Parquet cover them all)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.services import reviews as service
from yibao.store import transaction
from yibao.store.review_models import SUPERVISION_STATUSES
from yibao.store.reviews import SUPERVISION_STEPS, Filter
from yibao.web import reviews as common
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.templating import PREFIX

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
RecordId = Path(..., ge=1, le=2**31 - 1)

COLUMNS = (
    ("id", "疑点编号"),
    ("status", "状态"),
    ("rule_id", "规则编号"),
    ("rule_name", "规则名称"),
    ("fixmedins_code", "定点机构"),
    ("township", "乡镇（街道）"),
    ("psn_no", "个人编号"),
    ("psn_name", "姓名"),
    ("certno", "身份证号"),
    ("setl_id", "结算流水号"),
    ("vola_cont", "违规内容"),
    ("vola_amt", "涉及金额"),
    ("sev_deg", "严重程度"),
    ("vola_evid", "证据"),
    ("fund_pay_sumamt", "基金支付"),
    ("appeal", "申诉内容"),
    ("finding", "认定结果"),
    ("deduction", "扣款金额"),
    ("updated_at", "最近办理（北京时间）"),
)
MONEY = {"vola_amt", "fund_pay_sumamt", "deduction"}
CONFIRMED = {"decide"}


def _filter(
    request: Request,
    region: str,
    year: int | None,
    status: str,
    township: str,
    rule: str,
    institution: str,
) -> Any:
    scope, context = common.scope_of(request, region, year)
    if scope is None:
        return None, context
    if status and status not in SUPERVISION_STATUSES:
        status = ""
    return (
        Filter(
            scope.region,
            scope.year,
            status=status,
            township=township,
            rule=rule,
            institution=institution,
        ),
        context,
    )


class ListQuery:
    def __init__(
        self,
        region: str = Query("", max_length=6),
        year: int | None = Query(None, ge=2000, le=2100),
        status: str = Query("", max_length=8),
        township: str = Query("", max_length=100),
        rule: str = Query("", max_length=20),
        institution: str = Query("", max_length=40),
    ) -> None:
        self.args = (region, year, status, township, rule, institution)


@router.get("/supervision", response_class=HTMLResponse)
def supervision_page(
    request: Request,
    q: ListQuery = Depends(),
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    scanned: str = Query("", max_length=200),
    user: WebUser = Depends(web_user),
) -> Response:
    f, context = _filter(request, *q.args)
    names, skipped = service.rules_summary()
    base = {"title": "智能监管", "active": "supervision", "skipped": skipped, "rule_names": names}
    if f is None:
        return common.render(request, user, "supervision.html", rows=[], **base, **context)
    with transaction(db(request)) as s:
        found = service.listing(s, "supervision", f, page_no, common.PER_PAGE)
        choices = service.choices(s, "supervision", f)
        last = service.last_scan(s, "supervision", f.region, f.year)
    query = common.query_of(
        region=f.region, year=f.year, status=f.status, township=f.township, rule=f.rule,
        institution=f.institution,
    )  # fmt: skip
    return common.render(
        request,
        user,
        "supervision.html",
        rows=found.rows,
        total=found.total,
        page_no=found.page_no,
        pages=found.pages,
        f=f,
        choices=choices,
        last_scan=last,
        query=query,
        message=scanned or None,
        **common.page_urls(f"{PREFIX}/supervision", query, found.page_no, found.pages),
        **base,
        **context,
    )


@router.post("/supervision/scan")
def scan(
    request: Request,
    region: str = Form(..., max_length=6),
    year: int = Form(..., ge=2000, le=2100),
    user: WebUser = Depends(common.acting_user),
) -> Response:
    with transaction(db(request)) as s:
        r = service.scan_supervision(s, library(request), region, year, user.actor)
    said = (
        f"扫描完成：{r['settlements']} 笔结算，{r['hits']} 个疑点；新增 {r['added']} 条，"
        f"更新 {r['updated']} 条"
    )
    query = {"region": region, "year": str(year), "scanned": said}
    return RedirectResponse(f"{PREFIX}/supervision?{urlencode(query)}", status_code=303)


@router.get("/supervision.xlsx")
def supervision_excel(
    request: Request, q: ListQuery = Depends(), user: WebUser = Depends(web_user)
) -> Response:
    """Every record under the filter (at most 100,000), largest amount first."""
    f, _ = _filter(request, *q.args)
    rows: list[dict[str, Any]] = []
    if f is not None:
        with transaction(db(request)) as s:
            rows = service.export_rows(s, "supervision", f, common.EXPORT_LIMIT)
    where = f"{f.region}_{f.year}" if f else ""
    return common.xlsx(
        f"智能监管疑点 {where.replace('_', ' ')}年 {f.status if f else ''}".strip(),
        f"监管疑点_{where}_{common.stamp()}.xlsx",
        COLUMNS,
        MONEY,
        rows,
        user,
    )


def _record_page(
    request: Request, user: WebUser, hit_id: int, status: int = 200, **context: Any
) -> Response:
    with transaction(db(request)) as s:
        record = service.record(s, "supervision", hit_id)
    steps = [k for k, st in SUPERVISION_STEPS.items() if record["status"] in st.starts]
    response = common.render(
        request,
        user,
        "supervision_record.html",
        title=f"监管疑点 {hit_id}",
        active="supervision",
        r=record,
        steps=steps,
        note_max=service.NOTE_MAX,
        **context,
    )
    response.status_code = status
    return response


@router.get("/supervision/{hit_id}", response_class=HTMLResponse)
def hit_page(
    request: Request,
    hit_id: int = RecordId,
    done: str = Query("", max_length=12),
    user: WebUser = Depends(web_user),
) -> Response:
    return _record_page(request, user, hit_id, message=f"已{done}" if done else None)


@router.get("/supervision/{hit_id}/decide", response_class=HTMLResponse)
def confirm_page(
    request: Request, hit_id: int = RecordId, user: WebUser = Depends(web_user)
) -> Response:
    """认定 asks first: the record, its appeal, the finding and the 扣款."""
    return _confirm(request, user, hit_id)


def _confirm(
    request: Request, user: WebUser, hit_id: int, status: int = 200, **context: Any
) -> Response:
    with transaction(db(request)) as s:
        record = service.record(s, "supervision", hit_id)
    response = common.render(
        request,
        user,
        "review_confirm.html",
        title=f"确认认定 · 监管疑点 {hit_id}",
        active="supervision",
        kind="supervision",
        r=record,
        step="decide",
        action="认定",
        findings=service.FINDINGS,
        note_max=service.NOTE_MAX,
        **context,
    )
    response.status_code = status
    return response


@router.post("/supervision/{hit_id}/{step}")
def take_step(
    request: Request,
    hit_id: int = RecordId,
    step: str = Path(..., pattern="^(start|appeal|decide)$"),
    note: str = Form("", max_length=2000),
    appeal: str = Form("", max_length=2000),
    finding: str = Form("", max_length=8),
    deduction: str = Form("", max_length=20),
    user: WebUser = Depends(common.acting_user),
) -> Response:
    url = f"{PREFIX}/supervision/{hit_id}"
    kept = {"note": note, "appeal_text": appeal, "finding": finding, "deduction": deduction}

    def refused(message: str, status: int) -> Response:
        if step in CONFIRMED:
            return _confirm(request, user, hit_id, status, error=message, **kept)
        return _record_page(request, user, hit_id, status, error=message, **kept)

    action = SUPERVISION_STEPS[step].action
    if step == "start":
        call: Any = _start
        args: tuple[Any, ...] = (hit_id, note)
    elif step == "appeal":
        call, args = _appeal, (hit_id, appeal)
    else:
        call, args = _decide, (hit_id, finding, deduction, note)
    return common.step_post(request, user, url, action, call, *args, on_refusal=refused)


def _start(session: Any, hit_id: int, note: str, actor: Any) -> Any:
    return service.start(session, hit_id, actor, note)


def _appeal(session: Any, hit_id: int, text: str, actor: Any) -> Any:
    return service.appeal(session, hit_id, actor, text)


def _decide(session: Any, hit_id: int, finding: str, deduction: str, note: str, actor: Any) -> Any:
    return service.decide(session, hit_id, actor, finding, deduction, note)
