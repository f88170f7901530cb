"""参保登记's search box: name part, 个人编号 (exact or prefix), 家庭编号, or a partial ID number
(6 characters or more, as a substring), 50 to a page with the total and 上一页/下一页."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yibao.store import persons, transaction
from yibao.store.models import Person


@pytest.fixture(scope="module")
def client(console_app, seeded):
    app, _ = console_app
    with TestClient(app) as c:
        c.post("/console/login", data={"token": seeded.tokens["经办"]}, follow_redirects=False)
        yield c


def _rows(html: str) -> list[str]:
    if 'data-testid="results"' not in html:
        return []
    table = html.split('data-testid="results"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/console/persons/([^"?]+)"', table)


def _count(html: str) -> str:
    return re.search(r'data-testid="result-count">([^<]*)<', html).group(1)


def _person(console_app, psn_no: str) -> Person:
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        p = persons.get_person(s, psn_no)
        s.expunge(p)
        return p


def test_a_partial_id_number_finds_the_person(client, seeded, console_app):
    certno = _person(console_app, seeded.warned).certno
    html = client.get("/console/persons", params={"q": certno[6:14]}).text
    assert _rows(html) == [seeded.warned]
    assert _count(html) == "共 1 人，第 1/1 页"


def test_fewer_than_six_characters_of_an_id_number_match_no_id(client, seeded, console_app):
    certno = _person(console_app, seeded.warned).certno
    assert seeded.warned not in _rows(
        client.get("/console/persons", params={"q": certno[-5:]}).text
    )


def test_a_psn_no_prefix_and_the_exact_psn_no(client, seeded):
    found = _rows(client.get("/console/persons", params={"q": seeded.warned[:-1]}).text)
    assert seeded.warned in found and seeded.fresh in found
    assert _rows(client.get("/console/persons", params={"q": seeded.warned}).text) == [
        seeded.warned
    ]


def test_a_household_id_finds_its_members(client, seeded, console_app):
    hh_id = _person(console_app, seeded.warned).hh_id
    assert _rows(client.get("/console/persons", params={"q": hh_id}).text) == [seeded.warned]


def test_more_than_fifty_matches_are_paged_with_the_total(client, console_app):
    app, _ = console_app
    prefix = "500243000000"
    with transaction(app.state.sessions) as s:
        expected = s.scalars(
            select(Person.psn_no).where(Person.psn_no.startswith(prefix)).order_by(Person.psn_no)
        ).all()
        total = s.scalar(
            select(func.count()).select_from(Person).where(Person.psn_no.startswith(prefix))
        )
    assert 50 < total <= 100
    first = client.get("/console/persons", params={"q": prefix}).text
    assert _count(first) == f"共 {total} 人，第 1/2 页"
    assert _rows(first) == expected[:50]
    assert "下一页" in first and "上一页" not in first
    second = client.get("/console/persons", params={"q": prefix, "page": 2}).text
    assert _count(second) == f"共 {total} 人，第 2/2 页"
    assert _rows(second) == expected[50:]
    assert "上一页" in second and "下一页" not in second
    assert f"/console/persons?q={prefix}&amp;page=1" in second
