"""Resident ID numbers (公民身份号码, GB 11643-1999): 18 characters, check digit ISO 7064 MOD 11-2."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    ]
)


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    number: str
    region: str
    birth_date: dt.date
    sex: str  # "1" male, "2" female (GB/T 2261.1)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_id(value: str, field: str = "certno") -> IdNumber:
    """Validate and decode an 18-digit ID number; raises IdNumberError naming the field."""
    number = str(value).strip().upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise IdNumberError(f"{field}: {mask(number)} is not an 18-character ID number")
    if number[:2] not in PROVINCE_PREFIXES:
        raise IdNumberError(f"{field}: {mask(number)} has an unknown province code {number[:2]}")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"{field}: {mask(number)} has an impossible birth date") from None
    if birth.year < 1900:
        raise IdNumberError(f"{field}: {mask(number)} has a birth year before 1900")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"{field}: {mask(number)} fails the GB 11643 check digit")
    sex = "1" if int(number[16]) % 2 == 1 else "2"
    return IdNumber(number=number, region=number[:6], birth_date=birth, sex=sex)


def make_id(region: str, birth: dt.date, sequence: int) -> str:
    """A valid ID number for synthetic data and tests (sequence 0..999; odd = male)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def mask(number: str) -> str:
    """个人信息保护: keep the first 6 and last 4 characters."""
    text = str(number)
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
