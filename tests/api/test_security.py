"""Security: bearer tokens on every endpoint, the four roles, masking for 只读 and in logs."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import claim
from yibao.api.logs import MaskIdNumbers

ALL = {"clerk", "reviewer", "reader", "admin"}

# (method, path, who may) — the body does not matter for the role check, which comes first.
MATRIX = [
    ("POST", "/api/persons", {"clerk"}),
    ("POST", "/api/persons/import", {"clerk"}),
    ("POST", "/api/persons/P1/categories", {"clerk"}),
    ("POST", "/api/enrollments", {"clerk"}),
    ("POST", "/api/payments", {"clerk"}),
    ("POST", "/api/settlements", {"clerk"}),
    ("POST", "/api/settlements/preview", {"clerk"}),
    ("POST", "/api/settlements/S1/reverse", {"reviewer"}),
    ("GET", "/api/audit", {"reviewer", "admin"}),
    ("POST", "/api/users", {"admin"}),
    ("GET", "/api/users", {"admin"}),
    ("DELETE", "/api/users/nobody", {"admin"}),
    ("POST", "/api/policy/reload", {"admin"}),
    ("POST", "/api/warnings/scan", {"reviewer", "admin"}),
    ("POST", "/api/warnings/1/verify", {"reviewer", "admin"}),
    ("POST", "/api/warnings/1/push", {"reviewer", "admin"}),
    ("POST", "/api/warnings/1/dispose", {"reviewer", "admin"}),
    ("POST", "/api/warnings/1/exclude", {"reviewer", "admin"}),
    ("POST", "/api/supervision/scan", {"reviewer", "admin"}),
    ("POST", "/api/supervision/1/start", {"reviewer", "admin"}),
    ("POST", "/api/supervision/1/appeal", {"reviewer", "admin"}),
    ("POST", "/api/supervision/1/decide", {"reviewer", "admin"}),
    ("GET", "/api/supervision", ALL),
    ("GET", "/api/supervision/1", ALL),
    ("GET", "/api/warnings/1", ALL),
    ("GET", "/api/warnings", ALL),
    ("GET", "/api/persons", ALL),
    ("GET", "/api/persons/P1", ALL),
    ("GET", "/api/persons/P1/enrollments", ALL),
    ("GET", "/api/persons/P1/accumulators/2023", ALL),
    ("GET", "/api/settlements", ALL),
    ("GET", "/api/settlements/S1", ALL),
    ("POST", "/api/quote", ALL),
    ("GET", "/api/session", ALL),
]


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX)
def test_each_endpoint_admits_only_its_roles(client, auth, method, path, allowed):
    for who in ALL:
        status = client.request(method, path, headers=auth[who]).status_code
        if who in allowed:
            assert status not in (401, 403), (who, status)
        else:
            assert status == 403, (who, status)


@pytest.mark.parametrize(("method", "path", "allowed"), MATRIX)
def test_every_endpoint_needs_a_token(client, method, path, allowed):
    assert client.request(method, path).status_code == 401
    bad = {"Authorization": "Bearer yb_not-a-token"}
    assert client.request(method, path, headers=bad).status_code == 401


def test_a_revoked_token_stops_working(client, auth):
    r = client.post(
        "/api/users", json={"name": "temp-clerk", "role": "经办"}, headers=auth["admin"]
    )
    assert r.status_code == 201
    token = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/session", headers=token).json()["role"] == "经办"
    assert client.delete("/api/users/temp-clerk", headers=auth["admin"]).status_code == 200
    assert client.get("/api/session", headers=token).status_code == 401


def test_read_only_users_see_masked_id_numbers_and_names(client, auth, person):
    full = client.get(f"/api/persons/{person['psn_no']}", headers=auth["clerk"]).json()
    seen = client.get(f"/api/persons/{person['psn_no']}", headers=auth["reader"]).json()
    assert full["certno"] == person["certno"]
    assert seen["certno"] == person["certno"][:6] + "********" + person["certno"][-4:]
    assert seen["psn_name"] == "王*"


def test_the_audit_log_records_who_did_what_with_personal_data_masked(client, auth, person):
    sid = f"{person['psn_no']}-audit"
    client.post("/api/settlements", json=claim(person, sid), headers=auth["clerk"])
    rows = client.get(f"/api/audit?entity_id={sid}", headers=auth["reviewer"]).json()
    assert [r["action"] for r in rows] == ["settle"]
    assert rows[0]["actor"].startswith("clerk") and rows[0]["role"] == "经办"
    assert rows[0]["after"]["claim"]["certno"] != person["certno"]
    created = client.get(
        f"/api/audit?entity=person&entity_id={person['psn_no']}", headers=auth["admin"]
    ).json()
    assert created[0]["after"]["psn_name"] == "王*"


def test_session_cookie_login_maps_to_the_same_user(client, tokens):
    from fastapi.testclient import TestClient

    with TestClient(client.app) as browser:
        assert browser.post("/api/session", json={"token": "wrong"}).status_code == 401
        r = browser.post("/api/session", json={"token": tokens["reader"]})
        assert r.status_code == 200 and r.json()["role"] == "只读"
        assert browser.get("/api/session").json()["role"] == "只读"
        assert browser.post("/api/users", json={"name": "x", "role": "只读"}).status_code == 403


def test_logs_never_show_an_id_number(person):
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s "%s"',
        ("127.0.0.1", f"GET /api/persons?certno={person['certno']}"),
        None,
    )
    MaskIdNumbers().filter(record)
    assert person["certno"] not in record.getMessage()
    assert person["certno"][:6] + "********" + person["certno"][-4:] in record.getMessage()
