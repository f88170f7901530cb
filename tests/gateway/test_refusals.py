"""Bad input gets the failure envelope with a Chinese err_msg naming the field, and nothing is
written (rows of every gateway and ledger table counted before and after)."""

from __future__ import annotations

import datetime as dt

from tests.gateway.conftest import (
    counts,
    detail,
    failure,
    open_visit,
    pay_node,
    register,
    registration,
)

WHEN = dt.datetime(2023, 6, 1, 9, 0)


def test_detail_that_does_not_add_up_to_medfee_sumamt(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id, lines = open_visit(hospital, person, WHEN)  # 10.00 + 37.00
    node = pay_node(mdtrt_id, person, lines)
    node["data"]["medfee_sumamt"] = "47.01"
    before = counts(app)
    for infno in ("2206", "2207"):
        err = failure(hospital, infno, node, WHEN)
        assert (
            err
            == "input.data.medfee_sumamt: 医疗费总额 47.01 与已上传未结算费用明细合计 47.00 不符"
        )
    assert counts(app) == before


def test_settlement_for_an_mdtrt_id_never_registered(client, auth, app, hospital):
    person = register(client, auth)
    before = counts(app)
    err = failure(
        hospital,
        "2207",
        pay_node("MNOTREGISTERED", person, detail("MNOTREGISTERED", person, WHEN)),
        WHEN,
    )
    assert err == "input.data.mdtrt_id: 就诊ID MNOTREGISTERED 未办理挂号或入院登记"
    assert counts(app) == before


def test_reversal_of_a_reversal_and_a_second_reversal(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id, lines = open_visit(hospital, person, WHEN)
    setl_id = hospital.call("2207", pay_node(mdtrt_id, person, lines), WHEN, insuplc="500243")[
        "setlinfo"
    ]["setl_id"]
    node = {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}}
    reversal = hospital.call("2208", node, WHEN, insuplc="500243")["setlinfo"]
    assert reversal["init_setl_id"] == setl_id and reversal["setl_id"] != setl_id
    assert reversal["medfee_sumamt"] == -47.0
    before = counts(app)
    err = failure(
        hospital, "2208", {"data": {**node["data"], "setl_id": reversal["setl_id"]}}, WHEN
    )
    assert err == f"input.data.setl_id: 结算ID {reversal['setl_id']} 是撤销记录，撤销记录不能再撤销"
    err = failure(hospital, "2208", node, WHEN)
    assert err == f"input.data.setl_id: 结算ID {setl_id} 已于撤销记录 {reversal['setl_id']} 撤销"
    assert counts(app) == before
    stored = client.get(f"/api/settlements/{setl_id}", headers=auth["clerk"]).json()
    assert stored["status"] == "reversed" and "2208" in stored["reversal_reason"]
    # The lines are open again: the same visit settles again, to the same amounts.
    again = hospital.call("2207", pay_node(mdtrt_id, person, lines), WHEN, insuplc="500243")[
        "setlinfo"
    ]
    assert again["hifp_pay"] == -reversal["hifp_pay"]


def test_registration_refused_for_a_person_not_insured_for_the_year(client, auth, app, hospital):
    person = register(client, auth)
    before = counts(app)
    when = dt.datetime(2024, 2, 1, 9, 0)
    err = failure(
        hospital,
        "2201",
        {
            "data": {
                "psn_no": person["psn_no"],
                "insutype": "390",
                "begntime": "2024-02-01 09:00:00",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "ipt_otp_no": "1",
                "hosp_lv": "05",
            }
        },
        when,
    )
    assert (
        err
        == f"input.data.psn_no: 人员编号 {person['psn_no']} 无 2024 年度城乡居民医保参保登记（未参保）"
    )
    err = failure(
        hospital,
        "2201",
        {
            "data": {
                "psn_no": person["psn_no"],
                "insutype": "390",
                "begntime": "2023-06-01 09:00:00",
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person["certno"],
                "ipt_otp_no": "1",
                "hosp_lv": "05",
            }
        },
        WHEN,
        insuplc="421200",
    )
    assert err == "insuplc_admdvs: 参保地医保区划 421200 与参保登记的参保地 500243 不符"
    assert counts(app) == before


def test_a_line_whose_amount_is_not_count_times_price(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id = registration(hospital, person, WHEN)
    lines = detail(mdtrt_id, person, WHEN)
    lines[1]["det_item_fee_sumamt"] = "36.99"
    before = counts(app)
    err = failure(hospital, "2204", {"feedetail": lines}, WHEN)
    assert err == (
        "input.feedetail[1].det_item_fee_sumamt: 费用明细 0002（项目 XA02BCA348X001010100001） "
        "det_item_fee_sumamt：明细金额 36.99元 不等于数量 2 × 单价 18.50元 = 37.00元"
    )
    lines[1]["det_item_fee_sumamt"] = "37.00"
    lines[1]["feedetl_sn"] = lines[0]["feedetl_sn"]
    err = failure(hospital, "2204", {"feedetail": lines}, WHEN)
    assert err == "input.feedetail[1].feedetl_sn: 费用明细流水号 0001 在本次就诊中已上传"
    assert counts(app) == before


def test_outpatient_cancel_refused_while_settled(client, auth, hospital):
    person = register(client, auth)
    mdtrt_id, lines = open_visit(hospital, person, WHEN)
    setl_id = hospital.call("2207", pay_node(mdtrt_id, person, lines), WHEN, insuplc="500243")[
        "setlinfo"
    ]["setl_id"]
    err = failure(
        hospital, "2202", {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id}}, WHEN
    )
    assert err.startswith("input.data.mdtrt_id: 就诊ID") and "已结算" in err
    err = failure(hospital, "2204", {"feedetail": detail(mdtrt_id, person, WHEN)}, WHEN)
    assert "状态为已结算" in err
    assert setl_id


def test_an_item_code_not_in_the_catalogue_on_that_day(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id = registration(hospital, person, WHEN)
    unknown = detail(mdtrt_id, person, WHEN, [("XX0000000000000", "自编项目", "1", "5.00", {})])
    before = counts(app)
    err = failure(hospital, "2204", {"feedetail": unknown}, WHEN)
    assert err == (
        "input.feedetail[0].med_list_codg: 费用明细 0001（项目 XX0000000000000） item_code："
        "2023-06-01 不在就医地 500243 医保目录内（就医地目录中没有该编码）"
    )
    # 普通针刺 is in 重庆's catalogue from 2023-07-01 only (policies/500000/catalogue).
    early = detail(
        mdtrt_id, person, WHEN, [("004300000010100", "普通针刺(体针)", "1", "20.00", {})]
    )
    err = failure(hospital, "2204", {"feedetail": early}, WHEN)
    assert err.startswith("input.feedetail[0].med_list_codg: ") and "有效期为 2023-07-01至今" in err
    assert counts(app) == before


def test_the_split_of_each_line_is_returned(client, auth, hospital):
    person = register(client, auth)
    mdtrt_id = registration(hospital, person, WHEN)
    rows = [
        ("XA02BCA348X001010100001", "奥美拉唑肠溶胶囊", "2", "18.50", {}),  # 乙类 10 %
        ("XA11AAD001A001010100001", "多维元素片", "1", "6.00", {}),  # 丙类
        ("C0302010010000000001", "一次性使用输液器", "2", "4.00", {}),  # ceiling 3.00
    ]
    result = hospital.call("2204", {"feedetail": detail(mdtrt_id, person, WHEN, rows)}, WHEN)[
        "result"
    ]
    names = (
        "chrgitm_lv",
        "fulamt_ownpay_amt",
        "overlmt_amt",
        "preselfpay_amt",
        "inscp_scp_amt",
        "selfpay_prop",
    )
    assert [tuple(r[n] for n in names) for r in result] == [
        ("02", 0.0, 0.0, 3.7, 33.3, 0.1),
        ("03", 6.0, 0.0, 0.0, 0.0, 1.0),
        ("01", 0.0, 2.0, 0.0, 6.0, 0.0),
    ]
    assert result[2]["pric_uplmt_amt"] == 3.0
