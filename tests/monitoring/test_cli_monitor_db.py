"""yibao monitor warnings --db (issue 16): the store's settlements of a region-year are judged
and the warnings stored, once; a second run adds nothing; without --db the Parquet inputs are
still required."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from tests.store.test_ledger import claim_row
from yibao.cli.main import app
from yibao.idcard import make_id
from yibao.policy import default_library
from yibao.store import ledger, make_engine, persons, session_factory, transaction, upgrade
from yibao.store.audit import Actor
from yibao.store.review_models import ReviewStep, WarningRecord


def _store(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    certno = make_id("422301", dt.date(1961, 3, 5), 17)
    with transaction(factory) as s:
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno, psn_name="周六", insuplc_admdvs="421200", psn_no="CLI0001",
                categories=(persons.CategorySpan("低保对象", dt.date(2022, 1, 1)),),
            ),
        )  # fmt: skip
        persons.enroll(
            s,
            persons.EnrollmentSpec(
                psn_no="CLI0001", year=2023, enrolled_on=dt.date(2022, 11, 1),
                insuplc_admdvs="421200", coverage_begin=dt.date(2023, 1, 1),
                coverage_end=dt.date(2023, 12, 31),
            ),
        )  # fmt: skip
    row = claim_row("CLI0001", certno, "CLI0001-1", total="40000.00")
    row["fulamt_ownpay_amt"] = 2_000_000  # 20,000 yuan wholly self-paid: beyond every fund
    with transaction(factory) as s:
        ledger.settle(s, default_library(), row, Actor("clerk", "经办"))
    engine.dispose()
    return url


def test_monitor_warnings_on_the_store_stores_each_warning_once(tmp_path):
    url = _store(tmp_path)
    args = ["monitor", "warnings", "--db", url, "--region", "421200", "--year", "2023", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert (doc["settlements"], doc["flagged"], doc["added"]) == (1, 1, 1)
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert (again["added"], again["updated"]) == (0, 0)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        [w] = s.query(WarningRecord).all()
        assert (w.psn_no, w.status, w.threshold) == ("CLI0001", "待核实", 1_440_000)
        assert [st.actor for st in s.query(ReviewStep).all()] == ["系统扫描"]
    engine.dispose()


def test_monitor_warnings_without_db_still_needs_the_parquet_files():
    out = CliRunner().invoke(app, ["monitor", "warnings", "--region", "421200", "--year", "2023"])
    assert out.exit_code == 2 and "--settlements 和 --persons: 需要 Parquet 文件" in out.output
