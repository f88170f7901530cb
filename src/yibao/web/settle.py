"""结算: enter a claim (or open one already settled), 预结算, 结算, 撤销. The result shows each
layer (基本医保 / 大病保险 / 医疗救助 / 个人自付) as a bar and the clause-by-clause explanation.
Settling goes through the API's settle function and the store's ledger (idempotent, locked)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from yibao.api.schemas import PreviewIn, SettleIn
from yibao.codes import FUND_NAMES, HOSP_LVS, MED_TYPES
from yibao.engine.register import RegisterError
from yibao.money import yuan_to_fen
from yibao.store import aggregates, ledger, persons, transaction
from yibao.store.errors import Invalid
from yibao.web.charts import stacked_bar
from yibao.web.messages import describe
from yibao.web.routing import ConsoleRoute
from yibao.web.session import Refused, WebUser, allowed, bureau, db, library, web_user
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

# The four layers of 一站式结算, in payment order (setlinfo names).
LAYERS = (
    ("基本医保", "hifp_pay", "#1f5fa8"),
    ("大病保险", "hifmi_pay", "#d9822b"),
    ("医疗救助", "maf_pay", "#2e8b57"),
    ("其他基金", "oth_pay", "#8e44ad"),
    ("个人自付", "psn_part_amt", "#9aa5b1"),
)
FUNDS = FUND_NAMES  # fund_pay_type → the platform's name (data/codes.yaml)
RECENT = 30
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")


def layers(setlinfo: dict[str, Any]) -> list[tuple[str, int, str]]:
    """The settlement's layers in fen (the document carries yuan)."""
    out = []
    for label, key, color in LAYERS:
        fen = yuan_to_fen(setlinfo.get(key) or 0, key)
        if key != "oth_pay" or fen:
            out.append((label, fen, color))
    return out


def layer_chart(setlinfo: dict[str, Any]) -> Markup:
    return stacked_bar("本次结算分层支付", layers(setlinfo))


def _recent(request: Request) -> list[dict[str, Any]]:
    with transaction(db(request)) as s:
        rows = ledger.recent_settlements(s, RECENT)
        return [
            {
                "setl_id": r.setl_id,
                "psn_no": r.psn_no,
                "setl_time": r.setl_time.isoformat(sep=" ", timespec="minutes"),
                "created_at": r.created_at,
                "medfee_sumamt": r.medfee_sumamt,
                "fund_pay_sumamt": r.fund_pay_sumamt,
                "psn_part_amt": r.psn_part_amt,
                "status": r.status,
            }
            for r in rows
        ]


def _form_day(year: int | None) -> dt.date:
    """The default day of a claim: today, or when the bureau works in another year, that
    year's last working day (a day with a policy, not today's date in a year without one)."""
    today = dt.date.today()
    if year is None or today.year == year:
        return today
    day = dt.date(year, 12, 31)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _form_defaults(psn_no: str, year: int | None = None) -> dict[str, str]:
    today = _form_day(year)
    return {
        "setl_id": "",
        "psn_no": psn_no,
        "med_type": "21",
        "hosp_lv": "05",
        "begndate": (today - dt.timedelta(days=7)).isoformat(),
        "enddate": today.isoformat(),
        "setl_time": f"{today.isoformat()}T10:00",
        "medfee_sumamt": "",
        "fulamt_ownpay_amt": "0",
        "overlmt_selfpay": "0",
        "preselfpay_amt": "0",
        "fixmedins_code": "",
        "dise_codg": "",
    }


def _settle_page(
    request: Request, user: WebUser, form: dict[str, str], status: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        user,
        "settle.html",
        status=status,
        title="结算",
        active="settle",
        form=form,
        med_types=MED_TYPES,
        hosp_lvs=HOSP_LVS,
        recent=_recent(request),
        funds=FUNDS,
        **extra,
    )


@router.get("/settle", response_class=HTMLResponse)
def settle_page(
    request: Request, psn_no: str = Query("", max_length=40), user: WebUser = Depends(web_user)
) -> Response:
    return _settle_page(request, user, _form_defaults(psn_no, bureau(request)[1]))


