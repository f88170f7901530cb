"""彭水 2023 三（三）2: 对标注风险消除的监测对象，在标注风险消除后12个月内继续落实医保帮扶政策 (issue
14, 3). The register records 风险消除 as the end date of the monitored category; for the groups of
``monitoring.followup_categories`` the category stays held 12 months more
(``engine.register.categories_valid_on``), in the settlement (``complete_claim``) and in the quote
(``store.persons.categories_on``) alike. Other categories end on their end date.
"""

from __future__ import annotations

import datetime as dt

from tests.settlement.conftest import claim, settle
from yibao.engine.contribution import quote
from yibao.engine.register import (
    CategoryRecord,
    EnrollmentRecord,
    FollowUp,
    RegisterRecord,
    categories_valid_on,
    complete_claim,
)
from yibao.engine.settlement_rules import category_rules
from yibao.store import persons
from yibao.store.models import Person, PersonCategory

D = dt.date
ELIMINATED = D(2023, 2, 15)  # 标注风险消除之日 = the category's end date


def test_pengshui_san_san_2_followup_twelve_months(library):
    followup = FollowUp.of(library.resolve("500243", 2023))
    assert followup.months == 12 and "脱贫不稳定人口" in followup.categories
    records = [
        CategoryRecord("脱贫不稳定人口", D(2021, 5, 1), ELIMINATED),
        CategoryRecord("低保对象", D(2021, 5, 1), ELIMINATED),
    ]
    assert categories_valid_on(records, D(2024, 2, 14), followup) == ("脱贫不稳定人口",)
    assert categories_valid_on(records, D(2024, 2, 15), followup) == ()
    assert categories_valid_on(records, ELIMINATED, followup) == ("脱贫不稳定人口", "低保对象")
    # without the rule the category ends on its end date
    assert categories_valid_on(records, D(2023, 2, 16)) == ()


def test_umbrella_monitored_category_followup(library):
    followup = FollowUp.of(library.resolve("500243", 2023))
    records = [CategoryRecord("防止返贫监测对象", D(2021, 5, 1), ELIMINATED)]
    assert categories_valid_on(records, D(2023, 12, 31), followup) == ("防止返贫监测对象",)


def register(end: dt.date) -> RegisterRecord:
    enrolled = EnrollmentRecord(2023, "500243", 1, D(2022, 11, 1), None, None)
    enrolled_2024 = EnrollmentRecord(2024, "500243", 1, D(2023, 11, 1), None, None)
    return RegisterRecord(
        "P1",
        "",
        enrollments={2023: enrolled, 2024: enrolled_2024},
        categories=[CategoryRecord("边缘易致贫人口", D(2021, 5, 1), end)],
    )


def test_pengshui_followup_kept_in_settlement(library):
    # 风险消除 on 15 February 2023; a stay settled on 1 October 2023 still gets 医疗救助 (60%).
    row = claim(total=30000, categories="", when=dt.datetime(2023, 10, 1, 10))
    completed, entitled = complete_claim(row, register(ELIMINATED))
    assert entitled.payable
    assert completed["categories"] == "边缘易致贫人口"
    rules = category_rules(library.resolve("500243", 2023), ("边缘易致贫人口",))
    assert (rules.assistance_category, rules.assistance_ratio_bp) == ("边缘易致贫人口", 6_000)
    settled, _ = settle(completed)
    unassisted, _ = settle({**completed, "categories": ""})
    assert settled.setlinfo["maf_pay"] > 0 and unassisted.setlinfo["maf_pay"] == 0


def test_pengshui_no_followup_after_twelve_months(library):
    row = claim(total=30000, when=dt.datetime(2024, 2, 15, 10))
    completed, _ = complete_claim(row, register(ELIMINATED))
    assert completed["categories"] == ""
    inside = claim(total=30000, when=dt.datetime(2024, 2, 14, 10))
    assert complete_claim(inside, register(ELIMINATED))[0]["categories"] == "边缘易致贫人口"


def person(end: dt.date) -> Person:
    p = Person(psn_no="P1", insuplc_admdvs="500243")
    p.categories = [
        PersonCategory(category="突发严重困难人口", begin_date=D(2021, 5, 1), end_date=end)
    ]
    return p


def test_pengshui_followup_kept_in_the_quote(library):
    # 风险消除 on 20 December 2022; paying on 1 March 2023 the person is still subsidised: 380 × 70%.
    policy = library.resolve("500243", 2023)
    held = persons.categories_on(person(D(2022, 12, 20)), D(2023, 3, 1))
    assert held == ["突发严重困难人口"]
    assert quote(policy, held, "1").assistance_subsidy == 26_600
    assert persons.categories_on(person(D(2022, 12, 20)), D(2023, 12, 20)) == []
