"""A server killed (SIGKILL) in the middle of a settlement load leaves no partial rows: every
person-year's accumulators equal the sum of its stored settlements, and after a restart the
retries settle each claim exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.conftest import claim, new_certno
from yibao.api.process import ServerProcess
from yibao.engine.settlement import Accumulators
from yibao.store import accumulators
from yibao.store.models import Claim, SetlDetail, Settlement

PERSONS = 2
CLAIMS_PER_PERSON = 12
KILL_AFTER = 8


def _consistent(app, psn_nos) -> int:
    """Assert stored accumulators = sum of what the settled claims consumed; returns count."""
    total = 0
    with app.state.sessions() as s:
        for psn_no in psn_nos:
            settled = list(
                s.scalars(
                    select(Settlement).where(
                        Settlement.psn_no == psn_no, Settlement.status == "settled"
                    )
                )
            )
            summed = Accumulators.empty()
            for row in settled:
                summed = summed.plus(Accumulators(**row.consumed))
            stored = accumulators.read(s, psn_no, 2023)
            if stored is None:
                assert not settled
                continue
            assert Accumulators(**accumulators.as_dict(stored)) == summed
            assert stored.settlements == len(settled)
            total += len(settled)
        ids = [sid for (sid,) in s.execute(select(Settlement.setl_id))]
        claims = s.scalar(select(func.count()).select_from(Claim))
        details = dict(
            s.execute(select(SetlDetail.setl_id, func.count()).group_by(SetlDetail.setl_id)).all()
        )
        assert claims == len(ids)  # no claim row without its settlement
        assert all(details.get(sid) == 3 for sid in ids)  # 390100, 390200, 610100
    return total


@pytest.mark.slow
def test_killing_the_server_mid_load_leaves_no_partial_settlement(app, client, auth, tokens):
    people = []
    for _ in range(PERSONS):
        certno = new_certno()
        r = client.post(
            "/api/persons",
            json={"certno": certno, "psn_name": "钱七", "insuplc_admdvs": "421200"},
            headers=auth["clerk"],
        )
        people.append(r.json())
        enrolled = client.post(  # the register decides: only the enrolled are settled
            "/api/enrollments",
            json={"psn_no": r.json()["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
            headers=auth["clerk"],
        )
        assert enrolled.status_code == 201, enrolled.text
    bodies = [
        claim(p, f"{p['psn_no']}-k{i:03d}", total=3000.0 + i, ownpay=100.0, month=1 + i % 12)
        for i in range(CLAIMS_PER_PERSON)
        for p in people
    ]
    server = ServerProcess(str(app.state.engine.url.render_as_string(hide_password=False)))
    server.start()
    headers = {"Authorization": f"Bearer {tokens['clerk']}"}
    lock = threading.Lock()
    answered = [0]

    def send(body):
        try:
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                status = http.post("/api/settlements", json=body, headers=headers).status_code
        except httpx.HTTPError:
            return None
        with lock:
            answered[0] += 1
            if answered[0] == KILL_AFTER:  # with settlements still in flight on other threads
                server.kill()
        return status

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(send, bodies))
    finally:
        server.kill()
    assert None in statuses, "the server was not killed during the load"
    assert set(statuses) <= {None, 201}, statuses
    settled_before = _consistent(app, [p["psn_no"] for p in people])
    assert 0 < settled_before < len(bodies)

    server = ServerProcess(server.db_url).start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(send, bodies))
    finally:
        server.stop()
    assert set(statuses) <= {200, 201}
    assert statuses.count(200) >= settled_before  # the ones stored before the crash: replays
    assert _consistent(app, [p["psn_no"] for p in people]) == len(bodies)
