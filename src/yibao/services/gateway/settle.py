"""结算: 2206 门诊预结算, 2207 门诊结算, 2208 门诊结算撤销; 2303 住院预结算, 2304 住院结算
(``mid_setl_flag`` 1: 中途结算), 2305 住院结算撤销.

The claim is the encounter with the sums of its uploaded, unsettled lines, settled through the
ledger the REST API uses (``store.ledger.preview`` / ``settle`` / ``reverse``): the register
decides who is insured, and the amounts are the REST path's to the fen. The claim's
``setl_time`` is the message's ``inf_time`` (the hospital's clock decides the coverage year).

``pool_prop_selfpay`` in the reply is what its name in the specification says,
基本医疗保险统筹基金支付比例: the share of the eligible amount above the deductible that the
basic pool pays on this claim (0.75 for a 75 % ratio). The engine's setlinfo (and the REST
API) carry the complement, the person's share (0.25); docs/gateway.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import SETLINFO_AMOUNTS
from yibao.money import BP_PER_UNIT, fen_to_json, ratio_to_bp
from yibao.services.gateway import codes
from yibao.services.gateway.context import Context
from yibao.services.gateway.encounters import STATUS_NAMES, encounter_of
from yibao.services.gateway.envelope import Fields, GatewayError
from yibao.services.gateway.fees import fen_of_json, total_of
from yibao.store import gateway, ledger
from yibao.store.errors import Conflict, NotFound
from yibao.store.gateway_models import GatewayEncounter, GatewayFeeLine, GatewaySettlement
from yibao.store.models import Person, utc_now

AMOUNTS = SETLINFO_AMOUNTS  # the setlinfo amounts (fen), the engine's one list
# Funds yibao does not have for residents: always 0 in the reply (the platform's setlinfo).
ZERO_AMOUNTS = (
    "cvlserv_pay",
    "hifes_pay",
    "hifob_pay",
    "acct_pay",
    "hosp_part_amt",
    "acct_mulaid_pay",
)
OUTPATIENT = {"2206": "门诊", "2207": "门诊", "2208": "门诊"}


# ------------------------------------------------------------------ the claim
# The engine's 异地就医 inputs (claim fields offsite_kind and dedc_hosp_lv): used as soon as the
# claim schema carries them; until then such visits are refused, never paid at local rates.
ENGINE_OFFSITE = {"offsite_kind", "dedc_hosp_lv"} <= set(CLAIM_SCHEMA.names)


def offsite_fields(enc: GatewayEncounter) -> dict[str, str]:
    """The claim's 异地就医 fields, present only when they say something (as the REST API's
    SettleIn.to_row leaves them out), so that both paths build the same claim."""
    fields: dict[str, str] = {}
    if enc.out_flag == "1":
        # The 参保地's register of 备案 decides (store.filings): the HIS's 已备案 kind must be
        # the one it holds; its 未备案 gives way to a 备案 the register holds.
        fields["mdtrtarea_admvs"] = enc.mdtrtarea_admvs
        fields["offsite_kind"] = (
            codes.RCD_TYPES[enc.rcd_type] if enc.rcd_stas == "1" else codes.OFFSITE_UNFILED
        )
    if enc.dedc_hosp_lv != enc.hosp_lv:
        fields["dedc_hosp_lv"] = enc.dedc_hosp_lv
    return fields


# 备案 kinds a 参保地 may pay at a lower ratio (医保发〔2022〕22号 二（四）: 临时外出就医, 转外就医
# and 未备案 below the local level; 异地长期居住 and 常驻异地工作 at the 参保地's own).
LOWERED_KINDS = ("3", "5")


def _check_remote(data: Fields, enc: GatewayEncounter) -> None:
    """Without the engine's 异地就医 inputs, what it cannot settle right is refused: 未备案,
    转外就医 and 临时外出就医 (a per-region reduction), and a deductible level other than the
    hospital's."""
    if ENGINE_OFFSITE:
        return
    if enc.out_flag == "1" and enc.rcd_stas != "1":
        raise data.fail(
            "mdtrt_id",
            f" {enc.mdtrt_id} 为未备案异地就医：参保地对未备案人员降低支付比例的规则尚未实现，"
            "暂不能联网结算，请先办理异地就医备案",
        )
    if enc.out_flag == "1" and enc.rcd_type in LOWERED_KINDS:
        raise data.fail(
            "mdtrt_id",
            f" {enc.mdtrt_id} 为{codes.RCD_TYPES[enc.rcd_type]}：参保地对此类异地就医降低支付比例的规则"
            "尚未实现，暂不能联网结算",
        )
    if enc.dedc_hosp_lv != enc.hosp_lv:
        raise data.fail(
            "mdtrt_id",
            f" {enc.mdtrt_id} 的起付线医院等级 dedc_hosp_lv {enc.dedc_hosp_lv} 与医院等级 "
            f"{enc.hosp_lv} 不同：按不同等级计算起付线尚未实现",
        )


