"""Fiscal subsidy sharing (财政补助分担): who among central, provincial, municipal and county
government pays how much of the per-capita fiscal subsidy.

A scheme is either integer parts of the whole (池州 6:3:1, 比照西部 8:2:0, 省属高校 6:4, 市属高校
6:2:2) or a cascade of shares of what remains (内蒙古: central 80%, then 30/50/70% of the rest by
area class; 湖北: central 60%, then province 6:4 with 脱贫县 / 5:5 with other counties). Cascade
shares are computed as exact fractions and the money is then split once with ``money.allocate``,
so the four shares always add up to the subsidy, to the fen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from yibao.money import BP_PER_UNIT, allocate, fen_to_json
from yibao.policy.model import GOVERNMENT_LEVELS, Param, Policy, SharingScheme

# The levels as the notices name them (tables and pages show these, not the keys).
LEVEL_LABELS = {"central": "中央", "provincial": "省级", "municipal": "市级", "county": "县级"}


class SharingError(ValueError):
    """No sharing scheme can be chosen, or the one asked for does not exist."""


@dataclass(frozen=True)
class SchemeChoice:
    """The scheme that applies and why (which parameter chose it)."""

    name: str
    scheme: SharingScheme
    chosen_by: str  # "scheme" (asked for), "student_schemes", "county_schemes", "default_scheme"
    param: Param[Any]


@dataclass(frozen=True)
class FiscalShares:
    total: int  # fen
    central: int
    provincial: int
    municipal: int
    county: int

    def as_dict(self) -> dict[str, int]:
        return {level: getattr(self, level) for level in GOVERNMENT_LEVELS}

    def to_json(self) -> dict[str, float]:
        return {level: fen_to_json(getattr(self, level)) for level in GOVERNMENT_LEVELS}

    def __add__(self, other: FiscalShares) -> FiscalShares:
        return FiscalShares(
            self.total + other.total,
            self.central + other.central,
            self.provincial + other.provincial,
            self.municipal + other.municipal,
            self.county + other.county,
        )

    @classmethod
    def zero(cls) -> FiscalShares:
        return cls(0, 0, 0, 0, 0)


def choose_scheme(
    policy: Policy, scheme: str | None = None, student: str | None = None
) -> SchemeChoice:
    """Pick the sharing scheme for a person of ``policy.meta.code``.

    Order: an explicitly named scheme; a university student's scheme (池州: 省属高校 6:4, 市属高校
    6:2:2); the scheme listed for the county or any region above it on its chain (nearest
    first); the jurisdiction's default scheme.
    """
    fs = policy.fiscal_sharing
    schemes = fs.schemes.value
    if scheme is not None:
        if scheme not in schemes:
            known = "、".join(schemes)
            raise SharingError(f"scheme: {scheme!r} is not defined here; known: {known}")
        return SchemeChoice(scheme, schemes[scheme], "scheme", fs.schemes)
    if student is not None:
        students = fs.student_schemes.value
        if student not in students:
            known = "、".join(students) or "none"
            raise SharingError(
                f"student: {student!r} has no sharing scheme in {policy.meta.code}; known: {known}"
            )
        name = students[student]
        return SchemeChoice(name, schemes[name], "student_schemes", fs.student_schemes)
    for code in reversed(policy.meta.chain):
        name_for_code = fs.county_schemes.value.get(code)
        if name_for_code is not None:
            return SchemeChoice(
                name_for_code,
                schemes[name_for_code],
                "county_schemes",
                fs.county_schemes,
            )
    default = fs.default_scheme.value
    if default is None:
        raise SharingError(f"scheme: {policy.meta.code} has no default sharing scheme; name one")
    return SchemeChoice(default, schemes[default], "default_scheme", fs.default_scheme)


def scheme_fractions(scheme: SharingScheme) -> dict[str, Fraction]:
    """Each level's exact fraction of the whole; they add up to 1."""
    if scheme.parts is not None:
        parts: dict[str, int] = {str(k): v for k, v in scheme.parts.items()}
        whole = sum(parts.values())
        return {lv: Fraction(parts.get(lv, 0), whole) for lv in GOVERNMENT_LEVELS}
    assert scheme.cascade is not None
    out = dict.fromkeys(GOVERNMENT_LEVELS, Fraction(0))
    remaining = Fraction(1)
    last = len(scheme.cascade) - 1
    for i, step in enumerate(scheme.cascade):
        # The last step takes all that remains, whatever its stated share.
        part = (
            remaining if i == last else remaining * Fraction(step.share_of_remainder, BP_PER_UNIT)
        )
        out[step.level] += part
        remaining -= part
    if remaining:
        raise SharingError("cascade leaves money unassigned")  # unreachable: last step takes it
    return out


def split(total_fen: int, scheme: SharingScheme) -> FiscalShares:
    """Split ``total_fen`` by the scheme; the shares add up to the total exactly."""
    fractions = scheme_fractions(scheme)
    denominator = math.lcm(*(f.denominator for f in fractions.values()))
    weights = [int(fractions[lv] * denominator) for lv in GOVERNMENT_LEVELS]
    parts = allocate(total_fen, weights)
    return FiscalShares(total_fen, *parts)


def population_shares(
    per_capita_fen: int, persons_by_scheme: Mapping[str, int], schemes: Mapping[str, SharingScheme]
) -> dict[str, FiscalShares]:
    """Shares for a population: each scheme's group total (persons × per-capita subsidy) is
    split once, so rounding happens once per group and not once per person."""
    out: dict[str, FiscalShares] = {}
    for name, persons in persons_by_scheme.items():
        if persons < 0:
            raise SharingError(f"persons: negative count {persons} for scheme {name!r}")
        if name not in schemes:
            raise SharingError(f"scheme: {name!r} is not defined")
        out[name] = split(per_capita_fen * persons, schemes[name])
    return out


def total_shares(groups: Iterable[FiscalShares]) -> FiscalShares:
    result = FiscalShares.zero()
    for g in groups:
        result = result + g
    return result
