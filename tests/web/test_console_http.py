"""The console's guards without a browser: the session cookie's attributes, CSRF and role
refusals that change nothing, login redirects, static files, and the layer bar's arithmetic."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from yibao.store import ledger, transaction
from yibao.web.charts import stacked_bar


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _login(client, token):
    client.cookies.clear()
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    return response


def _csrf(client) -> str:
    html = client.get("/console/settle").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_the_session_cookie_is_httponly_and_samesite_lax(client, seeded):
    cookie = _login(client, seeded.tokens["经办"]).headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()


def test_pages_redirect_to_login_without_a_session(client):
    client.cookies.clear()
    response = client.get("/console/fund", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"


def _claim_form(psn_no: str, setl_id: str) -> dict[str, str]:
    return {
        "setl_id": setl_id,
        "psn_no": psn_no,
        "begndate": "2023-10-01",
        "enddate": "2023-10-03",
        "setl_time": "2023-10-03T09:00",
        "medfee_sumamt": "2000.00",
    }


def _settled(console_app, setl_id: str) -> bool:
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        return any(r.setl_id == setl_id for r in ledger.find_settlements(s, limit=100_000))


def test_a_post_without_the_csrf_token_is_refused_and_settles_nothing(client, seeded, console_app):
    _login(client, seeded.tokens["经办"])
    response = client.post("/console/settle", data=_claim_form(seeded.fresh, "CSRF-1"))
    assert response.status_code == 403
    assert "csrf" in response.text
    assert not _settled(console_app, "CSRF-1")


def test_a_reviewer_may_not_settle_even_with_a_valid_csrf_token(client, seeded, console_app):
    _login(client, seeded.tokens["审核"])
    form = {**_claim_form(seeded.fresh, "ROLE-1"), "csrf": _csrf(client)}
    response = client.post("/console/settle", data=form)
    assert response.status_code == 403
    assert "审核无权执行此操作" in response.text
    assert not _settled(console_app, "ROLE-1")


def test_a_clerk_may_not_reverse(client, seeded):
    _login(client, seeded.tokens["经办"])
    form = {"csrf": _csrf(client), "reason": "重复结算"}
    response = client.post("/console/settlements/W-2023-0003/reverse", data=form)
    assert response.status_code == 403


def test_read_only_sees_names_and_id_numbers_masked(client, seeded):
    _login(client, seeded.tokens["只读"])
    html = client.get(f"/console/persons/{seeded.warned}").text
    assert "周德福" not in html and "周**" in html


def test_bad_claim_input_names_the_field(client, seeded):
    _login(client, seeded.tokens["经办"])
    form = {**_claim_form(seeded.fresh, ""), "medfee_sumamt": "12.345", "csrf": _csrf(client)}
    response = client.post("/console/settle/preview", data=form)
    assert response.status_code == 422
    # the field by its Chinese name, the reason in Chinese, no pydantic text (issue 16)
    assert "医疗费总额：" in response.text and "两位小数" in response.text
    assert "validation error" not in response.text and "pydantic" not in response.text


def test_static_files_are_served_and_paths_outside_are_not(client):
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console/static/..%2F__init__.py").status_code == 404


def test_the_layer_bar_splits_its_width_by_each_layers_share():
    svg = str(
        stacked_bar(
            "t", [("基本医保", 7500, "#1"), ("医疗救助", 1500, "#2"), ("个人自付", 1000, "#3")]
        )
    )
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="4" width="([\d.]+)"', svg)]
    assert widths == [570.0, 114.0, 76.0]  # 760 × 75% / 15% / 10%


def test_the_server_root_opens_the_console(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console"
