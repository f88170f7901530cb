"""The real server (``yibao serve``: uvicorn and its own logging setup) never writes an ID number
in clear, whatever the request: ID numbers in URLs, in bodies that fail validation, in replies
of the store, in the tracebacks of unexpected errors and in the warnings of the settlement writer
(a child logger). Its access log still works: one line per request with the status code. The 422
replies name the field but do not echo the input."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import claim
from yibao.api.logs import MaskIdNumbers, install, mask_record
from yibao.api.process import free_port
from yibao.idcard import check_digit, make_id, mask, parse_id

YIBAO = Path(sys.executable).with_name("yibao")
# Stricter than a word match: 17 digits and a check character anywhere (inside a code too).
ID_ANYWHERE = re.compile(r"\d{17}[\dXx]")
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.1" (?P<status>\d{3})\b')


def valid_ids(count: int) -> list[str]:
    """Distinct valid GB 11643 numbers from several regions, at least three ending in X."""
    regions = ("110101", "422301", "421202", "500243", "650102")
    ids: list[str] = []
    with_x = 0
    n = 0
    while len(ids) < count or with_x < 3:
        number = make_id(regions[n % len(regions)], dt.date(1950, 1, 1) + dt.timedelta(n * 97), n)
        n += 1
        if number.endswith("X"):
            with_x += 1
            ids.insert(0, number)
        elif len(ids) < count:
            ids.append(number)
    assert all(parse_id(i).number == i for i in ids)
    return ids


def _masked(text: str) -> str:
    return ID_ANYWHERE.sub(lambda m: mask(m.group(0)), text)


def wrong_check_digit(number: str) -> str:
    good = check_digit(number[:17])
    return number[:17] + ("0" if good != "0" else "1")


class Served:
    """``yibao serve`` on a fresh SQLite store, stdout and stderr written to files."""

    def __init__(self, tmp_path: Path) -> None:
        self.db = tmp_path / "t.db"
        self.url = f"sqlite:///{self.db}"
        self.out = tmp_path / "stdout.txt"
        self.err = tmp_path / "stderr.txt"
        made = subprocess.run(
            [str(YIBAO), "user", "add", "clerk", "--role", "经办", "--db", self.url],
            capture_output=True,
            text=True,
            check=True,
        )
        token = re.search(r"yb_\S+", made.stdout)
        assert token, made.stdout
        self.headers = {"Authorization": f"Bearer {token.group(0)}"}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        cmd = [str(YIBAO), "serve", "--db", self.url, "--port", str(self.port)]
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        self.sent: list[tuple[str, str, int]] = []  # method, target, status
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.err.read_text()
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)
        self.sent.append(("GET", "/healthz", 200))

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60) as http:
            response = http.request(method, path, **kwargs)
        self.sent.append((method, response.request.url.raw_path.decode(), response.status_code))
        return response

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return self.out.read_text(), self.err.read_text()

    def alter(self, sql: str) -> None:
        """Break the store under the running server (a schema it does not expect)."""
        with sqlite3.connect(self.db, timeout=30) as con:
            con.execute(sql)


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path)
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(timeout=10)


def _assert_422_keeps_quiet(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert not ID_ANYWHERE.search(response.text), response.text
    assert field in response.text, response.text
    detail = response.json()["detail"]
    if isinstance(detail, list):
        assert detail and all(set(e) == {"loc", "msg", "type"} for e in detail), detail


@pytest.mark.slow
def test_the_running_server_writes_no_id_number_and_keeps_its_access_log(served):
    ids = valid_ids(12)
    people = []
    for certno in ids[:3]:
        r = served.call(
            "POST",
            "/api/persons",
            json={"certno": certno, "psn_name": "王五", "insuplc_admdvs": "421200"},
        )
        assert r.status_code == 201, r.text
        people.append(r.json())
        r = served.call(
            "POST",
            "/api/enrollments",
            json={"psn_no": r.json()["psn_no"], "year": 2023, "enrolled_on": "2022-11-01"},
        )
        assert r.status_code == 201, r.text
    first = people[0]

    # ID numbers in the URL: found, not found, lower-case x, too long, as a 个人编号.
    assert served.call("GET", "/api/persons", params={"certno": ids[0]}).json()[0]["certno"]
    assert served.call("GET", "/api/persons", params={"certno": ids[5]}).json() == []
    assert served.call("GET", "/api/persons", params={"certno": ids[1].lower()}).status_code == 200
    _assert_422_keeps_quiet(
        served.call("GET", "/api/persons", params={"certno": ids[5] + "1"}), "certno"
    )
    r = served.call("GET", f"/api/persons/{ids[6]}")
    assert r.status_code == 404 and "psn_no" in r.text and ids[6] not in r.text
    r = served.call("GET", f"/api/persons/{first['psn_no']}")
    assert r.status_code == 200

    # Bodies that fail validation, each carrying a valid ID number.
    _assert_422_keeps_quiet(
        served.call(
            "POST",
            "/api/persons",
            json={"certno": ids[7], "psn_name": "丁", "insuplc_admdvs": "42120X"},
        ),
        "insuplc_admdvs",
    )
    _assert_422_keeps_quiet(
        served.call(
            "POST",
            "/api/persons",
            json={"certno": ids[7] + "9", "psn_name": "丁", "insuplc_admdvs": "421200"},
        ),
        "certno",
    )
    _assert_422_keeps_quiet(
        served.call(
            "POST",
            "/api/persons",
            json={
                "certno": wrong_check_digit(ids[8]),
                "psn_name": "丁",
                "insuplc_admdvs": "421200",
            },
        ),
        "certno",
    )
    _assert_422_keeps_quiet(
        served.call(
            "POST",
            "/api/persons",
            json={"certno": ids[8], "psn_name": "丁", "insuplc_admdvs": "421200", ids[9]: "x"},
        ),
        "body",
    )
    _assert_422_keeps_quiet(
        served.call("POST", "/api/settlements", json=claim(first, "bad-lv", hosp_lv="99")),
        "hosp_lv",
    )
    missing = claim(first, "no-id")
    del missing["setl_id"]  # a missing field: FastAPI's own reply echoes the whole body
    _assert_422_keeps_quiet(served.call("POST", "/api/settlements", json=missing), "setl_id")
    _assert_422_keeps_quiet(
        served.call("POST", "/api/settlements", json=claim(first, "wrong", certno=ids[10])),
        "certno",
    )
    r = served.call("POST", "/api/settlements", json=claim(first, "good-1"))
    assert r.status_code == 201, r.text

    # Unexpected errors under a broken store: uvicorn's "Exception in ASGI application" with
    # the SQL and its parameters, and the settlement writer's "batch failed" warning (logger
    # yibao.store.settle, which reaches logging's last-resort handler).
    served.alter("ALTER TABLE claims RENAME COLUMN row TO row_moved")
    for burst in range(3):
        bodies = [claim(people[i % 3], f"broken-{burst}-{i}") for i in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(lambda b: served.call("POST", "/api/settlements", json=b), bodies)
            )
        assert {r.status_code for r in statuses} == {500}
        if "settling one by one" in served.err.read_text():
            break
    served.alter("ALTER TABLE persons RENAME COLUMN certno TO certno_moved")
    r = served.call("GET", "/api/persons", params={"certno": ids[11]})
    assert r.status_code == 500

    out, err = served.stop()
    everything = out + err
    assert not ID_ANYWHERE.findall(everything), ID_ANYWHERE.findall(everything)[:5]
    assert "Logging error" not in everything
    assert "logging/__init__.py" not in everything  # no traceback out of logging itself
    # The ID numbers were there to mask: in the SQL parameters and in the writer's warning.
    assert "Exception in ASGI application" in err
    assert mask(ids[11]) in err
    assert "settling one by one" in err
    # One access-log line per request, with its (masked) target and status code.
    logged = [
        (m["method"], m["target"], int(m["status"]))
        for m in map(ACCESS_LINE.search, out.splitlines())
        if m
    ]
    expected = [(method, _masked(target), status) for method, target, status in served.sent]
    assert sorted(logged) == sorted(expected)


# ------------------------------------------------------------------ the masking, record by record
ID = "11010119900307663X"
MASKED = "110101********663X"


def _record(msg, args=(), exc_info=None, name="yibao.test") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, exc_info)


def test_uvicorns_access_formatter_still_gets_its_five_arguments():
    from uvicorn.logging import AccessFormatter

    args = ("127.0.0.1:5000", "GET", f"/api/persons?certno={ID.lower()}", "1.1", 200)
    record = _record('%s - "%s %s HTTP/%s" %d', args, name="uvicorn.access")
    assert MaskIdNumbers().filter(record)
    fmt = '%(client_addr)s - "%(request_line)s" %(status_code)s'  # uvicorn's LOGGING_CONFIG
    line = AccessFormatter(fmt, use_colors=False).format(record)
    assert line == f'127.0.0.1:5000 - "GET /api/persons?certno={MASKED.lower()} HTTP/1.1" 200 OK'


def test_arguments_tracebacks_and_stacks_are_masked():
    cases = [
        (("certno %(c)s", ({"c": ID},)), f"certno {MASKED}"),
        (("psn_no P%s", (ID,)), f"psn_no P{MASKED}"),
        (("n=%d", (int(ID[:17] + "1"),)), "n=110101********6631"),
        (("split %s%s", (ID[:9], ID[9:])), f"split {MASKED}"),
        ((ValueError(f"bad {ID}"), ()), f"bad {MASKED}"),
    ]
    for (msg, args), expected in cases:
        record = _record(msg, args)
        mask_record(record)
        assert record.getMessage() == expected
    try:
        raise RuntimeError(f"[parameters: ('{ID}',)]")
    except RuntimeError:
        record = _record("Exception in ASGI application", exc_info=sys.exc_info())
    record.stack_info = f"Stack (most recent call last): {ID}"
    mask_record(record)
    text = logging.Formatter().format(record)
    assert ID not in text and text.count(MASKED) == 2


def test_after_install_records_of_any_logger_are_masked(monkeypatch):
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    install()
    install()  # idempotent
    child = logging.getLogger("yibao.store.settle.test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)  # a handler without the filter
    try:
        child.warning("batch failed (%s)", f"[parameters: ('{ID}',)]")
    finally:
        logging.getLogger().removeHandler(handler)
    assert stream.getvalue() == f"batch failed ([parameters: ('{MASKED}',)])\n"
