"""The bureau's 统筹区 and current year (``yibao serve --region/--year``, YIBAO_REGION /
YIBAO_YEAR): every console form and page starts there; an unknown region or a year without a
policy file stops the server at start."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from yibao.api.app import create_app
from yibao.cli.main import app as cli
from yibao.idcard import make_id
from yibao.store import persons, session_factory, transaction, users

CHIZHOU, PENGSHUI = "341700", "500243"


def _store(app) -> str:
    """A 池州 person and a 彭水 person; the 经办 user's token."""
    with transaction(session_factory(app.state.engine)) as s:
        for n, region in enumerate((CHIZHOU, PENGSHUI)):
            certno = make_id(region, dt.date(1970, 3, 1) + dt.timedelta(days=n), 100 + n)
            spec = persons.PersonSpec(certno=certno, psn_name=f"人员{n}", insuplc_admdvs=region)
            persons.create_person(s, spec)
        _, token = users.add_user(s, "bureau-jingban", "经办")
    return token


def _client(tmp_path, monkeypatch, **bureau) -> TestClient:
    monkeypatch.delenv("YIBAO_REGION", raising=False)
    monkeypatch.delenv("YIBAO_YEAR", raising=False)
    app = create_app(f"sqlite:///{tmp_path / 'bureau.db'}", **bureau)
    token = _store(app)
    client = TestClient(app)
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    return client


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    chosen = re.search(r'<option value="([^"]+)"\s*selected', select.group(1))
    return chosen.group(1) if chosen else ""


def _value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def bureau(tmp_path, monkeypatch):
    with _client(tmp_path, monkeypatch, region=PENGSHUI, year=2023) as client:
        yield client


def test_the_person_form_starts_in_the_bureaus_region(bureau):
    assert _selected(bureau.get("/console/persons").text, "insuplc_admdvs") == PENGSHUI


def test_the_settlement_form_dates_fall_in_the_bureaus_year(bureau):
    html = bureau.get("/console/settle").text
    for field in ("begndate", "enddate", "setl_time"):
        assert _value(html, field).startswith("2023-"), field
    if dt.date.today().year != 2023:
        assert _value(html, "setl_time") == "2023-12-29T10:00"  # the last working day


def test_the_policy_page_opens_on_the_bureaus_region_year(bureau):
    html = bureau.get("/console/policy").text
    assert _selected(html, "show") == f"{PENGSHUI}-2023"


def test_the_fund_page_opens_on_the_bureaus_scope(bureau):
    html = bureau.get("/console/fund").text
    assert _selected(html, "region") == PENGSHUI
    assert re.search(r"<option\s*selected>2023</option>", html)
    # A region named in the request still wins.
    assert _selected(bureau.get(f"/console/fund?region={CHIZHOU}").text, "region") == CHIZHOU


def test_without_a_bureau_the_pages_choose_as_before(tmp_path, monkeypatch):
    with _client(tmp_path, monkeypatch) as client:
        assert client.app.state.bureau is None
        assert _selected(client.get("/console/fund").text, "region") == CHIZHOU
        assert _selected(client.get("/console/persons").text, "insuplc_admdvs") == ""
        today = dt.date.today().isoformat()
        assert _value(client.get("/console/settle").text, "enddate") == today


def test_the_environment_configures_the_bureau(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_REGION", PENGSHUI)
    monkeypatch.setenv("YIBAO_YEAR", "2024")
    app = create_app(f"sqlite:///{tmp_path / 'env.db'}", migrate=False)
    assert (app.state.bureau.region, app.state.bureau.year) == (PENGSHUI, 2024)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "999999"], "unknown region '999999'"),
        (["--region", PENGSHUI, "--year", "2019"], "year 2019: no policy file for region 500243"),
    ],
)
def test_a_bad_bureau_scope_stops_the_server(tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("YIBAO_REGION", raising=False)
    monkeypatch.delenv("YIBAO_YEAR", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.db").exists()  # stopped before the store was touched
