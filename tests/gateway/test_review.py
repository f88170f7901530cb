"""3101 / 3102 明细审核: the smart-monitoring rules on the uploaded detail, in the platform's
audit shape."""

from __future__ import annotations

import datetime as dt

from tests.gateway.conftest import open_visit, register

WHEN = dt.datetime(2023, 6, 1, 9, 0)


def _man(client, auth):
    for _ in range(6):
        person = register(client, auth)
        if person["gend"] == "1":
            return person
    raise AssertionError("no man among six registrations")


def test_3102_finds_an_item_for_women_billed_to_a_man(client, auth, hospital):
    person = _man(client, auth)
    rows = [
        ("001102000010000", "普通门诊诊查费", "1", "10.00", {}),
        ("XG02ABM030B001010100001", "马来酸麦角新碱注射液", "1", "120.00", {}),  # 限女性
    ]
    mdtrt_id, _ = open_visit(hospital, person, WHEN, rows)
    result = hospital.call(
        "3102", {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "trig_scen": "4"}}, WHEN
    )["result"]
    assert len(result) == 1
    hit = result[0]
    assert set(hit) >= {
        "rule_id",
        "rule_name",
        "vola_cont",
        "vola_amt",
        "sev_deg",
        "vola_evid",
        "vola_bhvr_type",
    }
    assert hit["rule_name"].startswith("限") and hit["sev_deg"] == "明确"
    assert hit["vola_amt"] == 120.0
    assert hit["vola_evid"] == f"明细={mdtrt_id}#2"
    assert "XG02ABM030B001010100001" in hit["vola_cont"]


def test_3101_checks_lines_not_yet_uploaded_without_storing_them(client, auth, app, hospital):
    from tests.gateway.conftest import counts, his

    person = _man(client, auth)
    mdtrt_id, _ = open_visit(hospital, person, WHEN)
    before = counts(app)["gateway_fee_lines"]
    planned = [
        his.line(
            "0099",
            "003313030010000",
            "宫颈息肉切除术",
            "1",
            "8.00",
            WHEN,
            mdtrt_id,
            person["psn_no"],
        )
    ]
    result = hospital.call(
        "3101",
        {
            "data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "trig_scen": "1"},
            "feedetail": planned,
        },
        WHEN,
    )["result"]
    assert [(h["vola_amt"], "003313030010000" in h["vola_cont"]) for h in result] == [(8.0, True)]
    assert counts(app)["gateway_fee_lines"] == before
    clean = hospital.call(
        "3102", {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id}}, WHEN
    )["result"]
    assert clean == []
