"""The 管理 page as an administrator's task: open it, add a 审核 user and see its token once
(a reload neither shows it again nor creates another user), the token logs in, revoke it and it
no longer does; the 操作日志 lists both with the administrator's name, filters, pages by 50 and
exports the filtered rows to Excel; a 经办 is refused and does not see the link."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from yibao.store import audit, transaction
from yibao.store.audit import Actor
from yibao.store.models import AuditEntry, User


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _login(client, token) -> None:
    client.cookies.clear()
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _count_users(console_app, name: str) -> int:
    with transaction(console_app[0].state.sessions) as s:
        return sum(1 for u in s.query(User).filter(User.name == name))


def test_an_administrator_adds_sees_the_token_once_and_revokes(client, seeded, console_app):
    _login(client, seeded.tokens["管理"])
    home = client.get("/console/admin")
    assert home.status_code == 200
    assert 'href="/console/admin"' in home.text  # the nav shows 管理 to 管理
    assert "赵管理" in home.text and "张经办" in home.text

    added = client.post(
        "/console/admin/users",
        data={"name": "钱审核", "role": "审核", "csrf": _csrf(home.text)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    shown = client.get(added.headers["location"])
    assert shown.headers["cache-control"] == "no-store"
    token = re.search(r'data-testid="token">(yb_[^<]+)<', shown.text).group(1)
    assert "只显示这一次" in shown.text

    again = client.get(added.headers["location"])  # F5
    assert token not in again.text and "只显示一次" in again.text
    assert _count_users(console_app, "钱审核") == 1
    twice = client.post(
        "/console/admin/users",
        data={"name": "钱审核", "role": "审核", "csrf": _csrf(home.text)},
        follow_redirects=False,
    )
    assert twice.status_code == 409 and "已存在" in twice.text
    assert _count_users(console_app, "钱审核") == 1

    _login(client, token)
    assert client.get("/console/persons").status_code == 200
    assert client.get("/console/admin").status_code == 403

    _login(client, seeded.tokens["管理"])
    confirm = client.get("/console/admin/revoke", params={"name": "钱审核"})
    assert "确认停用" in confirm.text
    revoked = client.post(
        "/console/admin/revoke",
        data={"name": "钱审核", "csrf": _csrf(confirm.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    listing = client.get(revoked.headers["location"])
    assert "已停用用户“钱审核”" in listing.text
    row = re.search(r'<tr data-name="钱审核">.*?</tr>', listing.text, re.S).group(0)
    assert "已停用" in row

    client.cookies.clear()
    refused = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert refused.status_code == 401
    response = client.get("/api/persons", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401

    _login(client, seeded.tokens["管理"])
    log = client.get("/console/admin/audit", params={"entity_id": "钱审核"})
    rows = re.findall(r'<tr data-id="\d+">.*?</tr>', log.text, re.S)
    assert [re.search(r'data-testid="action">(\w+)<', r).group(1) for r in rows] == [
        "deactivate_user",
        "add_user",
    ]
    assert all('data-testid="actor">赵管理<' in r for r in rows)
    assert "共 2 条" in log.text
    assert "&#34;active&#34;: false" in log.text  # before/after as readable JSON

    only = client.get("/console/admin/audit", params={"action": "add_user", "entity_id": "钱审核"})
    assert "共 1 条" in only.text and "deactivate_user" not in only.text.split("<table")[1]


def test_an_administrator_may_not_revoke_himself(client, seeded):
    _login(client, seeded.tokens["管理"])
    html = client.get("/console/admin").text
    response = client.post("/console/admin/revoke", data={"name": "赵管理", "csrf": _csrf(html)})
    assert response.status_code == 409
    assert client.get("/console/admin").status_code == 200


def test_the_log_pages_by_fifty_filters_by_date_and_exports_the_filter(client, seeded, console_app):
    with transaction(console_app[0].state.sessions) as s:
        for n in range(60):
            audit.record(
                s,
                Actor("孙测试", "经办"),
                "bulk_test",
                "person",
                f"P{n:03d}",
                after={"certno": "110101199001011234", "psn_name": "孙大明", "n": n},
            )
        old = audit.record(s, Actor("孙测试", "经办"), "bulk_test", "person", "OLD")
        s.flush()
        old.at = dt.datetime(2020, 5, 1, 17, 0)  # UTC: 2020-05-02 01:00 北京时间
    _login(client, seeded.tokens["管理"])
    first = client.get("/console/admin/audit", params={"action": "bulk_test"})
    assert "共 61 条，第 1 / 2 页" in first.text
    assert len(re.findall(r"<tr data-id=", first.text)) == 50
    assert "110101199001011234" not in first.text and "孙大明" not in first.text  # as stored
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = client.get(nxt)
    assert "第 2 / 2 页" in second.text
    assert len(re.findall(r"<tr data-id=", second.text)) == 11
    assert 'data-testid="entity-id">P000<' in second.text  # newest first (by entry)
    assert 'data-testid="entity-id">OLD<' in first.text

    day = client.get(
        "/console/admin/audit",
        params={"action": "bulk_test", "from": "2020-05-02", "to": "2020-05-02"},
    )
    assert "共 1 条" in day.text and "2020-05-02 01:00" in day.text
    before = client.get("/console/admin/audit", params={"action": "bulk_test", "to": "2020-05-01"})
    assert "共 0 条" in before.text

    export = client.get("/console/admin/audit.xlsx", params={"action": "bulk_test"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("时间（北京时间）", "操作人", "角色", "动作", "对象", "对象编号")
    with transaction(console_app[0].state.sessions) as s:
        stored = [
            e.entity_id
            for e in s.query(AuditEntry)
            .filter(AuditEntry.action == "bulk_test")
            .order_by(AuditEntry.id.desc())
        ]
    assert [r[5] for r in rows[1:]] == stored
    assert all(r[3] == "bulk_test" and r[1] == "孙测试" for r in rows[1:])
    assert "孙大明" not in "".join(str(c) for r in rows for c in r)


def test_a_clerk_is_refused_and_does_not_see_the_link(client, seeded, console_app):
    _login(client, seeded.tokens["经办"])
    persons = client.get("/console/persons").text
    assert 'href="/console/admin"' not in persons
    for url in ("/console/admin", "/console/admin/audit", "/console/admin/audit.xlsx"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "无权访问管理页面" in response.text
    response = client.post(
        "/console/admin/users", data={"name": "吴越权", "role": "管理", "csrf": _csrf(persons)}
    )
    assert response.status_code == 403
    assert _count_users(console_app, "吴越权") == 0
