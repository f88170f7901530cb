"""The envelope: every field checked, a Chinese err_msg naming the field, nothing written; the
gateway is authenticated like the rest of the API."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.gateway.conftest import GATEWAY, counts, his, register

WHEN = dt.datetime(2023, 6, 1, 9, 0)


def _reply(client, auth, message, who="clerk"):
    r = client.post(GATEWAY, json=message, headers=auth[who])
    assert r.status_code == 200, r.text
    return r.json()


def _base(hospital, infno="1101"):
    return hospital.envelope(infno, {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "x"}}, WHEN)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"infno": "9999"}, "infno", "不支持的交易编号"),
        ({"infno": "ab"}, "infno", "4位数字"),
        ({"msgid": "H5002430000120230601"}, "msgid", "30位"),
        ({"msgid": "X00000000000" + "20230601090000" + "0001"}, "msgid", "前12位"),
        ({"msgid": None}, "msgid", "缺少发送方报文ID"),
        ({"mdtrtarea_admvs": "50024"}, "mdtrtarea_admvs", "6位"),
        ({"inf_time": "2023/06/01"}, "inf_time", "yyyy-MM-dd HH:mm:ss"),
        ({"opter_name": ""}, "opter_name", "缺少经办人姓名"),
        ({"recer_sys_code": None}, "recer_sys_code", "缺少接收方系统代码"),
        ({"fixmedins_code": "h1"}, "fixmedins_code", "12位"),
        ({"input": []}, "input", "JSON 对象"),
    ],
)
def test_a_bad_envelope_is_refused_naming_the_field(
    client, auth, app, hospital, change, field, words
):
    message = {**_base(hospital), **change}
    if change.get("msgid") is None and "msgid" in change:
        del message["msgid"]
    before = counts(app)
    reply = _reply(client, auth, message)
    assert reply["infcode"] == -1
    assert reply["err_msg"].startswith(f"{field}:"), reply["err_msg"]
    assert words in reply["err_msg"]
    assert reply["inf_refmsgid"] and reply["respond_time"]
    assert counts(app) == before


def test_a_body_that_is_not_json_gets_the_failure_envelope(client, auth):
    r = client.post(GATEWAY, content=b"{not json", headers=auth["clerk"])
    assert r.status_code == 200
    assert r.json()["infcode"] == -1
    assert r.json()["err_msg"].startswith("报文:")


def test_insuplc_admdvs_is_required_after_1101(client, auth, hospital):
    message = hospital.envelope("2201", {"data": {}}, WHEN, insuplc="")
    reply = _reply(client, auth, message)
    assert reply["err_msg"].startswith("insuplc_admdvs: 缺少参保地医保区划")


def test_the_gateway_needs_a_token_and_the_clerk_role(client, auth, hospital):
    message = _base(hospital)
    assert client.post(GATEWAY, json=message).status_code == 401
    assert client.post(GATEWAY, json=message, headers=auth["reader"]).status_code == 403


def test_1101_answers_from_the_register(client, auth, hospital):
    person = register(client, auth, categories=["低保对象"], name="李四")
    out = hospital.call(
        "1101",
        {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person["certno"]}},
        WHEN,
        insuplc="",
    )
    assert out["baseinfo"]["psn_no"] == person["psn_no"]
    assert out["baseinfo"]["psn_name"] == "李四"
    assert out["baseinfo"]["brdy"] == person["brdy"]
    assert [(i["insutype"], i["insuplc_admdvs"], i["year"]) for i in out["insuinfo"]] == [
        ("390", "500243", 2023)
    ]
    assert [(i["psn_idet_type"], i["begntime"]) for i in out["idetinfo"]] == [
        ("低保对象", "2023-01-01")
    ]


def test_1101_for_a_person_not_in_the_register_names_the_field(hospital):
    from tests.gateway.conftest import failure, new_certno

    err = failure(
        hospital,
        "1101",
        {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": new_certno()}},
        WHEN,
        insuplc="",
    )
    assert err.startswith("input.data.mdtrt_cert_no: 就诊凭证编号在参保登记中不存在")


def test_the_reference_his_builds_msgids_of_the_specified_form():
    h = his.Hospital(lambda m: m)
    msgid = h.envelope("1101", {}, WHEN)["msgid"]
    assert len(msgid) == 30 and msgid.startswith("H50024300001" + "20230601090000")
