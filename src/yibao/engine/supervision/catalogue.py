"""What the rules need to know about a billed item: sex or age restriction, daily limit, the
sub-items a package item already contains and, for large-equipment exams, which exam (modality
and site) it is. The catalogue is data (the rules file).

限性别 / 限年龄 have one source per item: for an item of the 医保目录 (yibao.catalogue, the same
rows the fee-detail split reads) they come from its dated 限定支付 rows (``with_medical``); the
rules file's ``items`` keep them only for codes the 医保目录 does not list (its 示例目录)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from yibao.catalogue.model import Catalogue


@dataclass(frozen=True)
class CatalogueItem:
    item_code: str
    item_name: str
    item_type: str
    sex: str | None = None  # "1" 男 / "2" 女 (GB/T 2261.1); None: either
    age_min: int | None = None  # whole years, inclusive
    age_max: int | None = None
    daily_limit: int | None = None  # most units a person may be billed a day
    includes: tuple[str, ...] = ()  # sub-items contained in this package item
    # Large-equipment exam as modality-site (CT-胸部, MRI-腰椎): items of one group are the
    # same exam (平扫 and 增强 of one site), for 过度检查's repeated exams. None: not one.
    exam_group: str | None = None


@dataclass(frozen=True)
class MedicalRestriction:
    """限性别 / 限年龄 of one dated version of a 医保目录 item."""

    item_code: str
    begndate: dt.date
    enddate: dt.date | None
    sex: str | None
    age_min: int | None
    age_max: int | None


@dataclass(frozen=True)
class ItemCatalogue:
    items: tuple[CatalogueItem, ...]
    medical: tuple[MedicalRestriction, ...] = ()

    def with_medical(self, catalogue: Catalogue) -> ItemCatalogue:
        """This catalogue with the 医保目录's 限性别 / 限年龄 rows: for a code the 医保目录 lists,
        its rows replace the rules file's sex and age (one source)."""
        rows = tuple(
            MedicalRestriction(
                e.hilist_code,
                e.begndate,
                e.enddate,
                e.restriction.sex,
                e.restriction.age_min,
                e.restriction.age_max,
            )
            for code in catalogue.codes()
            for e in catalogue.versions(code)
        )
        return ItemCatalogue(self.items, rows)

    def restriction_frame(self) -> pl.DataFrame:
        """One row per restriction in force: item_code, limit_sex, age_min, age_max and the
        version's begndate / enddate (null: no bound, for the rules file's own items)."""
        listed = {r.item_code for r in self.medical}
        own = [i for i in self.items if i.item_code not in listed]
        return pl.DataFrame(
            {
                "item_code": [i.item_code for i in own] + [r.item_code for r in self.medical],
                "limit_sex": [i.sex for i in own] + [r.sex for r in self.medical],
                "age_min": [i.age_min for i in own] + [r.age_min for r in self.medical],
                "age_max": [i.age_max for i in own] + [r.age_max for r in self.medical],
                "valid_from": [None] * len(own) + [r.begndate for r in self.medical],
                "valid_to": [None] * len(own) + [r.enddate for r in self.medical],
            },
            schema={
                "item_code": pl.String,
                "limit_sex": pl.String,
                "age_min": pl.Int32,
                "age_max": pl.Int32,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
            },
        )

    def frame(self) -> pl.DataFrame:
        """One row per item: item_code, sex, age_min, age_max, daily_limit."""
        return pl.DataFrame(
            {
                "item_code": [i.item_code for i in self.items],
                "limit_sex": [i.sex for i in self.items],
                "age_min": [i.age_min for i in self.items],
                "age_max": [i.age_max for i in self.items],
                "daily_limit": [i.daily_limit for i in self.items],
            },
            schema={
                "item_code": pl.String,
                "limit_sex": pl.String,
                "age_min": pl.Int32,
                "age_max": pl.Int32,
                "daily_limit": pl.Int64,
            },
        )

    def inclusions(self) -> pl.DataFrame:
        """One row per (package item, included sub-item)."""
        pairs = [(i.item_code, sub) for i in self.items for sub in i.includes]
        return pl.DataFrame(
            {"item_code": [p[0] for p in pairs], "sub_code": [p[1] for p in pairs]},
            schema={"item_code": pl.String, "sub_code": pl.String},
        )

    def exam_groups(self) -> pl.DataFrame:
        """One row per large-equipment exam item: item_code, exam_group."""
        grouped = [i for i in self.items if i.exam_group]
        return pl.DataFrame(
            {
                "item_code": [i.item_code for i in grouped],
                "exam_group": [i.exam_group for i in grouped],
            },
            schema={"item_code": pl.String, "exam_group": pl.String},
        )

    def by_code(self) -> dict[str, CatalogueItem]:
        return {i.item_code: i for i in self.items}
