"""防止因病返贫预警 over the API (issue 16): a 低保 person whose yearly out-of-pocket reaches 2 ×
the monitoring standard is stored once as 待核实 by the scan; 审核 核实s it, 管理 推送s it to
民政 and 乡村振兴, 审核 处置s it; each step is in its history with who, when and the note; the
list is paged and filtered; a clerk may not act and 只读 sees the person masked."""

from __future__ import annotations

from tests.api.conftest import claim, new_certno


def _low_income_person(client, auth, name="孙八"):
    p = client.post(
        "/api/persons",
        json={
            "certno": new_certno(),
            "psn_name": name,
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
    return p


def _mine(client, auth, psn_no, **query):
    params = {"region": "421200", "year": 2023, "per_page": 500, **query}
    r = client.get("/api/warnings", params=params, headers=auth["reviewer"])
    assert r.status_code == 200, r.text
    return [w for w in r.json()["items"] if w["psn_no"] == psn_no]


def test_a_warning_is_scanned_once_then_verified_pushed_and_disposed(client, auth):
    p = _low_income_person(client, auth)
    # Wholly self-paid items of 20000 yuan are beyond every fund: out-of-pocket ≥ 20000 yuan,
    # above 2 × the 7200-yuan standard (咸宁 2023 monitoring.standard).
    body = claim(p, f"{p['psn_no']}-w", total=40000.0, ownpay=20000.0)
    settled = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert settled.status_code == 201
    scan = {"region": "421200", "year": 2023}
    assert client.post("/api/warnings/scan", json=scan, headers=auth["clerk"]).status_code == 403
    first = client.post("/api/warnings/scan", json=scan, headers=auth["reviewer"])
    assert first.status_code == 200 and first.json()["added"] >= 1, first.text
    again = client.post("/api/warnings/scan", json=scan, headers=auth["admin"]).json()
    assert again["added"] == 0
    [w] = _mine(client, auth, p["psn_no"])
    assert w["status"] == "待核实" and w["threshold"] == 14400.0
    assert w["amount"] == settled.json()["setlinfo"]["psn_part_amt"]
    assert w["psn_name"] == "孙八"
    assert _mine(client, auth, p["psn_no"], status="已核实") == []

    url = f"/api/warnings/{w['id']}"
    note = {"note": "乡镇入户核实：两次住院属实"}
    assert client.post(f"{url}/verify", json=note, headers=auth["clerk"]).status_code == 403
    r = client.post(f"{url}/verify", json={"note": ""}, headers=auth["reviewer"])
    assert r.status_code == 422 and "note" in r.text
    r = client.post(f"{url}/push", json={"targets": ["民政"]}, headers=auth["reviewer"])
    assert r.status_code == 409 and "待核实" in r.json()["detail"]
    r = client.post(f"{url}/verify", json=note, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "已核实", r.text
    push = {"targets": ["民政", "乡村振兴"], "note": "同步推送"}
    r = client.post(f"{url}/push", json=push, headers=auth["admin"])
    assert r.status_code == 200 and r.json()["pushed_to"] == "民政、乡村振兴"
    r = client.post(f"{url}/exclude", json={"reason": "晚了"}, headers=auth["reviewer"])
    assert r.status_code == 409
    done = {"note": "已纳入临时救助"}
    r = client.post(f"{url}/dispose", json=done, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "已处置"
    assert client.post(f"{url}/dispose", json=done, headers=auth["reviewer"]).status_code == 409

    shown = client.get(url, headers=auth["reader"]).json()
    assert shown["psn_name"] == "孙*" and "*" in shown["certno"]
    steps = [(h["action"], h["actor"].split("-")[0], h["note"]) for h in shown["history"]]
    assert steps[1:] == [
        ("核实", "reviewer", "乡镇入户核实：两次住院属实"),
        ("推送", "admin", "同步推送"),
        ("处置", "reviewer", "已纳入临时救助"),
    ]
    assert all(h["at"] for h in shown["history"])
    assert [w["status"] for w in _mine(client, auth, p["psn_no"], status="已处置")] == ["已处置"]


def test_excluding_a_warning_needs_a_reason_and_the_list_is_paged(client, auth):
    # two warnings of this test's own (others' tests may run in another worker): the list pages
    p, q = _low_income_person(client, auth, "钱九"), _low_income_person(client, auth, "孙十")
    for person in (p, q):
        body = claim(person, f"{person['psn_no']}-x", total=40000.0, ownpay=20000.0)
        assert client.post("/api/settlements", json=body, headers=auth["clerk"]).status_code == 201
    client.post(
        "/api/warnings/scan", json={"region": "421200", "year": 2023}, headers=auth["admin"]
    )
    [w] = _mine(client, auth, p["psn_no"])
    url = f"/api/warnings/{w['id']}/exclude"
    assert client.post(url, json={"reason": "  "}, headers=auth["reviewer"]).status_code == 422
    r = client.post(url, json={"reason": "家庭有稳定收入"}, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "已排除"

    one = client.get(
        "/api/warnings",
        params={"region": "421200", "year": 2023, "per_page": 1},
        headers=auth["reader"],
    ).json()
    assert one["total"] >= 2 and one["pages"] == one["total"] and len(one["items"]) == 1
    assert client.get("/api/warnings/999999", headers=auth["reader"]).status_code == 404
