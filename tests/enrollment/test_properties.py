"""Invariants over every jurisdiction, category and amount."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.categories import all_categories
from yibao.engine.contribution import quote
from yibao.engine.eligibility import add_months
from yibao.engine.fiscal import split

REGION_YEARS = [
    ("341700", 2023),
    ("341702", 2023),
    ("150000", 2023),
    ("370400", 2023),
    ("421200", 2022),
    ("421222", 2023),
    ("500243", 2023),
    ("000000", 2024),
]


def test_every_quote_adds_up_and_never_exceeds_the_standard(library):
    names = list(all_categories())
    for code, year in REGION_YEARS:
        policy = library.resolve(code, year)
        for tier in policy.financing.personal_contribution.value:
            for i, a in enumerate(names):
                for b in names[i:]:
                    q = quote(policy, [a, b], tier)
                    assert 0 <= q.assistance_subsidy <= q.standard
                    assert q.assistance_subsidy + q.personal_due == q.standard
                    best = max((c.amount for c in q.candidates), default=0)
                    assert q.assistance_subsidy == best  # 就高不就低, never stacked
                    assert sum(q.fiscal_shares.as_dict().values()) == q.fiscal_subsidy


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**12))
def test_fiscal_shares_always_add_up_to_the_fen(library, total):
    for code, year in REGION_YEARS:
        for scheme in library.resolve(code, year).fiscal_sharing.schemes.value.values():
            s = split(total, scheme)
            assert s.central + s.provincial + s.municipal + s.county == total
            assert min(s.central, s.provincial, s.municipal, s.county) >= 0


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    months=st.integers(min_value=0, max_value=24),
)
def test_add_months_lands_in_the_right_month_and_never_overshoots(day, months):
    got = add_months(day, months)
    assert (got.year * 12 + got.month) - (day.year * 12 + day.month) == months
    assert got.day == day.day or got.day < day.day  # clamped only at a month's end
