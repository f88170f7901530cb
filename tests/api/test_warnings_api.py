"""防止因病返贫预警 over the API: a 低保 person whose yearly out-of-pocket reaches 2 × the
monitoring standard is warned once; 审核 approves it."""

from __future__ import annotations

from tests.api.conftest import claim, new_certno


def test_out_of_pocket_over_twice_the_standard_is_warned_once_and_approved(client, auth):
    p = client.post(
        "/api/persons",
        json={
            "certno": new_certno(),
            "psn_name": "孙八",
            "insuplc_admdvs": "421200",
            "categories": [{"category": "低保对象", "begin_date": "2022-01-01"}],
        },
        headers=auth["clerk"],
    ).json()
    enrolled = client.post(
        "/api/enrollments",
        json={"psn_no": p["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        headers=auth["clerk"],
    )
    assert enrolled.status_code == 201, enrolled.text
    # Wholly self-paid items of 20000 yuan are beyond every fund: out-of-pocket ≥ 20000 yuan,
    # above 2 × the 7200-yuan standard (咸宁 2023 monitoring.standard).
    body = claim(p, f"{p['psn_no']}-w", total=40000.0, ownpay=20000.0)
    assert client.post("/api/settlements", json=body, headers=auth["clerk"]).status_code == 201
    scan = {"region": "421200", "year": 2023}
    assert client.post("/api/warnings/scan", json=scan, headers=auth["clerk"]).status_code == 403
    found = client.post("/api/warnings/scan", json=scan, headers=auth["reviewer"]).json()
    mine = [w for w in found if w["psn_no"] == p["psn_no"]]
    assert len(mine) == 1 and mine[0]["threshold"] == 14400.0
    again = client.post("/api/warnings/scan", json=scan, headers=auth["reviewer"]).json()
    assert all(w["psn_no"] != p["psn_no"] for w in again)
    r = client.post(f"/api/warnings/{mine[0]['id']}/approve", headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = client.post(f"/api/warnings/{mine[0]['id']}/approve", headers=auth["reviewer"])
    assert r.status_code == 409
