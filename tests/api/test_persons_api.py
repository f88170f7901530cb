"""Persons and enrollments: create, import CSV / Excel (all rows or none), query, bad input."""

from __future__ import annotations

import io

import openpyxl

from tests.api.conftest import claim, new_certno


def _count(client, auth, certno):
    return len(client.get(f"/api/persons?certno={certno}", headers=auth["clerk"]).json())


def test_import_csv_creates_and_enrolls_every_row(client, auth):
    a, b = new_certno(), new_certno()
    text = (
        "certno,psn_name,insuplc_admdvs,categories,category_begin,year,tier,enrolled_on\n"
        f"{a},甲,421200,低保对象,2023-01-01,2023,1,2022-12-01\n"
        f"{b},乙,421200,,,,,\n"
    )
    r = client.post(
        "/api/persons/import",
        files={"file": ("persons.csv", text.encode(), "text/csv")},
        headers=auth["clerk"],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "enrolled": 1}
    person = client.get(f"/api/persons?certno={a}", headers=auth["clerk"]).json()[0]
    assert person["categories"][0]["category"] == "低保对象"


def test_import_excel(client, auth):
    certno = new_certno()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["certno", "psn_name", "insuplc_admdvs", "year", "enrolled_on"])
    sheet.append([certno, "丙", "421200", 2023, "2022-11-15"])
    buf = io.BytesIO()
    book.save(buf)
    r = client.post(
        "/api/persons/import",
        files={"file": ("p.xlsx", buf.getvalue(), "application/octet-stream")},
        headers=auth["clerk"],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 1, "enrolled": 1}


def test_an_import_with_one_bad_row_writes_nothing_and_names_row_and_field(client, auth):
    good = new_certno()
    text = f"certno,psn_name,insuplc_admdvs\n{good},甲,421200\n110101199001011234,乙,421200\n"
    r = client.post(
        "/api/persons/import",
        files={"file": ("p.csv", text.encode(), "text/csv")},
        headers=auth["clerk"],
    )
    assert r.status_code == 422
    assert "row 3" in r.json()["detail"] and "certno" in r.json()["detail"]
    assert _count(client, auth, good) == 0


def test_an_invalid_person_is_422_naming_the_field_and_writes_nothing(client, auth):
    certno = new_certno()
    r = client.post(
        "/api/persons",
        json={"certno": certno, "psn_name": "丁", "insuplc_admdvs": "42120X"},
        headers=auth["clerk"],
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "insuplc_admdvs"
    assert _count(client, auth, certno) == 0


def test_an_invalid_claim_is_422_naming_the_field_and_writes_nothing(client, auth, person):
    sid = f"{person['psn_no']}-bad"
    r = client.post(
        "/api/settlements",
        json=claim(person, sid, hosp_lv="99"),
        headers=auth["clerk"],
    )
    assert r.status_code == 422 and "hosp_lv" in r.text
    r = client.post(
        "/api/settlements", json=claim(person, sid, total="12.345"), headers=auth["clerk"]
    )
    assert r.status_code == 422 and "medfee_sumamt" in r.text
    assert client.get(f"/api/settlements/{sid}", headers=auth["clerk"]).status_code == 404
    acc = client.get(f"/api/persons/{person['psn_no']}/accumulators/2023", headers=auth["clerk"])
    assert acc.json()["settlements"] == 0


def test_a_claim_for_an_unknown_person_is_404(client, auth, person):
    body = claim(person, "nobody-1", psn_no="NOBODY")
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 404 and "psn_no" in r.json()["detail"]


def test_quote_for_a_stored_person_uses_their_categories(client, auth):
    certno = new_certno()
    p = client.post(
        "/api/persons",
        json={
            "certno": certno,
            "psn_name": "戊",
            "insuplc_admdvs": "421200",
            "categories": [{"category": "低保对象", "begin_date": "2021-09-01"}],
        },
        headers=auth["clerk"],
    ).json()
    r = client.post(
        "/api/quote",
        json={"region": "421200", "year": 2022, "psn_no": p["psn_no"]},
        headers=auth["reader"],
    )
    assert r.status_code == 200, r.text
    # 咸医保发〔2022〕22号: 低保对象 are subsidised 315 yuan.
    assert r.json()["assistance_subsidy"] == 315.0
