"""The register's aggregates (基金 revenue, 台账, 目标 参保率) move with every write that changes
them — an enrolment with its 缴费, a 退费, a 冲正, a category — in the write's transaction, on
SQLite and PostgreSQL; they always equal their recomputation from the base tables; the check
(``yibao db check``) finds a wrong row and the rebuild mends it."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import threading

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.store.databases import database
from yibao.idcard import make_id
from yibao.services import enrollment, payments
from yibao.store import (
    enrollment_aggregates,
    make_engine,
    persons,
    session_factory,
    transaction,
    upgrade,
)
from yibao.store.audit import Actor
from yibao.store.enrollment_aggregate_models import (
    UNKNOWN_TOWNSHIP,
    AggEnrollmentGroup,
    AggEnrollmentPerson,
    AggPaymentMonth,
    EnrollmentHolding,
)
from yibao.store.models import Household

CLERK = Actor("clerk", "经办")
REGION, YEAR = "421200", 2023
_seq = itertools.count(1)


def _person(factory, township: str, categories=(), addr: str | None = None) -> str:
    """A 咸宁 person in a household of ``township`` (``addr`` as stored, when given)."""
    n = next(_seq)
    certno = make_id("422322", dt.date(1994, 1, 1) + dt.timedelta(days=n), n % 1000)
    psn_no, hh_id = f"EA{n:06d}", f"HH-EA-{n}"
    with transaction(factory) as s:
        s.add(Household(hh_id=hh_id, admdvs="421202", addr=township if addr is None else addr))
        s.flush()
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno,
                psn_name="李四",
                insuplc_admdvs=REGION,
                psn_no=psn_no,
                hh_id=hh_id,
                categories=tuple(persons.CategorySpan(c, b, e) for c, b, e in categories),
            ),
        )
    return psn_no


def _enroll(factory, library, psn_no: str, paid_on: dt.date) -> enrollment.Enrolled:
    """参保登记 with its 缴费 (the quote's amounts) through the service, in its own transaction."""
    with transaction(factory) as s:
        return enrollment.enroll(
            s,
            library,
            enrollment.EnrollmentRequest(psn_no=psn_no, year=YEAR, enrolled_on=paid_on),
            CLERK,
        )


def _built(engine, year: int = YEAR) -> None:
    with engine.begin() as conn:
        enrollment_aggregates.ensure(conn, [REGION], year)


def _groups(engine, township: str, year: int = YEAR) -> dict[tuple, tuple]:
    """The township's groups: (categories, tier, status) → (persons, paying, payments,
    personal_paid, assistance_subsidy)."""
    t = AggEnrollmentGroup.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.categories, t.c.tier, t.c.status, t.c.persons, t.c.paying, t.c.payments,
                   t.c.personal_paid, t.c.assistance_subsidy)
            .where(t.c.township == township, t.c.year == year, t.c.persons != 0)
        ).all()  # fmt: skip
    return {tuple(r[:3]): tuple(int(v) for v in r[3:]) for r in rows}


def _holdings(engine, psn_no: str, year: int = YEAR) -> dict[str, bool]:
    t = EnrollmentHolding.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.category, t.c.insured).where(t.c.psn_no == psn_no, t.c.year == year)
        ).all()
    return {c: bool(i) for c, i in rows}


def _month(engine, month: int) -> tuple[int, int, int]:
    t = AggPaymentMonth.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(t.c.payments, t.c.personal_paid, t.c.assistance_subsidy).where(
                t.c.insuplc_admdvs == REGION, t.c.year == YEAR, t.c.month == month
            )
        ).one_or_none()
    return (0, 0, 0) if row is None else tuple(int(v) for v in row)  # type: ignore[return-value]


def _check_ok(engine) -> None:
    with engine.connect() as conn:
        result = enrollment_aggregates.check(conn)
    assert result.ok, result.summary()


def test_whitespace_is_what_str_strip_removes():
    every = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert every == enrollment_aggregates.WHITESPACE


