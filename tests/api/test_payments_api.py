"""参保缴费 as records (issue 13), over HTTP: the enrollment records the quote's payment; a
payment id is the idempotency key; other amounts need 补缴 / 退费 / 冲正 with a reason; money
is exact; no payment without an enrollment."""

from __future__ import annotations

from tests.api.conftest import new_certno


def _person(client, auth, categories=()):
    r = client.post(
        "/api/persons",
        json={
            "certno": new_certno(),
            "psn_name": "郑十一",
            "insuplc_admdvs": "421200",
            "categories": [{"category": c, "begin_date": "2022-01-01"} for c in categories],
        },
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    return r.json()


def _payments(client, auth, person):
    r = client.get(f"/api/persons/{person['psn_no']}/payments", headers=auth["reader"])
    assert r.status_code == 200, r.text
    return r.json()


def test_enrollment_records_the_quoted_payment_once(client, auth):
    # 咸宁 2023 (咸医保发〔2022〕22号): 380 元; 低保对象 are subsidised 90% = 342 元, pay 38 元.
    p = _person(client, auth, categories=("低保对象",))
    body = {"psn_no": p["psn_no"], "year": 2023, "enrolled_on": "2022-11-01", "payment_id": "SW-A1"}
    first = client.post("/api/enrollments", json=body, headers=auth["clerk"])
    assert first.status_code == 201, first.text
    payment = first.json()["payment"]
    assert (payment["personal_paid"], payment["assistance_subsidy"]) == (38.00, 342.00)
    assert payment["kind"] == "缴费" and payment["subsidy_fund"]
    again = client.post("/api/enrollments", json=body, headers=auth["clerk"])
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first.json()
    assert len(_payments(client, auth, p)) == 1
    other = client.post(
        "/api/enrollments", json={**body, "enrolled_on": "2022-12-01"}, headers=auth["clerk"]
    )
    assert other.status_code == 409


def test_an_enrollment_amount_other_than_the_quote_is_refused_and_nothing_written(client, auth):
    p = _person(client, auth)
    body = {
        "psn_no": p["psn_no"],
        "year": 2023,
        "enrolled_on": "2022-11-01",
        "personal_paid": "300",
    }
    r = client.post("/api/enrollments", json=body, headers=auth["clerk"])
    assert r.status_code == 422 and "补缴" in r.json()["detail"]
    listed = client.get(f"/api/persons/{p['psn_no']}/enrollments", headers=auth["reader"])
    assert listed.json() == [] and _payments(client, auth, p) == []


def test_a_payment_posted_twice_is_one_record(client, auth):
    p = _person(client, auth)
    client.post(
        "/api/enrollments",
        json={"psn_no": p["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        headers=auth["clerk"],
    )
    body = {
        "psn_no": p["psn_no"],
        "year": 2023,
        "payment_id": "SW-B7",
        "kind": "补缴",
        "personal_paid": "20.50",
        "paid_on": "2023-03-01",
        "reason": "档次调整补缴差额",
    }
    first = client.post("/api/payments", json=body, headers=auth["clerk"])
    again = client.post("/api/payments", json=body, headers=auth["clerk"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and first.json()["personal_paid"] == 20.50
    assert len(_payments(client, auth, p)) == 2  # the enrollment's 缴费 and one 补缴
    changed = client.post(
        "/api/payments", json={**body, "personal_paid": "21.00"}, headers=auth["clerk"]
    )
    assert changed.status_code == 409 and changed.json()["detail"].startswith("payment_id:")


def test_kinds_need_their_reason_and_refunds_stay_within_what_was_paid(client, auth):
    p = _person(client, auth)
    done = client.post(
        "/api/enrollments",
        json={"psn_no": p["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        headers=auth["clerk"],
    ).json()
    paid = done["payment"]
    base = {"psn_no": p["psn_no"], "year": 2023, "paid_on": "2023-04-01"}
    no_reason = {**base, "payment_id": "R-1", "kind": "退费", "personal_paid": "10"}
    assert client.post("/api/payments", json=no_reason, headers=auth["clerk"]).status_code == 422
    too_much = {**no_reason, "reason": "重复缴费退还", "personal_paid": "1000"}
    r = client.post("/api/payments", json=too_much, headers=auth["clerk"])
    assert r.status_code == 422 and "退费不能超过已缴金额" in r.json()["detail"]
    second = {**base, "payment_id": "R-2", "kind": "缴费"}
    r = client.post("/api/payments", json=second, headers=auth["clerk"])
    assert r.status_code == 409  # one 缴费 per person-year
    undo = {
        **base,
        "payment_id": "R-3",
        "kind": "冲正",
        "refers_to": paid["payment_id"],
        "reason": "票据作废",
    }
    r = client.post("/api/payments", json=undo, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    assert r.json()["personal_paid"] == -paid["personal_paid"]
    undo_undo = {**undo, "payment_id": "R-4", "refers_to": "R-3"}
    r = client.post("/api/payments", json=undo_undo, headers=auth["clerk"])
    assert r.status_code == 422 and "冲正记录不能再冲正" in r.json()["detail"]
    twice = {**undo, "payment_id": "R-5"}
    assert client.post("/api/payments", json=twice, headers=auth["clerk"]).status_code == 409
    # After the 冲正 the person-year may be paid afresh, as quoted.
    assert client.post("/api/payments", json=second, headers=auth["clerk"]).status_code == 201
    net = sum(x["personal_paid"] for x in _payments(client, auth, p))
    assert round(net, 2) == paid["personal_paid"]


def test_no_payment_without_enrollment_and_money_is_exact(client, auth):
    p = _person(client, auth)
    body = {
        "psn_no": p["psn_no"],
        "year": 2023,
        "payment_id": "X-1",
        "paid_on": "2022-11-01",
    }
    r = client.post("/api/payments", json=body, headers=auth["clerk"])
    assert r.status_code == 422 and r.json()["detail"].startswith("year:")
    for bad in (0.001, "12.345", -5, "abc"):
        r = client.post("/api/payments", json={**body, "personal_paid": bad}, headers=auth["clerk"])
        assert r.status_code == 422, bad
    assert _payments(client, auth, p) == []
