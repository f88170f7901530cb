"""异地就医 over HTTP (issue 17): a stored settlement with offsite_kind is paid by the 参保地's
policy at the lowered ratio, refused with 422 naming the field for an unknown kind."""

from __future__ import annotations

from tests.api.conftest import claim


def test_unfiled_offsite_stay_is_settled_20_points_lower(client, auth, person):
    local = client.post("/api/settlements/preview", json=claim(person, None), headers=auth["clerk"])
    away = client.post(
        "/api/settlements",
        json=claim(person, f"{person['psn_no']}-away", offsite_kind="未备案"),
        headers=auth["clerk"],
    )
    assert (local.status_code, away.status_code) == (200, 201), away.text
    a, b = local.json()["setlinfo"], away.json()["setlinfo"]
    assert b["pool_prop_selfpay"] == round(a["pool_prop_selfpay"] + 0.20, 4)
    assert b["hifp_pay"] < a["hifp_pay"]
    steps = [e["step"] for e in away.json()["explanation"]]
    assert "异地就医" in steps
    assert {d["fund_pay_type_name"] for d in away.json()["setldetail"]} >= {
        "城乡居民基本医疗保险基金"
    }


def test_unknown_offsite_kind_is_422_and_writes_nothing(client, auth, person):
    sid = f"{person['psn_no']}-bad-kind"
    r = client.post(
        "/api/settlements", json=claim(person, sid, offsite_kind="外星"), headers=auth["clerk"]
    )
    assert r.status_code == 422 and "offsite_kind" in r.text
    assert client.get(f"/api/settlements/{sid}", headers=auth["reader"]).status_code == 404
