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
from yibao.store.models import Claim, Settlement
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    contributions_frame,
    enrolled_categories,
    held_categories,
    person_years_frame,
    persons_frame,
    revenue_frame,
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
    with transaction(factory) as s:  # what the page reads of the holders: the same persons
        held = held_categories(s, library, SCOPE)
    assert held.to_dicts() == holders.select("psn_no", "categories").to_dicts()
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
    # the roster as the page built it before: a loop over every person and category
    from yibao.web.ledger import _on_roster, roster_of

    want = [
        {"certno": p["certno"], "psn_name": p["psn_name"], "category": c,
         "township": p["township"]}
        for p in every.iter_rows(named=True)
        for c in (p["categories"] or "").split("|")
        if c and _on_roster(c)
    ]  # fmt: skip
    assert roster_of(holders).to_dicts() == want and len(want) > 5


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


def _direct_totals(factory, *where):
    s = Settlement.__table__
    with factory() as session:
        return session.execute(
            select(
                func.count(),
                func.sum(s.c.fund_pay_sumamt).filter(s.c.status == "settled"),
                func.sum(s.c.psn_part_amt).filter(s.c.status == "settled"),
            )
            .select_from(s)
            .join(Claim, Claim.setl_id == s.c.setl_id)
            .where(*where)
        ).one()


def _yuan(fen) -> str:
    fen = int(fen or 0)
    return f"{fen // 100:,}.{fen % 100:02d}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_settlement_query_counts_and_totals_what_matches(store):
    app, factory, seeded, _ = store
    med = Claim.row["med_type"].as_string() == "21"
    march = Settlement.setl_time >= dt.datetime(2023, 3, 1)
    april = Settlement.setl_time < dt.datetime(2023, 5, 1)
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["审核"]})
        every = _text(http.get("/console/settlements?year=2023").text)
        inpatient = _text(http.get("/console/settlements?year=2023&med_type=21").text)
        spring = http.get(
            "/console/settlements?year=2023&date_from=2023-03-01&date_to=2023-04-30&status=settled"
        )
    count, fund, own = _direct_totals(factory, Settlement.year == 2023)
    assert f"共 {count:,} 笔" in every
    assert f"基金支付 {_yuan(fund)} 元" in every and f"个人自付 {_yuan(own)} 元" in every
    count, fund, _ = _direct_totals(factory, Settlement.year == 2023, med)
    assert f"共 {count:,} 笔" in inpatient and f"基金支付 {_yuan(fund)} 元" in inpatient
    count, fund, _ = _direct_totals(
        factory, Settlement.year == 2023, march, april, Settlement.status == "settled"
    )
    assert spring.status_code == 200
    assert f"共 {count:,} 笔（已结算 {count:,} 笔）" in _text(spring.text)
    rows = re.findall(r"<tr><td><a href=\"/console/settlements/([^\"]+)\"", spring.text)
    assert len(rows) == min(30, count)


def test_settlement_query_pages_through_everything_newest_first(store):
    app, factory, seeded, _ = store
    seen = []
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["只读"]})
        for page_no in (1, 2, 3, 4, 5, 6):
            html = http.get(f"/console/settlements?year=2023&page={page_no}").text
            seen += re.findall(r"<tr><td><a href=\"/console/settlements/([^\"]+)\"", html)
    with factory() as session:
        want = session.scalars(
            select(Settlement.setl_id)
            .where(Settlement.year == 2023)
            .order_by(Settlement.setl_time.desc(), Settlement.setl_id.desc())
        ).all()
    assert seen[: len(want)] == list(want)[: len(seen)] and len(seen) >= min(len(want), 60)


def test_settlement_query_by_name_finds_the_persons_claims_reversed_too(store):
    app, _, seeded, _ = store
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["审核"]})
        text = _text(http.get("/console/settlements?year=2023&q=周德福").text)
        one = _text(http.get("/console/settlements?year=2023&q=W-2023-0001").text)
    assert "共 2 笔（已结算 1 笔）" in text  # W-2023-0002 was reversed
    assert "W-2023-0001" in text and "W-2023-0002" in text and "已撤销" in text
    assert "共 1 笔" in one


