"""预警 workflow refusals over the console's HTTP forms (issue 16): only 审核 and 管理 scan and
act (经办 and 只读 get 403 and nothing changes), a POST needs the form's CSRF token, a step
without its note or 推送 without a department is refused on the form with the input kept,
every step answers 303 (F5 repeats nothing), and 只读's Excel export masks names and ID
numbers."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.web.seed import _claim, _enroll, _person
from yibao.services import reviews
from yibao.store import ledger, transaction
from yibao.store.audit import Actor
from yibao.store.review_models import WarningRecord

CLERK = Actor("数据初始化", "经办")


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def warned(console_app):
    """A 低保 person of 鹿鸣乡 with 90,000 yuan of self-paid bills, not yet scanned."""
    app, _ = console_app
    library = app.state.library
    with transaction(app.state.sessions) as s:
        psn_no, certno = _person(s, 61, "冯志强", "鹿鸣乡", "低保对象")
        _enroll(s, psn_no)
    row = _claim(psn_no, certno, "W-2023-0061", dt.date(2023, 9, 1), dt.date(2023, 9, 30),
                 "150000.00")  # fmt: skip
    row["fulamt_ownpay_amt"] = 9_000_000
    with transaction(app.state.sessions) as s:
        ledger.settle(s, library, row, CLERK)
    return psn_no


def _login(client, token: str) -> str:
    client.cookies.clear()
    client.post("/console/login", data={"token": token}, follow_redirects=False)
    html = client.get("/console/warnings").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _record(console_app, psn_no):
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        found = s.query(WarningRecord).filter_by(psn_no=psn_no).one_or_none()
        return None if found is None else reviews.record(s, "warning", found.id)


def test_only_reviewer_and_admin_scan_and_act(client, seeded, console_app, warned):
    scan = {"region": "500243", "year": "2023"}
    for role in ("经办", "只读"):
        csrf = _login(client, seeded.tokens[role])
        r = client.post("/console/warnings/scan", data={**scan, "csrf": csrf})
        assert r.status_code == 403 and "审核或管理" in r.text
        assert 'data-testid="scan"' not in client.get("/console/warnings").text
    assert _record(console_app, warned) is None

    csrf = _login(client, seeded.tokens["管理"])
    r = client.post("/console/warnings/scan", data={**scan, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/warnings?")
    assert "扫描完成" in client.get(r.headers["location"]).text
    record = _record(console_app, warned)
    assert record["status"] == "待核实" and record["township"] == "鹿鸣乡"

    url = f"/console/warnings/{record['id']}"
    csrf = _login(client, seeded.tokens["经办"])
    assert client.post(f"{url}/verify", data={"csrf": csrf, "note": "x"}).status_code == 403
    csrf = _login(client, seeded.tokens["审核"])
    assert client.post(f"{url}/verify", data={"note": "无令牌"}).status_code == 403
    assert _record(console_app, warned)["status"] == "待核实"


def test_a_step_without_its_note_is_refused_on_the_form_and_a_step_is_taken_once(
    client, seeded, console_app, warned
):
    csrf = _login(client, seeded.tokens["管理"])
    client.post("/console/warnings/scan", data={"region": "500243", "year": "2023", "csrf": csrf})
    record = _record(console_app, warned)
    url = f"/console/warnings/{record['id']}"
    r = client.post(f"{url}/verify", data={"csrf": csrf, "note": "   "})
    assert r.status_code == 422 and "请填写核实情况" in r.text
    assert _record(console_app, warned)["status"] == "待核实"

    r = client.post(f"{url}/verify", data={"csrf": csrf, "note": "已入户"}, follow_redirects=False)
    assert r.status_code == 303 and unquote(r.headers["location"]) == f"{url}?done=核实"
    again = client.post(f"{url}/verify", data={"csrf": csrf, "note": "已入户"})
    assert again.status_code == 409 and "已核实" in again.text  # not taken twice

    confirm = client.get(f"{url}/push")
    assert confirm.status_code == 200 and "确认推送" in confirm.text and "取消" in confirm.text
    r = client.post(f"{url}/push", data={"csrf": csrf, "note": "请民政跟进"})
    assert r.status_code == 422 and "请选择推送部门" in r.text and "请民政跟进" in r.text
    r = client.get(f"{url}/exclude")
    assert "排除原因" in r.text
    r = client.post(f"{url}/exclude", data={"csrf": csrf, "note": ""})
    assert r.status_code == 422 and "请填写排除原因" in r.text
    steps = [h["action"] for h in _record(console_app, warned)["history"]]
    assert steps == ["扫描", "核实"]


def test_read_only_export_masks_names_and_id_numbers(client, seeded, console_app, warned):
    csrf = _login(client, seeded.tokens["审核"])
    client.post("/console/warnings/scan", data={"region": "500243", "year": "2023", "csrf": csrf})
    _login(client, seeded.tokens["只读"])
    r = client.get("/console/warnings.xlsx", params={"township": "鹿鸣乡"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[2]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    [mine] = [row for row in rows if row[header.index("个人编号")] == warned]
    assert mine[header.index("姓名")] == "冯**"
    assert "*" in mine[header.index("身份证号")]
    assert {row[header.index("乡镇（街道）")] for row in rows} == {"鹿鸣乡"}
