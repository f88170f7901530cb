"""A settlement through the gateway pays what the REST settlement pays for the same claim, to
the fen, and is the ledger's own settlement (the REST API reads it back unchanged)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.gateway.conftest import his, open_visit, pay_node, register

AMOUNTS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "hifmi_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
    "psn_part_amt", "psn_cash_pay", "balc",
)  # fmt: skip


def fen(value) -> int:
    return int(Decimal(str(value)) * 100)


def rest_settle(client, auth, person, setl_id, **claim):
    body = {
        "setl_id": setl_id,
        "psn_no": person["psn_no"],
        "certno": person["certno"],
        "insuplc_admdvs": person["insuplc_admdvs"],
        "hosp_lv": "05",
        **claim,
    }
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    return r.json()["setlinfo"]


def test_outpatient_2207_pays_what_the_rest_settlement_pays(client, auth, hospital):
    when = dt.datetime(2023, 6, 1, 9, 0)
    a, b = register(client, auth), register(client, auth)
    rows = [
        ("001102000010000", "普通门诊诊查费", "1", "10.00", {}),
        ("XA02BCA348X001010100001", "奥美拉唑肠溶胶囊", "3", "18.55", {}),  # 乙类: 5.565 → 5.57
        ("XA11AAD001A001010100001", "多维元素片", "1", "6.00", {}),  # 丙类
    ]
    mdtrt_id, lines = open_visit(hospital, a, when, rows)
    out = hospital.call("2207", pay_node(mdtrt_id, a, lines), when, insuplc="500243")["setlinfo"]
    rest = rest_settle(
        client, auth, b, f"REST-{b['psn_no']}", med_type="11", setl_time=when.isoformat(),
        begndate="2023-06-01", enddate="2023-06-01", medfee_sumamt="71.65",
        fulamt_ownpay_amt="6.00", preselfpay_amt="5.57",
    )  # fmt: skip
    assert {k: fen(out[k]) for k in AMOUNTS} == {k: fen(rest[k]) for k in AMOUNTS}
    assert fen(out["medfee_sumamt"]) == 7165 and fen(out["hifp_pay"]) > 0
    # 基本医疗保险统筹基金支付比例: the pool's share; the REST setlinfo carries the person's.
    assert Decimal(str(out["pool_prop_selfpay"])) == 1 - Decimal(str(rest["pool_prop_selfpay"]))
    stored = client.get(f"/api/settlements/{out['setl_id']}", headers=auth["clerk"]).json()
    assert stored["setlinfo"]["mdtrt_id"] == mdtrt_id
    assert {k: fen(stored["setlinfo"][k]) for k in AMOUNTS} == {k: fen(out[k]) for k in AMOUNTS}


@pytest.mark.parametrize("categories", [(), ("特困人员",)])
def test_inpatient_2304_pays_what_the_rest_settlement_pays(client, auth, hospital, categories):
    admitted = dt.datetime(2023, 7, 3, 10, 0)
    discharged = dt.datetime(2023, 7, 12, 9, 0)
    a = register(client, auth, categories=categories)
    b = register(client, auth, categories=categories)
    node = {"mdtrtinfo": {"psn_no": a["psn_no"], "insutype": "390", "begntime": "2023-07-03 10:00:00",
                          "mdtrt_cert_type": "02", "mdtrt_cert_no": a["certno"], "med_type": "21",
                          "ipt_no": "ZY1", "hosp_lv": "05", "dise_codg": "J18.900"}}  # fmt: skip
    mdtrt_id = hospital.call("2401", node, admitted)["result"]["mdtrt_id"]
    rows = [
        ("001109000010000", "普通病房床位费", "9", "40.00", {}),  # at the 二级 ceiling
        ("XB03BAJ038B001010100001", "甲钴胺注射液", "30", "65.30", {}),  # 乙类: 195.90
        ("XB05AAR021B001010100001", "人血白蛋白", "20", "400.00", {}),  # 乙类: 800.00
    ]
    lines = [
        his.line(f"{n}", c, nm, cnt, p, dt.datetime(2023, 7, 5, 8), mdtrt_id, a["psn_no"], **s)
        for n, (c, nm, cnt, p, s) in enumerate(rows)
    ]
    hospital.call("2301", {"feedetail": lines}, dt.datetime(2023, 7, 5, 20))
    hospital.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": a["psn_no"],
                "insutype": "390",
                "endtime": "2023-07-12 09:00:00",
            }
        },
        discharged,
    )
    pay = pay_node(mdtrt_id, a, lines, med_type="21", mid_setl_flag="0")
    out = hospital.call("2304", pay, discharged)["setlinfo"]
    rest = rest_settle(
        client, auth, b, f"REST-{b['psn_no']}", med_type="21", setl_time=discharged.isoformat(),
        begndate="2023-07-03", enddate="2023-07-12", medfee_sumamt=his.total(lines),
        preselfpay_amt="995.90", dise_codg="J18.900",
    )  # fmt: skip
    assert {k: fen(out[k]) for k in AMOUNTS} == {k: fen(rest[k]) for k in AMOUNTS}
    assert fen(out["medfee_sumamt"]) == 1031900
    assert (fen(out["maf_pay"]) > 0) == bool(categories)
    assert out["clr_type"] == "21" and out["clr_optins"] == "500243" and out["clr_way"] == "1"
    detail = hospital.call(
        "5203", {"data": {"psn_no": a["psn_no"], "setl_id": out["setl_id"]}}, discharged
    )
    names = {d["fund_pay_type"]: d["fund_pay_type_name"] for d in detail["setldetail"]}
    assert names["390100"] == "城乡居民基本医疗保险基金"
    assert sum(fen(d["fund_payamt"]) for d in detail["setldetail"]) == fen(out["fund_pay_sumamt"])
