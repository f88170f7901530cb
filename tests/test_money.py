from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.money import (
    MoneyError,
    allocate,
    apply_ratio,
    divide_half_up,
    fen_to_json,
    ratio_to_bp,
    round_ratio,
    yuan_to_fen,
)


def test_yuan_to_fen_is_exact_for_two_decimals():
    assert yuan_to_fen("60000") == 6_000_000
    assert yuan_to_fen(0.1) == 10
    assert yuan_to_fen("123.45") == 12345


def test_more_than_two_decimals_is_an_error():
    with pytest.raises(MoneyError, match="two decimals"):
        yuan_to_fen("1.005", "medfee_sumamt")


def test_non_numbers_are_errors():
    for bad in ("abc", True, None, float("nan")):
        with pytest.raises(MoneyError):
            yuan_to_fen(bad)


def test_half_up_rounding_scalar_and_vector_agree():
    assert divide_half_up(5, 10) == 1
    assert divide_half_up(4, 10) == 0
    assert divide_half_up(-5, 10) == -1
    arr = np.array([5, 4, 15, -5, 0], dtype=np.int64)
    assert divide_half_up(arr, 10).tolist() == [1, 0, 2, -1, 0]


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 10_000))
def test_apply_ratio_matches_decimal_half_up(amount, bp):
    from decimal import ROUND_HALF_UP, Decimal

    expected = int((Decimal(amount) * bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert apply_ratio(amount, bp) == expected
    assert int(apply_ratio(np.array([amount], dtype=np.int64), bp)[0]) == expected


def test_ratio_to_bp():
    assert ratio_to_bp(0.7) == 7000
    assert ratio_to_bp("70%") == 7000
    assert ratio_to_bp("0.05") == 500
    with pytest.raises(MoneyError):
        ratio_to_bp("0.000001")


@given(
    st.integers(0, 10**9),
    st.lists(st.integers(0, 10), min_size=1, max_size=4).filter(lambda w: sum(w) > 0),
)
def test_allocate_adds_up_exactly(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)


def test_fen_to_json_two_decimals():
    assert fen_to_json(1234567) == 12345.67


def test_round_ratio_is_half_up_not_half_even():
    # Decimal.quantize's default (half even) would give 0.0000 and 0.0002 here.
    assert round_ratio(Decimal("0.00005"), 4) == Decimal("0.0001")
    assert round_ratio(Decimal("0.00025"), 4) == Decimal("0.0003")
    assert round_ratio(Decimal("-0.00025"), 4) == Decimal("-0.0003")  # mirrors, like the fen
    assert round_ratio(Fraction(1, 3), 4) == Decimal("0.3333")
    assert round_ratio(7, 2) == Decimal("7.00")
    assert str(round_ratio(Fraction(2, 3), 4)) == "0.6667"


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**9), st.integers(0, 6))
def test_round_ratio_matches_decimal_half_up_on_the_exact_value(num, den, places):
    exact = Fraction(num, den)
    expected = (Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    # 28 significant digits hold the quotient with room to spare: no tie is misjudged
    assert round_ratio(exact, places) == expected


def test_round_ratio_refuses_negative_places_and_non_finite_values():
    with pytest.raises(MoneyError):
        round_ratio(Decimal("1.5"), -1)
    with pytest.raises(MoneyError):
        round_ratio(Decimal("NaN"), 2)
