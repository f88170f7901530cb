"""基金, 目标 and 台账 read the stored aggregates; after settlements AND reversals their figures
equal those recomputed from every settlement (the engine's functions on the settlements frame,
as the pages computed them before), to the fen and the claim."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.seed import REGION, YEAR, _claim, seed
from yibao.api.app import create_app
from yibao.engine.fund import fund_statement
from yibao.engine.targets import targets_report
from yibao.store import ledger, persons, session_factory, transaction
from yibao.store.audit import Actor
from yibao.store.models import Settlement
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    contributions_frame,
    person_years_frame,
    persons_frame,
    settlements_frame,
)
from yibao.web.targets import _enrollment_counts, aggregate_frame

REVIEWER = Actor("reviewer", "审核")
SCOPE = Scope(REGION, YEAR)


@pytest.fixture(scope="module")
def store(tmp_path_factory, library):
    """The console's seeded 彭水 year with a third of the settlements reversed, the 大病
    claims among them (their share of the 大病 running total must leave the aggregates)."""
    db = tmp_path_factory.mktemp("agg_pages") / "console.db"
    app = create_app(f"sqlite:///{db}", library=library)
    factory = session_factory(app.state.engine)
    seeded = seed(factory, library)
    with transaction(factory) as s:
        setl_ids = s.scalars(select(Settlement.setl_id).order_by(Settlement.setl_id)).all()
    reversed_ids = [*setl_ids[::3], "W-2023-0002"]
    for setl_id in dict.fromkeys(reversed_ids):
        with transaction(factory) as s:
            ledger.reverse(s, setl_id, REVIEWER, "测试：录入错误")
    return app, factory, seeded, len(set(reversed_ids))


def test_some_settlements_are_reversed_and_some_stand(store):
    _, factory, _, reversed_count = store
    with transaction(factory) as s:
        by_status = dict(
            s.execute(select(Settlement.status, func.count()).group_by(Settlement.status)).all()
        )
    assert by_status["reversed"] == reversed_count >= 10
    assert by_status["settled"] > by_status["reversed"]


def test_fund_statement_from_the_aggregates_equals_the_one_from_every_settlement(store, library):
    _, factory, _, _ = store
    policy = library.resolve(REGION, YEAR)
    with transaction(factory) as s:
        people = persons_frame(s, library, SCOPE)
        paid = contributions_frame(s, library, SCOPE, people)
        every = settlements_frame(s, library, SCOPE)
        cells = cells_frame(s, library, SCOPE)
    old = fund_statement(every, paid, policy, opening_balance=0)
    new = fund_statement(cells, paid, policy, opening_balance=0)
    assert new.to_json() == old.to_json()
    assert int(cells["claims"].sum()) == every.height
    assert old.expenditure > 0 and old.expenditure_by_layer["hifmi_pay"] >= 0
    # by month (the page's chart): the same sums
    months_old = every.group_by("month").agg(pl.col("hifp_pay").sum()).sort("month")
    months_new = cells.group_by("month").agg(pl.col("hifp_pay").sum()).sort("month")
    assert months_new.to_dicts() == months_old.to_dicts()


def test_targets_from_the_aggregates_equal_the_ones_from_every_settlement(store, library):
    _, factory, _, _ = store
    policy = library.resolve(REGION, YEAR)
    with transaction(factory) as s:
        people = persons_frame(s, library, SCOPE)
        every = settlements_frame(s, library, SCOPE)
        counts = _enrollment_counts(s, SCOPE, people)
        holders = persons_frame(s, library, SCOPE, holders_only=True)
        counts_holders = _enrollment_counts(s, SCOPE, holders)
        frame = aggregate_frame(
            cells_frame(s, library, SCOPE), person_years_frame(s, library, SCOPE), holders
        )
    settled = every.join(people.select("psn_no", "categories"), on="psn_no", how="left")
    old = targets_report(policy, settled.with_columns(pl.col("categories").fill_null("")), counts)
    new = dataclasses.replace(targets_report(policy, frame, counts_holders), claims=every.height)
    assert counts_holders == counts
    assert new.to_json() == old.to_json()
    measured = [r for r in old.rows if r.denominator]
    assert len(measured) >= 3  # 住院, 县域 二级/一级, 大病 … measured, not all "无数据"


def test_ledger_from_the_holders_equals_the_one_from_every_person(store, library):
    _, factory, _, _ = store
    with transaction(factory) as s:
        every = persons_frame(s, library, SCOPE)
        holders = persons_frame(s, library, SCOPE, holders_only=True)
    with_categories = every.filter(pl.col("categories") != "")
    assert holders.to_dicts() == with_categories.to_dicts()
    assert 0 < holders.height < every.height


def test_the_pages_show_the_recomputed_numbers(store, library):
    app, factory, seeded, _ = store
    with transaction(factory) as s:
        every = settlements_frame(s, library, SCOPE)
        total_hifp = int(every["hifp_pay"].sum())
    yuan = f"{total_hifp // 100:,}.{total_hifp % 100:02d}"
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["管理"]})
        fund = http.get("/console/fund")
        assert fund.status_code == 200
        assert re.search(r"结算笔数</div><div class=\"v\">" + f"{every.height:,}<", fund.text)
        assert yuan in fund.text
        targets = http.get("/console/targets")
        assert targets.status_code == 200
        assert f"{every.height:,}" in targets.text or str(every.height) in targets.text
        assert http.get("/console/ledger").status_code == 200


def test_a_new_settlement_moves_the_fund_page_at_once(store, library):
    """Written and read in the same way: settle one more claim, the page's count grows by one."""
    app, factory, seeded, _ = store
    with transaction(factory) as s:
        row = s.execute(
            select(Settlement.psn_no).where(Settlement.status == "settled").limit(1)
        ).scalar_one()
        before = s.scalar(
            select(func.count()).select_from(Settlement).where(Settlement.status == "settled")
        )
    with transaction(factory) as s:
        certno = persons.get_person(s, row).certno
    claim = _claim(row, certno, "AGG-PAGE-1", dt.date(2023, 8, 1), dt.date(2023, 8, 5), "13000.00")
    with transaction(factory) as s:
        ledger.settle(s, library, claim, REVIEWER)
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["管理"]})
        fund = http.get("/console/fund")
    assert f"{before + 1:,}<" in fund.text
