"""异地就医 (mdtrtarea_admvs ≠ insuplc_admdvs): the 备案 status travels in the registration and
is stored; 已备案 settles at the 参保地's policy (as the REST path for that 参保地); 未备案,
转外就医 and a deductible level other than the hospital's are refused until the engine takes
them (nothing written), never paid at local rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.gateway.conftest import (
    counts,
    detail,
    failure,
    file_offsite,
    pay_node,
    register,
    registration,
)
from yibao.services.gateway.settle import ENGINE_OFFSITE

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
    file_offsite(client, auth, a, "异地长期居住人员", hospital.region)
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


def _rest(client, auth, person, **extra):
    body = {"setl_id": f"REST-{person['psn_no']}", "psn_no": person["psn_no"], "certno": person["certno"],
            "insuplc_admdvs": "421200", "hosp_lv": "05", "med_type": "11", "setl_time": WHEN.isoformat(),
            "medfee_sumamt": "47.00", "preselfpay_amt": "3.70", **extra}  # fmt: skip
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    return r.json()["setlinfo"]


NAMES = (
    "medfee_sumamt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "fund_pay_sumamt",
    "psn_cash_pay",
)


@pytest.mark.parametrize(
    ("registration_fields", "engine_fields"),
    [
        ({"rcd_stas": "0"}, {"offsite_kind": "未备案"}),
        ({"rcd_stas": "1", "rcd_type": "3"}, {"offsite_kind": "异地转诊人员"}),
        ({"rcd_stas": "1", "rcd_type": "5"}, {"offsite_kind": "其他临时外出就医人员"}),
        (
            {"rcd_stas": "1", "rcd_type": "2", "dedc_hosp_lv": "08"},
            {"offsite_kind": "常驻异地工作人员", "dedc_hosp_lv": "08"},
        ),
    ],
)
def test_unfiled_transferred_and_other_level_visits(
    client, auth, app, hospital, registration_fields, engine_fields
):
    """With the engine's 异地就医 inputs, settled as the REST path settles the same claim with
    them; without, refused and nothing written."""
    a, b = register(client, auth, region="421200"), register(client, auth, region="421200")
    if registration_fields["rcd_stas"] == "1":  # the 备案 the register must hold
        for person in (a, b):
            file_offsite(client, auth, person, engine_fields["offsite_kind"], hospital.region)
    mdtrt_id = registration(hospital, a, WHEN, **registration_fields)
    visits = hospital.call(
        "5201",
        {"data": {"psn_no": a["psn_no"], "begntime": "2023-01-01 00:00:00"}},
        WHEN,
        insuplc="421200",
    )
    assert visits["mdtrtinfo"][0]["rcd_stas"] == registration_fields["rcd_stas"]
    lines = detail(mdtrt_id, a, WHEN)
    hospital.call("2204", {"feedetail": lines}, WHEN, insuplc="421200")
    if not ENGINE_OFFSITE:
        before = counts(app)
        err = failure(hospital, "2207", pay_node(mdtrt_id, a, lines), WHEN, insuplc="421200")
        assert err.startswith(f"input.data.mdtrt_id: 就诊ID {mdtrt_id} ")
        assert counts(app) == before
        return
    out = hospital.call("2207", pay_node(mdtrt_id, a, lines), WHEN, insuplc="421200")["setlinfo"]
    rest = _rest(client, auth, b, mdtrtarea_admvs=hospital.region, **engine_fields)
    assert {k: fen(out[k]) for k in NAMES} == {k: fen(rest[k]) for k in NAMES}
    local = _rest(client, auth, register(client, auth, region="421200"))
    if engine_fields["offsite_kind"] in ("未备案", "其他临时外出就医人员", "异地转诊人员"):
        assert fen(out["hifp_pay"]) < fen(local["hifp_pay"])  # the reduction was applied
