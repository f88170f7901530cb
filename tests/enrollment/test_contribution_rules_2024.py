"""Contribution-side rules that were recorded but read by nothing (issue 14): 内蒙古 一 the 2024
standard 400 元 and the 补缴 of the 2023 shortfall below 380 元, the 1020 元 total standard,
彭水 三（一）1 不再差额资助, 持居住证 same subsidy, 彭水 三（一）2 集中参保期."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from yibao.engine.contribution import QuoteError, quote
from yibao.idcard import make_id
from yibao.policy import PolicyError
from yibao.policy.loader import PACKAGE_POLICY_DIR, PolicyLibrary
from yibao.services import payments
from yibao.services.enrollment import EnrollmentRequest, enroll
from yibao.store.audit import Actor
from yibao.store.errors import Invalid
from yibao.store.models import ContributionPayment
from yibao.store.persons import CategorySpan, PersonSpec, add_category, create_person

YUAN = 100
CLERK = Actor("clerk", "clerk")


def _person(session, region, i, *categories, since=dt.date(2020, 1, 1)):
    spans = tuple(CategorySpan(c, since) for c in categories)
    certno = make_id(region, dt.date(1971, 2, 1 + i), 2 * i + 1)
    return create_person(session, PersonSpec(certno, "测试", region, categories=spans))


# ---------------------------------------------------------------- 内蒙古 一: 2024 standard 400
def test_neimenggu_1_quote_2024_standard_is_400(library):
    r = quote(library.resolve("150000", 2024), [], "1")
    assert r.standard == 400 * YUAN
    assert "不低于400元" in next(c for c in r.sources if c.item == "personal_contribution").clause


def test_neimenggu_1_quote_2024_shortfall_below_380_is_made_up(library):
    r = quote(library.resolve("150000", 2024), [], "1", previous_year_paid=350 * YUAN)
    assert r.previous_year is not None
    assert (r.previous_year.year, r.previous_year.standard) == (2023, 380 * YUAN)
    assert r.previous_year.makeup == 30 * YUAN
    doc = r.to_json()["previous_year"]
    assert doc == {"year": 2023, "standard": 380.0, "paid": 350.0, "makeup": 30.0}
    cited = {c.item: c for c in r.sources}
    assert "在征收2024年居民医保费时" in cited["previous_year_shortfall_standard"].clause


def test_neimenggu_1_quote_2024_who_paid_380_makes_up_nothing(library):
    r = quote(library.resolve("150000", 2024), [], "1", previous_year_paid=380 * YUAN)
    assert r.previous_year is not None and r.previous_year.makeup == 0


def test_neimenggu_1_shortfall_asked_where_there_is_no_such_rule_is_refused(library):
    with pytest.raises(QuoteError, match="previous_year_paid"):
        quote(library.resolve("150000", 2023), [], "1", previous_year_paid=350 * YUAN)


def _short_2023(session, library, i):
    """A 内蒙古 person enrolled for 2023 who paid 380 元 and got 30 元 back: 350 元 paid."""
    p = _person(session, "150000", i)
    enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2022, 11, 1)), CLERK)
    payments.record_payment(
        session,
        library,
        payments.PaymentRequest(
            p.psn_no,
            2023,
            f"TF-{i}",
            dt.date(2022, 12, 1),
            kind="退费",
            personal_paid=30 * YUAN,
            reason="多缴退回",
        ),
        CLERK,
    )
    return p


def _makeup(p, amount, pid="BJ-1", reason="补缴2023年度差额"):
    return payments.PaymentRequest(
        p.psn_no,
        2023,
        pid,
        dt.date(2023, 10, 1),
        kind="补缴",
        personal_paid=amount,
        reason=reason,
    )


def test_neimenggu_1_bujiao_of_exactly_the_shortfall_cites_the_clause(session, library):
    p = _short_2023(session, library, 1)
    row = payments.record_payment(session, library, _makeup(p, 30 * YUAN), CLERK).row
    assert row.personal_paid == 30 * YUAN
    assert row.reason.startswith("补缴2023年度差额（依据 ")
    assert "在征收2024年居民医保费时" in row.reason
    assert sum(payments.net_paid(session, p.psn_no, 2023)) == 380 * YUAN
    again = payments.record_payment(session, library, _makeup(p, 30 * YUAN), CLERK)
    assert again.replayed and again.row.id == row.id


def test_neimenggu_1_bujiao_other_than_the_shortfall_is_refused(session, library):
    p = _short_2023(session, library, 2)
    with pytest.raises(Invalid, match="personal_paid: .*差额 30.00元"):
        payments.record_payment(session, library, _makeup(p, 50 * YUAN), CLERK)
    assert session.query(ContributionPayment).filter_by(payment_id="BJ-1").count() == 0


def test_neimenggu_1_quote_for_2024_reads_the_stored_2023_payments(session, library):
    p = _short_2023(session, library, 3)
    enroll(session, library, EnrollmentRequest(p.psn_no, 2024, dt.date(2023, 11, 1)), CLERK)
    enrollment = payments.persons.enrollment_for(session, p.psn_no, 2024)
    due = payments.quote_for(session, library, enrollment, dt.date(2023, 11, 1))
    assert due.standard == 400 * YUAN
    assert due.previous_year is not None and due.previous_year.makeup == 30 * YUAN


# ---------------------------------------------------------------- 内蒙古 一: 1020 元
def test_neimenggu_1_quote_shows_total_standard_1020(library):
    r = quote(library.resolve("150000", 2023), [], "1")
    assert r.total_standard == 1020 * YUAN == r.fiscal_subsidy + r.standard
    assert r.to_json()["total_standard"] == 1020.0
    total = next(c for c in r.sources if c.item == "total_standard_min")
    assert "1020" in total.clause


def test_neimenggu_1_total_that_disagrees_with_fiscal_plus_personal_is_refused(tmp_path):
    root = tmp_path / "policies"
    shutil.copytree(PACKAGE_POLICY_DIR, root)
    f = root / "150000" / "2023.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(
        text.replace("total_standard_min: {value: 1020", "total_standard_min: {value: 1000")
    )
    with pytest.raises(PolicyError) as err:
        PolicyLibrary(root).resolve("150000", 2023)
    msg = str(err.value)
    assert msg.startswith("150000/2023.yaml: financing.total_standard_min: 1,000.00元")
    assert "= 1,020.00元" in msg


# ---------------------------------------------------------------- 彭水 三（一）1 不再差额资助
def test_pengshui_3_1_1_no_subsidy_difference_after_category_change(session, library):
    # Paid 2023 as 一般居民 (380 元, no subsidy); became 低保对象 in 2023: no 90% difference.
    p = _person(session, "500243", 4)
    enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2022, 11, 1)), CLERK)
    add_category(session, p.psn_no, CategorySpan("低保对象", dt.date(2023, 3, 1)))
    request = payments.PaymentRequest(
        p.psn_no,
        2023,
        "BJ-DB",
        dt.date(2023, 4, 1),
        kind="补缴",
        assistance_subsidy=342 * YUAN,
        reason="身份变为低保对象",
    )
    with pytest.raises(Invalid, match="assistance_subsidy: .*不再进行差额资助.*三（一）1"):
        payments.record_payment(session, library, request, CLERK)
    assert session.query(ContributionPayment).filter_by(payment_id="BJ-DB").count() == 0


def test_subsidy_difference_where_no_rule_forbids_it_is_accepted(session, library):
    # 咸宁 states no such rule (national default no_top_up_after_change false).
    p = _person(session, "421200", 5)
    enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2022, 11, 1)), CLERK)
    request = payments.PaymentRequest(
        p.psn_no,
        2023,
        "BJ-XN",
        dt.date(2023, 4, 1),
        kind="补缴",
        assistance_subsidy=342 * YUAN,
        reason="身份变为低保对象",
    )
    row = payments.record_payment(session, library, request, CLERK).row
    assert row.assistance_subsidy == 342 * YUAN


# ---------------------------------------------------------------- 持居住证
@pytest.mark.parametrize(
    ("code", "clause"), [("341700", "一、5"), ("150000", "三"), ("000000", "三")]
)
def test_resident_permit_same_subsidy_as_locals(library, code, clause):
    policy = library.resolve(code, 2023)
    local = quote(policy, [], "1")
    permit = quote(policy, [], "1", resident_permit=True)
    assert permit.fiscal_subsidy == local.fiscal_subsidy == 640 * YUAN
    assert permit.fiscal_shares == local.fiscal_shares
    assert permit.to_json()["resident_permit"] is True
    cited = next(c for c in permit.sources if c.item == "resident_permit_same_subsidy")
    assert cited.clause.startswith(clause) and "居住证" in cited.clause


def test_resident_permit_where_the_policy_says_otherwise_is_refused(library):
    policy = library.resolve("341700", 2023)
    fin = policy.financing
    changed = fin.model_copy(
        update={
            "resident_permit_same_subsidy": fin.resident_permit_same_subsidy.model_copy(
                update={"value": False}
            )
        }
    )
    other = policy.model_copy(update={"financing": changed})
    with pytest.raises(QuoteError, match="resident_permit"):
        quote(other, [], "1", resident_permit=True)


# ---------------------------------------------------------------- 彭水 三（一）2 集中参保期
def test_pengshui_3_1_2_late_enrollment_of_the_eight_groups_is_flagged_not_refused(
    session, library
):
    p = _person(session, "500243", 6, "低保对象")
    done = enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2023, 3, 1)), CLERK)
    assert len(done.notices) == 1
    notice = done.notices[0]
    assert notice.startswith("late_enrollment: 低保对象应当在集中参保期内完成参保")
    assert "2022-12-31" in notice and "三（一）2" in notice
    assert done.to_json()["notices"] == [notice]
    # accepted, and (三（一）2) without a waiting period: from the day after payment
    assert done.enrollment.coverage_begin == dt.date(2023, 3, 2)


def test_pengshui_3_1_2_on_time_or_other_groups_no_notice(session, library):
    on_time = _person(session, "500243", 7, "低保对象")
    done = enroll(
        session, library, EnrollmentRequest(on_time.psn_no, 2023, dt.date(2022, 11, 1)), CLERK
    )
    assert done.notices == ()
    general = _person(session, "500243", 8)
    late = enroll(
        session, library, EnrollmentRequest(general.psn_no, 2023, dt.date(2023, 3, 1)), CLERK
    )
    assert late.notices == ()


def test_pengshui_3_1_2_umbrella_monitored_tag_counts(session, library):
    p = _person(session, "500243", 9, "防止返贫监测对象")
    done = enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2023, 3, 1)), CLERK)
    assert len(done.notices) == 1


def test_late_enrollment_elsewhere_no_notice(session, library):
    p = _person(session, "341700", 10, "低保对象")
    done = enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2023, 3, 1)), CLERK)
    assert done.notices == ()
