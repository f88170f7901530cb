"""API fixtures: the app on each backend, one user per role, and a person factory."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from fastapi.testclient import TestClient

from tests.store.databases import database
from yibao.api import create_app
from yibao.idcard import make_id
from yibao.store import transaction, users

ROLES = {"clerk": "经办", "reviewer": "审核", "reader": "只读", "admin": "管理"}
_seq = itertools.count(1)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def api_db_url(request, tmp_path_factory):
    with database(request.param, tmp_path_factory.mktemp("api"), "api") as url:
        yield url


@pytest.fixture(scope="session")
def app(api_db_url):
    application = create_app(api_db_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def tokens(app):
    out = {}
    with transaction(app.state.sessions) as s:
        for key, role in ROLES.items():
            _, out[key] = users.add_user(s, f"{key}-{id(app)}", role)
    return out


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def auth(tokens):
    return {key: {"Authorization": f"Bearer {tok}"} for key, tok in tokens.items()}


def new_certno(region: str = "422301") -> str:
    n = next(_seq)
    return make_id(region, dt.date(1950, 1, 1) + dt.timedelta(days=7 * n), n % 1000)


@pytest.fixture
def person(client, auth):
    """A fresh person of 咸宁 (421200), enrolled for 2023 (paid in the collection period)."""
    certno = new_certno()
    r = client.post(
        "/api/persons",
        json={"certno": certno, "psn_name": "王五", "insuplc_admdvs": "421200"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    r = client.post(
        "/api/enrollments",
        json={"psn_no": body["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    return body


def claim(person, setl_id, total=20000.0, ownpay=1000.0, month=3, **kw):
    return {
        "setl_id": setl_id,
        "psn_no": person["psn_no"],
        "certno": person["certno"],
        "insuplc_admdvs": "421200",
        "med_type": "21",
        "hosp_lv": "05",
        "setl_time": f"2023-{month:02d}-10T10:00:00",
        "begndate": f"2023-{month:02d}-01",
        "enddate": f"2023-{month:02d}-10",
        "medfee_sumamt": total,
        "fulamt_ownpay_amt": ownpay,
        **kw,
    }
