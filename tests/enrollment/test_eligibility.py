"""Coverage dates: each date rule at its edges (day 90 vs 91, 3 months vs 3 months + 1 day,
28/29 February)."""

import datetime as dt

import pytest

from yibao.engine.eligibility import (
    EligibilityError,
    EnrollmentEvent,
    add_months,
    coverage_for,
)

D = dt.date


def cov(library, code, year, pay, situation="resident", **kw):
    event = EnrollmentEvent(coverage_year=year, payment_date=pay, situation=situation, **kw)
    return coverage_for(event, library.resolve(code, year))


def with_migrant_february(library, code, year):
    policy = library.resolve(code, year)
    enrollment = policy.enrollment.model_copy(
        update={
            "migrant_worker_deadline_month": policy.enrollment.migrant_worker_deadline_month.model_copy(
                update={"value": 2}
            )
        }
    )
    return policy.model_copy(update={"enrollment": enrollment})


# ---------------------------------------------------------------- month arithmetic
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2023, 11, 30), 3, D(2024, 2, 29)),  # leap year: 29 February
        (D(2022, 11, 30), 3, D(2023, 2, 28)),
        (D(2023, 3, 15), 3, D(2023, 6, 15)),
        (D(2023, 10, 31), 4, D(2024, 2, 29)),
        (D(2023, 12, 31), 0, D(2023, 12, 31)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


# ---------------------------------------------------------------- 集中征缴期
def test_paid_in_collection_period_covers_the_whole_year(library):
    c = cov(library, "341700", 2023, D(2022, 12, 31))
    assert (c.coverage_begin, c.coverage_end, c.waiting_until) == (
        D(2023, 1, 1),
        D(2023, 12, 31),
        None,
    )
    assert c.rule == "on_time"


def test_ordinary_resident_paying_after_collection_waits_3_months(library):
    c = cov(library, "341700", 2023, D(2023, 1, 1))
    assert c.rule == "late_waiting"
    assert c.waiting_until == D(2023, 4, 1)
    assert c.coverage_begin == D(2023, 4, 2)


def test_claim_inside_waiting_period_gets_no_fund_payment_with_reason(library):
    c = cov(library, "341700", 2023, D(2023, 3, 15))
    ok, reason = c.payable_on(D(2023, 6, 15))
    assert not ok and "等待期" in reason
    assert c.payable_on(D(2023, 6, 16))[0]


def test_waiting_past_year_end_means_no_coverage_this_year(library):
    c = cov(library, "341700", 2023, D(2023, 11, 30))
    assert c.waiting_until == D(2024, 2, 29)
    assert not c.covered
    assert not c.payable_on(D(2023, 12, 31))[0]


# ---------------------------------------------------------------- 外出务工人员延长到2月底 (池州 一、3)
def test_chizhou_migrant_worker_paying_on_28_february_covered_all_year(library):
    c = cov(library, "341700", 2023, D(2023, 2, 28), "migrant_worker")
    assert (c.rule, c.coverage_begin) == ("migrant_extension", D(2023, 1, 1))


def test_chizhou_migrant_worker_paying_on_1_march_is_late(library):
    c = cov(library, "341700", 2023, D(2023, 3, 1), "migrant_worker")
    assert c.rule == "late_waiting"


def test_migrant_deadline_is_29_february_in_a_leap_year(library):
    policy = with_migrant_february(library, "000000", 2024)
    ok = coverage_for(EnrollmentEvent(2024, D(2024, 2, 29), "migrant_worker"), policy)
    late = coverage_for(EnrollmentEvent(2024, D(2024, 3, 1), "migrant_worker"), policy)
    assert ok.rule == "migrant_extension"
    assert late.rule == "late_waiting"


def test_no_migrant_extension_where_the_policy_has_none(library):
    c = cov(library, "421200", 2023, D(2023, 2, 1), "migrant_worker")
    assert c.rule == "late_waiting"


# ---------------------------------------------------------------- 接续参保 (3个月内 / 超过3个月)
def test_continuation_exactly_3_months_after_no_waiting_and_retroactive(library):
    c = cov(
        library,
        "341700",
        2023,
        D(2023, 6, 15),
        "continuation",
        previous_coverage_end=D(2023, 3, 15),
        continuation_event="职工医保中断",
    )
    assert c.rule == "continuation_within_grace"
    assert c.coverage_begin == D(2023, 3, 16)
    assert c.waiting_until is None


def test_continuation_3_months_and_1_day_after_waits_3_months(library):
    c = cov(
        library,
        "341700",
        2023,
        D(2023, 6, 16),
        "continuation",
        previous_coverage_end=D(2023, 3, 15),
        continuation_event="退出现役",
    )
    assert c.rule == "continuation_waiting"
    assert c.waiting_until == D(2023, 9, 16)
    assert c.coverage_begin == D(2023, 9, 17)


def test_continuation_grace_ends_28_february_in_a_common_year(library):
    kw = {"previous_coverage_end": D(2022, 11, 30), "continuation_event": "刑满释放"}
    inside = cov(library, "341700", 2023, D(2023, 2, 28), "continuation", **kw)
    outside = cov(library, "341700", 2023, D(2023, 3, 1), "continuation", **kw)
    assert inside.rule == "continuation_within_grace"
    assert outside.rule == "continuation_waiting"


def test_continuation_grace_ends_29_february_in_a_leap_year(library):
    kw = {"previous_coverage_end": D(2023, 11, 30), "continuation_event": "职工医保中断"}
    inside = cov(library, "000000", 2024, D(2024, 2, 29), "continuation", **kw)
    outside = cov(library, "000000", 2024, D(2024, 3, 1), "continuation", **kw)
    assert (inside.rule, inside.coverage_begin) == ("continuation_within_grace", D(2024, 1, 1))
    assert outside.rule == "continuation_waiting"
    assert outside.coverage_begin == D(2024, 6, 2)


def test_continuation_needs_a_listed_event(library):
    with pytest.raises(EligibilityError, match="continuation_event"):
        cov(
            library,
            "341700",
            2023,
            D(2023, 5, 1),
            "continuation",
            previous_coverage_end=D(2023, 3, 1),
            continuation_event="出国",
        )


# ---------------------------------------------------------------- 新生儿 (池州 二、9)
def test_newborn_paying_on_day_90_covered_from_birth(library):
    c = cov(library, "341700", 2023, D(2023, 5, 30), "newborn", birth_date=D(2023, 3, 1))
    assert (c.rule, c.coverage_begin) == ("newborn_from_birth", D(2023, 3, 1))


def test_newborn_paying_on_day_91_covered_from_the_day_after_payment(library):
    c = cov(library, "341700", 2023, D(2023, 5, 31), "newborn", birth_date=D(2023, 3, 1))
    assert (c.rule, c.coverage_begin, c.waiting_until) == (
        "newborn_next_day",
        D(2023, 6, 1),
        None,
    )


def test_newborn_day_90_counts_29_february_in_a_leap_year(library):
    # Born 1 January 2024: day 90 is 31 March (February has 29 days).
    day90 = cov(library, "000000", 2024, D(2024, 3, 31), "newborn", birth_date=D(2024, 1, 1))
    day91 = cov(library, "000000", 2024, D(2024, 4, 1), "newborn", birth_date=D(2024, 1, 1))
    assert day90.rule == "newborn_from_birth"
    assert day91.rule == "newborn_next_day"


def test_newborn_needs_a_birth_date(library):
    with pytest.raises(EligibilityError, match="birth_date"):
        cov(library, "341700", 2023, D(2023, 5, 1), "newborn")


# ---------------------------------------------------------------- 跨统筹区迁入 (枣庄 （五）)
def test_zaozhuang_transfer_in_covered_from_the_next_month(library):
    c = cov(library, "370400", 2023, D(2023, 5, 20), "transfer_in")
    assert c.coverage_begin == D(2023, 6, 1)


def test_zaozhuang_transfer_in_paid_on_the_last_day_of_february(library):
    c = cov(library, "370400", 2023, D(2023, 2, 28), "transfer_in")
    assert c.coverage_begin == D(2023, 3, 1)


def test_transfer_in_elsewhere_covered_from_the_next_day(library):
    c = cov(library, "341700", 2023, D(2023, 5, 20), "transfer_in")
    assert c.coverage_begin == D(2023, 5, 21)


# ---------------------------------------------------------------- 不设等待期的人员 (彭水 三（一）2)
def test_pengshui_eight_categories_have_no_waiting_period(library):
    c = cov(library, "500243", 2023, D(2023, 4, 10), categories=("低保对象",))
    assert (c.rule, c.coverage_begin, c.waiting_until) == (
        "no_waiting_category",
        D(2023, 4, 11),
        None,
    )


def test_pengshui_general_resident_still_waits(library):
    c = cov(library, "500243", 2023, D(2023, 4, 10))
    assert c.rule == "late_waiting"


def test_chizhou_dibao_late_joiner_waits(library):
    # 池州 lists no categories without a waiting period besides newborns.
    c = cov(library, "341700", 2023, D(2023, 4, 10), categories=("低保对象",))
    assert c.rule == "late_waiting"


# ---------------------------------------------------------------- inputs
def test_payment_after_the_coverage_year_is_rejected(library):
    with pytest.raises(EligibilityError, match="payment_date"):
        cov(library, "341700", 2023, D(2024, 1, 1))


def test_coverage_year_must_match_the_policy(library):
    with pytest.raises(EligibilityError, match="coverage_year"):
        coverage_for(EnrollmentEvent(2022, D(2022, 5, 1)), library.resolve("341700", 2023))


def test_claim_fields_for_the_settlement_engine(library):
    c = cov(library, "341700", 2023, D(2023, 5, 31), "newborn", birth_date=D(2023, 3, 1))
    assert c.claim_fields() == {"coverage_begin": "2023-06-01", "coverage_end": "2023-12-31"}
    assert c.to_json()["citations"]