def test_an_enrolment_a_refund_a_reversal_and_a_category_each_move_the_aggregates(
    engine, factory, library
):
    _built(engine)
    town = f"聚合镇{next(_seq)}"
    psn_no = _person(factory, town, [("低保对象", dt.date(2022, 1, 1), None)])
    # On the roster, not insured: one person in the (低保对象, not enrolled) group.
    assert _groups(engine, town) == {("低保对象", 0, ""): (1, 0, 0, 0, 0)}
    assert _holdings(engine, psn_no) == {"低保对象": False}
    before_march = _month(engine, 3)
    done = _enroll(factory, library, psn_no, dt.date(2023, 3, 2))
    paid, subsidy = done.payment.personal_paid, done.payment.assistance_subsidy
    assert subsidy > 0  # 咸宁 2023 资助 of a 低保对象
    assert _groups(engine, town) == {("低保对象", 1, "enrolled"): (1, 1, 1, paid, subsidy)}
    assert _holdings(engine, psn_no) == {"低保对象": True}
    march = _month(engine, 3)
    assert march == (before_march[0] + 1, before_march[1] + paid, before_march[2] + subsidy)
    _check_ok(engine)

    with transaction(factory) as s:  # 退费 of 10 元 personal
        payments.record_payment(
            s, library,
            payments.PaymentRequest(psn_no=psn_no, year=YEAR, payment_id=f"{psn_no}-TF",
                                    paid_on=dt.date(2023, 4, 5), kind="退费",
                                    personal_paid=1000, reason="测试：多缴"),
            CLERK,
        )  # fmt: skip
    group = ("低保对象", 1, "enrolled")
    assert _groups(engine, town) == {group: (1, 1, 2, paid - 1000, subsidy)}
    _check_ok(engine)

    with transaction(factory) as s:  # 冲正 of the 缴费: net nothing paid, yet recorded
        payments.record_payment(
            s, library,
            payments.PaymentRequest(psn_no=psn_no, year=YEAR, payment_id=f"{psn_no}-CZ",
                                    paid_on=dt.date(2023, 4, 6), kind="冲正",
                                    refers_to=done.payment.payment_id, reason="测试：录入错误"),
            CLERK,
        )  # fmt: skip
    assert _groups(engine, town) == {group: (1, 1, 3, -1000, 0)}
    _check_ok(engine)

    with transaction(factory) as s:  # the API's category path (store.persons.add_category)
        persons.add_category(
            s, psn_no, persons.CategorySpan("特困人员", dt.date(2023, 6, 1), dt.date(2023, 12, 31))
        )
    assert _groups(engine, town) == {("低保对象|特困人员", 1, "enrolled"): (1, 1, 3, -1000, 0)}
    assert _holdings(engine, psn_no) == {"低保对象": True, "特困人员": True}
    _check_ok(engine)


def test_categories_are_ordered_by_begin_date_held_once_and_only_in_their_years(engine, factory):
    _built(engine)
    town = f"顺序镇{next(_seq)}"
    psn_no = _person(
        factory,
        town,
        [
            ("特困人员", dt.date(2023, 5, 1), None),
            ("低保对象", dt.date(2021, 1, 1), dt.date(2023, 2, 1)),
            ("特困人员", dt.date(2020, 1, 1), dt.date(2020, 12, 31)),  # another year only
            ("低保对象", dt.date(2023, 9, 1), None),  # the same category again
        ],
    )
    with engine.connect() as conn:
        row = enrollment_aggregates.compute(conn, psn_no, YEAR)
    assert row is not None and row.categories == "低保对象|特困人员"
    assert _groups(engine, town) == {("低保对象|特困人员", 0, ""): (1, 0, 0, 0, 0)}
    with engine.begin() as conn:  # the set-based build gives the same string
        enrollment_aggregates.rebuild(conn, REGION, YEAR)
    assert _groups(engine, town) == {("低保对象|特困人员", 0, ""): (1, 0, 0, 0, 0)}
    _check_ok(engine)