def _claim(request: Request, form: dict[str, str]) -> dict[str, Any]:
    """The claim body (API schema names, yuan) from the form; ID number and region from the
    person as registered."""
    with transaction(db(request)) as s:
        person = persons.get_person(s, form["psn_no"].strip())
        certno, region = person.certno, person.insuplc_admdvs
    return {
        "psn_no": form["psn_no"].strip(),
        "certno": certno,
        "insuplc_admdvs": region,
        "med_type": form["med_type"],
        "hosp_lv": form["hosp_lv"],
        "setl_time": form["setl_time"],
        "begndate": form["begndate"],
        "enddate": form["enddate"],
        "fixmedins_code": form["fixmedins_code"].strip(),
        "dise_codg": form["dise_codg"].strip(),
        **{k: _ungrouped(form[k]) for k in AMOUNTS},
    }


GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?")


def _ungrouped(text: str) -> str:
    """An amount as typed ("" is 0): thousands separators as on an invoice (128,600.00) are
    taken off; anything else goes to the schema as typed, which names the field if it is bad."""
    text = text.strip()
    if GROUPED.fullmatch(text):
        return text.replace(",", "")
    return text or "0"


def _form(**fields: str) -> dict[str, str]:
    return {k: v if isinstance(v, str) else "" for k, v in fields.items()}


def _fields(
    setl_id: str = Form("", max_length=64),
    psn_no: str = Form(..., max_length=40),
    med_type: str = Form("21", max_length=4),
    hosp_lv: str = Form("05", max_length=2),
    begndate: str = Form(..., max_length=10),
    enddate: str = Form(..., max_length=10),
    setl_time: str = Form(..., max_length=19),
    medfee_sumamt: str = Form(..., max_length=20),
    fulamt_ownpay_amt: str = Form("0", max_length=20),
    overlmt_selfpay: str = Form("0", max_length=20),
    preselfpay_amt: str = Form("0", max_length=20),
    fixmedins_code: str = Form("", max_length=40),
    dise_codg: str = Form("", max_length=40),
) -> dict[str, str]:
    return _form(
        setl_id=setl_id,
        psn_no=psn_no,
        med_type=med_type,
        hosp_lv=hosp_lv,
        begndate=begndate,
        enddate=enddate,
        setl_time=setl_time,
        medfee_sumamt=medfee_sumamt,
        fulamt_ownpay_amt=fulamt_ownpay_amt,
        overlmt_selfpay=overlmt_selfpay,
        preselfpay_amt=preselfpay_amt,
        fixmedins_code=fixmedins_code,
        dise_codg=dise_codg,
    )


@router.post("/settle/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    form: dict[str, str] = Depends(_fields),
    user: WebUser = Depends(allowed("settle")),
) -> Response:
    """预结算: nothing is written; the page offers 确认结算 with the same claim and setl_id."""
    form["setl_id"] = form["setl_id"].strip() or new_setl_id()
    try:
        body = PreviewIn(**_claim(request, form), setl_id=form["setl_id"])
    except ValidationError as exc:  # the form again, the input kept, the fields named in Chinese
        return _settle_page(request, user, form, refusal=describe(exc.errors(), skip=0), status=422)
    with db(request)() as s:
        try:
            document = ledger.preview(s, library(request), body.to_row())
        except RegisterError as exc:
            refusal = str(exc).split(": ", 1)[-1]
        else:
            refusal = None
        finally:
            s.rollback()
    if refusal is not None:
        # 未参保, another 参保地 …: said on the page with the form kept, and no 结算.
        return _settle_page(request, user, form, refusal=refusal)
    return _settle_page(
        request, user, form, result=document, chart=layer_chart(document["setlinfo"])
    )


def new_setl_id() -> str:
    return f"WEB{dt.datetime.now():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


