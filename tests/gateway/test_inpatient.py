"""住院: 入院, daily detail, 中途结算, 出院, 出院结算; the two parts add up to the stay's
detail, the stay's days are counted once, and the reversals and cancellations keep order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.gateway.conftest import failure, his, pay_node, register


def fen(v) -> int:
    return int(Decimal(str(v)) * 100)


def _admit(h, person, when):
    node = {"mdtrtinfo": {"psn_no": person["psn_no"], "insutype": "390", "begntime": when.strftime("%Y-%m-%d %H:%M:%S"),
                          "mdtrt_cert_type": "02", "mdtrt_cert_no": person["certno"], "med_type": "21", "ipt_no": "ZY9", "hosp_lv": "05"}}  # fmt: skip
    return h.call("2401", node, when)["result"]["mdtrt_id"]


def _day(mdtrt_id, person, day, tag):
    rows = [
        ("001109000010000", "普通病房床位费", "1", "40.00", {}),
        ("001204000060000", "静脉输液", "2", "12.00", {}),
    ]
    return [
        his.line(
            f"{tag}{n}",
            c,
            nm,
            cnt,
            p,
            dt.datetime.combine(day, dt.time(8)),
            mdtrt_id,
            person["psn_no"],
            **s,
        )
        for n, (c, nm, cnt, p, s) in enumerate(rows)
    ]


def test_mid_settlement_then_discharge_settles_each_line_once(client, auth, hospital):
    person = register(client, auth)
    admitted = dt.datetime(2023, 8, 1, 9)
    mdtrt_id = _admit(hospital, person, admitted)
    first = [x for d in range(5) for x in _day(mdtrt_id, person, dt.date(2023, 8, 1 + d), f"A{d}")]
    hospital.call("2301", {"feedetail": first}, dt.datetime(2023, 8, 5, 20))
    err = failure(
        hospital,
        "2304",
        pay_node(mdtrt_id, person, first, mid_setl_flag="0"),
        dt.datetime(2023, 8, 6, 7),
    )
    assert "不能结算（出院结算须先办理出院 2402）" in err
    mid = hospital.call(
        "2304", pay_node(mdtrt_id, person, first, mid_setl_flag="1"), dt.datetime(2023, 8, 6, 7)
    )["setlinfo"]
    assert fen(mid["medfee_sumamt"]) == 5 * 6400
    second = _day(mdtrt_id, person, dt.date(2023, 8, 6), "B")
    hospital.call("2301", {"feedetail": second}, dt.datetime(2023, 8, 6, 20))
    # Cancelling the admission is refused while a part of it is settled.
    assert "已结算" in failure(
        hospital,
        "2404",
        {"data": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}},
        dt.datetime(2023, 8, 7, 9),
    )
    hospital.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": person["psn_no"],
                "insutype": "390",
                "endtime": "2023-08-07 09:00:00",
            }
        },
        dt.datetime(2023, 8, 7, 9),
    )
    # The rest only: the first five days are settled already.
    err = failure(
        hospital,
        "2304",
        pay_node(mdtrt_id, person, first + second, mid_setl_flag="0"),
        dt.datetime(2023, 8, 7, 10),
    )
    assert (
        err == "input.data.medfee_sumamt: 医疗费总额 384.00 与已上传未结算费用明细合计 64.00 不符"
    )
    final = hospital.call(
        "2304", pay_node(mdtrt_id, person, second, mid_setl_flag="0"), dt.datetime(2023, 8, 7, 10)
    )["setlinfo"]
    assert fen(final["medfee_sumamt"]) == 6400
    stored = client.get(f"/api/settlements?psn_no={person['psn_no']}", headers=auth["clerk"]).json()
    assert [(s["setlinfo"]["mdtrt_id"], fen(s["setlinfo"]["medfee_sumamt"])) for s in stored] == [
        (mdtrt_id, 32000),
        (mdtrt_id, 6400),
    ]
    # The 中途结算 cannot be reversed while the 出院结算 after it stands; 2305 of the latter
    # first, then 出院撤销 (2405): the stay is open again.
    err = failure(
        hospital,
        "2305",
        {"data": {"mdtrt_id": mdtrt_id, "setl_id": mid["setl_id"], "psn_no": person["psn_no"]}},
        dt.datetime(2023, 8, 7, 11),
    )
    assert (
        err
        == f"input.data.setl_id: 结算ID {mid['setl_id']} 之后还有结算 {final['setl_id']}，请先撤销后者"
    )
    hospital.call(
        "2305",
        {"data": {"mdtrt_id": mdtrt_id, "setl_id": final["setl_id"], "psn_no": person["psn_no"]}},
        dt.datetime(2023, 8, 7, 11),
    )
    hospital.call(
        "2405",
        {"data": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"]}},
        dt.datetime(2023, 8, 7, 12),
    )
    visits = hospital.call(
        "5201",
        {"data": {"psn_no": person["psn_no"], "begntime": "2023-08-01 00:00:00"}},
        dt.datetime(2023, 8, 7, 12),
    )
    assert [v["mdtrt_stas"] for v in visits["mdtrtinfo"]] == ["在院"]


def test_5206_gives_the_person_years_running_totals(client, auth, hospital):
    person = register(client, auth)
    admitted = dt.datetime(2023, 9, 1, 9)
    mdtrt_id = _admit(hospital, person, admitted)
    lines = _day(mdtrt_id, person, dt.date(2023, 9, 1), "C")
    hospital.call("2301", {"feedetail": lines}, dt.datetime(2023, 9, 1, 20))
    hospital.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": person["psn_no"],
                "insutype": "390",
                "endtime": "2023-09-02 09:00:00",
            }
        },
        dt.datetime(2023, 9, 2, 9),
    )
    out = hospital.call(
        "2304", pay_node(mdtrt_id, person, lines, mid_setl_flag="0"), dt.datetime(2023, 9, 2, 10)
    )["setlinfo"]
    cum = hospital.call(
        "5206",
        {"data": {"psn_no": person["psn_no"], "cum_ym": "202309"}},
        dt.datetime(2023, 9, 2, 11),
    )["cuminfo"]
    totals = {c["cum_type_code"]: c["cum"] for c in cum}
    assert all(c["year"] == "2023" and c["insutype"] == "390" for c in cum)
    assert sum(v for k, v in totals.items() if k.startswith("pool_paid:")) == out["hifp_pay"]
