"""结算撤销 over HTTP needs its 撤销原因 (issue 16): without one it is a 422 naming ``reason``
and nothing changes; with one the reason is stored, returned, audited and kept on a repeat."""

from __future__ import annotations

import pytest

from tests.api.conftest import claim


def _settled(client, auth, person, suffix):
    body = claim(person, f"{person['psn_no']}-{suffix}")
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 201, r.text
    return body["setl_id"]


@pytest.mark.parametrize(
    "body",
    [None, {}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}, {"reason": "a\x00b"}],
)
def test_reversing_without_a_reason_is_422_naming_reason(client, auth, person, body):
    setl_id = _settled(client, auth, person, "noreason")
    url = f"/api/settlements/{setl_id}/reverse"
    kwargs = {} if body is None else {"json": body}
    r = client.post(url, headers=auth["reviewer"], **kwargs)
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == "reason" for e in r.json()["detail"]), r.text
    stored = client.get(f"/api/settlements/{setl_id}", headers=auth["reviewer"]).json()
    assert stored["status"] == "settled" and stored["reversal_reason"] is None


def test_the_reason_is_stored_returned_and_kept_on_a_repeat(client, auth, person):
    setl_id = _settled(client, auth, person, "reason")
    url = f"/api/settlements/{setl_id}/reverse"
    r = client.post(url, json={"reason": "医院重复上传，撤销重结"}, headers=auth["reviewer"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reversed"
    assert r.json()["reversal_reason"] == "医院重复上传，撤销重结"
    again = client.post(url, json={"reason": "另一个原因"}, headers=auth["reviewer"])
    assert again.status_code == 200 and again.json() == r.json()
    stored = client.get(f"/api/settlements/{setl_id}", headers=auth["reader"]).json()
    assert stored["reversal_reason"] == "医院重复上传，撤销重结"
    entries = client.get(
        "/api/audit", params={"entity_id": setl_id}, headers=auth["reviewer"]
    ).json()
    reversals = [e for e in entries if e["action"] == "reverse"]
    assert len(reversals) == 1 and reversals[0]["after"]["reason"] == "医院重复上传，撤销重结"


def test_a_clerk_cannot_reverse(client, auth, person):
    setl_id = _settled(client, auth, person, "clerk")
    r = client.post(
        f"/api/settlements/{setl_id}/reverse", json={"reason": "想撤销"}, headers=auth["clerk"]
    )
    assert r.status_code == 403
