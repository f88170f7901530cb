"""基金历年结存 over HTTP (issue 16): 审核/管理 record a year, every role reads; yuan at the
edge, refusals in Chinese naming the field."""

from __future__ import annotations

import itertools

import pytest

_codes = itertools.count(1)


@pytest.fixture
def region():
    return f"8{next(_codes):05d}"


def test_admin_records_last_years_final_accounts_and_every_role_reads(client, auth, region):
    r = client.post(
        f"/api/fund/{region}/2022",
        json={
            "opening_balance": "1000.00", "revenue": 5000.5, "expenditure": "4000.25",
            "closing_balance": "2000.25", "note": "2022年度决算",
        },
        headers=auth["admin"],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["closing_balance"] == 2000.25 and r.json()["source_label"] == "决算"
    # Without the year's own row the previous year's closing balance opens it.
    opening = client.get(f"/api/fund/{region}/2023/opening", headers=auth["reader"]).json()
    assert opening["opening_balance"] == 2000.25 and opening["from"].startswith("2022年累计结存")
    r = client.post(
        f"/api/fund/{region}/2023", json={"opening_balance": 2100}, headers=auth["reviewer"]
    )
    assert r.status_code == 200, r.text
    for who in ("clerk", "reader", "admin"):
        r = client.get(f"/api/fund/{region}/history", headers=auth[who])
        assert r.status_code == 200, r.text
        years = r.json()["years"]
        assert [y["year"] for y in years] == [2023, 2022]
        assert years[1]["revenue"] == 5000.5 and years[1]["recorded_by"].startswith("admin-")
        assert years[0]["opening_balance"] == 2100.0 and years[0]["revenue"] is None
    opening = client.get(f"/api/fund/{region}/2023/opening", headers=auth["reader"]).json()
    assert opening["opening_balance"] == 2100.0 and opening["source"] == "final"
    assert opening["from"].startswith("2023年上年累计结存")


def test_clerk_and_reader_may_not_record(client, auth, region):
    for who in ("clerk", "reader"):
        r = client.post(f"/api/fund/{region}/2023", json={"opening_balance": 1}, headers=auth[who])
        assert r.status_code == 403, r.text
    assert client.get(f"/api/fund/{region}/history", headers=auth["admin"]).json()["years"] == []


def test_unauthenticated_reads_are_refused(client, region):
    assert client.get(f"/api/fund/{region}/history").status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"opening_balance": "1.001"}, "opening_balance"),
        ({"revenue": -5}, "revenue"),
        ({"source": "guess", "opening_balance": 1}, "source"),
        ({"opening_balance": 1, "unknown": 2}, "unknown"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(client, auth, region, body, field):
    r = client.post(f"/api/fund/{region}/2023", json=body, headers=auth["admin"])
    assert r.status_code == 422, r.text
    assert field in r.text


def test_closing_that_does_not_add_up_is_refused_in_chinese(client, auth, region):
    r = client.post(
        f"/api/fund/{region}/2022",
        json={"opening_balance": 1, "revenue": 10, "expenditure": 5, "closing_balance": 7},
        headers=auth["admin"],
    )
    assert r.status_code == 422
    assert "closing_balance: 累计结存应等于上年累计结存" in r.text
    assert client.get(f"/api/fund/{region}/history", headers=auth["admin"]).json()["years"] == []


def test_opening_of_a_year_without_history_is_404_in_chinese(client, auth, region):
    r = client.get(f"/api/fund/{region}/2023/opening", headers=auth["admin"])
    assert r.status_code == 404 and "无已登记的上年累计结存" in r.text


def test_bad_region_in_the_path_is_refused(client, auth):
    r = client.get("/api/fund/12ab56/history", headers=auth["admin"])
    assert r.status_code == 422
