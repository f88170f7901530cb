"""Printed forms: the 结算单 of a stored settlement and the 缴费凭证 of a payment record, each
as an HTML page with a print stylesheet and as a one-page PDF drawn on the server (web/pdf.py).

Both come from one ``Slip`` built here from the store: the settlement's amounts from its stored
row (fen, the amounts paid), its claim (dates, institution, diagnosis), the person, and the
explanation's clause citations. ID numbers and names are masked for 只读 as on every page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yibao.idcard import mask
from yibao.money import format_yuan
from yibao.policy import PolicyLibrary
from yibao.store import ledger, persons, transaction
from yibao.store.audit import mask_name
from yibao.store.errors import NotFound
from yibao.store.models import Claim, ContributionPayment
from yibao.web import labels
from yibao.web.pdf import FontMissing, Slip, render
from yibao.web.routing import ConsoleRoute
from yibao.web.session import Refused, WebUser, db, library, web_user
from yibao.web.templating import PREFIX, beijing, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

BUREAU = "医疗保障局"

# The amounts of the 结算单, in the order of the familiar form (stored settlement columns, fen).
SETTLEMENT_AMOUNTS = (
    ("医疗总费用", "medfee_sumamt"),
    ("全自费", "fulamt_ownpay_amt"),
    ("超限价自付", "overlmt_selfpay"),
    ("先行自付", "preselfpay_amt"),
    ("政策范围内", "inscp_scp_amt"),
    ("起付线", "act_pay_dedc"),
    ("基本医保统筹", "hifp_pay"),
    ("大病保险", "hifmi_pay"),
    ("医疗救助", "maf_pay"),
    ("其他基金", "oth_pay"),
    ("基金支付合计", "fund_pay_sumamt"),
    ("个人负担", "psn_part_amt"),
)


def _region_name(lib: PolicyLibrary, code: str) -> str:
    return lib.regions.get(code).name if code in lib.regions else ""


def _shown(user: WebUser, certno: str, name: str) -> tuple[str, str]:
    """ID number and name as this role may see them (只读: masked)."""
    if user.masked:
        return mask(certno), mask_name(name)
    return certno, name


def stay_days(begin: dt.date, end: dt.date) -> int:
    """住院天数 as the 结算清单 counts them: 出院日期 − 入院日期 (算入不算出); admitted and
    discharged on the same day counts as one day."""
    return max((end - begin).days, 1)


def _printed_line(user: WebUser) -> str:
    return f"打印人：{user.name}　　打印时间：{beijing(dt.datetime.now(dt.UTC))}（北京时间）"


def settlement_slip(request: Request, user: WebUser, setl_id: str) -> Slip:
    lib = library(request)
    with transaction(db(request)) as s:
        stored = ledger.get_settlement(s, setl_id)
        document = ledger.whole_document(s, lib, stored)
        claim_row = s.get(Claim, setl_id)
        claim: dict[str, Any] = dict(claim_row.row) if claim_row is not None else {}
        person = persons.get_person(s, stored.psn_no)
        certno, name = _shown(user, person.certno, person.psn_name)
        amounts = {key: int(getattr(stored, key) or 0) for _, key in SETTLEMENT_AMOUNTS}
        status, by, at, why = (
            stored.status,
            stored.reversed_by,
            stored.reversed_at,
            stored.reversal_reason,
        )
        clerk, entered = stored.created_by, stored.created_at
        setl_time, region = stored.setl_time, stored.insuplc_admdvs
        year = stored.year
    med = str(claim.get("med_type") or document["setlinfo"].get("med_type") or "")
    inpatient = med in labels.INPATIENT_MED_TYPES
    begin = dt.date.fromisoformat(str(claim["begndate"])) if claim.get("begndate") else None
    end = dt.date.fromisoformat(str(claim["enddate"])) if claim.get("enddate") else None
    days = str(stay_days(begin, end)) if inpatient and begin and end else "—"
    hosp = labels.hosp_lv(str(claim.get("hosp_lv") or ""))
    fields = [
        ("姓名", name),
        ("身份证号", certno),
        ("个人编号", stored_psn(document)),
        ("参保地", f"{_region_name(lib, region)}（{region}）"),
        ("定点机构", " ".join(x for x in (str(claim.get("fixmedins_code") or ""), hosp) if x)),
        ("医疗类别", labels.med_type(med)),
        ("诊断", str(claim.get("dise_codg") or "—")),
        ("人员类别", str(claim.get("categories") or "—").replace("|", "、") or "—"),
        ("入院日期" if inpatient else "就诊日期", begin.isoformat() if begin else "—"),
        ("出院日期" if inpatient else "结束日期", end.isoformat() if end else "—"),
        ("住院天数", days),
        ("结算时间", f"{setl_time:%Y-%m-%d %H:%M}（北京时间）"),
        ("结算编号", setl_id),
        ("经办人", clerk),
        ("录入时间", f"{beijing(entered)}（北京时间）"),
        ("状态", "已撤销" if status == "reversed" else "已结算"),
    ]
    rows = [
        (label, format_yuan(amounts[key]))
        for label, key in SETTLEMENT_AMOUNTS
        if key != "oth_pay" or amounts[key]
    ]
    banner = ""
    if status == "reversed":
        banner = (
            f"本次结算已撤销：撤销人 {by or '—'}，撤销时间 {beijing(at)}（北京时间），"
            f"撤销原因 {why or '（撤销时未记录原因）'}。各项基金支付已退回，本单仅作存档。"
        )
    entitlement = document.get("entitlement") or {}
    if entitlement and not entitlement.get("payable", True):
        banner = (banner + " " if banner else "") + str(entitlement.get("reason") or "")
    return Slip(
        title="城乡居民基本医疗保险 医疗费用结算单",
        subtitle=f"{_region_name(lib, region)}（{region}）{BUREAU} · {year}年度",
        fields=fields,
        amounts=rows,
        notes=citations(document.get("explanation") or []),
        notes_title="政策依据（计算说明所引文件与条款）",
        banner=banner,
        footer=[
            "参保人（签字）：＿＿＿＿＿＿　　定点机构（盖章）：＿＿＿＿＿＿",
            _printed_line(user),
        ],
        page_size="A4",
    )


def stored_psn(document: dict[str, Any]) -> str:
    return str(document.get("psn_no") or document["setlinfo"].get("psn_no") or "")


def citations(explanation: list[dict[str, Any]]) -> list[str]:
    """Each step of the explanation with the document and clause it rests on, in order, once
    per (document, clause); assumed values are said to be assumed."""
    seen: set[tuple[str, str]] = set()
    out = []
    for entry in labels.explanation(explanation):
        src, clause = str(entry.get("source") or ""), str(entry.get("clause") or "")
        if not src and not clause:
            continue
        if (src, clause) in seen:
            continue
        seen.add((src, clause))
        cite = f"{entry['step']}：{src}" + (f" {clause}" if clause else "")
        if entry.get("assumed") and src != labels.OWN_SOURCE_LABEL:
            cite += "（假定值）"
        out.append(cite)
    return out


def receipt_slip(request: Request, user: WebUser, payment_id: str) -> Slip:
    lib = library(request)
    with transaction(db(request)) as s:
        row = s.scalar(
            select(ContributionPayment).where(ContributionPayment.payment_id == payment_id)
        )
        if row is None:
            raise NotFound(f"payment_id: 无票据号为 {payment_id} 的缴费记录")
        person = persons.get_person(s, row.psn_no)
        enrollment = persons.enrollment_for(s, row.psn_no, row.year)
        region = enrollment.insuplc_admdvs if enrollment is not None else person.insuplc_admdvs
        certno, name = _shown(user, person.certno, person.psn_name)
        kind = row.kind + (f"（冲正票据号 {row.refers_to}）" if row.refers_to else "")
        fields = [
            ("参保人", name),
            ("身份证号", certno),
            ("个人编号", row.psn_no),
            ("参保地", f"{_region_name(lib, region)}（{region}）"),
            ("年度", f"{row.year}年度"),
            ("票据号", row.payment_id),
            ("类型", kind),
            ("缴费日期", row.paid_on.isoformat()),
            ("资助资金", row.subsidy_fund or "—"),
            ("资助类别", row.applied_category or "—"),
            ("渠道", row.channel or "—"),
            ("经办人", row.created_by or "—"),
        ]
        if row.reason:
            fields.append(("原因", row.reason))
        amounts = [
            ("个人缴费", format_yuan(row.personal_paid)),
            ("资助参保", format_yuan(row.assistance_subsidy)),
            ("合计", format_yuan(row.personal_paid + row.assistance_subsidy)),
        ]
        if row.supplement_product:
            amounts.append(
                (f"渝快保补贴（{row.supplement_product}）", format_yuan(row.supplement_subsidy))
            )
    return Slip(
        title="城乡居民基本医疗保险缴费凭证",
        subtitle=f"{_region_name(lib, region)}（{region}）{BUREAU}",
        fields=fields,
        amounts=amounts,
        footer=["金额单位：元。退费、冲正以负数表示。", _printed_line(user)],
        page_size="A5",
    )


def _pdf(slip: Slip, filename: str) -> Response:
    try:
        body = render(slip)
    except FontMissing as exc:
        raise Refused(503, str(exc)) from None
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.get("/settlements/{setl_id}/print", response_class=HTMLResponse)
def settlement_print(request: Request, setl_id: str, user: WebUser = Depends(web_user)) -> Response:
    slip = settlement_slip(request, user, setl_id)
    return page(
        request,
        user,
        "print_slip.html",
        title=f"打印结算单 {setl_id}",
        active="settle",
        slip=slip,
        back=(f"{PREFIX}/settlements/{setl_id}", "返回结算单"),
        pdf_url=f"{PREFIX}/settlements/{setl_id}/print.pdf",
    )


@router.get("/settlements/{setl_id}/print.pdf")
def settlement_pdf(request: Request, setl_id: str, user: WebUser = Depends(web_user)) -> Response:
    return _pdf(settlement_slip(request, user, setl_id), f"结算单-{setl_id}.pdf")


@router.get("/payments/{payment_id}/receipt.pdf")
def receipt_pdf(request: Request, payment_id: str, user: WebUser = Depends(web_user)) -> Response:
    return _pdf(receipt_slip(request, user, payment_id), f"缴费凭证-{payment_id}.pdf")