def _period(
    enc: GatewayEncounter, setl_time: dt.datetime, mid: bool, lines: list[GatewayFeeLine]
) -> tuple[dt.date, dt.date]:
    """begndate and enddate of the claim: a 中途结算 ends on its last line's day, the part
    after it starts the day after (the stay's days are counted once)."""
    begin = enc.begntime.date()
    if enc.settled_until is not None:
        begin = max(begin, enc.settled_until + dt.timedelta(days=1))
    if mid:
        end = max(line.fee_ocur_time.date() for line in lines)
    elif enc.kind == "住院" and enc.endtime is not None:
        end = enc.endtime.date()
    else:
        end = setl_time.date()
    return min(begin, end), end


def claim_row(
    ctx: Context, data: Fields, *, kind: str, settling: bool
) -> tuple[dict[str, Any], GatewayEncounter, list[Any], bool]:
    """The claim (the REST API's SettleIn.to_row() shape, fen) of the encounter named in
    ``data``; its lines; whether it is a 中途结算."""
    enc = encounter_of(ctx, data, kind)
    mid = kind == "住院" and data.choice("mid_setl_flag", codes.MID_SETL_FLAGS, default="0") == "1"
    allowed: tuple[str, ...]
    if kind == "门诊":
        allowed = ("registered",)
    elif mid:
        allowed = ("admitted",)
    else:
        allowed = ("discharged",) if settling else ("admitted", "discharged")
    if enc.status not in allowed:
        hint = (
            "（出院结算须先办理出院 2402）" if kind == "住院" and enc.status == "admitted" else ""
        )
        raise data.fail(
            "mdtrt_id", f" {enc.mdtrt_id} 状态为{STATUS_NAMES[enc.status]}，不能结算{hint}"
        )
    data.choice("insutype", codes.INSUTYPES)
    data.choice("psn_setlway", codes.PSN_SETLWAYS, default="01")
    if data.text("acct_used_flag", 1, required=False) not in ("", "0"):
        raise data.fail("acct_used_flag", "：城乡居民医保无个人账户，须为 0")
    _check_remote(data, enc)
    lines = gateway.lines(
        ctx.session, enc.mdtrt_id, chrg_bchno=data.text("chrg_bchno", 30, required=False) or None
    )
    medfee = data.yuan("medfee_sumamt")
    amounts = total_of(lines)
    if not lines:
        raise data.fail("mdtrt_id", f" {enc.mdtrt_id} 没有未结算的费用明细，请先上传费用明细")
    if medfee != amounts["medfee_sumamt"]:
        raise data.fail(
            "medfee_sumamt",
            f" {fen_to_json(medfee):.2f} 与已上传未结算费用明细合计 "
            f"{fen_to_json(amounts['medfee_sumamt']):.2f} 不符",
        )
    person = ctx.session.get(Person, enc.psn_no)
    assert person is not None  # the encounter's foreign key
    setl_time = ctx.envelope.inf_time
    begin, end = _period(enc, setl_time, mid, lines)
    row = {
        "setl_id": f"S{ctx.envelope.msgid}",
        "psn_no": enc.psn_no,
        "certno": person.certno,
        "insuplc_admdvs": ctx.envelope.insuplc_admdvs,
        "tier": None,
        "categories": "",
        "med_type": enc.med_type,
        "hosp_lv": enc.hosp_lv,
        "fixmedins_code": enc.fixmedins_code,
        "dise_codg": enc.dise_codg,
        "setl_time": setl_time,
        "begndate": begin,
        "enddate": end,
        **amounts,
        "coverage_begin": None,
        "coverage_end": None,
        **(offsite_fields(enc) if ENGINE_OFFSITE else {}),
        **case_fields(enc),
        "mdtrt_id": enc.mdtrt_id,
    }
    return row, enc, lines, mid


def case_fields(enc: GatewayEncounter) -> dict[str, Any]:
    """The stay's 病案首页 as the claim's CASE_FIELDS (only those the hospital sent, as
    SettleIn.to_row leaves out what is not set): the diagnoses of 2401/2402 (主诊断 first) and
    2402's 离院方式. Age, sex and 住院天数 DRG takes from the claim itself."""
    out: dict[str, Any] = {}
    if enc.diag_codes:
        out["dscg_maindiag_code"] = enc.diag_codes[0]
        out["diseinfo_diag_code"] = list(enc.diag_codes)
    if enc.dscg_way:
        out["dscg_way"] = enc.dscg_way
    return out


