"""预警 (issue 16): the stored 因病返贫致贫预警 of the scope, filtered by status and township,
50 a page with the total, the 扫描 button, one record with its history and its workflow
(核实 → 推送 → 处置, 排除 with a reason; 推送 / 处置 / 排除 after a confirmation page), and the
Excel export of the filtered list. Reads indexed records, never the year's settlements."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.engine.warning import warning_lines
from yibao.services import reviews as service
from yibao.store import transaction
from yibao.store.review_models import WARNING_STATUSES
from yibao.store.reviews import WARNING_STEPS, Filter
from yibao.web import reviews as common
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.templating import PREFIX

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
RecordId = Path(..., ge=1, le=2**31 - 1)

COLUMNS = (
    ("id", "预警编号"),
    ("status", "状态"),
    ("township", "乡镇（街道）"),
    ("psn_no", "个人编号"),
    ("psn_name", "姓名"),
    ("certno", "身份证号"),
    ("categories", "身份类别"),
    ("claim_count", "结算笔数"),
    ("medfee_sumamt", "医疗费总额"),
    ("fund_pay_sumamt", "基金支付"),
    ("amount", "个人自付"),
    ("threshold", "预警线"),
    ("basis", "预警依据"),
    ("pushed_to", "推送部门"),
    ("updated_at", "最近办理（北京时间）"),
)
MONEY = {"medfee_sumamt", "fund_pay_sumamt", "amount", "threshold"}
# The steps that open a confirmation page first: they close the record or leave the bureau.
CONFIRMED = {"push", "dispose", "exclude"}


def _filter(request: Request, region: str, year: int | None, status: str, township: str) -> Any:
    scope, context = common.scope_of(request, region, year)
    if scope is None:
        return None, context
    if status and status not in WARNING_STATUSES:
        status = ""
    return Filter(scope.region, scope.year, status=status, township=township), context


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    status: str = Query("", max_length=8),
    township: str = Query("", max_length=100),
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    scanned: str = Query("", max_length=200),
    user: WebUser = Depends(web_user),
) -> Response:
    f, context = _filter(request, region, year, status, township)
    if f is None:
        return common.render(
            request, user, "warnings.html", title="因病返贫致贫预警", active="warnings",
            rows=[], **context,
        )  # fmt: skip
    with transaction(db(request)) as s:
        found = service.listing(s, "warning", f, page_no, common.PER_PAGE)
        choices = service.choices(s, "warning", f)
        last = service.last_scan(s, "warning", f.region, f.year)
    query = common.query_of(region=f.region, year=f.year, status=f.status, township=f.township)
    return common.render(
        request,
        user,
        "warnings.html",
        title="因病返贫致贫预警",
        active="warnings",
        rows=found.rows,
        total=found.total,
        page_no=found.page_no,
        pages=found.pages,
        status_filter=f.status,
        township=f.township,
        statuses=WARNING_STATUSES,
        choices=choices,
        last_scan=last,
        lines=warning_lines(library(request).resolve(f.region, f.year)),
        query=query,
        message=scanned or None,
        **common.page_urls(f"{PREFIX}/warnings", query, found.page_no, found.pages),
        **context,
    )


@router.post("/warnings/scan")
def scan(
    request: Request,
    region: str = Form(..., max_length=6),
    year: int = Form(..., ge=2000, le=2100),
    user: WebUser = Depends(common.acting_user),
) -> Response:
    """扫描: the warning engine over the scope's stored settlements (idempotent), then back to
    the list with what it found."""
    with transaction(db(request)) as s:
        r = service.scan_warnings(s, library(request), region, year, user.actor)
    said = (
        f"扫描完成：{r['settlements']} 笔结算，{r['flagged']} 人达到预警线；新增 {r['added']} 条，"
        f"更新金额 {r['updated']} 条，未达预警线 {r['below_line']} 条"
    )
    query = {"region": region, "year": str(year), "scanned": said}
    return RedirectResponse(f"{PREFIX}/warnings?{urlencode(query)}", status_code=303)


@router.get("/warnings.xlsx")
def warnings_excel(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    status: str = Query("", max_length=8),
    township: str = Query("", max_length=100),
    user: WebUser = Depends(web_user),
) -> Response:
    """Every record under the filter (at most 100,000), largest 个人自付 first."""
    f, _ = _filter(request, region, year, status, township)
    rows: list[dict[str, Any]] = []
    if f is not None:
        with transaction(db(request)) as s:
            rows = service.export_rows(s, "warning", f, common.EXPORT_LIMIT)
    where = f"{f.region}_{f.year}" if f else ""
    return common.xlsx(
        f"因病返贫致贫预警名单 {where.replace('_', ' ')}年 {f.status if f else ''}".strip(),
        f"预警名单_{where}_{common.stamp()}.xlsx",
        COLUMNS,
        MONEY,
        rows,
        user,
    )


def _record_page(
    request: Request,
    user: WebUser,
    warning_id: int,
    status: int = 200,
    **context: Any,
) -> Response:
    with transaction(db(request)) as s:
        record = service.record(s, "warning", warning_id)
    steps = [k for k, st in WARNING_STEPS.items() if record["status"] in st.starts]
    response = common.render(
        request,
        user,
        "warning.html",
        title=f"预警 {warning_id}",
        active="warnings",
        r=record,
        steps=steps,
        step_names={k: st.action for k, st in WARNING_STEPS.items()},
        confirmed=CONFIRMED,
        targets=service.PUSH_TARGETS,
        **context,
    )
    response.status_code = status
    return response


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(
    request: Request,
    warning_id: int = RecordId,
    done: str = Query("", max_length=12),
    user: WebUser = Depends(web_user),
) -> Response:
    message = f"已{done}" if done else None
    return _record_page(request, user, warning_id, message=message)


@router.get("/warnings/{warning_id}/{step}", response_class=HTMLResponse)
def confirm_page(
    request: Request,
    warning_id: int = RecordId,
    step: str = Path(..., pattern="^(push|dispose|exclude)$"),
    user: WebUser = Depends(web_user),
) -> Response:
    """推送 / 处置 / 排除 ask first: the record, what the step does, its fields."""
    return _confirm(request, user, warning_id, step)


def _confirm(
    request: Request,
    user: WebUser,
    warning_id: int,
    step: str,
    status: int = 200,
    **context: Any,
) -> Response:
    with transaction(db(request)) as s:
        record = service.record(s, "warning", warning_id)
    response = common.render(
        request,
        user,
        "review_confirm.html",
        title=f"确认{WARNING_STEPS[step].action} · 预警 {warning_id}",
        active="warnings",
        kind="warning",
        r=record,
        step=step,
        action=WARNING_STEPS[step].action,
        targets=service.PUSH_TARGETS,
        note_max=service.NOTE_MAX,
        **context,
    )
    response.status_code = status
    return response


@router.post("/warnings/{warning_id}/{step}")
def take_step(
    request: Request,
    warning_id: int = RecordId,
    step: str = Path(..., pattern="^(verify|push|dispose|exclude)$"),
    note: str = Form("", max_length=2000),
    targets: list[str] = Form([]),
    user: WebUser = Depends(common.acting_user),
) -> Response:
    url = f"{PREFIX}/warnings/{warning_id}"
    kept = {"note": note, "chosen": targets}

    def refused(message: str, status: int) -> Response:
        if step in CONFIRMED:
            return _confirm(request, user, warning_id, step, status, error=message, **kept)
        return _record_page(request, user, warning_id, status, error=message, **kept)

    action = WARNING_STEPS[step].action
    if step == "verify":
        return common.step_post(
            request, user, url, action, _by(service.verify), warning_id, note,
            on_refusal=refused,
        )  # fmt: skip
    if step == "push":
        return common.step_post(
            request, user, url, action, _push, warning_id, targets, note, on_refusal=refused
        )
    call = service.dispose if step == "dispose" else service.exclude
    return common.step_post(
        request, user, url, action, _by(call), warning_id, note, on_refusal=refused
    )


def _by(call: Any) -> Any:
    """The service takes (session, id, actor, text); step_post passes the actor last."""

    def run(session: Any, record_id: int, text: str, actor: Any) -> Any:
        return call(session, record_id, actor, text)

    return run


def _push(session: Any, record_id: int, targets: list[str], note: str, actor: Any) -> Any:
    return service.push(session, record_id, actor, targets, note)
