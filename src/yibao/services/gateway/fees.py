"""费用明细: 2204 门诊费用明细上传 / 2205 撤销, 2301 住院费用明细上传 / 2302 撤销.

Each line is split when it is uploaded (services.gateway.split) and the split is returned per
line (``result``); the settlement's amounts are the sums of the lines it settles. A line's
``feedetl_sn`` is unique within its encounter among the lines not cancelled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.money import fen_to_json, yuan_to_fen
from yibao.services.gateway.context import Context
from yibao.services.gateway.encounters import STATUS_NAMES, encounter_of
from yibao.services.gateway.envelope import Fields, GatewayError
from yibao.services.gateway.split import VisitFacts, catalogue_for, level_map, split_line
from yibao.store import gateway
from yibao.store.gateway_models import GatewayEncounter, GatewayFeeLine
from yibao.store.models import Person

MAX_LINES = 2000


def _open_for_detail(data: Fields, enc: GatewayEncounter) -> None:
    allowed = ("registered",) if enc.kind == "门诊" else ("admitted", "discharged")
    if enc.status not in allowed:
        raise data.fail(
            "mdtrt_id", f" {enc.mdtrt_id} 状态为{STATUS_NAMES[enc.status]}，不能上传或撤销费用明细"
        )


def amount_checked(line: Fields) -> int:
    """det_item_fee_sumamt, which must be cnt × pric to the fen (half up)."""
    amount = line.yuan("det_item_fee_sumamt")
    cnt = line.decimal("cnt")
    pric = line.decimal("pric")
    if cnt <= 0 or pric < 0:
        raise line.fail("cnt", "须为正数，单价不能为负数")
    product = (cnt * pric * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    if int(product) != amount:
        raise line.fail(
            "det_item_fee_sumamt",
            f" {fen_to_json(amount):.2f} 与数量×单价 {fen_to_json(int(product)):.2f} 不符",
        )
    return amount


def _visit(ctx: Context, enc: GatewayEncounter) -> VisitFacts:
    person = ctx.session.get(Person, enc.psn_no)
    assert person is not None  # the encounter's foreign key
    first = enc.begntime.date()
    born = person.brdy
    age = first.year - born.year - ((first.month, first.day) < (born.month, born.day))
    return VisitFacts(enc.hosp_lv, enc.med_type, person.gend, age, enc.mdtrtarea_admvs)


def upload(ctx: Context) -> dict[str, Any]:
    """2204 / 2301: feedetail rows → result rows with the split of each line."""
    rows = ctx.node_rows("feedetail")
    if len(rows) > MAX_LINES:
        raise GatewayError(f"input.feedetail: 费用明细一次至多{MAX_LINES}条")
    kind = "门诊" if ctx.envelope.infno == "2204" else "住院"
    first = rows[0]
    enc = encounter_of(ctx, first, kind)
    _open_for_detail(first, enc)
    kept = gateway.lines(ctx.session, enc.mdtrt_id, ("uploaded", "settled"))
    present = {line.feedetl_sn for line in kept}
    visit = _visit(ctx, enc)
    catalogue = catalogue_for(enc.mdtrtarea_admvs)
    levels = level_map(ctx.library, enc.mdtrtarea_admvs, enc.begntime.year)
    seen: set[str] = set()
    result = []
    for row in rows:
        if row.text("mdtrt_id", 40) != enc.mdtrt_id or row.text("psn_no", 40) != enc.psn_no:
            raise row.fail(
                "mdtrt_id", "：同一报文的费用明细须属于同一就诊（mdtrt_id、psn_no 相同）"
            )
        sn = row.text("feedetl_sn", 30)
        if sn in present or sn in seen:
            raise row.fail("feedetl_sn", f" {sn} 在本次就诊中已上传")
        seen.add(sn)
        occurred = row.time("fee_ocur_time")
        assert occurred is not None
        if occurred < enc.begntime.replace(hour=0, minute=0, second=0):
            raise row.fail("fee_ocur_time", "早于就诊开始日期")
        if enc.endtime is not None and occurred.date() > enc.endtime.date():
            raise row.fail("fee_ocur_time", "晚于出院日期")
        code = row.text("med_list_codg", 50)
        amount = row.yuan("det_item_fee_sumamt")
        cnt, pric = row.decimal("cnt"), row.decimal("pric")
        if cnt <= 0:
            raise row.fail("cnt", "须为正数")
        if pric < 0:
            raise row.fail("pric", "不能为负数")
        split = split_line(
            row,
            sn=sn,
            code=code,
            day=occurred.date(),
            cnt=cnt,
            pric=pric,
            amount=amount,
            visit=visit,
            catalogue=catalogue,
            levels=levels,
        )
        line = GatewayFeeLine(
            mdtrt_id=enc.mdtrt_id,
            feedetl_sn=sn,
            chrg_bchno=row.text("chrg_bchno", 30, required=kind == "门诊"),
            med_list_codg=code,
            medins_list_codg=row.text("medins_list_codg", 150, required=False),
            med_list_name=split.med_list_name,
            fee_ocur_time=occurred,
            cnt=str(cnt),
            pric=str(pric),
            det_item_fee_sumamt=amount,
            fulamt_ownpay_amt=split.fulamt_ownpay_amt,
            overlmt_amt=split.overlmt_amt,
            preselfpay_amt=split.preselfpay_amt,
            inscp_scp_amt=split.inscp_scp_amt,
            chrgitm_lv=split.chrgitm_lv,
            selfpay_prop_bp=split.selfpay_prop_bp,
            pric_uplmt_amt=split.pric_uplmt_amt,
            med_chrgitm_type=split.med_chrgitm_type,
            lmt_used_flag=split.lmt_used_flag,
            split_source=split.source,
            status="uploaded",
            msgid=ctx.envelope.msgid,
        )
        ctx.session.add(line)
        result.append(line_output(line))
    ctx.session.flush()
    return {"result": result}


def line_output(line: GatewayFeeLine) -> dict[str, Any]:
    return {
        "feedetl_sn": line.feedetl_sn,
        "det_item_fee_sumamt": fen_to_json(line.det_item_fee_sumamt),
        "cnt": float(Decimal(line.cnt)),
        "pric": float(Decimal(line.pric)),
        "pric_uplmt_amt": None if line.pric_uplmt_amt is None else fen_to_json(line.pric_uplmt_amt),
        "selfpay_prop": line.selfpay_prop_bp / 10_000,
        "fulamt_ownpay_amt": fen_to_json(line.fulamt_ownpay_amt),
        "overlmt_amt": fen_to_json(line.overlmt_amt),
        "preselfpay_amt": fen_to_json(line.preselfpay_amt),
        "inscp_scp_amt": fen_to_json(line.inscp_scp_amt),
        "chrgitm_lv": line.chrgitm_lv,
        "med_chrgitm_type": line.med_chrgitm_type,
        "lmt_used_flag": line.lmt_used_flag,
        "memo": line.split_source,
    }


def cancel(ctx: Context) -> dict[str, Any]:
    """2205 (data {mdtrt_id, chrg_bchno, psn_no}: the batch's lines) and 2302 (data rows
    {feedetl_sn, mdtrt_id, psn_no}; feedetl_sn "0000": every unsettled line)."""
    if ctx.envelope.infno == "2205":
        data = ctx.data()
        enc = encounter_of(ctx, data, "门诊")
        _open_for_detail(data, enc)
        bchno = data.text("chrg_bchno", 30)
        lines = gateway.lines(ctx.session, enc.mdtrt_id, chrg_bchno=bchno)
        if not lines:
            raise data.fail("chrg_bchno", f" {bchno} 无未结算的费用明细")
    else:
        rows = ctx.node_rows("data")
        enc = encounter_of(ctx, rows[0], "住院")
        _open_for_detail(rows[0], enc)
        open_lines = {line.feedetl_sn: line for line in gateway.lines(ctx.session, enc.mdtrt_id)}
        lines = []
        for row in rows:
            if row.text("mdtrt_id", 40) != enc.mdtrt_id:
                raise row.fail("mdtrt_id", "：同一报文的撤销须属于同一就诊")
            sn = row.text("feedetl_sn", 30)
            if sn == "0000":
                lines = list(open_lines.values())
                break
            if sn not in open_lines:
                raise row.fail("feedetl_sn", f" {sn} 不是本次就诊未结算的费用明细")
            lines.append(open_lines[sn])
    for line in lines:
        line.status = "cancelled"
        line.cancel_msgid = ctx.envelope.msgid
    ctx.session.flush()
    return {}


def total_of(lines: list[GatewayFeeLine]) -> dict[str, int]:
    """The claim amounts (fen) of the lines settled together."""
    return {
        "medfee_sumamt": sum(line.det_item_fee_sumamt for line in lines),
        "fulamt_ownpay_amt": sum(line.fulamt_ownpay_amt for line in lines),
        "overlmt_selfpay": sum(line.overlmt_amt for line in lines),
        "preselfpay_amt": sum(line.preselfpay_amt for line in lines),
    }


def fen_of_json(value: Any) -> int:
    """A yuan JSON value of the engine's document (a float from fen_to_json) back to fen,
    through its shortest text, which is exact for every 2-decimal amount below 2**53 fen."""
    return yuan_to_fen(str(value), "amount")
