"""Over HTTP: the 渝快保 product bought with a 缴费 (彭水 三（一）3) and the 持居住证 flag of the
register (池州 一、5, 内蒙古 三, 咸宁 一: the fiscal subsidy of locals)."""

from __future__ import annotations

from tests.api.conftest import new_certno


def register(client, auth, region, categories=(), **extra):
    r = client.post(
        "/api/persons",
        json={
            "certno": new_certno(region),
            "psn_name": "赵六",
            "insuplc_admdvs": region,
            "categories": [{"category": c, "begin_date": "2022-01-01"} for c in categories],
            **extra,
        },
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    return r.json()


def enroll(client, auth, psn_no, **extra):
    return client.post(
        "/api/enrollments",
        json={"psn_no": psn_no, "year": 2023, "enrolled_on": "2022-11-01", **extra},
        headers=auth["clerk"],
    )


# ---------------------------------------------------------------- 彭水 三（一）3 渝快保
def test_3_1_3_jiance_duixiang_enrolling_with_upgrade_records_150_supplement(client, auth):
    p = register(client, auth, "500243", ["边缘易致贫人口"])
    r = enroll(client, auth, p["psn_no"], supplement_product="渝快保升级款")
    assert r.status_code == 201, r.text
    pay = r.json()["payment"]
    assert pay["supplement_product"] == "渝快保升级款"
    assert pay["supplement_subsidy"] == 150.0
    assert pay["supplement_fund"] == "统筹衔接资金"
    # its own item: the 资助参保 is 三（一）1's 70% of 380 元, unchanged by the supplement
    assert (pay["assistance_subsidy"], pay["personal_paid"]) == (266.0, 114.0)
    listed = client.get(f"/api/persons/{p['psn_no']}/payments", headers=auth["clerk"]).json()
    assert [x["supplement_subsidy"] for x in listed] == [150.0]


def test_3_1_3_quote_endpoint_takes_the_product(client, auth):
    r = client.post(
        "/api/quote",
        json={
            "region": "500243",
            "year": 2023,
            "categories": ["突发严重困难人口"],
            "supplement_product": "渝快保普惠款",
        },
        headers=auth["clerk"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["supplement"]["subsidy"] == 69.0


def test_3_1_3_unknown_product_is_refused_naming_the_field_and_nothing_is_written(client, auth):
    p = register(client, auth, "500243", ["边缘易致贫人口"])
    r = enroll(client, auth, p["psn_no"], supplement_product="渝快保至尊款")
    assert r.status_code == 422 and "supplement_product" in r.text
    got = client.get(f"/api/persons/{p['psn_no']}/enrollments", headers=auth["clerk"])
    assert got.json() == []
    assert client.get(f"/api/persons/{p['psn_no']}/payments", headers=auth["clerk"]).json() == []


# ---------------------------------------------------------------- 持居住证
def test_resident_permit_holder_gets_the_locals_fiscal_subsidy(client, auth):
    holder = register(client, auth, "421200", resident_permit=True)
    local = register(client, auth, "421200")
    assert holder["resident_permit"] is True and local["resident_permit"] is False
    quotes = [
        client.post(
            "/api/quote",
            json={"region": "421200", "year": 2023, "psn_no": p["psn_no"]},
            headers=auth["clerk"],
        ).json()
        for p in (holder, local)
    ]
    mine, theirs = quotes
    assert mine["resident_permit"] is True and theirs["resident_permit"] is False
    assert mine["fiscal_subsidy"] == theirs["fiscal_subsidy"] == 640.0
    assert mine["fiscal_shares"] == theirs["fiscal_shares"]
    cited = next(c for c in mine["sources"] if c["item"] == "resident_permit_same_subsidy")
    assert cited["clause"].startswith("一") and "非本地户籍" in cited["clause"]
    r = enroll(client, auth, holder["psn_no"], resident_permit=True)
    assert r.status_code == 201, r.text
    assert r.json()["payment"]["personal_paid"] == 380.0


def test_resident_permit_sent_against_the_register_is_refused_and_nothing_written(client, auth):
    p = register(client, auth, "421200")
    r = enroll(client, auth, p["psn_no"], resident_permit=True)
    assert r.status_code == 422 and "resident_permit" in r.text
    got = client.get(f"/api/persons/{p['psn_no']}/enrollments", headers=auth["clerk"])
    assert got.json() == []


def test_resident_permit_must_be_a_boolean(client, auth):
    r = client.post(
        "/api/persons",
        json={
            "certno": new_certno("421200"),
            "psn_name": "钱七",
            "insuplc_admdvs": "421200",
            "resident_permit": "maybe",
        },
        headers=auth["clerk"],
    )
    assert r.status_code == 422 and "resident_permit" in r.text
