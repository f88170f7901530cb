"""异地就医备案 as the register (issue 17): outside the 参保地 the person's 备案 on the day decides
已备案 / 未备案 and the kind; a claim cannot claim a 备案 the register does not hold."""

from __future__ import annotations

from tests.api.conftest import claim

WUHAN, HONGSHAN = "420100", "420111"  # a city outside 咸宁 (421200) and one of its districts


def _settle(client, auth, body, status=201):
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == status, r.text
    return r.json()


def test_the_register_decides_filed_or_unfiled_and_the_kind(client, auth, person):
    psn = person["psn_no"]
    local = _settle(client, auth, claim(person, f"{psn}-local"))["setlinfo"]
    unfiled = _settle(client, auth, claim(person, f"{psn}-u", mdtrtarea_admvs=HONGSHAN))
    assert unfiled["setlinfo"]["pool_prop_selfpay"] == round(local["pool_prop_selfpay"] + 0.20, 4)
    assert any("未备案" in e["rule"] for e in unfiled["explanation"] if e["step"] == "异地就医")

    r = client.post(
        f"/api/persons/{psn}/offsite-filings",
        json={"kind": "其他临时外出就医人员", "mdtrtarea_admvs": WUHAN, "begin_date": "2023-01-01"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    filing = r.json()
    filed = _settle(client, auth, claim(person, f"{psn}-f", mdtrtarea_admvs=HONGSHAN))["setlinfo"]
    assert filed["pool_prop_selfpay"] == round(local["pool_prop_selfpay"] + 0.10, 4)

    # a claim cannot claim a 备案 the register does not hold
    r = client.post(
        "/api/settlements",
        json=claim(person, f"{psn}-lie", mdtrtarea_admvs=HONGSHAN, offsite_kind="异地长期居住人员"),
        headers=auth["clerk"],
    )
    assert r.status_code == 422 and "offsite_kind" in r.text and "备案登记" in r.text
    r = client.post(
        "/api/settlements",
        json=claim(person, f"{psn}-noplace", offsite_kind="异地长期居住人员"),
        headers=auth["clerk"],
    )
    assert r.status_code == 422 and "mdtrtarea_admvs" in r.text

    r = client.post(f"/api/offsite-filings/{filing['filing_id']}/revoke", headers=auth["clerk"])
    assert r.status_code == 200 and r.json()["status"] == "已撤销"
    after = _settle(client, auth, claim(person, f"{psn}-after", mdtrtarea_admvs=HONGSHAN))
    assert after["setlinfo"]["pool_prop_selfpay"] == unfiled["setlinfo"]["pool_prop_selfpay"]
    listed = client.get(f"/api/persons/{psn}/offsite-filings", headers=auth["reader"]).json()
    assert [f["status"] for f in listed] == ["已撤销"]


def test_a_filing_is_checked_and_refused_in_chinese(client, auth, person):
    url = f"/api/persons/{person['psn_no']}/offsite-filings"
    bad = [
        ({"kind": "外星就医", "mdtrtarea_admvs": WUHAN}, "kind"),
        ({"kind": "未备案", "mdtrtarea_admvs": WUHAN}, "kind"),
        ({"kind": "异地转诊人员", "mdtrtarea_admvs": "421202"}, "mdtrtarea_admvs"),  # 咸安区: home
        ({"kind": "异地转诊人员", "mdtrtarea_admvs": WUHAN, "end_date": "2022-12-31"}, "end_date"),
    ]
    for body, field in bad:
        r = client.post(url, json={"begin_date": "2023-01-01", **body}, headers=auth["clerk"])
        assert r.status_code == 422 and field in r.text, (body, r.text)
    assert client.get(url, headers=auth["reader"]).json() == []
    r = client.post(
        url,
        json={"kind": "异地转诊人员", "mdtrtarea_admvs": WUHAN, "begin_date": "2023-01-01"},
        headers=auth["reader"],
    )
    assert r.status_code == 403
