"""彭水 三（一）1: 享受资助参保的标准，按参保缴费时就高身份确定；享受资助参保后人员身份发生变化的，
不再进行差额资助. A 冲正 followed by a new 缴费 redoes the same 参保缴费: it is quoted with the
categories as of the first 缴费's day, so the new category's larger subsidy is not obtained."""

from __future__ import annotations

import datetime as dt

import pytest

from yibao.idcard import make_id
from yibao.services import payments
from yibao.services.enrollment import EnrollmentRequest, enroll
from yibao.store.audit import Actor
from yibao.store.errors import Invalid
from yibao.store.models import ContributionPayment
from yibao.store.persons import CategorySpan, PersonSpec, add_category, create_person

YUAN = 100
CLERK = Actor("clerk", "clerk")


def _paid_then_changed(session, library, region, i):
    """边缘易致贫人口 since 2022, paid 2023 on 2023-01-10; 特困人员 from 2023-03-01; the 缴费
    undone by a 冲正 on 2023-04-01."""
    certno = make_id(region, dt.date(1972, 3, 1 + i), 2 * i + 1)
    spans = (CategorySpan("边缘易致贫人口", dt.date(2022, 1, 1)),)
    p = create_person(session, PersonSpec(certno, "测试", region, categories=spans))
    first = enroll(
        session,
        library,
        EnrollmentRequest(p.psn_no, 2023, dt.date(2023, 1, 10), payment_id=f"JF1-{i}"),
        CLERK,
    ).payment
    add_category(session, p.psn_no, CategorySpan("特困人员", dt.date(2023, 3, 1)))
    payments.record_payment(
        session,
        library,
        payments.PaymentRequest(
            p.psn_no,
            2023,
            f"CZ-{i}",
            dt.date(2023, 4, 1),
            kind="冲正",
            refers_to=first.payment_id,
            reason="票据作废",
        ),
        CLERK,
    )
    return p, first


def _new_payment(p, i, **amounts):
    return payments.PaymentRequest(p.psn_no, 2023, f"JF2-{i}", dt.date(2023, 4, 2), **amounts)


def test_pengshui_3_1_1_new_payment_after_reversal_keeps_the_original_categories(session, library):
    p, first = _paid_then_changed(session, library, "500243", 1)
    # 边缘易致贫人口 三（一）1: 70% of 380 元 = 266 元; 特困人员 would give 380 元.
    assert (first.assistance_subsidy, first.personal_paid) == (266 * YUAN, 114 * YUAN)
    row = payments.record_payment(session, library, _new_payment(p, 1), CLERK).row
    assert (row.assistance_subsidy, row.personal_paid) == (266 * YUAN, 114 * YUAN)
    assert row.applied_category == "边缘易致贫人口"
    assert "三（一）1" in row.reason and "2023-01-10" in row.reason
    # the same request again is the same record (the cited reason is the system's)
    again = payments.record_payment(session, library, _new_payment(p, 1), CLERK)
    assert again.replayed and again.row.id == row.id


def test_pengshui_3_1_1_new_payment_stating_the_new_categorys_subsidy_is_refused(session, library):
    p, _ = _paid_then_changed(session, library, "500243", 2)
    request = _new_payment(p, 2, personal_paid=0, assistance_subsidy=380 * YUAN)
    with pytest.raises(Invalid, match="personal_paid: .*资助 266.00元"):
        payments.record_payment(session, library, request, CLERK)
    assert session.query(ContributionPayment).filter_by(payment_id="JF2-2").count() == 0


def test_where_no_rule_forbids_a_top_up_the_new_payment_uses_the_current_categories(
    session, library
):
    # 咸宁 states no 不再差额资助: 特困人员 (三 全额资助, 380 元 for 2023) applies on the new day.
    p, first = _paid_then_changed(session, library, "421200", 3)
    assert first.assistance_subsidy == 190 * YUAN  # 边缘易致贫人口 50%
    row = payments.record_payment(session, library, _new_payment(p, 3), CLERK).row
    assert (row.assistance_subsidy, row.personal_paid) == (380 * YUAN, 0)
    assert row.reason == ""