@router.post("/settle", response_class=HTMLResponse)
def settle(
    request: Request,
    form: dict[str, str] = Depends(_fields),
    user: WebUser = Depends(allowed("settle")),
) -> Response:
    form["setl_id"] = form["setl_id"].strip() or new_setl_id()
    try:
        body = SettleIn(**_claim(request, form), setl_id=form["setl_id"])
    except ValidationError as exc:
        return _settle_page(request, user, form, refusal=describe(exc.errors(), skip=0), status=422)
    with transaction(db(request)) as s:
        ledger.settle(s, library(request), body.to_row(), user.actor)
    return RedirectResponse(f"{PREFIX}/settlements/{form['setl_id']}", status_code=303)


@router.get("/settlements/{setl_id}", response_class=HTMLResponse)
def settlement_page(request: Request, setl_id: str, user: WebUser = Depends(web_user)) -> Response:
    with transaction(db(request)) as s:
        stored = ledger.get_settlement(s, setl_id)
        document = ledger.whole_document(s, library(request), stored)
        name = persons.get_person(s, stored.psn_no).psn_name
    return page(
        request,
        user,
        "settlement.html",
        title=f"结算单 {setl_id}",
        active="settle",
        result=document,
        psn_name=name,
        chart=layer_chart(document["setlinfo"]),
        funds=FUNDS,
        med_types=MED_TYPES,
    )


@router.get("/settlements/{setl_id}/reverse", response_class=HTMLResponse)
def reverse_form(request: Request, setl_id: str, user: WebUser = Depends(web_user)) -> Response:
    """撤销 asks first: the settlement's layers, who settled it and when, and the 撤销原因."""
    if not user.can("reverse"):
        raise Refused(403, f"role: {user.role}无权执行此操作（需要审核角色）")
    return _reverse_page(request, user, setl_id)


def _reverse_page(
    request: Request, user: WebUser, setl_id: str, reason: str = "", error: str | None = None
) -> Response:
    with transaction(db(request)) as s:
        stored = ledger.get_settlement(s, setl_id)
        if stored.status == "reversed":
            return RedirectResponse(f"{PREFIX}/settlements/{setl_id}", status_code=303)
        document = ledger.whole_document(s, library(request), stored)
        settled = {"by": stored.created_by, "at": stored.created_at, "time": stored.setl_time}
        name = persons.get_person(s, stored.psn_no).psn_name
    return page(
        request,
        user,
        "settlement_reverse.html",
        status=200 if error is None else 422,
        title=f"撤销结算 {setl_id}",
        active="settle",
        result=document,
        psn_name=name,
        med_types=MED_TYPES,
        settled=settled,
        chart=layer_chart(document["setlinfo"]),
        reason=reason,
        reason_max=ledger.REASON_MAX,
        error=error,
    )


@router.post("/settlements/{setl_id}/reverse", response_class=HTMLResponse)
def reverse(
    request: Request,
    setl_id: str,
    reason: str = Form(""),
    user: WebUser = Depends(allowed("reverse")),
) -> Response:
    """确认撤销: reversed with the reason, then the settlement page (303, so F5 does nothing);
    without a reason the form again, with the message and what was typed, nothing changed."""
    try:
        with db(request)() as s, s.begin():
            ledger.reverse(s, setl_id, user.actor, reason)
    except Invalid as exc:
        message = str(exc).split(": ", 1)[-1]
        return _reverse_page(request, user, setl_id, reason, f"{message}，未撤销")
    return RedirectResponse(f"{PREFIX}/settlements/{setl_id}?reversed=1", status_code=303)


# ------------------------------------------------------------------- 结算查询
QUERY_PAGE = 30
MAX_PERSONS = 1000  # persons a name or ID search may stand for
STATUSES = {"settled": "已结算", "reversed": "已撤销"}


def _day(text: str, field: str, label: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"{field}: {label}应为日期（YYYY-MM-DD），收到“{text}”") from None


