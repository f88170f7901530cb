"""Idempotent by msgid: the same message again gets the stored reply and writes nothing more;
the msgid with other content is refused and writes nothing."""

from __future__ import annotations

import datetime as dt

from tests.gateway.conftest import counts, open_visit, pay_node, register

WHEN = dt.datetime(2023, 6, 1, 9, 0)


def test_a_retried_2207_gets_the_stored_reply_and_settles_once(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id, lines = open_visit(hospital, person, WHEN)
    message = hospital.envelope("2207", pay_node(mdtrt_id, person, lines), WHEN, insuplc="500243")
    first = hospital.send_raw(message)
    assert first["infcode"] == 0, first
    before = counts(app)
    again = hospital.send_raw(message)
    assert again == first  # the same inf_refmsgid, respond_time and output
    assert counts(app) == before
    r = client.get(f"/api/settlements?psn_no={person['psn_no']}", headers=auth["clerk"])
    assert [s["setl_id"] for s in r.json()] == [first["output"]["setlinfo"]["setl_id"]]


def test_a_msgid_reused_with_other_content_is_refused(client, auth, app, hospital):
    person = register(client, auth)
    mdtrt_id, lines = open_visit(hospital, person, WHEN)
    message = hospital.envelope("2206", pay_node(mdtrt_id, person, lines), WHEN, insuplc="500243")
    assert hospital.send_raw(message)["infcode"] == 0
    before = counts(app)
    other = {**message, "infno": "2207"}
    reply = hospital.send_raw(other)
    assert reply["infcode"] == -1
    assert reply["err_msg"].startswith(
        f"msgid: 发送方报文ID {message['msgid']} 已用于另一笔内容不同的报文"
    )
    assert counts(app) == before
