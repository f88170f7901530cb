"""The 病案首页 of a stay through the platform's messages (issue 18): 2401 and 2402 carry
``diseinfo`` (the 主诊断 by maindiag_flag) and 2402 ``dscg_way``; the stay's settlement stores
them in its claim, 主诊断 first, and DRG/DIP groups the case from them. A message with two
主诊断 or an unknown 离院方式 is refused and changes nothing."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import select

from tests.gateway.conftest import counts, failure, pay_node, register
from tests.gateway.test_inpatient import _admit, _day
from yibao.drg.claim_cases import FROM_CLAIMS, case_frame
from yibao.monitoring.store_frames import claims_frame
from yibao.store import transaction
from yibao.store.models import Claim


def _diag(code, main, order, valid="1"):
    return {"diag_code": code, "maindiag_flag": main, "diag_srt_no": order, "vali_flag": valid,
            "diag_type": "1", "diag_name": code}  # fmt: skip


def _discharge(person, mdtrt_id, **extra):
    info = {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"], "insutype": "390",
            "endtime": "2023-08-07 09:00:00", "dscg_way": "1"}  # fmt: skip
    return {"dscginfo": {**info, **extra.pop("dscginfo", {})}, **extra}


def test_the_stays_diagnoses_reach_the_claim_and_the_drg_case(app, client, auth, hospital):
    person = register(client, auth)
    mdtrt_id = _admit(hospital, person, dt.datetime(2023, 8, 1, 9))
    lines = [x for d in range(6) for x in _day(mdtrt_id, person, dt.date(2023, 8, 1 + d), f"C{d}")]
    hospital.call("2301", {"feedetail": lines}, dt.datetime(2023, 8, 6, 20))
    diseinfo = [
        _diag("I10.x05", "0", "3"),
        _diag("K22.301", "1", "1"),
        _diag("J18.900", "0", "4", valid="0"),  # 无效: left out
        _diag("E11.900", "0", "2"),
    ]
    hospital.call("2402", _discharge(person, mdtrt_id, diseinfo=diseinfo),
                  dt.datetime(2023, 8, 7, 9))  # fmt: skip
    setl = hospital.call(
        "2304", pay_node(mdtrt_id, person, lines, mid_setl_flag="0"), dt.datetime(2023, 8, 7, 10)
    )["setlinfo"]
    with transaction(app.state.sessions) as s:
        row = s.scalars(select(Claim.row).where(Claim.setl_id == setl["setl_id"])).one()
        frame = claims_frame(s, ["500243"], 2023).filter(pl.col("setl_id") == setl["setl_id"])
    assert row["diseinfo_diag_code"] == ["K22.301", "E11.900", "I10.x05"]
    assert row["dscg_maindiag_code"] == "K22.301" and row["dscg_way"] == "1"
    cases, source = case_frame(frame)
    assert source == FROM_CLAIMS
    assert cases.row(0, named=True)["diagnoses"] == "K22.301|E11.900|I10.x05"


def test_two_main_diagnoses_or_an_unknown_discharge_way_change_nothing(app, client, auth, hospital):
    person = register(client, auth)
    mdtrt_id = _admit(hospital, person, dt.datetime(2023, 8, 2, 9))
    before = counts(app)
    two = [_diag("K22.301", "1", "1"), _diag("E11.900", "1", "2")]
    err = failure(hospital, "2402", _discharge(person, mdtrt_id, diseinfo=two),
                  dt.datetime(2023, 8, 7, 9))  # fmt: skip
    assert err.startswith("input.diseinfo[1].maindiag_flag: ") and "有且只有一条主诊断" in err
    err = failure(hospital, "2402", _discharge(person, mdtrt_id, dscginfo={"dscg_way": "7"}),
                  dt.datetime(2023, 8, 7, 9))  # fmt: skip
    assert err.startswith("input.dscginfo.dscg_way: ") and "不在代码表中" in err
    assert counts(app) == before
