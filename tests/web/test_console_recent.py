"""最近结算 on the 结算 page: the 30 settlements entered last, newest first, so the claim just
settled through the console form heads the list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from yibao.store import ledger, transaction
from yibao.web.templating import beijing


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _recent_ids(html: str) -> list[str]:
    table = html.split('data-testid="recent"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/console/settlements/([^"]+)"', table)


def _login(client, token: str) -> str:
    """Log in; the CSRF token of the 结算 page."""
    client.cookies.clear()
    client.post("/console/login", data={"token": token}, follow_redirects=False)
    html = client.get("/console/settle").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _settle(client, seeded, begin: str, end: str) -> str:
    """Settle a claim of the fresh person through the console form; its setl_id."""
    form = {
        "csrf": _login(client, seeded.tokens["经办"]),
        "setl_id": "",
        "psn_no": seeded.fresh,
        "begndate": begin,
        "enddate": end,
        "setl_time": f"{end}T09:00",
        "medfee_sumamt": "1500.00",
    }
    response = client.post("/console/settle", data=form, follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def test_the_claim_just_settled_is_the_first_recent_row(client, seeded):
    setl_id = _settle(client, seeded, "2023-11-01", "2023-11-04")
    ids = _recent_ids(client.get("/console/settle").text)
    assert ids[0] == setl_id
    assert len(ids) == 30


def test_a_reversal_shows_its_time_in_beijing_time(client, seeded, console_app):
    setl_id = _settle(client, seeded, "2023-12-01", "2023-12-02")
    csrf = _login(client, seeded.tokens["审核"])
    response = client.post(
        f"/console/settlements/{setl_id}/reverse",
        data={"csrf": csrf, "reason": "重复结算"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        reversed_at = ledger.get_settlement(s, setl_id).reversed_at
    html = client.get(f"/console/settlements/{setl_id}").text
    shown = re.search(r'data-testid="reversed-at"[^>]*>([^<]*)<', html).group(1)
    assert shown == beijing(reversed_at)
    assert shown == (reversed_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
