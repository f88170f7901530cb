"""Money is integer fen (分) inside; yuan with two decimals only at the edges.

One rounding rule, in one place: half up to the fen (``divide_half_up``). Ratios are kept as
integer basis points (万分比, 1 bp = 0.01 %) so that applying a ratio to an amount is exact
integer arithmetic, scalar or vectorised.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TypeVar

import numpy as np
import numpy.typing as npt

Fen = int
BasisPoints = int
FEN_PER_YUAN = 100
BP_PER_UNIT = 10_000

IntArray = npt.NDArray[np.int64]
_T = TypeVar("_T", int, IntArray)


class MoneyError(ValueError):
    """An amount or ratio that cannot be represented exactly, or is out of range."""


def divide_half_up(numerator: _T, denominator: int) -> _T:
    """The project's only rounding: numerator / denominator, half up (away from zero on .5).

    Works on Python ints and on int64 numpy arrays alike. Negative numerators round half away
    from zero so that reversing a payment mirrors it exactly.
    """
    if denominator <= 0:
        raise MoneyError("denominator must be positive")
    if isinstance(numerator, np.ndarray):
        magnitude = (np.abs(numerator) * 2 + denominator) // (2 * denominator)
        return np.sign(numerator) * magnitude  # type: ignore[no-any-return]
    sign = -1 if numerator < 0 else 1
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))


def round_ratio(value: Decimal | Fraction | int, places: int) -> Decimal:
    """A rate or ratio that is not money (点值 in yuan per point, points, shares) to ``places``
    decimals by the module's one rule (``divide_half_up``: half away from zero), computed on
    the exact value (Decimal, Fraction and int convert to a ratio of integers without loss)."""
    if places < 0:
        raise MoneyError(f"places: must not be negative, got {places}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise MoneyError(f"ratio: not a finite number: {value!r}")
    numerator, denominator = value.as_integer_ratio()
    scaled = divide_half_up(numerator * 10**places, denominator)
    return Decimal(scaled).scaleb(-places)


def apply_ratio(amount_fen: _T, ratio_bp: _T | int) -> _T:
    """amount × ratio, rounded half up to the fen."""
    return divide_half_up(amount_fen * ratio_bp, BP_PER_UNIT)


def to_decimal(value: object, field: str = "amount") -> Decimal:
    if isinstance(value, bool):
        raise MoneyError(f"{field}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise MoneyError(f"{field}: not a number: {value!r}") from exc
        if not result.is_finite():
            raise MoneyError(f"{field}: not a finite number: {value!r}")
        return result
    raise MoneyError(f"{field}: expected a number, got {type(value).__name__}")


def yuan_to_fen(value: object, field: str = "amount") -> Fen:
    """Parse a yuan amount (JSON number or string) into fen; more than 2 decimals is an error."""
    amount = to_decimal(value, field) * FEN_PER_YUAN
    if amount != amount.to_integral_value():
        raise MoneyError(f"{field}: {value!r} has more than two decimals (yuan)")
    return int(amount)


def fen_to_yuan(fen: int) -> Decimal:
    """Fen as a 2-decimal yuan Decimal (exact)."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def fen_to_json(fen: int) -> float:
    """Fen as a JSON number with two decimals. The float is only the wire format: Python's
    int / int is correctly rounded, so this is the double nearest to the exact yuan amount, and
    every fen value below 2**53 round-trips exactly through its shortest repr."""
    return int(fen) / FEN_PER_YUAN


def format_yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,.2f}"


def ratio_to_bp(value: object, field: str = "ratio") -> BasisPoints:
    """A ratio (0.7, "70%", "0.05") as integer basis points; finer than 0.01 % is an error."""
    text = str(value).strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.endswith("%"):
        dec = to_decimal(text[:-1], field) / 100
    else:
        dec = to_decimal(text, field)
    bp = dec * BP_PER_UNIT
    if bp != bp.to_integral_value():
        raise MoneyError(f"{field}: {value!r} is finer than 0.01%")
    return int(bp)


def bp_to_percent(bp: int) -> str:
    return f"{(Decimal(bp) / 100).normalize():f}%"


def allocate(total_fen: int, weights: list[int]) -> list[int]:
    """Split an amount by integer weights so the parts add up exactly (largest remainder).

    Used for fiscal subsidy shares (6:3:1 …): the parts always sum to the total, to the fen.
    """
    if total_fen < 0:
        raise MoneyError("cannot allocate a negative amount")
    weight_sum = sum(weights)
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise MoneyError("weights must be non-negative and not all zero")
    floors = [total_fen * w // weight_sum for w in weights]
    remainders = [total_fen * w % weight_sum for w in weights]
    short = total_fen - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        floors[i] += 1
    return floors
