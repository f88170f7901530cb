"""The stored fund history (issue 16): record a region-year's opening balance or 决算 figures,
read the region's years, and the opening balance a year starts from."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from yibao.services import fund_history
from yibao.store import transaction
from yibao.store.audit import Actor
from yibao.store.fund_models import FundYear
from yibao.store.models import AuditEntry

ADMIN = Actor("fund-admin", "管理")
_codes = itertools.count(1)


@pytest.fixture
def region():
    """A region code of its own per test (the store is shared by the session)."""
    return f"9{next(_codes):05d}"


def test_opening_balance_of_a_year_is_its_own_else_the_previous_closing(factory, region):
    with transaction(factory) as s:
        assert fund_history.opening_for(s, region, 2023) is None
        fund_history.record_year(
            s, ADMIN, region, 2022, opening_balance=100_00, revenue=1_000_00,
            expenditure=900_00, closing_balance=200_00, source="final", note="2022年决算",
        )  # fmt: skip
    with transaction(factory) as s:
        opening = fund_history.opening_for(s, region, 2023)
        assert opening is not None
        assert (opening.amount, opening.source, opening.from_year) == (200_00, "final", 2022)
        assert "2022年累计结存" in opening.describe() and "决算" in opening.describe()
        fund_history.record_year(s, ADMIN, region, 2023, opening_balance=250_00)
    with transaction(factory) as s:
        opening = fund_history.opening_for(s, region, 2023)
        assert opening is not None and opening.amount == 250_00 and opening.from_year == 2023
        years = fund_history.history(s, region)
        assert [y.year for y in years] == [2023, 2022]
        assert years[0].recorded_by == "fund-admin" and years[0].recorded_at is not None


def test_a_figure_not_given_keeps_its_stored_value(factory, region):
    with transaction(factory) as s:
        fund_history.record_year(s, ADMIN, region, 2023, opening_balance=5_00)
        fund_history.record_year(s, ADMIN, region, 2023, revenue=7_00, note="补录收入")
    with transaction(factory) as s:
        row = s.get(FundYear, (region, 2023))
        assert (row.opening_balance, row.revenue, row.expenditure) == (5_00, 7_00, None)
        assert row.note == "补录收入"


def test_a_closing_balance_that_does_not_add_up_is_refused_in_chinese(factory, region):
    refused = pytest.raises(fund_history.FundHistoryError, match="closing_balance: 累计结存应等于")
    with refused, transaction(factory) as s:
        fund_history.record_year(
            s, ADMIN, region, 2022, opening_balance=1_00, revenue=10_00,
            expenditure=5_00, closing_balance=7_00,
        )  # fmt: skip
    with transaction(factory) as s:
        assert s.get(FundYear, (region, 2022)) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "12345", "opening_balance": 1}, "region: 统筹区代码应为6位数字"),
        ({"year": 1999, "opening_balance": 1}, "year: 年度应在2000–2100之间"),
        ({"source": "guess", "opening_balance": 1}, "source: 来源应为"),
        ({"revenue": -1}, "revenue: 基金收入不能为负数"),
        ({}, "opening_balance: 至少填写"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(factory, region, kwargs, message):
    args = {"region": region, "year": 2023, **kwargs}
    with pytest.raises(fund_history.FundHistoryError, match=message), transaction(factory) as s:
        fund_history.record_year(s, ADMIN, args.pop("region"), args.pop("year"), **args)


def test_every_write_is_in_the_audit_log_with_before_and_after(factory, region):
    with transaction(factory) as s:
        fund_history.record_year(s, ADMIN, region, 2023, opening_balance=1_00)
        fund_history.record_year(s, ADMIN, region, 2023, opening_balance=2_00)
    with transaction(factory) as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "fund_year", AuditEntry.entity_id == f"{region}/2023")
            .order_by(AuditEntry.id)
        ).all()
    assert [e.before and e.before["opening_balance"] for e in entries] == [None, 1_00]
    assert [e.after["opening_balance"] for e in entries] == [1_00, 2_00]
    assert entries[0].actor == "fund-admin" and entries[0].role == "管理"
