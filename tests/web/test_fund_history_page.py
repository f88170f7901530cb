"""The 基金 page on the demo's store (issue 16): it opens the year with the stored opening
balance (the demo seeds the prior year's 累计结存 from the bulletin) and shows the same
累计结存可支付月数 as the demo's statement; 审核/管理 record a year's opening balance with a
form (redirect after POST; refusals in Chinese keep the input); the history table lists the
region's years."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from yibao.api.app import create_app
from yibao.demo.run import run_demo
from yibao.money import format_yuan
from yibao.store import session_factory, transaction, users
from yibao.store.db import make_engine
from yibao.store.migrate import upgrade


@pytest.fixture(scope="module")
def demo(tmp_path_factory, library):
    url = f"sqlite:///{tmp_path_factory.mktemp('fundpage') / 'demo.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    result = run_demo("500243", 2023, 1500, 7, engine, library, lambda _: None, time.perf_counter)
    tokens = {}
    with transaction(session_factory(engine)) as s:
        for role in ("经办", "审核", "只读", "管理"):
            _, tokens[role] = users.add_user(s, f"fund-page-{role}", role)
    engine.dispose()
    app = create_app(url, library=library)
    yield app, result, tokens
    app.state.engine.dispose()


def _client(app, token):
    client = TestClient(app)
    login = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert login.status_code == 303
    return client


def _months(html: str) -> str:
    return re.search(r'data-testid="months">([^<]*)<', html).group(1)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_the_page_opens_on_the_stored_opening_and_shows_the_demos_balance_months(demo):
    app, result, tokens = demo
    html = _client(app, tokens["只读"]).get("/console/fund?region=500243&year=2023").text
    opening = result.statement.opening_balance
    assert opening and opening > 0
    shown = re.search(r'data-testid="stored-opening-amount">([^<]*)<', html).group(1)
    assert shown == format_yuan(opening)
    assert "取自2022年累计结存（演示（按统计公报推算））" in html
    assert "未填写上年累计结存" not in html
    assert _months(html) == f"{result.risk.balance_months_x100 / 100:.2f}"
    # The history: the seeded prior year and the demo year as computed.
    rows = re.findall(r'<tr data-year="(\d+)">', html)
    assert rows == ["2023", "2022"]
    assert "演示（按统计公报推算）" in html and "按库中结算计算" in html
    assert 'data-testid="fund-opening-form"' not in html  # 只读 has no form


def test_a_typed_opening_still_overrides_the_stored_one(demo):
    app, result, tokens = demo
    html = _client(app, tokens["只读"]).get("/console/fund?region=500243&year=2023&opening=0").text
    assert 'data-testid="stored-opening"' not in html
    assert _months(html) != f"{result.risk.balance_months_x100 / 100:.2f}"


def test_admin_records_an_opening_balance_and_the_months_follow(demo):
    app, result, tokens = demo
    client = _client(app, tokens["管理"])
    html = client.get("/console/fund?region=500243&year=2024").text
    assert 'data-testid="fund-opening-form"' in html
    posted = client.post(
        "/console/fund/opening",
        data={"region": "500243", "year": "2024", "opening_balance": "1,234,567.89",
              "note": "2023年度决算", "csrf": _csrf(html)},
        follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/console/fund?region=500243&year=2024")
    page = client.get(posted.headers["location"]).text
    assert re.search(r'data-testid="stored-opening-amount">([^<]*)<', page).group(1) == (
        "1,234,567.89"
    )
    assert "2023年度决算" in page and "fund-page-管理" in page
    # The 2023 demo year is unchanged by it.
    page_2023 = client.get("/console/fund?region=500243&year=2023").text
    assert _months(page_2023) == f"{result.risk.balance_months_x100 / 100:.2f}"


def test_a_bad_amount_is_refused_in_chinese_keeping_the_input(demo):
    app, _, tokens = demo
    client = _client(app, tokens["审核"])
    html = client.get("/console/fund?region=500243&year=2023").text
    posted = client.post(
        "/console/fund/opening",
        data={"region": "500243", "year": "2023", "opening_balance": "12.345", "csrf": _csrf(html)},
    )
    assert posted.status_code == 200
    assert "opening_balance: 上年累计结存应为金额" in posted.text
    assert 'value="12.345"' in posted.text
    # Nothing was written: the stored opening is still the demo's.
    assert "取自2022年累计结存（演示" in posted.text


def test_a_clerk_may_not_record_and_is_told_so(demo):
    app, _, tokens = demo
    client = _client(app, tokens["经办"])
    html = client.get("/console/fund?region=500243&year=2023").text
    assert 'data-testid="fund-opening-form"' not in html
    posted = client.post(
        "/console/fund/opening",
        data={"region": "500243", "year": "2023", "opening_balance": "1", "csrf": _csrf(html)},
    )
    assert "role: 经办无权登记基金结存" in posted.text


def test_a_post_without_the_csrf_token_is_refused(demo):
    app, _, tokens = demo
    client = _client(app, tokens["管理"])
    posted = client.post(
        "/console/fund/opening", data={"region": "500243", "year": "2023", "opening_balance": "1"}
    )
    assert posted.status_code == 403
