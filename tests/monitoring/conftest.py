"""Fixtures for monitoring: the default rules file and a tiny claim builder."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from yibao.engine.supervision.inputs import FEE_DETAIL_SCHEMA, PERSON_SCHEMA
from yibao.monitoring.clean_sample import SampleBuilder
from yibao.monitoring.rules_file import load_rules


@pytest.fixture(scope="session")
def rules():
    return load_rules()


D = dt.date


class Case:
    """A handful of persons and claims written the way the tests read."""

    def __init__(self) -> None:
        self.b = SampleBuilder("500243")
        self.people: dict[str, dict[str, Any]] = {}

    def person(self, psn_no: str = "P1", sex: str = "1", birth: dt.date = D(1970, 5, 1)) -> dict:
        p = {
            "psn_no": psn_no,
            "certno": "",
            "sex": sex,
            "birth_date": birth,
            "township": "保家镇",
            "categories": "",
        }
        self.people[psn_no] = p
        return p

    def stay(self, psn: str, begin: dt.date, days: int, dx: str = "J18.9", **kw: Any) -> str:
        lines = []
        for d in range(days):
            day = begin + dt.timedelta(days=d)
            lines += [("BED001", day, 1, None), ("NUR002", day, 1, None)]
            lines += [("DRG005", day, 1, None), ("TRT001", day, 1, None)]
        return self.b.claim(
            self.people[psn], "21", begin, begin + dt.timedelta(days=days), dx, lines, **kw
        )

    def visit(
        self, psn: str, day: dt.date, lines: list, med_type: str = "11", dx: str = "J06.9"
    ) -> str:
        return self.b.claim(
            self.people[psn], med_type, day, day, dx, [("CON002", day, 1, None), *lines]
        )

    def tables(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        claims = pl.DataFrame(self.b.claims).with_columns(pl.col("tier").cast(pl.Int8))
        details = pl.DataFrame(self.b.details, schema=FEE_DETAIL_SCHEMA)
        persons = pl.DataFrame(list(self.people.values())).select(list(PERSON_SCHEMA))
        return claims, details, persons


@pytest.fixture
def case() -> Case:
    return Case()
