"""3201 / 3202 对账: net totals by 险种 and 清算类别, then record by record with each mismatch
named (1 中心有医院无, 2 医院有中心无, 3 金额不符)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.gateway.conftest import open_visit, pay_node, register

DAY = dt.datetime(2023, 9, 1, 9, 0)


def _settle_three(client, auth, h):
    out = []
    for n in range(3):
        person = register(client, auth)
        mdtrt_id, lines = open_visit(h, person, DAY + dt.timedelta(minutes=n))
        out.append(
            h.call(
                "2207",
                pay_node(mdtrt_id, person, lines),
                DAY + dt.timedelta(minutes=n),
                insuplc="500243",
            )["setlinfo"]
        )
    return out


def _totals(h, medfee, fund, cnt):
    data = {"insutype": "390", "clr_type": "11", "setl_optins": "500243", "stmt_begndate": "2023-09-01", "stmt_enddate": "2023-09-01",
            "medfee_sumamt": medfee, "fund_pay_sumamt": fund, "acct_pay": "0", "fixmedins_setl_cnt": str(cnt)}  # fmt: skip
    return h.call("3201", {"data": data}, DAY.replace(hour=20))


def test_3201_balances_on_the_net_totals_and_names_a_difference(client, auth, hospital):
    settled = _settle_three(client, auth, hospital)
    s = settled[0]
    hospital.call(
        "2208",
        {"data": {"setl_id": s["setl_id"], "mdtrt_id": s["mdtrt_id"], "psn_no": s["psn_no"]}},
        DAY.replace(hour=12),
        insuplc="500243",
    )
    fund = sum(Decimal(str(x["fund_pay_sumamt"])) for x in settled[1:])
    ok = _totals(hospital, "94.00", f"{fund:.2f}", 2)
    assert ok["data"]["stmt_rslt"] == "0", ok
    assert [
        (t["clr_type"], t["fixmedins_setl_cnt"], t["medfee_sumamt"]) for t in ok["stmt_totals"]
    ] == [("11", 2, 94.0)]
    off = _totals(hospital, "141.00", f"{fund:.2f}", 3)
    assert off["data"]["stmt_rslt"] == "1"
    assert (
        off["data"]["stmt_rslt_dscr"]
        == "medfee_sumamt 医院 141.00 中心 94.00；fixmedins_setl_cnt 医院 3 中心 2"
    )


def test_3202_lists_each_mismatch(client, auth, hospital):
    settled = _settle_three(client, auth, hospital)
    mine = [
        {
            "setl_id": x["setl_id"],
            "medfee_sumamt": str(x["medfee_sumamt"]),
            "fund_pay_sumamt": str(x["fund_pay_sumamt"]),
        }
        for x in settled
    ]
    data = {"setl_optins": "500243", "stmt_begndate": "2023-09-01", "stmt_enddate": "2023-09-01"}
    clean = hospital.call("3202", {"data": {**data, "setl_list": mine}}, DAY.replace(hour=20))
    assert clean["data"]["stmt_rslt"] == "0" and clean["mismatches"] == []
    wrong = [
        dict(mine[0], medfee_sumamt="47.10"),
        mine[1],
        {"setl_id": "SNOSUCH", "medfee_sumamt": "5.00", "fund_pay_sumamt": "1.00"},
    ]
    out = hospital.call("3202", {"data": {**data, "setl_list": wrong}}, DAY.replace(hour=21))
    assert out["data"]["stmt_rslt"] == "1"
    found = sorted((m["setl_id"], m["stmt_rslt"], m["memo"]) for m in out["mismatches"])
    assert found == sorted(
        [
            (settled[0]["setl_id"], "3", "金额不符：medfee_sumamt"),
            (settled[2]["setl_id"], "1", "中心有医院无"),
            ("SNOSUCH", "2", "医院有中心无"),
        ]
    )
