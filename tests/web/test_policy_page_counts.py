"""Issue 14 #5: the console's 政策 page shows how many values are assumed, per region on the
chain, the same counts as `yibao policy show --assumed`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from yibao.policy import default_library


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def test_policy_page_shows_assumed_counts_per_region(client, seeded):
    client.cookies.clear()
    login = client.post(
        "/console/login", data={"token": seeded.tokens["只读"]}, follow_redirects=False
    )
    assert login.status_code == 303
    page = client.get("/console/policy", params={"show": "421200-2023"})
    assert page.status_code == 200
    counts = default_library().resolve("421200", 2023).assumed_counts()
    shown = "，".join(f"{code}: {n}" for code, n in counts.items())
    assert f"假定值 {sum(counts.values())} 项（{shown}）" in page.text
