"""中途结算 over HTTP (issue 17): the parts of one stay (one mdtrt_id) pay its per-admission
起付线 once; a reversed part gives it back to the stay."""

from __future__ import annotations

from tests.api.conftest import claim


def _settle(client, auth, body):
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    return r.json()["setlinfo"]


def test_the_parts_of_one_stay_pay_its_deductible_once(client, auth, person):
    stay = f"{person['psn_no']}-stay"
    first = _settle(
        client, auth, claim(person, f"{stay}-1", total=8000.0, ownpay=0, month=3, mdtrt_id=stay)
    )
    assert first["act_pay_dedc"] > 0
    preview = client.post(
        "/api/settlements/preview",
        json=claim(person, None, total=6000.0, ownpay=0, month=3, mdtrt_id=stay),
        headers=auth["clerk"],
    ).json()["setlinfo"]
    second = _settle(
        client, auth, claim(person, f"{stay}-2", total=6000.0, ownpay=0, month=3, mdtrt_id=stay)
    )
    assert second["act_pay_dedc"] == preview["act_pay_dedc"] == 0
    other = _settle(client, auth, claim(person, f"{stay}-other", total=6000.0, ownpay=0, month=3))
    assert other["act_pay_dedc"] == first["act_pay_dedc"]  # another stay: its own deductible


def test_a_reversed_part_gives_the_deductible_back_to_the_stay(client, auth, person):
    stay = f"{person['psn_no']}-stay2"
    first = _settle(client, auth, claim(person, f"{stay}-1", total=8000.0, ownpay=0, mdtrt_id=stay))
    r = client.post(
        f"/api/settlements/{stay}-1/reverse",
        json={"reason": "中途结算重新结算"},
        headers=auth["reviewer"],
    )
    assert r.status_code == 200, r.text
    again = _settle(
        client, auth, claim(person, f"{stay}-1b", total=8000.0, ownpay=0, mdtrt_id=stay)
    )
    assert again["act_pay_dedc"] == first["act_pay_dedc"] > 0