def _listing_query(s: Any, year: int, form: dict[str, str]) -> aggregates.ListingQuery:
    """The filters as typed, checked (Invalid names the field and says why)."""
    date_from = _day(form["date_from"], "date_from", "开始日期")
    date_to = _day(form["date_to"], "date_to", "结束日期")
    if date_from and date_to and date_from > date_to:
        raise Invalid("date_to: 结束日期不能早于开始日期")
    for day, field in ((date_from, "date_from"), (date_to, "date_to")):
        if day is not None and day.year not in (year, year + 1):
            raise Invalid(f"{field}: 日期应在{year}年度内（跨年度住院可至次年）")
    if form["med_type"] and form["med_type"] not in MED_TYPES:
        raise Invalid(f"med_type: 未知的医疗类别 {form['med_type']}")
    if form["status"] and form["status"] not in STATUSES:
        raise Invalid("status: 状态应为 已结算 或 已撤销")
    q = form["q"].strip()
    psn_nos: tuple[str, ...] | None = None
    setl_id = ""
    if q:
        if aggregates.is_listed(s.connection(), q):
            setl_id = q
        else:
            found, total = persons.search_persons(s, q, limit=MAX_PERSONS)
            if total > MAX_PERSONS:
                raise Invalid(f"q: “{q}”匹配 {total} 人，请输入更完整的姓名或身份证号")
            psn_nos = tuple(p.psn_no for p in found)
    return aggregates.ListingQuery(
        year=year,
        date_from=date_from,
        date_to=date_to,
        fixmedins_code=form["fixmedins_code"].strip(),
        med_type=form["med_type"],
        status=form["status"],
        psn_nos=psn_nos,
        setl_id=setl_id,
    )


@router.get("/settlements", response_class=HTMLResponse)
def settlements_query(
    request: Request,
    year: int | None = Query(None, ge=2000, le=2100),
    date_from: str = Query("", max_length=10),
    date_to: str = Query("", max_length=10),
    fixmedins_code: str = Query("", max_length=40),
    med_type: str = Query("", max_length=4),
    status: str = Query("", max_length=10),
    q: str = Query("", max_length=40),
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    user: WebUser = Depends(web_user),
) -> Response:
    """结算查询: by date range, 定点机构, 医疗类别, 状态, name or ID (or a 结算流水号), 30 a
    page with the count and totals of everything that matches (the indexed settlement
    listing, not the settlements). Bad input: the page with the message and the input kept."""
    form = {
        "date_from": date_from,
        "date_to": date_to,
        "fixmedins_code": fixmedins_code,
        "med_type": med_type,
        "status": status,
        "q": q,
    }
    error = None
    rows: list[dict[str, Any]] = []
    totals: dict[str, int] = {"count": 0}
    with transaction(db(request)) as s:
        chosen = (
            year
            or bureau(request)[1]
            or aggregates.latest_year(s.connection())
            or dt.date.today().year
        )
        try:
            query = _listing_query(s, chosen, form)
        except Invalid as exc:
            error = str(exc).split(": ", 1)[-1]
        else:
            rows, totals = aggregates.query_listing(
                s.connection(), query, QUERY_PAGE, (page_no - 1) * QUERY_PAGE
            )
            last = max(1, -(-totals["count"] // QUERY_PAGE))
            if page_no > last:  # past the end (a stale link): the last page
                page_no = last
                rows, totals = aggregates.query_listing(
                    s.connection(), query, QUERY_PAGE, (page_no - 1) * QUERY_PAGE
                )
    pages = max(1, -(-totals["count"] // QUERY_PAGE))
    return page(
        request,
        user,
        "settlements.html",
        status=200 if error is None else 422,
        title="结算查询",
        active="settle",
        form=form,
        year=chosen,
        rows=rows,
        totals=totals,
        page_no=page_no,
        pages=pages,
        error=error,
        med_types=MED_TYPES,
        statuses=STATUSES,
        query_string=_query_string(chosen, form),
    )


def _query_string(year: int, form: dict[str, str]) -> str:
    return urlencode({"year": year, **{k: v for k, v in form.items() if v}})
