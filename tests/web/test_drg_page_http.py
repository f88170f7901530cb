"""医保支付 (DRG/DIP) without a browser: a budget that is not an amount is refused in Chinese
naming the field; a repeated request is answered from the cache; the Excel needs a session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(console_app, seeded):
    app, _ = console_app
    with TestClient(app) as c:
        c.post("/console/login", data={"token": seeded.tokens["审核"]}, follow_redirects=False)
        yield c


def test_a_budget_that_is_not_an_amount_is_refused_naming_the_field(client):
    r = client.get("/console/payment-methods", params={"budget": "十万"})
    assert r.status_code == 200
    assert 'data-testid="error"' in r.text
    assert "预算" in r.text
    assert 'data-testid="hospitals"' not in r.text


def test_a_budget_of_zero_leaves_the_point_value_undefined(client):
    r = client.get("/console/payment-methods", params={"budget": "0"})
    assert "点值无法确定" in r.text


def test_the_second_request_is_answered_from_the_cache(client):
    client.get("/console/payment-methods", params={"budget": "123456.78"})
    r = client.get("/console/payment-methods", params={"budget": "123456.78"})
    assert "计算结果取自缓存" in r.text
    assert "123,456.78" in r.text


def test_the_excel_needs_a_session(console_app):
    app, _ = console_app
    with TestClient(app) as anonymous:
        r = anonymous.get("/console/payment-methods.xlsx", follow_redirects=False)
    assert r.status_code in (303, 307, 401)