def test_bad_query_input_is_said_in_chinese_and_kept(store):
    app, _, seeded, _ = store
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["审核"]})
        bad = http.get("/console/settlements?year=2023&date_from=2023-13-01&fixmedins_code=H1")
        backwards = http.get(
            "/console/settlements?year=2023&date_from=2023-05-01&date_to=2023-04-01"
        )
    assert bad.status_code == 422
    assert "开始日期应为日期（YYYY-MM-DD），收到“2023-13-01”" in bad.text
    assert 'value="2023-13-01"' in bad.text and 'value="H1"' in bad.text
    assert backwards.status_code == 422 and "结束日期不能早于开始日期" in backwards.text


def test_person_page_shows_the_years_totals_and_visits(store):
    app, factory, seeded, _ = store
    psn_no = seeded.warned
    s = Settlement.__table__
    with factory() as session:
        count, hifp, hifmi = session.execute(
            select(func.count(), func.sum(s.c.hifp_pay), func.sum(s.c.hifmi_pay)).where(
                s.c.psn_no == psn_no, s.c.status == "settled", s.c.year == 2023
            )
        ).one()
    with TestClient(app) as http:
        http.post("/console/login", data={"token": seeded.tokens["经办"]})
        html = http.get(f"/console/persons/{psn_no}").text
    annual = _text(html[html.index('data-testid="annual"') :].split("</table>")[0])
    assert f"2023（1档） {count} " in annual
    assert _yuan(hifp) in annual and _yuan(hifmi) in annual
    assert hifmi > 0  # the 160,000 元 claim reached 大病
    visits = _text(html[html.index('data-testid="visits"') :].split("</table>")[0])
    assert "W-2023-0001" in visits and "W-2023-0002" in visits and "已撤销" in visits
    limits = _text(html[html.index('data-testid="limits-2023"') :].split("</table>")[0])
    assert "大病保险支付 " + _yuan(hifmi) in limits


def _contributions_by_loop(session, library, scope, persons):
    """The fund page's contributions as computed before (a loop over the persons), kept
    here as the reference the database-and-polars version must equal."""
    from yibao.engine.contribution import quote
    from yibao.store.models import ContributionPayment, Enrollment

    policy = library.resolve(scope.region, scope.year)
    enrolled = dict(
        session.execute(
            select(Enrollment.psn_no, Enrollment.tier).where(Enrollment.year == scope.year)
        ).all()
    )
    paid: dict[str, tuple[int, int]] = {}
    for psn_no, personal, subsidy in session.execute(
        select(
            ContributionPayment.psn_no,
            ContributionPayment.personal_paid,
            ContributionPayment.assistance_subsidy,
        ).where(ContributionPayment.year == scope.year)
    ):
        was = paid.get(psn_no, (0, 0))
        paid[psn_no] = (was[0] + personal, was[1] + subsidy)
    rows = []
    for psn_no, categories in persons.select("psn_no", "categories").iter_rows():
        if psn_no not in enrolled:
            continue
        tier = int(enrolled[psn_no])
        q = quote(policy, [c for c in categories.split("|") if c], str(tier))
        personal, subsidy = paid.get(psn_no, (q.personal_due, q.assistance_subsidy))
        shares = q.fiscal_shares
        rows.append(
            (psn_no, personal, subsidy, q.subsidy_fund or "", shares.central,
             shares.provincial, shares.municipal, shares.county)
        )  # fmt: skip
    return rows


def test_contributions_and_monthly_receipts_equal_the_loop_over_persons(store, library):
    _, factory, _, _ = store
    from yibao.store.models import ContributionPayment
    from yibao.web.store_frames import payments_by_month

    with transaction(factory) as s:
        people = persons_frame(s, library, SCOPE)
        new = contributions_frame(s, library, SCOPE, people)
        old = _contributions_by_loop(s, library, SCOPE, people)
        months = payments_by_month(s, library, SCOPE)
        light = contributions_frame(s, library, SCOPE, enrolled_categories(s, library, SCOPE))
        total_paid = s.scalar(
            select(
                func.sum(ContributionPayment.personal_paid + ContributionPayment.assistance_subsidy)
            ).where(ContributionPayment.year == YEAR)
        )
    assert [tuple(r) for r in new.iter_rows()] == old
    assert light.to_dicts() == new.to_dicts()  # the lighter persons query
    # the fund page's grouped revenue: one row per insured, every sum of the statement equal
    with transaction(factory) as s:
        grouped = revenue_frame(s, library, SCOPE)
        spent = cells_frame(s, library, SCOPE)
    policy = library.resolve(REGION, YEAR)
    assert grouped.height == new.height
    assert (
        fund_statement(spent, grouped, policy, opening_balance=0).to_json()
        == fund_statement(spent, new, policy, opening_balance=0).to_json()
    )
    assert len(old) > 50
    assert sum(months.values()) == total_paid > 0


