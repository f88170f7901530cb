"""就诊: 2201 门诊挂号 / 2202 挂号撤销 / 2203 就诊信息上传, 2401 入院办理 / 2402 出院办理 /
2404 入院撤销 / 2405 出院撤销.

The register decides who is insured where: the person must exist, be enrolled for the year
of the visit, and the message's ``insuplc_admdvs`` must be the enrollment's 参保地. When the
就医地 (``mdtrtarea_admvs``) differs, the visit is 异地就医: its 备案 status and type travel in
the registration (local extension fields ``rcd_stas``, ``rcd_type``) and are stored with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yibao.codes import DSCG_WAYS
from yibao.services.gateway import codes
from yibao.services.gateway.context import Context
from yibao.services.gateway.envelope import Fields, GatewayError
from yibao.store import gateway
from yibao.store import persons as register
from yibao.store.gateway_models import GatewayEncounter
from yibao.store.models import Person, utc_now


def person_of(ctx: Context, data: Fields) -> Person:
    psn_no = data.text("psn_no", 40)
    person = ctx.session.get(Person, psn_no)
    if person is None:
        raise data.fail("psn_no", f" {psn_no} 在参保登记中不存在")
    return person


def check_insured(ctx: Context, data: Fields, person: Person, day: dt.date) -> None:
    """Enrolled for the year of ``day``, at the 参保地 the message names."""
    enrollment = register.enrollment_for(ctx.session, person.psn_no, day.year)
    if enrollment is None:
        raise data.fail(
            "psn_no", f" {person.psn_no} 无 {day.year} 年度城乡居民医保参保登记（未参保）"
        )
    if ctx.envelope.insuplc_admdvs != enrollment.insuplc_admdvs:
        raise GatewayError(
            f"insuplc_admdvs: 参保地医保区划 {ctx.envelope.insuplc_admdvs} 与参保登记的参保地 "
            f"{enrollment.insuplc_admdvs} 不符"
        )


def encounter_of(ctx: Context, data: Fields, kind: str | None = None) -> GatewayEncounter:
    """The encounter named by ``mdtrt_id`` (and ``psn_no``), of this institution."""
    mdtrt_id = data.text("mdtrt_id", 40)
    enc = gateway.encounter(ctx.session, mdtrt_id)
    if enc is None or enc.fixmedins_code != ctx.envelope.fixmedins_code:
        raise data.fail("mdtrt_id", f" {mdtrt_id} 未办理挂号或入院登记")
    psn_no = data.text("psn_no", 40)
    if psn_no != enc.psn_no:
        raise data.fail("psn_no", f" {psn_no} 与就诊ID {mdtrt_id} 登记的人员不符")
    if kind is not None and enc.kind != kind:
        raise data.fail("mdtrt_id", f" {mdtrt_id} 是{enc.kind}就诊，不能办理{kind}交易")
    return enc


def _remote_fields(ctx: Context, data: Fields, hosp_lv: str) -> dict[str, str]:
    """异地就医: 备案 status and type (required when the 就医地 is not the 参保地), and the
    deductible level (dedc_hosp_lv, default the hospital's own level)."""
    dedc = data.text("dedc_hosp_lv", 2, required=False) or hosp_lv
    if dedc not in codes.HOSPITAL_LEVELS:
        raise data.fail("dedc_hosp_lv", f"取值 {dedc!r} 不在医院等级代码表中")
    if not ctx.envelope.out_of_area:
        return {"out_flag": "0", "rcd_stas": "", "rcd_type": "", "dedc_hosp_lv": dedc}
    stas = data.choice("rcd_stas", codes.RCD_STAS)
    rcd_type = data.choice("rcd_type", codes.RCD_TYPES, default="" if stas == "0" else None)
    return {"out_flag": "1", "rcd_stas": stas, "rcd_type": rcd_type, "dedc_hosp_lv": dedc}


def _new_encounter(
    ctx: Context, data: Fields, kind: str, med_types: dict[str, str]
) -> GatewayEncounter:
    person = person_of(ctx, data)
    begntime = data.time("begntime")
    assert begntime is not None
    check_insured(ctx, data, person, begntime.date())
    data.choice("insutype", codes.INSUTYPES)
    data.choice("mdtrt_cert_type", codes.MDTRT_CERT_TYPES)
    data.text("mdtrt_cert_no", 50)
    med_type = data.choice("med_type", med_types, default="11" if kind == "门诊" else None)
    hosp_lv = data.choice("hosp_lv", codes.HOSPITAL_LEVELS)
    remote = _remote_fields(ctx, data, hosp_lv)
    env = ctx.envelope
    mdtrt_id = f"M{env.msgid}"
    enc = GatewayEncounter(
        mdtrt_id=mdtrt_id,
        psn_no=person.psn_no,
        kind=kind,
        insutype="390",
        med_type=med_type,
        fixmedins_code=env.fixmedins_code,
        fixmedins_name=env.fixmedins_name,
        hosp_lv=hosp_lv,
        mdtrtarea_admvs=env.mdtrtarea_admvs,
        insuplc_admdvs=env.insuplc_admdvs,
        ipt_otp_no=data.text("ipt_otp_no" if kind == "门诊" else "ipt_no", 40),
        begntime=begntime,
        endtime=None,
        dise_codg=data.text("dise_codg", 40, required=False),
        dise_name=data.text("dise_name", 200, required=False),
        status="registered" if kind == "门诊" else "admitted",
        msgid=env.msgid,
        created_at=utc_now(),
        updated_at=utc_now(),
        **remote,
    )
    ctx.session.add(enc)
    ctx.session.flush()
    return enc


def register_outpatient(ctx: Context) -> dict[str, Any]:
    """2201 门诊挂号 → data {mdtrt_id, psn_no, ipt_otp_no}."""
    enc = _new_encounter(ctx, ctx.data(), "门诊", codes.OUTPATIENT_MED_TYPES)
    return {"data": {"mdtrt_id": enc.mdtrt_id, "psn_no": enc.psn_no, "ipt_otp_no": enc.ipt_otp_no}}


def _nothing_settled(ctx: Context, data: Fields, enc: GatewayEncounter, what: str) -> None:
    settled = [
        s
        for s in gateway.settlements_of(ctx.session, enc.mdtrt_id)
        if s.kind == "settle" and s.status == "settled"
    ]
    if settled:
        raise data.fail(
            "mdtrt_id", f" {enc.mdtrt_id} 已结算（{settled[0].setl_id}），请先撤销结算再{what}"
        )


def _cancel(ctx: Context, data: Fields, enc: GatewayEncounter, what: str) -> None:
    if enc.status == "cancelled":
        raise data.fail("mdtrt_id", f" {enc.mdtrt_id} 已撤销，不能再次{what}")
    _nothing_settled(ctx, data, enc, what)
    for line in gateway.lines(ctx.session, enc.mdtrt_id):
        line.status = "cancelled"
        line.cancel_msgid = ctx.envelope.msgid
    enc.status = "cancelled"
    enc.updated_at = utc_now()


def cancel_outpatient(ctx: Context) -> dict[str, Any]:
    """2202 门诊挂号撤销: the registration and its unsettled detail are cancelled."""
    data = ctx.data()
    enc = encounter_of(ctx, data, "门诊")
    _cancel(ctx, data, enc, "撤销挂号")
    return {}


def upload_visit(ctx: Context) -> dict[str, Any]:
    """2203 就诊信息上传: the visit's medical type and diagnosis."""
    info = ctx.data("mdtrtinfo")
    enc = encounter_of(ctx, info, "门诊")
    if enc.status != "registered":
        raise info.fail(
            "mdtrt_id", f" {enc.mdtrt_id} 状态为{_STATUS[enc.status]}，不能上传就诊信息"
        )
    enc.med_type = info.choice("med_type", codes.OUTPATIENT_MED_TYPES, default=enc.med_type)
    enc.dise_codg = info.text("dise_codg", 40, required=False) or enc.dise_codg
    enc.dise_name = info.text("dise_name", 200, required=False) or enc.dise_name
    enc.updated_at = utc_now()
    return {}


def diagnoses(ctx: Context) -> list[str] | None:
    """The stay's diagnosis codes from ``input.diseinfo`` (None when the message has none): the
    valid rows (vali_flag not 0), the 主诊断 (maindiag_flag 1, exactly one) first, the others
    by diag_srt_no — the order DRG/DIP groups by (主诊断 first)."""
    if not ctx.has("diseinfo"):
        return None
    rows = []
    for i, row in enumerate(ctx.node_rows("diseinfo")):
        code = row.text("diag_code", 30)
        main = row.choice("maindiag_flag", {"1": "主诊断", "0": "其他诊断"}, default="0") == "1"
        order = row.text("diag_srt_no", 4, required=False, pattern=r"\d+")
        if row.choice("vali_flag", {"1": "有效", "0": "无效"}, default="1") == "1":
            rows.append((not main, int(order) if order else i, i, code, row))
    mains = [r for r in rows if not r[0]]
    if len(mains) != 1:
        where = mains[1][4] if mains else ctx.node_rows("diseinfo")[0]
        raise where.fail(
            "maindiag_flag", f"：有效诊断中须有且只有一条主诊断（收到 {len(mains)} 条）"
        )
    return [code for *_, code, _ in sorted(rows, key=lambda r: r[:3])]


def admit(ctx: Context) -> dict[str, Any]:
    """2401 入院办理 → result {mdtrt_id, psn_no, ipt_otp_no}; ``diseinfo`` the admitting
    diagnoses (kept until 2402 sends the discharge ones)."""
    enc = _new_encounter(ctx, ctx.data("mdtrtinfo"), "住院", codes.INPATIENT_MED_TYPES)
    enc.diag_codes = diagnoses(ctx)
    return {
        "result": {"mdtrt_id": enc.mdtrt_id, "psn_no": enc.psn_no, "ipt_otp_no": enc.ipt_otp_no}
    }


def discharge(ctx: Context) -> dict[str, Any]:
    """2402 出院办理: the stay ends (endtime, diagnosis, dscg_way 离院方式; ``diseinfo`` the
    discharge diagnoses, replacing the admitting ones); 出院结算 (2304) may follow."""
    info = ctx.data("dscginfo")
    enc = encounter_of(ctx, info, "住院")
    if enc.status != "admitted":
        raise info.fail("mdtrt_id", f" {enc.mdtrt_id} 状态为{_STATUS[enc.status]}，不能办理出院")
    endtime = info.time("endtime")
    assert endtime is not None
    if endtime < enc.begntime:
        raise info.fail("endtime", "早于入院时间")
    enc.endtime = endtime
    enc.dise_codg = info.text("dise_codg", 40, required=False) or enc.dise_codg
    enc.dise_name = info.text("dise_name", 200, required=False) or enc.dise_name
    enc.dscg_way = info.choice("dscg_way", DSCG_WAYS, default="") or None
    enc.diag_codes = diagnoses(ctx) or enc.diag_codes
    enc.status = "discharged"
    enc.updated_at = utc_now()
    return {}


def cancel_admission(ctx: Context) -> dict[str, Any]:
    """2404 入院撤销: only a stay with nothing settled (中途结算 included)."""
    data = ctx.data()
    enc = encounter_of(ctx, data, "住院")
    if enc.status == "discharged":
        raise data.fail("mdtrt_id", f" {enc.mdtrt_id} 已出院，请先撤销出院（2405）")
    _cancel(ctx, data, enc, "撤销入院")
    return {}


def cancel_discharge(ctx: Context) -> dict[str, Any]:
    """2405 出院撤销: back to 在院, when the final settlement is not (or no longer) made."""
    data = ctx.data()
    enc = encounter_of(ctx, data, "住院")
    if enc.status != "discharged":
        raise data.fail("mdtrt_id", f" {enc.mdtrt_id} 状态为{_STATUS[enc.status]}，不能撤销出院")
    enc.status = "admitted"
    enc.endtime = None
    enc.updated_at = utc_now()
    return {}


_STATUS = {
    "registered": "已挂号",
    "admitted": "在院",
    "discharged": "已出院",
    "settled": "已结算",
    "cancelled": "已撤销",
}
STATUS_NAMES = _STATUS
