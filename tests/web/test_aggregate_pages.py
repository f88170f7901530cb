"""基金, 目标 and 台账 read the stored aggregates; after settlements AND reversals their figures
equal those recomputed from every settlement (the engine's functions on the settlements frame,
as the pages computed them before), to the fen and the claim; and the register's figures
(revenue, monthly receipts, 参保率, the 应保尽保 ledger and its list) equal those computed the
old way, person by person, before and after enrolments, payments, refunds and categories."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.seed import REGION, YEAR, _claim, seed
from yibao.api.app import create_app
from yibao.engine.fund import SUMMED as FUND_SUMMED
from yibao.engine.fund import fund_statement
from yibao.store import ledger, persons, session_factory, transaction
from yibao.store.audit import Actor
from yibao.store.models import Claim, Settlement
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    payments_by_month,
    register_codes,
    revenue_frame,
    settlements_frame,
)
from yibao.web.targets import report_of

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
        paid = _contributions_by_loop(s, library, SCOPE, _persons(s, library, SCOPE))
        every = settlements_frame(s, library, SCOPE)
        cells = cells_frame(s, library, SCOPE)
        revenue = revenue_frame(s, library, SCOPE, register_codes(s, library, SCOPE))
    old = fund_statement(every, paid, policy, opening_balance=0)
    new = fund_statement(cells, revenue, policy, opening_balance=0)
    assert new.to_json() == old.to_json()
    # what the page reads: by month × 医疗类别, only the sums the statement and chart use
    with transaction(factory) as s:
        page_cells = cells_frame(s, library, SCOPE, ("month", "med_type"), FUND_SUMMED)
    assert fund_statement(page_cells, revenue, policy).to_json() == (
        fund_statement(every, paid, policy).to_json()
    )
    assert int(cells["claims"].sum()) == every.height
    assert old.expenditure > 0 and old.expenditure_by_layer["hifmi_pay"] >= 0
    assert revenue.height == paid.height > 50  # one row per insured person
    # by month (the page's chart): the same sums
    months_old = every.group_by("month").agg(pl.col("hifp_pay").sum()).sort("month")
    months_new = cells.group_by("month").agg(pl.col("hifp_pay").sum()).sort("month")
    assert months_new.to_dicts() == months_old.to_dicts()


def test_targets_from_the_aggregates_equal_the_ones_from_every_settlement(store, library):
    _, factory, _, _ = store
    with transaction(factory) as s:
        old = _targets_by_loop(s, library, SCOPE)
        new = report_of(s, library, SCOPE)
    assert new.to_json() == old.to_json()
    measured = [r for r in old.rows if r.denominator]
    assert len(measured) >= 3  # 住院, 县域 二级/一级, 大病 … measured, not all "无数据"
    critical = next(r for r in new.rows if r.key == "critical_illness.policy_ratio_target")
    assert critical.numerator and critical.denominator  # 大病 paid, and above the deductibles


def test_ledger_from_the_aggregates_equals_the_one_from_every_person(store, library, monkeypatch):
    """The rates, targets and the whole 未参保人员名单 (paged three to a page here) equal the
    ledger built from every person's categories and enrollments, also for one 乡镇."""
    from yibao.web import ledger as ledger_page

    _, factory, _, _ = store
    with transaction(factory) as s:
        old = _ledger_by_loop(s, library, SCOPE)
    assert old.uninsured.height >= 2 and len(old.rates) > 5
    _assert_ledger_equals(factory, library, old, monkeypatch)
    township = old.uninsured["township"][0]
    monkeypatch.setattr(ledger_page, "LIST_PAGE", 1)
    with transaction(factory) as s:
        one = ledger_page.ledger_view(s, library, SCOPE, township, page_no=1)
    want = old.uninsured.filter(pl.col("township") == township)
    assert one.uninsured_total == want.height and one.pages == want.height
    assert _listed(one.uninsured[:1]) == want.to_dicts()[:1]


