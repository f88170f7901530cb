"""智能监管疑点 over the API (issue 16): a re-admission within 15 days for the same diagnosis
category (分解住院, JK002) is stored once as 待核查; 开始核查 → 申诉 (the hospital's text) → 认定
违规 with an exact 扣款 in yuan (kept in fen, at most what the fund paid); filters by rule,
institution and status; a clerk may not act."""

from __future__ import annotations

from tests.api.conftest import claim


def _stay(person, setl_id, begin, end, total, dise):
    return claim(
        person, setl_id, total=total, ownpay=0.0,
        begndate=begin, enddate=end, setl_time=f"{end}T15:00:00",
        fixmedins_code="H42120099001", dise_codg=dise,
    )  # fmt: skip


def test_a_split_admission_is_checked_appealed_and_decided_with_a_deduction(client, auth, person):
    first = _stay(person, f"{person['psn_no']}-s1", "2023-04-01", "2023-04-09", 9000.0, "J18.0")
    second = _stay(person, f"{person['psn_no']}-s2", "2023-04-13", "2023-04-20", 8000.0, "J18.9")
    for body in (first, second):
        assert client.post("/api/settlements", json=body, headers=auth["clerk"]).status_code == 201
    fund_paid = client.get(f"/api/settlements/{second['setl_id']}", headers=auth["clerk"]).json()
    fund_paid = fund_paid["setlinfo"]["fund_pay_sumamt"]
    scan = {"region": "421200", "year": 2023}
    assert client.post("/api/supervision/scan", json=scan, headers=auth["clerk"]).status_code == 403
    r = client.post("/api/supervision/scan", json=scan, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["added"] >= 1, r.text
    assert (
        client.post("/api/supervision/scan", json=scan, headers=auth["reviewer"]).json()["added"]
        == 0
    )

    params = {"region": "421200", "year": 2023, "rule": "JK002", "institution": "H42120099001"}
    listed = client.get("/api/supervision", params=params, headers=auth["reader"]).json()
    [hit] = [h for h in listed["items"] if h["setl_id"] == second["setl_id"]]
    assert hit["status"] == "待核查" and hit["rule_name"] == "分解住院"
    assert hit["fund_pay_sumamt"] == fund_paid and hit["psn_name"].endswith("*")

    url = f"/api/supervision/{hit['id']}"
    decide = {"finding": "违规", "deduction": "1234.56", "note": "申诉不成立"}
    assert client.post(f"{url}/decide", json=decide, headers=auth["reviewer"]).status_code == 409
    assert client.post(f"{url}/start", json={}, headers=auth["clerk"]).status_code == 403
    r = client.post(f"{url}/start", json={"note": "调取两次病历"}, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "核查中"
    appeal = {"appeal": "第二次入院为肺炎复发，诊断不同"}
    r = client.post(f"{url}/appeal", json=appeal, headers=auth["reviewer"])
    assert r.status_code == 200 and r.json()["status"] == "申诉中"

    for bad in ("12.345", "-5", "abc"):
        r = client.post(f"{url}/decide", json={**decide, "deduction": bad}, headers=auth["admin"])
        assert r.status_code == 422 and "deduction" in r.text, (bad, r.text)
    too_much = {**decide, "deduction": f"{fund_paid + 0.01:.2f}"}
    r = client.post(f"{url}/decide", json=too_much, headers=auth["admin"])
    assert r.status_code == 422 and "超过该结算基金支付" in r.json()["detail"]
    assert client.get(url, headers=auth["reviewer"]).json()["status"] == "申诉中"

    r = client.post(f"{url}/decide", json=decide, headers=auth["admin"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["finding"], done["deduction"]) == ("已认定", "违规", 1234.56)
    assert done["appeal"] == appeal["appeal"]
    assert [h["action"] for h in done["history"]] == ["扫描", "开始核查", "申诉", "认定"]
    assert done["history"][-1]["amount"] == 1234.56 and done["history"][-1]["actor"].startswith(
        "admin"
    )
    decided = client.get(
        "/api/supervision", params={**params, "status": "已认定"}, headers=auth["reader"]
    ).json()
    assert hit["id"] in [h["id"] for h in decided["items"]]