def test_the_township_is_the_address_stripped_as_python_strips_it(engine, factory):
    _built(engine)
    town = f"空白镇{next(_seq)}"
    spaced = _person(factory, town, [("低保对象", dt.date(2022, 1, 1), None)],
                     addr=f"\u3000 {town}\t\n")  # fmt: skip
    empty = _person(factory, town, [("特困人员", dt.date(2022, 1, 1), None)], addr=" \u3000")
    with engine.begin() as conn:
        enrollment_aggregates.rebuild(conn, REGION, YEAR)
    assert _groups(engine, town) == {("低保对象", 0, ""): (1, 0, 0, 0, 0)}
    assert ("特困人员", 0, "") in _groups(engine, UNKNOWN_TOWNSHIP)
    with engine.connect() as conn:
        assert enrollment_aggregates.compute(conn, spaced, YEAR).township == town
        assert enrollment_aggregates.compute(conn, empty, YEAR).township == UNKNOWN_TOWNSHIP
    _check_ok(engine)


def test_a_year_nobody_wrote_is_built_on_its_first_page_then_kept(engine, factory, library):
    """2024: a 特困 holder with no enrollment is on the roster once the year is built (by the
    page that asks); the enrolment written after moves it."""
    town = f"新年镇{next(_seq)}"
    psn_no = _person(factory, town, [("特困人员", dt.date(2022, 1, 1), None)])
    year = 2024
    with engine.begin() as conn:
        enrollment_aggregates.ensure(conn, [REGION], year)
        assert enrollment_aggregates.ensure(conn, [REGION], year) == []  # built once
    assert _groups(engine, town, year) == {("特困人员", 0, ""): (1, 0, 0, 0, 0)}
    with transaction(factory) as s:
        persons.enroll(
            s,
            persons.EnrollmentSpec(psn_no=psn_no, year=year, enrolled_on=dt.date(2023, 11, 1),
                                   coverage_begin=dt.date(2024, 1, 1),
                                   coverage_end=dt.date(2024, 12, 31)),
        )  # fmt: skip
    assert _groups(engine, town, year) == {("特困人员", 1, "enrolled"): (1, 0, 0, 0, 0)}
    assert _holdings(engine, psn_no, year) == {"特困人员": True}
    _check_ok(engine)