# ------------------------------------------------------------------ the reply
def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def psn_type(age: int) -> str:
    """人员类别 by age (shared/DESIGN.md codes): the register holds no other."""
    if age < 1:
        return "1401"
    if age < 7:
        return "1402"
    if age < 18:
        return "1403"
    return "1501" if age < 60 else "16"


def setl_output(
    ctx: Context,
    document: dict[str, Any],
    enc: GatewayEncounter,
    setl_id: str,
    setl_time: dt.datetime,
    sign: int = 1,
) -> dict[str, Any]:
    """setlinfo and setldetail in the platform's names, from the ledger's document."""
    info = document["setlinfo"]
    person = ctx.session.get(Person, enc.psn_no)
    assert person is not None
    age = _age(person.brdy, setl_time.date())
    fen = {name: sign * fen_of_json(info.get(name, 0) or 0) for name in AMOUNTS}
    selfpay_bp = ratio_to_bp(str(info.get("pool_prop_selfpay", 0) or 0), "pool_prop_selfpay")
    setlinfo: dict[str, Any] = {
        "setl_id": setl_id,
        "mdtrt_id": enc.mdtrt_id,
        "psn_no": enc.psn_no,
        "psn_name": person.psn_name,
        "psn_cert_type": "01",
        "certno": person.certno,
        "gend": person.gend,
        "naty": "",
        "brdy": person.brdy.isoformat(),
        "age": age,
        "insutype": enc.insutype,
        "psn_type": psn_type(age),
        "cvlserv_flag": "0",
        "setl_time": setl_time.strftime("%Y-%m-%d %H:%M:%S"),
        "mdtrt_cert_type": "02",
        "med_type": enc.med_type,
        **{name: fen_to_json(value) for name, value in fen.items()},
        # 基本医疗保险统筹基金支付比例: the pool's own share (the engine gives the person's).
        "pool_prop_selfpay": (BP_PER_UNIT - selfpay_bp) / BP_PER_UNIT,
        **{name: 0.0 for name in ZERO_AMOUNTS},
        "medins_setl_id": ctx.envelope.msgid,
        "clr_optins": enc.insuplc_admdvs,
        "clr_way": codes.CLR_WAY_ITEMS,
        "clr_type": "11" if enc.kind == "门诊" else "21",
    }
    setldetail = [
        {
            "fund_pay_type": d["fund_pay_type"],
            "inscp_scp_amt": fen_to_json(sign * fen_of_json(d.get("inscp_scp_amt", 0) or 0)),
            "crt_payb_lmt_amt": None
            if d.get("crt_payb_lmt_amt") is None
            else fen_to_json(fen_of_json(d["crt_payb_lmt_amt"])),
            "fund_payamt": fen_to_json(sign * fen_of_json(d.get("fund_payamt", 0) or 0)),
            "fund_pay_type_name": codes.FUND_PAY_TYPE_NAMES.get(str(d["fund_pay_type"]), ""),
            "setl_proc_info": d.get("setl_proc_info", ""),
        }
        for d in document.get("setldetail", [])
    ]
    return {"setlinfo": setlinfo, "setldetail": setldetail}


def _ledger_error(exc: Exception) -> GatewayError:
    return GatewayError(f"结算失败：{exc}")


# ------------------------------------------------------------------ transactions
def presettle(ctx: Context) -> dict[str, Any]:
    """2206 / 2303 预结算: what 结算 would pay now; no settlement is written."""
    data = ctx.data()
    kind = OUTPATIENT.get(ctx.envelope.infno, "住院")
    row, enc, _, _ = claim_row(ctx, data, kind=kind, settling=False)
    try:
        document = ledger.preview(ctx.session, ctx.library, row)
    except (NotFound, ValueError) as exc:
        raise _ledger_error(exc) from exc
    return setl_output(ctx, document, enc, row["setl_id"], row["setl_time"])


