"""Gateway fixtures: the app on each backend, a clerk's token, persons in the register, and a
hospital sending messages through the test client."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.store.databases import database
from yibao.api import create_app
from yibao.idcard import make_id
from yibao.store import transaction, users

GATEWAY = "/fsi/api/rsfComIfsService/callService"
ROOT = Path(__file__).resolve().parents[2]
_seq = itertools.count(1)


def _reference_his():
    spec = importlib.util.spec_from_file_location(
        "reference_his", ROOT / "examples" / "reference_his.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_his"] = module
    spec.loader.exec_module(module)
    return module


his = _reference_his()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    with database(request.param, tmp_path_factory.mktemp("gw"), "gw") as url:
        yield url


@pytest.fixture(scope="module")
def app(db_url):
    application = create_app(db_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def auth(app):
    out = {}
    with transaction(app.state.sessions) as s:
        for key, role in {"clerk": "经办", "reviewer": "审核", "reader": "只读"}.items():
            _, token = users.add_user(s, f"gw-{key}-{id(app)}", role)
            out[key] = {"Authorization": f"Bearer {token}"}
    return out


def new_certno(region: str = "500243", born: dt.date | None = None) -> str:
    n = next(_seq)
    return make_id(region, born or dt.date(1960, 1, 1) + dt.timedelta(days=11 * n), (n * 7) % 1000)


def register(client, auth, region="500243", categories=(), born=None, name="张三"):
    """A person of ``region`` enrolled for 2023 (through the REST API, as the register holds it)."""
    certno = new_certno(region[:6] if region != "421200" else "422301", born)
    body = {
        "certno": certno,
        "psn_name": name,
        "insuplc_admdvs": region,
        "categories": [{"category": c, "begin_date": "2023-01-01"} for c in categories],
    }
    r = client.post("/api/persons", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    person = r.json()
    r = client.post(
        "/api/enrollments",
        json={"psn_no": person["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text
    return person


@pytest.fixture
def hospital(client, auth):
    sent = []

    def send(message):
        r = client.post(GATEWAY, json=message, headers=auth["clerk"])
        assert r.status_code == 200, r.text
        sent.append((message, r.json()))
        return r.json()

    h = his.Hospital(send, code=f"H5002430{next(_seq) % 10000:04d}")
    h.sent = sent
    return h


TABLES = (
    "gateway_messages",
    "gateway_encounters",
    "gateway_fee_lines",
    "gateway_settlements",
    "settlements",
    "claims",
    "audit_log",
)


def counts(app) -> dict[str, int]:
    """Rows per table: a refused message must change none of them."""
    from sqlalchemy import text

    with app.state.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def file_offsite(client, auth, person, kind, area):
    """异地就医备案 of ``person`` for ``area`` from 1 January 2023 (the register the settlement
    paths read: the HIS's 已备案 must be held there)."""
    r = client.post(
        f"/api/persons/{person['psn_no']}/offsite-filings",
        json={"kind": kind, "mdtrtarea_admvs": area, "begin_date": "2023-01-01"},
        headers=auth["clerk"],
    )
    assert r.status_code == 201, r.text


def registration(h, person, when, **extra):
    """2201 for ``person`` at ``when``: the mdtrt_id."""
    node = {
        "data": {
            "psn_no": person["psn_no"],
            "insutype": "390",
            "begntime": when.strftime("%Y-%m-%d %H:%M:%S"),
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "ipt_otp_no": "MZ0001",
            "hosp_lv": "05",
            **extra,
        }
    }
    return h.call("2201", node, when, insuplc=person["insuplc_admdvs"])["data"]["mdtrt_id"]


def detail(mdtrt_id, person, when, rows=None):
    """feedetail rows (reference_his.line) for the visit."""
    rows = rows or [
        ("001102000010000", "普通门诊诊查费", "1", "10.00", {}),
        ("XA02BCA348X001010100001", "奥美拉唑肠溶胶囊", "2", "18.50", {}),  # 乙类: 3.70
    ]
    return [
        his.line(f"{n:04d}", code, name, cnt, pric, when, mdtrt_id, person["psn_no"], **split)
        for n, (code, name, cnt, pric, split) in enumerate(rows, start=1)
    ]


def pay_node(mdtrt_id, person, lines, **extra):
    return {
        "data": {
            "psn_no": person["psn_no"],
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person["certno"],
            "med_type": "11",
            "medfee_sumamt": his.total(lines),
            "psn_setlway": "01",
            "mdtrt_id": mdtrt_id,
            "acct_used_flag": "0",
            "insutype": "390",
            **extra,
        }
    }


def open_visit(h, person, when, rows=None, **extra):
    """Registered with detail uploaded: (mdtrt_id, lines)."""
    mdtrt_id = registration(h, person, when, **extra)
    lines = detail(mdtrt_id, person, when, rows)
    h.call("2204", {"feedetail": lines}, when, insuplc=person["insuplc_admdvs"])
    return mdtrt_id, lines


def failure(h, infno, node, when, insuplc="500243"):
    """The reply of a message that must be refused."""
    reply = h.send_raw(h.envelope(infno, node, when, insuplc=insuplc))
    assert reply["infcode"] == -1, reply
    assert reply["output"] == {}
    return reply["err_msg"]