def test_the_check_reports_a_wrong_row_and_the_rebuild_mends_it(engine, factory, library, db_url):
    from yibao.cli.main import app
    from yibao.store import backup

    _built(engine)
    town = f"校验镇{next(_seq)}"
    psn_no = _person(factory, town, [("低保对象", dt.date(2022, 1, 1), None)])
    _enroll(factory, library, psn_no, dt.date(2022, 11, 8))
    groups = AggEnrollmentGroup.__table__
    with engine.begin() as conn:  # a group and a person-year made wrong behind the code's back
        conn.execute(
            update(groups)
            .where(groups.c.township == town, groups.c.year == YEAR, groups.c.status != "")
            .values(persons=groups.c.persons + 1)
        )
        people = AggEnrollmentPerson.__table__
        conn.execute(
            update(people).where(people.c.psn_no == psn_no, people.c.year == YEAR).values(tier=2)
        )
    with engine.connect() as conn:
        found = enrollment_aggregates.check(conn)
    assert not found.ok and found.mismatch_count == 2
    tables = {m["table"]: m for m in found.mismatches}
    assert tables["agg_enrollment_person"]["fields"] == {"tier": {"stored": 2, "register": 1}}
    assert tables["agg_enrollment_groups"]["fields"]["persons"] == {"stored": 2, "register": 1}
    assert "register aggregates FAILED: 2 rows differ" in found.summary()
    # yibao db check reports it (with the settlement aggregates), and fails.
    store = backup.check(db_url)
    assert not store.ok and store.aggregates is not None and store.aggregates.register is not None
    assert store.aggregates.register.mismatch_count == 2
    assert store.to_json()["aggregates"]["register"]["ok"] is False
    cli = CliRunner().invoke(app, ["db", "check", "--db", db_url, "--json"])
    assert cli.exit_code == 1 and '"mismatch_count": 2' in cli.stdout
    repaired = CliRunner().invoke(app, ["db", "check", "--db", db_url, "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "register aggregates ok" in repaired.stdout
    assert _groups(engine, town) == {("低保对象", 1, "enrolled"): (1, 1, 1, *_paid(engine, psn_no))}


def _paid(engine, psn_no: str) -> tuple[int, int]:
    t = AggEnrollmentPerson.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(t.c.personal_paid, t.c.assistance_subsidy).where(
                t.c.psn_no == psn_no, t.c.year == YEAR
            )
        ).one()
    return int(row[0]), int(row[1])


def test_concurrent_payments_of_one_person_all_count(engine, factory, library):
    """Four 补缴 of one person-year in four transactions at once (PostgreSQL: in parallel,
    serialised by the person's row; SQLite: one after the other): every one is in the sums."""
    _built(engine)
    town = f"并发镇{next(_seq)}"
    psn_no = _person(factory, town)
    done = _enroll(factory, library, psn_no, dt.date(2022, 11, 8))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def pay(i: int) -> None:
        try:
            start.wait()
            with transaction(factory) as s:
                payments.record_payment(
                    s, library,
                    payments.PaymentRequest(psn_no=psn_no, year=YEAR, payment_id=f"{psn_no}-BJ{i}",
                                            paid_on=dt.date(2023, 2, 1), kind="补缴",
                                            personal_paid=100 * (i + 1), reason="测试：补缴"),
                    CLERK,
                )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    personal = done.payment.personal_paid + 100 + 200 + 300 + 400
    assert _groups(engine, town) == {("", 1, "enrolled"): (1, 1, 5, personal, 0)}
    _check_ok(engine)


def test_the_pages_reads_run_on_both_databases(engine, factory, library):
    """基金, 台账 and 目标 read the aggregates with the same queries on SQLite and PostgreSQL
    (the store's 参保地 by a loose index scan, groups, months, the paged list, the 大病 sums):
    a 特困 holder not enrolled is listed, an enrolled 低保 holder counted as insured."""
    from yibao.web.ledger import ledger_view
    from yibao.web.store_frames import Scope, payments_by_month, person_codes, register_codes
    from yibao.web.store_frames import revenue_frame as revenue
    from yibao.web.targets import report_of

    town = f"页面镇{next(_seq)}"
    listed = _person(factory, town, [("特困人员", dt.date(2022, 1, 1), None)])
    insured = _person(factory, town, [("低保对象", dt.date(2022, 1, 1), None)])
    _enroll(factory, library, insured, dt.date(2023, 5, 4))
    scope = Scope(REGION, YEAR)
    with transaction(factory) as s:
        assert REGION in person_codes(s)
        codes = register_codes(s, library, scope)
        view = ledger_view(s, library, scope, town)
        report = report_of(s, library, scope)
        paid = revenue(s, library, scope, codes)
        months = payments_by_month(s, scope, codes)
    cells = {(r["township"], r["category"]): (r["roster"], r["insured"]) for r in view.rows}
    assert cells[(town, "特困人员")] == (1, 0) and cells[(town, "低保对象")] == (1, 1)
    assert [(r["township"], r["category"], r["psn_no"]) for r in view.uninsured] == [
        (town, "特困人员", listed)
    ]
    assert view.uninsured_total == 1 and view.pages == 1
    assert paid.height >= 1 and months.get(5, 0) > 0
    assert any(r.key == "targets.low_income_enrollment_rate" for r in report.rows)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at_0010(request, tmp_path):
    with database(request.param, tmp_path, "ea0010") as url:
        engine = make_engine(url)
        upgrade(engine, "0010")
        yield engine
        engine.dispose()


def test_a_store_from_before_0011_writes_and_gets_them_from_the_migration(store_at_0010, library):
    """Writes on a store not yet migrated keep nothing (there is nothing to keep); revision
    0011 then builds every (参保地, year) with data from the register."""
    engine = store_at_0010
    factory = session_factory(engine)
    town = f"迁移镇{next(_seq)}"
    psn_no = _person(factory, town, [("低保对象", dt.date(2022, 1, 1), None)])
    done = _enroll(factory, library, psn_no, dt.date(2022, 11, 8))
    upgrade(engine)
    paid = (done.payment.personal_paid, done.payment.assistance_subsidy)
    assert _groups(engine, town) == {("低保对象", 1, "enrolled"): (1, 1, 1, *paid)}
    _check_ok(engine)
    with transaction(factory) as s:  # and from then on the writes keep them
        persons.add_category(s, psn_no, persons.CategorySpan("特困人员", dt.date(2023, 1, 1)))
    assert _groups(engine, town) == {("低保对象|特困人员", 1, "enrolled"): (1, 1, 1, *paid)}
    _check_ok(engine)
