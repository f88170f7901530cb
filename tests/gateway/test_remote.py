"""异地就医 (mdtrtarea_admvs ≠ insuplc_admdvs): the 备案 status travels in the registration and
is stored; 已备案 settles at the 参保地's policy (as the REST path for that 参保地); 未备案,
转外就医 and a deductible level other than the hospital's are refused until the engine takes
them (nothing written), never paid at local rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.gateway.conftest import counts, detail, failure, pay_node, register, registration

WHEN = dt.datetime(2023, 6, 1, 9, 0)


def fen(v) -> int:
    return int(Decimal(str(v)) * 100)


def test_remote_registration_requires_the_filing_status(client, auth, app, hospital):
    person = register(client, auth, region="421200")
    before = counts(app)
    node = {
        "data": {
            "psn_no": person["psn_no"],
            "insutype": "390",
            "begntime": "2023-06-01 09:00:00",
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "ipt_otp_no": "1",
            "hosp_lv": "05",
        }
    }
    err = failure(hospital, "2201", node, WHEN, insuplc="421200")
    assert err == "input.data.rcd_stas: 异地就医备案状态不能为空"
    assert counts(app) == before


def test_filed_remote_visit_settles_at_the_insured_places_policy(client, auth, hospital):
    a, b = register(client, auth, region="421200"), register(client, auth, region="421200")
    mdtrt_id = registration(hospital, a, WHEN, rcd_stas="1", rcd_type="1")
    lines = detail(mdtrt_id, a, WHEN)
    hospital.call("2204", {"feedetail": lines}, WHEN, insuplc="421200")
    out = hospital.call("2207", pay_node(mdtrt_id, a, lines), WHEN, insuplc="421200")["setlinfo"]
    body = {"setl_id": f"REST-{b['psn_no']}", "psn_no": b["psn_no"], "certno": b["certno"], "insuplc_admdvs": "421200",
            "hosp_lv": "05", "med_type": "11", "setl_time": WHEN.isoformat(), "medfee_sumamt": "47.00", "preselfpay_amt": "3.70"}  # fmt: skip
    rest = client.post("/api/settlements", json=body, headers=auth["clerk"]).json()["setlinfo"]
    names = (
        "medfee_sumamt",
        "inscp_scp_amt",
        "act_pay_dedc",
        "hifp_pay",
        "fund_pay_sumamt",
        "psn_cash_pay",
    )
    assert {k: fen(out[k]) for k in names} == {k: fen(rest[k]) for k in names}
    assert out["clr_optins"] == "421200"
    visits = hospital.call(
        "5201",
        {"data": {"psn_no": a["psn_no"], "begntime": "2023-01-01 00:00:00"}},
        WHEN,
        insuplc="421200",
    )
    assert [(v["out_flag"], v["rcd_stas"]) for v in visits["mdtrtinfo"]] == [("1", "1")]


def test_unfiled_remote_visit_is_registered_but_not_settled(client, auth, app, hospital):
    person = register(client, auth, region="421200")
    mdtrt_id = registration(hospital, person, WHEN, rcd_stas="0")
    lines = detail(mdtrt_id, person, WHEN)
    hospital.call("2204", {"feedetail": lines}, WHEN, insuplc="421200")
    before = counts(app)
    err = failure(hospital, "2207", pay_node(mdtrt_id, person, lines), WHEN, insuplc="421200")
    assert err.startswith(f"input.data.mdtrt_id: 就诊ID {mdtrt_id} 为未备案异地就医")
    assert counts(app) == before


def test_transfer_and_a_separate_deductible_level_are_refused(client, auth, hospital):
    person = register(client, auth, region="421200")
    mdtrt_id = registration(hospital, person, WHEN, rcd_stas="1", rcd_type="3")
    lines = detail(mdtrt_id, person, WHEN)
    hospital.call("2204", {"feedetail": lines}, WHEN, insuplc="421200")
    assert "为转外就医" in failure(
        hospital, "2206", pay_node(mdtrt_id, person, lines), WHEN, insuplc="421200"
    )
    other = register(client, auth, region="421200")
    mdtrt_id = registration(hospital, other, WHEN, rcd_stas="1", rcd_type="2", dedc_hosp_lv="02")
    lines = detail(mdtrt_id, other, WHEN)
    hospital.call("2204", {"feedetail": lines}, WHEN, insuplc="421200")
    err = failure(hospital, "2207", pay_node(mdtrt_id, other, lines), WHEN, insuplc="421200")
    assert "起付线医院等级 dedc_hosp_lv 02 与医院等级 05 不同" in err