def test_enrollment_counts_equal_the_loop_over_every_person(store, library):
    """The 参保率 counts (目标) from the holders only equal the former loop over every person."""
    from yibao.engine.targets import EnrollmentCount
    from yibao.store.models import Enrollment
    from yibao.web.targets import _groups

    _, factory, _, _ = store
    with transaction(factory) as s:
        people = persons_frame(s, library, SCOPE)
        holders = persons_frame(s, library, SCOPE, holders_only=True)
        counts = _enrollment_counts(s, SCOPE, holders)
        enrolled = set(
            s.scalars(
                select(Enrollment.psn_no).where(
                    Enrollment.year == YEAR, Enrollment.status == "enrolled"
                )
            ).all()
        )
    tallies = {"low_income_enrollment_rate": [0, 0], "eight_categories_enrollment_rate": [0, 0]}
    for psn_no, categories in people.select("psn_no", "categories").iter_rows():
        flags = [_groups(c) for c in (categories or "").split("|") if c]
        for key, hit in (
            ("low_income_enrollment_rate", any(f[0] for f in flags)),
            ("eight_categories_enrollment_rate", any(f[1] for f in flags)),
        ):
            if hit:
                tallies[key][0] += 1
                tallies[key][1] += psn_no in enrolled
    want = {k: EnrollmentCount(eligible=e, insured=i) for k, (e, i) in tallies.items() if e}
    assert counts == want
    assert want["low_income_enrollment_rate"].eligible > want["low_income_enrollment_rate"].insured


def test_a_person_of_another_region_stays_out_of_the_scope(store, library):
    """With a 池州 person (category, enrollment, payment) in the store the scoped queries take
    their join path; the 彭水 figures still equal the per-person ones, the 池州 person in none."""
    from yibao.idcard import make_id
    from yibao.store.models import ContributionPayment
    from yibao.web.store_frames import payments_by_month

    _, factory, _, _ = store
    with transaction(factory) as s:
        before = payments_by_month(s, library, SCOPE)
        certno = make_id("341702", dt.date(1960, 5, 5), 77)
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno, psn_name="池州人", insuplc_admdvs="341700", psn_no="CZ0000000001",
                categories=(persons.CategorySpan("特困人员", dt.date(2023, 1, 1)),),
            ),
        )  # fmt: skip
        persons.enroll(
            s,
            persons.EnrollmentSpec(
                psn_no="CZ0000000001", year=YEAR, enrolled_on=dt.date(2022, 11, 1),
                insuplc_admdvs="341700", coverage_begin=dt.date(2023, 1, 1),
                coverage_end=dt.date(2023, 12, 31), coverage_rule="集中参保期内缴费",
            ),
        )  # fmt: skip
        s.add(
            ContributionPayment(
                payment_id="CZ-PAY-1", psn_no="CZ0000000001", year=YEAR, personal_paid=38000,
                assistance_subsidy=0, paid_on=dt.date(2023, 3, 3),
            )
        )  # fmt: skip
    with transaction(factory) as s:
        people = persons_frame(s, library, SCOPE)
        per_person = contributions_frame(s, library, SCOPE, people)
        grouped = revenue_frame(s, library, SCOPE)
        held = held_categories(s, library, SCOPE)
        holders = persons_frame(s, library, SCOPE, holders_only=True)
        after = payments_by_month(s, library, SCOPE)
        spent = cells_frame(s, library, SCOPE)
    policy = library.resolve(REGION, YEAR)
    assert "CZ0000000001" not in set(people["psn_no"]) | set(held["psn_no"])
    assert grouped.height == per_person.height
    assert (
        fund_statement(spent, grouped, policy).to_json()
        == fund_statement(spent, per_person, policy).to_json()
    )
    assert held.to_dicts() == holders.select("psn_no", "categories").to_dicts()
    assert after == before
