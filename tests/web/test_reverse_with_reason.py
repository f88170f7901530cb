"""结算撤销 asks first and needs a 撤销原因 (issue 16), as a reviewer does it: open the
settlement, 撤销结算 opens the confirmation with its layers and who settled it, an empty reason
is refused with the form kept and nothing changed, a reason reverses it and the settlement page
shows 已撤销, 撤销人, 撤销时间 and 撤销原因 (also in the audit log). F5 does not reverse again; a
clerk (经办) cannot reverse."""

from __future__ import annotations

import html as html_lib

import pytest
from fastapi.testclient import TestClient

from tests.web.test_console_recent import _login, _settle
from yibao.store import audit, ledger, transaction
from yibao.web.templating import beijing


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _stored(console_app, setl_id: str):
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        row = ledger.get_settlement(s, setl_id)
        reversals = audit.query(s, action="reverse", entity_id=setl_id)
        return row.status, row.reversal_reason, [r.after for r in reversals]


def test_a_reviewer_confirms_the_reversal_with_a_reason(client, seeded, console_app):
    setl_id = _settle(client, seeded, "2023-08-01", "2023-08-03")
    csrf = _login(client, seeded.tokens["审核"])

    # The settlement page offers 撤销结算; it opens the confirmation, changing nothing yet.
    page = client.get(f"/console/settlements/{setl_id}").text
    assert 'data-testid="reverse"' in page and "已结算" in page
    confirm = client.get(f"/console/settlements/{setl_id}/reverse")
    assert confirm.status_code == 200
    assert "确认撤销" in confirm.text and "取消" in confirm.text and "撤销原因" in confirm.text
    assert 'data-testid="layer-table"' in confirm.text and "基本医保" in confirm.text
    assert 'data-testid="settled-by"' in confirm.text
    assert _stored(console_app, setl_id) == ("settled", None, [])

    # 确认撤销 without a reason: the form again with a Chinese message; nothing changed.
    url = f"/console/settlements/{setl_id}/reverse"
    empty = client.post(url, data={"csrf": csrf, "reason": "   "}, follow_redirects=False)
    assert empty.status_code == 422
    assert "请填写撤销原因" in empty.text and 'data-testid="reason"' in empty.text
    assert _stored(console_app, setl_id) == ("settled", None, [])
    too_long = "重复" * 101
    long_ = client.post(url, data={"csrf": csrf, "reason": too_long}, follow_redirects=False)
    assert long_.status_code == 422 and f'value="{too_long}"' in long_.text
    assert _stored(console_app, setl_id) == ("settled", None, [])

    # With a reason: reversed, 303 to the settlement page showing who, when and why.
    reason = "医院重复上传 <同一住院>，撤销后重新结算"
    done = client.post(url, data={"csrf": csrf, "reason": reason}, follow_redirects=False)
    assert done.status_code == 303
    result_url = done.headers["location"]
    assert result_url.startswith(f"/console/settlements/{setl_id}")
    shown = client.get(result_url).text
    status, stored_reason, reversals = _stored(console_app, setl_id)
    assert (status, stored_reason) == ("reversed", reason)
    assert "已撤销" in shown and "撤销人" in shown and "撤销时间" in shown
    assert html_lib.escape(reason, quote=False) in shown and "<同一住院>" not in shown
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        row = ledger.get_settlement(s, setl_id)
        assert row.reversed_by in shown and beijing(row.reversed_at) in shown
    assert 'data-testid="reverse"' not in shown  # no second 撤销
    assert len(reversals) == 1 and reversals[0]["reason"] == reason

    # F5 on the result page is a GET: nothing reversed again; the confirmation is gone too.
    assert client.get(result_url).status_code == 200
    again = client.get(url, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith(setl_id)
    assert len(_stored(console_app, setl_id)[2]) == 1


def test_a_clerk_cannot_open_or_confirm_a_reversal(client, seeded, console_app):
    setl_id = _settle(client, seeded, "2023-08-10", "2023-08-12")
    csrf = _login(client, seeded.tokens["经办"])
    assert 'data-testid="reverse"' not in client.get(f"/console/settlements/{setl_id}").text
    url = f"/console/settlements/{setl_id}/reverse"
    assert client.get(url).status_code == 403
    refused = client.post(url, data={"csrf": csrf, "reason": "想撤销"})
    assert refused.status_code == 403 and "经办无权执行此操作" in refused.text
    assert _stored(console_app, setl_id) == ("settled", None, [])


def test_a_reversal_without_the_csrf_field_changes_nothing(client, seeded, console_app):
    setl_id = _settle(client, seeded, "2023-08-20", "2023-08-21")
    _login(client, seeded.tokens["审核"])
    refused = client.post(f"/console/settlements/{setl_id}/reverse", data={"reason": "重复"})
    assert refused.status_code == 403
    assert _stored(console_app, setl_id) == ("settled", None, [])
