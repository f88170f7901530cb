"""Queries: 1101 人员信息获取 (from the register), 5201 就诊信息查询, 5203 结算信息查询,
5206 人员累计信息查询."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from yibao.money import fen_to_json
from yibao.services.gateway import codes
from yibao.services.gateway.context import Context
from yibao.services.gateway.encounters import STATUS_NAMES, person_of
from yibao.services.gateway.settle import psn_type
from yibao.store import accumulators, gateway
from yibao.store import persons as register
from yibao.store.models import Person

PSN_CERT_ID = "01"  # 居民身份证（户口簿）


def person_info(ctx: Context) -> dict[str, Any]:
    """1101: by 就诊凭证 (mdtrt_cert_type 02 居民身份证: mdtrt_cert_no is the ID number) or by
    certno. baseinfo, insuinfo (one row per enrolled year, newest first), idetinfo (the
    register's 身份类别 with validity dates)."""
    data = ctx.data()
    cert_type = data.choice("mdtrt_cert_type", codes.MDTRT_CERT_TYPES)
    number = data.text("mdtrt_cert_no", 50, required=False) or data.text("certno", 18)
    if cert_type != "02" and not data.text("certno", 18, required=False):
        raise data.fail(
            "mdtrt_cert_type", "：本系统按居民身份证号查询，电子凭证与社保卡须同时传 certno"
        )
    certno = data.text("certno", 18, required=False) or number
    person = ctx.session.scalar(select(Person).where(Person.certno == certno.upper()))
    if person is None:
        raise data.fail(
            "certno" if data.data.get("certno") else "mdtrt_cert_no", "在参保登记中不存在"
        )
    name = data.text("psn_name", 50, required=False)
    if name and name != person.psn_name:
        raise data.fail("psn_name", "与参保登记的姓名不符")
    on = ctx.envelope.inf_time.date()
    age = on.year - person.brdy.year - ((on.month, on.day) < (person.brdy.month, person.brdy.day))
    baseinfo = {
        "psn_no": person.psn_no,
        "psn_cert_type": PSN_CERT_ID,
        "certno": person.certno,
        "psn_name": person.psn_name,
        "gend": person.gend,
        "naty": "",
        "brdy": person.brdy.isoformat(),
        "age": age,
    }
    insuinfo = [
        {
            "balc": 0.0,
            "insutype": "390",
            "psn_type": psn_type(age),
            "psn_insu_stas": "1" if e.status == "enrolled" else "2",
            "psn_insu_date": (e.coverage_begin or dt.date(e.year, 1, 1)).isoformat(),
            "paus_insu_date": e.coverage_end.isoformat() if e.coverage_end else None,
            "cvlserv_flag": "0",
            "insuplc_admdvs": e.insuplc_admdvs,
            "emp_name": "",
            "year": e.year,
        }
        for e in sorted(register.enrollments_of(ctx.session, person.psn_no), key=lambda e: -e.year)
    ]
    idetinfo = [
        {
            "psn_idet_type": c.category,
            "psn_type_lv": "",
            "memo": "",
            "begntime": c.begin_date.isoformat(),
            "endtime": c.end_date.isoformat() if c.end_date else None,
        }
        for c in person.categories
    ]
    return {"baseinfo": baseinfo, "insuinfo": insuinfo, "idetinfo": idetinfo}


def encounters(ctx: Context) -> dict[str, Any]:
    """5201: the person's encounters at this institution between begntime and endtime."""
    data = ctx.data()
    person = person_of(ctx, data)
    begin = data.time("begntime")
    end = data.time("endtime", required=False)
    med_type = data.text("med_type", 6, required=False)
    rows = [
        {
            "mdtrt_id": e.mdtrt_id,
            "psn_no": e.psn_no,
            "insutype": e.insutype,
            "begntime": e.begntime.strftime("%Y-%m-%d %H:%M:%S"),
            "endtime": e.endtime.strftime("%Y-%m-%d %H:%M:%S") if e.endtime else None,
            "med_type": e.med_type,
            "ipt_otp_no": e.ipt_otp_no,
            "fixmedins_code": e.fixmedins_code,
            "fixmedins_name": e.fixmedins_name,
            "dise_codg": e.dise_codg,
            "dise_name": e.dise_name,
            "out_flag": e.out_flag,
            "rcd_stas": e.rcd_stas,
            "mdtrt_stas": STATUS_NAMES[e.status],
        }
        for e in gateway.encounters_of(ctx.session, person.psn_no, begin, end)
        if e.fixmedins_code == ctx.envelope.fixmedins_code
        and (not med_type or e.med_type == med_type)
    ]
    return {"mdtrtinfo": rows}


def settlement(ctx: Context) -> dict[str, Any]:
    """5203: one settlement or reversal as it was returned (setlinfo, setldetail)."""
    data = ctx.data()
    setl_id = data.text("setl_id", 64)
    found = gateway.settlement(ctx.session, setl_id)
    if found is None or found.fixmedins_code != ctx.envelope.fixmedins_code:
        raise data.fail("setl_id", f" {setl_id} 不存在")
    if data.text("psn_no", 40) != found.psn_no:
        raise data.fail("psn_no", f"与结算 {setl_id} 的人员不符")
    mdtrt_id = data.text("mdtrt_id", 40, required=False)
    if mdtrt_id and mdtrt_id != found.mdtrt_id:
        raise data.fail("mdtrt_id", f"与结算 {setl_id} 的就诊ID不符")
    output = dict(found.reply)
    output["setlinfo"] = {
        **output["setlinfo"],
        "vali_flag": "0" if found.status == "reversed" else "1",
    }
    return output


def cumulative(ctx: Context) -> dict[str, Any]:
    """5206: the person-year's running totals (cum_ym yyyyMM names the year)."""
    data = ctx.data()
    person = person_of(ctx, data)
    cum_ym = data.text("cum_ym", 6, required=False, pattern=r"\d{4}(0[1-9]|1[0-2])") or (
        ctx.envelope.inf_time.strftime("%Y%m")
    )
    year = int(cum_ym[:4])
    row = accumulators.read(ctx.session, person.psn_no, year)
    values: list[tuple[str, int]] = []
    if row is not None:
        # Every running total of the store (store.accumulators.FIELDS), keyed ones by key.
        for name, value in accumulators.as_dict(row).items():
            if isinstance(value, dict):
                values += [(f"{name}:{k}", int(v)) for k, v in sorted(value.items())]
            else:
                values.append((name, int(value)))
    return {
        "cuminfo": [
            {
                "insutype": "390",
                "year": str(year),
                "cum_ym": cum_ym,
                "cum_type_code": code,
                "cum": fen_to_json(v),
            }
            for code, v in values
        ]
    }
