"""Settlement over HTTP: settle, retry, preview, reverse, accumulators, in yuan."""

from __future__ import annotations

from tests.api.conftest import claim


def test_settle_returns_the_platform_fields_in_yuan(client, auth, person):
    r = client.post("/api/settlements", json=claim(person, "S-yuan"), headers=auth["clerk"])
    assert r.status_code == 201, r.text
    info = r.json()["setlinfo"]
    assert info["medfee_sumamt"] == 20000.00
    assert info["fund_pay_sumamt"] + info["psn_part_amt"] == info["medfee_sumamt"]
    assert {d["fund_pay_type"] for d in r.json()["setldetail"]} >= {"390100"}


def test_a_retry_of_the_same_setl_id_settles_once(client, auth, person):
    body = claim(person, f"{person['psn_no']}-once")
    first = client.post("/api/settlements", json=body, headers=auth["clerk"])
    again = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    acc = client.get(
        f"/api/persons/{person['psn_no']}/accumulators/2023", headers=auth["reader"]
    ).json()
    assert acc["settlements"] == 1
    assert sum(acc["pool_paid"].values()) == first.json()["setlinfo"]["hifp_pay"]


def test_the_same_setl_id_with_other_content_is_409(client, auth, person):
    sid = f"{person['psn_no']}-c"
    assert (
        client.post("/api/settlements", json=claim(person, sid), headers=auth["clerk"]).status_code
        == 201
    )
    r = client.post(
        "/api/settlements", json=claim(person, sid, total=30000.0), headers=auth["clerk"]
    )
    assert r.status_code == 409 and "setl_id" in r.json()["detail"]


def test_preview_pays_what_settle_pays_and_writes_nothing(client, auth, person):
    body = claim(person, f"{person['psn_no']}-p")
    preview = client.post("/api/settlements/preview", json=body, headers=auth["clerk"])
    assert preview.status_code == 200, preview.text
    acc = client.get(f"/api/persons/{person['psn_no']}/accumulators/2023", headers=auth["clerk"])
    assert acc.json()["settlements"] == 0
    settled = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert settled.json()["setlinfo"] == preview.json()["setlinfo"]


def test_reversal_restores_the_accumulators(client, auth, person):
    first = claim(person, f"{person['psn_no']}-1", month=2)
    second = claim(person, f"{person['psn_no']}-2", month=4)
    client.post("/api/settlements", json=first, headers=auth["clerk"])
    url = f"/api/persons/{person['psn_no']}/accumulators/2023"
    after_first = client.get(url, headers=auth["clerk"]).json()
    client.post("/api/settlements", json=second, headers=auth["clerk"])
    r = client.post(
        f"/api/settlements/{second['setl_id']}/reverse",
        json={"reason": "重复结算"},
        headers=auth["reviewer"],
    )
    assert r.status_code == 200 and r.json()["status"] == "reversed"
    assert r.json()["reversed_by"].startswith("reviewer")
    restored = client.get(url, headers=auth["clerk"]).json()
    assert {k: v for k, v in restored.items() if k != "settlements"} == {
        k: v for k, v in after_first.items() if k != "settlements"
    }


def test_coverage_comes_from_the_enrollment(client, auth):
    from tests.api.conftest import new_certno

    certno = new_certno()
    p = client.post(
        "/api/persons",
        json={"certno": certno, "psn_name": "赵六", "insuplc_admdvs": "421200"},
        headers=auth["clerk"],
    ).json()
    # Late enrollment (after the collection period): a waiting period before benefits.
    e = client.post(
        "/api/enrollments",
        json={"psn_no": p["psn_no"], "year": 2023, "enrolled_on": "2023-05-01"},
        headers=auth["clerk"],
    )
    assert e.status_code == 201, e.text
    assert e.json()["coverage_begin"] > "2023-05-01"
    r = client.post(
        "/api/settlements/preview", json=claim(p, "x-late", month=5), headers=auth["clerk"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["setlinfo"]["fund_pay_sumamt"] == 0
