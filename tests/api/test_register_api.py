"""The register decides (issue 13), over HTTP: no fund payment without an enrollment, no 参保地,
tier or category the register does not hold, the waiting period paid at zero with its reason."""

from __future__ import annotations

from tests.api.conftest import claim, new_certno


def _person(client, auth, region="500243", categories=()):
    body = {
        "certno": new_certno(region),
        "psn_name": "钱七",
        "insuplc_admdvs": region,
        "categories": [{"category": c, "begin_date": "2022-01-01"} for c in categories],
    }
    r = client.post("/api/persons", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    return r.json()


def _enrol(client, auth, person, enrolled_on="2022-11-01", **extra):
    r = client.post(
        "/api/enrollments",
        json={"psn_no": person["psn_no"], "year": 2023, "enrolled_on": enrolled_on, **extra},
        headers=auth["clerk"],
    )
    assert r.status_code in (200, 201), r.text
    return r


def _count(client, auth, person):
    url = f"/api/persons/{person['psn_no']}/accumulators/2023"
    return client.get(url, headers=auth["reader"]).json()["settlements"]


def test_a_person_without_enrollment_is_not_paid_and_nothing_is_written(client, auth):
    p = _person(client, auth)
    body = claim(p, f"{p['psn_no']}-none", total=20000.0, insuplc_admdvs="500243")
    preview = client.post("/api/settlements/preview", json=body, headers=auth["clerk"])
    settle = client.post("/api/settlements", json=body, headers=auth["clerk"])
    for r in (preview, settle):
        assert r.status_code == 422, r.text
        assert "未参保" in r.json()["detail"] and r.json()["detail"].startswith("psn_no:")
    assert (
        client.get(f"/api/settlements/{body['setl_id']}", headers=auth["reader"]).status_code == 404
    )
    assert _count(client, auth, p) == 0


def test_a_claim_naming_another_region_is_refused_with_the_registered_one(client, auth):
    p = _person(client, auth)
    _enrol(client, auth, p)
    body = claim(p, f"{p['psn_no']}-xn", insuplc_admdvs="421200")  # 咸宁, not 彭水
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("insuplc_admdvs:") and "500243" in detail and "彭水" in detail
    assert _count(client, auth, p) == 0
    # The same claim under the registered 参保地 is settled by 彭水's policy (起付线 300).
    ok = client.post(
        "/api/settlements", json={**body, "insuplc_admdvs": "500243"}, headers=auth["clerk"]
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["setlinfo"]["act_pay_dedc"] == 300.00


def test_categories_the_register_does_not_hold_are_refused(client, auth):
    p = _person(client, auth)
    _enrol(client, auth, p)
    body = claim(p, f"{p['psn_no']}-db", insuplc_admdvs="500243", categories=["低保对象"])
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 422
    assert r.json()["detail"].startswith("categories:") and "低保对象" in r.json()["detail"]
    # Without the category, nothing of 医疗救助 is paid: the register holds none.
    del body["categories"]
    settled = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert settled.status_code == 201 and settled.json()["setlinfo"]["maf_pay"] == 0


def test_registered_categories_are_used_even_when_the_hospital_leaves_them_out(client, auth):
    p = _person(client, auth, categories=("低保对象",))
    _enrol(client, auth, p)
    body = claim(p, f"{p['psn_no']}-reg", total=60000.0, insuplc_admdvs="500243")
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    assert r.json()["setlinfo"]["maf_pay"] > 0
    assert r.json()["entitlement"]["payable"] is True


def test_a_tier_other_than_the_enrollment_is_refused(client, auth):
    p = _person(client, auth)
    _enrol(client, auth, p)  # 一档
    body = claim(p, f"{p['psn_no']}-t2", insuplc_admdvs="500243", tier=2)
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 422 and r.json()["detail"].startswith("tier:")


def test_the_waiting_period_is_recorded_at_zero_with_its_reason(client, auth):
    p = _person(client, auth, region="421200")
    e = _enrol(client, auth, p, enrolled_on="2023-05-01").json()  # late: a waiting period
    assert e["coverage_begin"] > "2023-05-01"
    body = claim(p, f"{p['psn_no']}-wait", month=5)
    preview = client.post("/api/settlements/preview", json=body, headers=auth["clerk"])
    assert preview.status_code == 200
    entitlement = preview.json()["entitlement"]
    assert entitlement["payable"] is False and entitlement["status"] == "waiting"
    assert entitlement["reason"].startswith("待遇等待期至")
    settled = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert settled.status_code == 201
    info = settled.json()["setlinfo"]
    assert info["fund_pay_sumamt"] == 0 and info["psn_part_amt"] == info["medfee_sumamt"]
    stored = client.get(f"/api/settlements/{body['setl_id']}", headers=auth["reader"]).json()
    assert stored["entitlement"]["reason"] == entitlement["reason"]


def test_setlinfo_carries_mdtrt_id_and_setl_time(client, auth):
    p = _person(client, auth, region="421200")
    _enrol(client, auth, p)
    body = claim(p, f"{p['psn_no']}-m", mdtrt_id="MDTRT-0001")
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    info = r.json()["setlinfo"]
    assert info["mdtrt_id"] == "MDTRT-0001" and info["setl_time"] == "2023-03-10 10:00:00"
    again = client.get(f"/api/settlements/{body['setl_id']}", headers=auth["reader"]).json()
    assert again["setlinfo"]["mdtrt_id"] == "MDTRT-0001"


def test_psn_no_is_never_the_id_number(client, auth):
    certno = new_certno()
    r = client.post(
        "/api/persons",
        json={"certno": certno, "psn_name": "周九", "insuplc_admdvs": "421200"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201
    assert certno[:17] not in r.json()["psn_no"]
    named = client.post(
        "/api/persons",
        json={
            "certno": new_certno(),
            "psn_name": "吴十",
            "insuplc_admdvs": "421200",
            "psn_no": f"P{certno}",
        },
        headers=auth["clerk"],
    )
    assert named.status_code == 422 and named.json()["detail"].startswith("psn_no:")