def settle(ctx: Context) -> dict[str, Any]:
    """2207 / 2304 结算: the ledger's settlement, its lines marked settled, the record kept."""
    data = ctx.data()
    kind = OUTPATIENT.get(ctx.envelope.infno, "住院")
    row, enc, lines, mid = claim_row(ctx, data, kind=kind, settling=True)
    try:
        outcome = ledger.settle(ctx.session, ctx.library, row, ctx.actor)
    except (NotFound, Conflict, ValueError) as exc:
        raise _ledger_error(exc) from exc
    if outcome.replayed:  # the setl_id comes from the msgid, which was not stored: never
        raise GatewayError(f"msgid: 结算ID {row['setl_id']} 已存在")
    output = setl_output(ctx, outcome.document, enc, row["setl_id"], row["setl_time"])
    info = output["setlinfo"]
    ctx.session.add(
        GatewaySettlement(
            setl_id=row["setl_id"],
            kind="settle",
            refers_to=None,
            mdtrt_id=enc.mdtrt_id,
            psn_no=enc.psn_no,
            fixmedins_code=enc.fixmedins_code,
            insutype=enc.insutype,
            clr_type=info["clr_type"],
            clr_way=info["clr_way"],
            clr_optins=info["clr_optins"],
            mid_setl_flag="1" if mid else "0",
            setl_time=row["setl_time"],
            medfee_sumamt=row["medfee_sumamt"],
            fund_pay_sumamt=fen_of_json(info["fund_pay_sumamt"]),
            acct_pay=0,
            psn_cash_pay=fen_of_json(info["psn_cash_pay"]),
            status="settled",
            msgid=ctx.envelope.msgid,
            reply=output,
            created_at=utc_now(),
        )
    )
    for line in lines:
        line.status = "settled"
        line.setl_id = row["setl_id"]
    if mid:
        enc.settled_until = row["enddate"]
    else:
        enc.status = "settled"
    enc.updated_at = utc_now()
    ctx.session.flush()
    return output


def reverse(ctx: Context) -> dict[str, Any]:
    """2208 / 2305 结算撤销: a reversal record of its own (setl_id R + msgid) referring to the
    settlement; the ledger gives back what the settlement consumed; its lines are open again
    (the hospital cancels them with 2205 / 2302 or settles them again)."""
    data = ctx.data()
    kind = OUTPATIENT.get(ctx.envelope.infno, "住院")
    enc = encounter_of(ctx, data, kind)
    setl_id = data.text("setl_id", 64)
    original = gateway.settlement(ctx.session, setl_id)
    if original is None or original.mdtrt_id != enc.mdtrt_id:
        raise data.fail("setl_id", f" {setl_id} 不是就诊 {enc.mdtrt_id} 的结算")
    if original.kind == "reverse":
        raise data.fail("setl_id", f" {setl_id} 是撤销记录，撤销记录不能再撤销")
    if original.status == "reversed":
        raise data.fail("setl_id", f" {setl_id} 已于撤销记录 {original.reversed_by} 撤销")
    later = [
        s
        for s in gateway.settlements_of(ctx.session, enc.mdtrt_id)
        if s.kind == "settle" and s.status == "settled" and s.setl_time > original.setl_time
    ]
    if later:
        raise data.fail("setl_id", f" {setl_id} 之后还有结算 {later[0].setl_id}，请先撤销后者")
    reason = f"{ctx.envelope.infno} 结算撤销（报文 {ctx.envelope.msgid}，经办人 {ctx.envelope.opter_name}）"
    try:
        outcome = ledger.reverse(ctx.session, setl_id, ctx.actor, reason)
    except (NotFound, ValueError) as exc:
        raise _ledger_error(exc) from exc
    reversal_id = f"R{ctx.envelope.msgid}"
    output = setl_output(ctx, outcome.document, enc, reversal_id, ctx.envelope.inf_time, sign=-1)
    output["setlinfo"]["init_setl_id"] = setl_id
    ctx.session.add(
        GatewaySettlement(
            setl_id=reversal_id,
            kind="reverse",
            refers_to=setl_id,
            mdtrt_id=enc.mdtrt_id,
            psn_no=enc.psn_no,
            fixmedins_code=enc.fixmedins_code,
            insutype=original.insutype,
            clr_type=original.clr_type,
            clr_way=original.clr_way,
            clr_optins=original.clr_optins,
            mid_setl_flag=original.mid_setl_flag,
            setl_time=ctx.envelope.inf_time,
            medfee_sumamt=-original.medfee_sumamt,
            fund_pay_sumamt=-original.fund_pay_sumamt,
            acct_pay=-original.acct_pay,
            psn_cash_pay=-original.psn_cash_pay,
            status="settled",
            msgid=ctx.envelope.msgid,
            reply=output,
            created_at=utc_now(),
        )
    )
    original.status = "reversed"
    original.reversed_by = reversal_id
    for line in gateway.lines(ctx.session, enc.mdtrt_id, ("settled",)):
        if line.setl_id == setl_id:
            line.status = "uploaded"
            line.setl_id = None
    if original.mid_setl_flag == "1":
        kept = {
            s.setl_id
            for s in gateway.settlements_of(ctx.session, enc.mdtrt_id)
            if s.kind == "settle" and s.status == "settled" and s.mid_setl_flag == "1"
        }
        remaining = [
            line.fee_ocur_time.date()
            for line in gateway.lines(ctx.session, enc.mdtrt_id, ("settled",))
            if line.setl_id in kept
        ]
        enc.settled_until = max(remaining) if remaining else None
    elif enc.status == "settled":
        enc.status = "registered" if enc.kind == "门诊" else "discharged"
    enc.updated_at = utc_now()
    ctx.session.flush()
    return output