def _assert_ledger_equals(factory, library, old, monkeypatch, page_size: int = 3) -> None:
    from yibao.web import ledger as ledger_page

    monkeypatch.setattr(ledger_page, "LIST_PAGE", page_size)
    with transaction(factory) as s:
        view = ledger_page.ledger_view(s, library, SCOPE)
        listed = list(view.uninsured)
        for page_no in range(2, view.pages + 1):
            listed += ledger_page.ledger_view(s, library, SCOPE, page_no=page_no).uninsured
        past = ledger_page.ledger_view(s, library, SCOPE, page_no=view.pages + 5)
    assert view.rows == old.rates.to_dicts()
    assert view.targets == old.targets
    assert (
        view.roster_size
        == old.rates.filter((pl.col("township") == "") & (pl.col("category") == ""))[
            "roster"
        ].item()
    )
    assert view.uninsured_total == old.uninsured.height
    assert view.pages == max(1, -(-old.uninsured.height // page_size))
    assert _listed(listed) == old.uninsured.to_dicts()
    assert past.page_no == view.pages  # a stale link past the end: the last page


def _listed(rows):
    return [{k: r[k] for k in ("township", "category", "certno", "psn_name")} for r in rows]


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


def _persons(session, library, scope):
    """Every person of the scope, one by one (ORM): psn_no, certno, psn_name, township and
    the categories valid in the year ("|", by begin date then id, each once), as the pages
    read them before the register's aggregates."""
    from sqlalchemy.orm import selectinload

    from yibao.store.enrollment_aggregate_models import UNKNOWN_TOWNSHIP
    from yibao.store.models import Household, Person

    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    rows = []
    people = session.scalars(
        select(Person).options(selectinload(Person.categories)).order_by(Person.psn_no)
    )
    for p in people:
        try:
            if library.policy_region(p.insuplc_admdvs).code != scope.region:
                continue
        except ValueError:
            continue
        held = [
            c.category
            for c in sorted(p.categories, key=lambda c: (c.begin_date, c.id))
            if c.begin_date <= last and (c.end_date is None or c.end_date >= first)
        ]
        household = session.get(Household, p.hh_id) if p.hh_id else None
        township = ((household.addr if household else "") or "").strip() or UNKNOWN_TOWNSHIP
        rows.append((p.psn_no, p.certno, p.psn_name, township, "|".join(dict.fromkeys(held))))
    schema = {"psn_no": pl.String, "certno": pl.String, "psn_name": pl.String,
              "township": pl.String, "categories": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _contributions_by_loop(session, library, scope, persons):
    """The fund page's contributions as computed before (a loop over the persons, one row
    each: what the person paid, else the quote), the reference the aggregates must equal."""
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
    schema = {"psn_no": pl.String, "personal_paid": pl.Int64, "subsidy": pl.Int64,
              "subsidy_fund": pl.String, "fiscal_central": pl.Int64,
              "fiscal_provincial": pl.Int64, "fiscal_municipal": pl.Int64,
              "fiscal_county": pl.Int64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _receipts_by_loop(session, library, scope, persons) -> dict[int, int]:
    """个人缴费 + 资助参保 by the month paid (0: outside the year), record by record."""
    from yibao.store.models import ContributionPayment

    mine = set(persons["psn_no"])
    out: dict[int, int] = {}
    for record in session.scalars(
        select(ContributionPayment).where(ContributionPayment.year == scope.year)
    ):
        if record.psn_no in mine:
            month = record.paid_on.month if record.paid_on.year == scope.year else 0
            out[month] = out.get(month, 0) + record.personal_paid + record.assistance_subsidy
    return {m: v for m, v in out.items() if v}


def _counts_by_loop(session, scope, persons):
    """The 参保率 counts person by person: holders of a low-income / 八类 category, and those
    enrolled (status enrolled) in the year."""
    from yibao.engine.targets import EnrollmentCount
    from yibao.store.models import Enrollment
    from yibao.web.targets import _groups

    enrolled = set(
        session.scalars(
            select(Enrollment.psn_no).where(
                Enrollment.year == scope.year, Enrollment.status == "enrolled"
            )
        ).all()
    )
    tallies = {"low_income_enrollment_rate": [0, 0], "eight_categories_enrollment_rate": [0, 0]}
    for psn_no, categories in persons.select("psn_no", "categories").iter_rows():
        flags = [_groups(c) for c in (categories or "").split("|") if c]
        for key, hit in (
            ("low_income_enrollment_rate", any(f[0] for f in flags)),
            ("eight_categories_enrollment_rate", any(f[1] for f in flags)),
        ):
            if hit:
                tallies[key][0] += 1
                tallies[key][1] += psn_no in enrolled
    return {k: EnrollmentCount(eligible=e, insured=i) for k, (e, i) in tallies.items() if e}


def _targets_by_loop(session, library, scope):
    """目标 as computed before: every settlement with the categories its person holds in the
    year, and the counts person by person."""
    from yibao.engine.targets import targets_report

    people = _persons(session, library, scope)
    every = settlements_frame(session, library, scope)
    settled = every.join(people.select("psn_no", "categories"), on="psn_no", how="left")
    policy = library.resolve(scope.region, scope.year)
    return targets_report(
        policy,
        settled.with_columns(pl.col("categories").fill_null("")),
        _counts_by_loop(session, scope, people),
    )


def _ledger_by_loop(session, library, scope):
    """The 台账 as built before: one roster row per person and roster category, the holders'
    enrollments of the year (status enrolled, any 参保地), yibao.enrollment.ledger."""
    from yibao.enrollment.ledger import build_ledger
    from yibao.enrollment.records import ENROLLMENT_SCHEMA, ROSTER_SCHEMA
    from yibao.store.models import Enrollment, Person
    from yibao.web.ledger import on_roster

    people = _persons(session, library, scope)
    roster = pl.DataFrame(
        [
            (p["certno"], p["psn_name"], c, p["township"])
            for p in people.iter_rows(named=True)
            for c in p["categories"].split("|")
            if c and on_roster(c)
        ],
        schema=ROSTER_SCHEMA,
        orient="row",
    )
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    enrolled = session.execute(
        select(Person.certno, Enrollment.insuplc_admdvs)
        .join(Person, Person.psn_no == Enrollment.psn_no)
        .where(Enrollment.year == scope.year, Enrollment.status == "enrolled")
    ).all()
    enrollments = pl.DataFrame(
        [(certno, "390", admdvs, first, last) for certno, admdvs in enrolled],
        schema=ENROLLMENT_SCHEMA,
        orient="row",
    )
    return build_ledger(roster, enrollments, library.resolve(scope.region, scope.year))


def _assert_register_figures(factory, library, monkeypatch) -> None:
    """Every register figure of the three pages equals its per-person computation."""
    policy = library.resolve(REGION, YEAR)
    with transaction(factory) as s:
        people = _persons(s, library, SCOPE)
        paid = _contributions_by_loop(s, library, SCOPE, people)
        receipts = _receipts_by_loop(s, library, SCOPE, people)
        cells = cells_frame(s, library, SCOPE)
        codes = register_codes(s, library, SCOPE)
        revenue = revenue_frame(s, library, SCOPE, codes)
        months = payments_by_month(s, SCOPE, codes)
        targets_old = _targets_by_loop(s, library, SCOPE)
        targets_new = report_of(s, library, SCOPE)
        ledger_old = _ledger_by_loop(s, library, SCOPE)
    assert (
        fund_statement(cells, revenue, policy).to_json()
        == fund_statement(cells, paid, policy).to_json()
    )
    assert months == receipts
    assert targets_new.to_json() == targets_old.to_json()
    _assert_ledger_equals(factory, library, ledger_old, monkeypatch)


def test_contributions_and_monthly_receipts_equal_the_loop_over_persons(store, library):
    _, factory, _, _ = store
    from yibao.store.models import ContributionPayment

    with transaction(factory) as s:
        people = _persons(s, library, SCOPE)
        old = _contributions_by_loop(s, library, SCOPE, people)
        receipts = _receipts_by_loop(s, library, SCOPE, people)
        codes = register_codes(s, library, SCOPE)
        grouped = revenue_frame(s, library, SCOPE, codes)
        months = payments_by_month(s, SCOPE, codes)
        spent = cells_frame(s, library, SCOPE)
        total_paid = s.scalar(
            select(
                func.sum(ContributionPayment.personal_paid + ContributionPayment.assistance_subsidy)
            ).where(ContributionPayment.year == YEAR)
        )
    policy = library.resolve(REGION, YEAR)
    assert grouped.height == old.height > 50
    assert (
        fund_statement(spent, grouped, policy, opening_balance=0).to_json()
        == fund_statement(spent, old, policy, opening_balance=0).to_json()
    )
    assert months == receipts and sum(months.values()) == total_paid > 0


def test_enrollment_counts_equal_the_loop_over_every_person(store, library):
    """The 参保率 counts (目标) from the register's groups equal the loop over every person."""
    from yibao.store import enrollment_aggregates
    from yibao.web.targets import enrollment_counts

    _, factory, _, _ = store
    with transaction(factory) as s:
        want = _counts_by_loop(s, SCOPE, _persons(s, library, SCOPE))
        codes = register_codes(s, library, SCOPE)
        groups = enrollment_aggregates.group_sums(
            s.connection(), codes, YEAR, ("categories", "status")
        )
    assert enrollment_counts(groups) == want
    assert want["low_income_enrollment_rate"].eligible > want["low_income_enrollment_rate"].insured


def test_writes_through_the_services_keep_the_pages_figures(store, library, monkeypatch):
    """An enrolment with its 缴费 of an uninsured roster person, a 退费, a 冲正 and its new
    缴费, and a category added: after each, every register figure of 基金, 台账 and 目标 still
    equals the per-person computation (the aggregates moved with the write)."""
    from yibao.services import enrollment as enrolling
    from yibao.services import payments as paying
    from yibao.store import enrollment_aggregates
    from yibao.store.models import Enrollment

    _, factory, seeded, _ = store
    clerk = Actor("clerk", "经办")
    _assert_register_figures(factory, library, monkeypatch)
    with transaction(factory) as s:
        before = report_of(s, library, SCOPE)
        enrolling.enroll(
            s,
            library,
            enrolling.EnrollmentRequest(
                psn_no=seeded.to_enroll, year=YEAR, enrolled_on=dt.date(2023, 3, 1)
            ),
            clerk,
        )
    _assert_register_figures(factory, library, monkeypatch)
    with transaction(factory) as s:
        after = report_of(s, library, SCOPE)
    rate = "targets.low_income_enrollment_rate"
    was = next(r for r in before.rows if r.key == rate)
    now = next(r for r in after.rows if r.key == rate)
    assert (now.numerator, now.denominator) == (was.numerator + 1, was.denominator)
    with transaction(factory) as s:
        payer = s.scalars(
            select(Enrollment.psn_no).where(Enrollment.year == YEAR).order_by(Enrollment.psn_no)
        ).first()
        record = paying.payments_of(s, payer, YEAR)[0]
        paying.record_payment(
            s, library,
            paying.PaymentRequest(psn_no=payer, year=YEAR, payment_id="AGG-REFUND-1",
                                  paid_on=dt.date(2023, 6, 1), kind="退费",
                                  personal_paid=1000, reason="测试：多缴"),
            clerk,
        )  # fmt: skip
    _assert_register_figures(factory, library, monkeypatch)
    with transaction(factory) as s:
        paying.record_payment(
            s, library,
            paying.PaymentRequest(psn_no=payer, year=YEAR, payment_id="AGG-REVERSE-1",
                                  paid_on=dt.date(2023, 6, 2), kind="冲正",
                                  refers_to=record.payment_id, reason="测试：票据号错误"),
            clerk,
        )  # fmt: skip
    _assert_register_figures(factory, library, monkeypatch)
    with transaction(factory) as s:
        persons.add_category(
            s, payer, persons.CategorySpan("特困人员", dt.date(2023, 7, 1), dt.date(2023, 12, 31))
        )
    _assert_register_figures(factory, library, monkeypatch)
    with factory() as s:
        assert enrollment_aggregates.check(s.connection()).ok


def test_a_person_of_another_region_stays_out_of_the_scope(store, library, monkeypatch):
    """With a 池州 person (category, enrollment, payment) in the store the 彭水 figures still
    equal the per-person ones, the 池州 person in none of them; 池州's own year is built on its
    first page and holds the person."""
    from yibao.idcard import make_id
    from yibao.store import enrollment_aggregates
    from yibao.store.models import ContributionPayment

    _, factory, _, _ = store
    with transaction(factory) as s:
        before = payments_by_month(s, SCOPE, register_codes(s, library, SCOPE))
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
        people = _persons(s, library, SCOPE)
        after = payments_by_month(s, SCOPE, register_codes(s, library, SCOPE))
        chizhou = Scope("341700", YEAR)
        codes = register_codes(s, library, chizhou)
        theirs = revenue_frame(s, library, chizhou, codes)
        months = payments_by_month(s, chizhou, codes)
    assert "CZ0000000001" not in set(people["psn_no"])
    assert after == before
    _assert_register_figures(factory, library, monkeypatch)
    assert codes == ["341700"] and theirs.height == 1 and months == {3: 38000}
    with factory() as s:
        assert enrollment_aggregates.check(s.connection()).ok
