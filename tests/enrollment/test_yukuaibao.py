"""彭水 三（一）3 渝快保资助参保: its own item in the quote, the payment record and the fund
statement (an outlay of its paying fund, not revenue of the basic fund)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.engine.contribution import QuoteError, quote
from yibao.engine.fund import FundError, fund_statement
from yibao.idcard import make_id
from yibao.services import payments
from yibao.services.enrollment import EnrollmentRequest, enroll
from yibao.store.audit import Actor
from yibao.store.errors import Invalid
from yibao.store.persons import CategorySpan, PersonSpec, create_person

YUAN = 100
CLERK = Actor("clerk", "clerk")


def q(library, *categories, product=None, year=2023):
    return quote(library.resolve("500243", year), categories, "1", supplement_product=product)


# ---------------------------------------------------------------- the quote
@pytest.mark.parametrize("product", ["渝快保普惠款", "渝快保升级款"])
def test_3_1_3_tuopin_renkou_gets_50_for_either_product(library, product):
    s = q(library, "稳定脱贫人口", product=product).supplement
    assert s is not None and (s.group, s.subsidy) == ("脱贫人口", 50 * YUAN)


def test_3_1_3_jiance_duixiang_upgrade_150(library):
    s = q(library, "边缘易致贫人口", product="渝快保升级款").supplement
    assert s is not None and (s.group, s.subsidy) == ("监测对象", 150 * YUAN)


def test_3_1_3_jiance_duixiang_puhui_69_in_full(library):
    s = q(library, "突发严重困难人口", product="渝快保普惠款").supplement
    assert s is not None and (s.group, s.subsidy) == ("监测对象", 69 * YUAN)


def test_3_1_3_umbrella_monitored_tag_is_jiance_duixiang(library):
    s = q(library, "防止返贫监测对象", product="渝快保升级款").supplement
    assert s is not None and s.subsidy == 150 * YUAN


def test_3_1_3_supplement_is_its_own_item_not_the_assistance_subsidy(library):
    # 稳定脱贫人口: 资助参保 50 元 (三（一）1, 统筹衔接资金) and 渝快保 50 元 apart.
    r = q(library, "稳定脱贫人口", product="渝快保升级款")
    assert r.assistance_subsidy == 50 * YUAN and r.personal_due == 330 * YUAN
    doc = r.to_json()
    assert doc["assistance_subsidy"] == 50.0
    assert doc["supplement"] == {
        "product": "渝快保升级款",
        "group": "脱贫人口",
        "subsidy": 50.0,
        "fund": "统筹衔接资金",
    }
    cited = {c["item"]: c for c in doc["sources"]}
    assert "三（一）3" in cited["commercial_supplement.渝快保升级款"]["clause"]
    assert cited["commercial_supplement_fund"]["assumed"] is True


def test_3_1_3_without_a_product_no_supplement(library):
    assert q(library, "稳定脱贫人口").supplement is None


def test_3_1_3_general_resident_buying_gets_nothing(library):
    s = q(library, product="渝快保普惠款").supplement
    assert s is not None and (s.group, s.subsidy, s.fund) == (None, 0, "")


def test_3_1_3_unknown_product_is_refused_naming_the_field(library):
    with pytest.raises(QuoteError, match="supplement_product"):
        q(library, "稳定脱贫人口", product="渝快保豪华款")


def test_3_1_3_elsewhere_there_is_no_supplement(library):
    with pytest.raises(QuoteError, match="supplement_product"):
        quote(library.resolve("341700", 2023), ["低保对象"], "1", supplement_product="渝快保普惠款")


def test_3_1_3_2024_carries_2023_amounts_as_assumed(library):
    s = q(library, "边缘易致贫人口", product="渝快保升级款", year=2024)
    assert s.supplement is not None and s.supplement.subsidy == 150 * YUAN
    assert library.resolve("500243", 2024).assistance_subsidy.commercial_supplement.assumed


# ---------------------------------------------------------------- the fund statement
def _contributions(**extra):
    base = {
        "personal_paid": [330 * YUAN, 380 * YUAN],
        "subsidy": [50 * YUAN, 0],
        "subsidy_fund": ["统筹衔接资金", ""],
        **{f"fiscal_{lv}": [0, 0] for lv in ("central", "provincial", "municipal", "county")},
    }
    return pl.DataFrame({**base, **extra})


SETTLED = pl.DataFrame(
    {"med_type": ["21"], "hifp_pay": [0], "hifmi_pay": [0], "maf_pay": [0]},
    schema={"med_type": pl.Utf8, "hifp_pay": pl.Int64, "hifmi_pay": pl.Int64, "maf_pay": pl.Int64},
)


def test_3_1_3_fund_statement_shows_the_supplement_as_its_funds_outlay(library):
    policy = library.resolve("500243", 2023)
    frame = _contributions(
        supplement_subsidy=[50 * YUAN, 150 * YUAN],
        supplement_fund=["统筹衔接资金", "统筹衔接资金"],
        supplement_product=["渝快保升级款", "渝快保升级款"],
    )
    st = fund_statement(SETTLED, frame, policy)
    assert st.supplement_subsidy == {"统筹衔接资金": {"渝快保升级款": 200 * YUAN}}
    # not revenue of the basic fund: personal 710 + 资助 50
    assert st.revenue == 760 * YUAN
    doc = st.to_json()
    assert doc["outside_fund"]["commercial_supplement_subsidies"] == {
        "统筹衔接资金": {"渝快保升级款": 200.0}
    }


def test_3_1_3_fund_statement_without_the_columns_has_none(library):
    st = fund_statement(SETTLED, _contributions(), library.resolve("500243", 2023))
    assert st.supplement_subsidy == {}


def test_3_1_3_a_supplement_without_its_fund_is_refused(library):
    frame = _contributions(
        supplement_subsidy=[50 * YUAN, 0],
        supplement_fund=["", ""],
        supplement_product=["渝快保升级款", ""],
    )
    with pytest.raises(FundError, match="supplement_fund"):
        fund_statement(SETTLED, frame, library.resolve("500243", 2023))


# ---------------------------------------------------------------- the payment record
def _person(session, i, category):
    spans = (CategorySpan(category, dt.date(2020, 1, 1)),) if category else ()
    certno = make_id("500243", dt.date(1970, 1, 1 + i), 2 * i + 1)
    return create_person(session, PersonSpec(certno, "测试", "500243", categories=spans))


def test_3_1_3_payment_record_carries_the_supplement_and_its_fund(session, library):
    p = _person(session, 1, "边缘易致贫人口")
    done = enroll(
        session,
        library,
        EnrollmentRequest(p.psn_no, 2023, dt.date(2022, 11, 1), supplement_product="渝快保升级款"),
        CLERK,
    )
    row = done.payment
    # 资助参保 70% of 380 = 266 元 by 医疗救助基金; 渝快保 150 元 by 统筹衔接资金, apart.
    assert (row.assistance_subsidy, row.subsidy_fund) == (266 * YUAN, "医疗救助基金")
    assert (row.supplement_product, row.supplement_subsidy, row.supplement_fund) == (
        "渝快保升级款",
        150 * YUAN,
        "统筹衔接资金",
    )
    assert payments.payment_document(row)["supplement_subsidy"] == 150.0
    undo = payments.record_payment(
        session,
        library,
        payments.PaymentRequest(
            p.psn_no,
            2023,
            "CZ-1",
            dt.date(2022, 12, 1),
            kind="冲正",
            reason="录入错误",
            refers_to=row.payment_id,
        ),
        CLERK,
    ).row
    assert undo.supplement_subsidy == -150 * YUAN and undo.supplement_fund == "统筹衔接资金"


def test_3_1_3_supplement_only_with_a_jiaofei(session, library):
    p = _person(session, 2, "稳定脱贫人口")
    enroll(session, library, EnrollmentRequest(p.psn_no, 2023, dt.date(2022, 11, 1)), CLERK)
    with pytest.raises(Invalid, match="supplement_product"):
        payments.record_payment(
            session,
            library,
            payments.PaymentRequest(
                p.psn_no,
                2023,
                "BJ-1",
                dt.date(2022, 12, 1),
                kind="补缴",
                personal_paid=100,
                reason="x",
                supplement_product="渝快保普惠款",
            ),
            CLERK,
        )
