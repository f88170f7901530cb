"""最近结算 on the 结算 page: the 30 settlements entered last, newest first, so the claim just
settled through the console form heads the list."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _recent_ids(html: str) -> list[str]:
    table = html.split('data-testid="recent"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/console/settlements/([^"]+)"', table)


def test_the_claim_just_settled_is_the_first_recent_row(client, seeded):
    client.cookies.clear()
    client.post("/console/login", data={"token": seeded.tokens["经办"]}, follow_redirects=False)
    html = client.get("/console/settle").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)
    form = {
        "csrf": csrf,
        "setl_id": "",
        "psn_no": seeded.fresh,
        "begndate": "2023-11-01",
        "enddate": "2023-11-04",
        "setl_time": "2023-11-04T09:00",
        "medfee_sumamt": "1500.00",
    }
    response = client.post("/console/settle", data=form, follow_redirects=False)
    assert response.status_code == 303
    setl_id = response.headers["location"].rsplit("/", 1)[1]

    ids = _recent_ids(client.get("/console/settle").text)
    assert ids[0] == setl_id
    assert len(ids) == 30
