"""What the rules need to know about a billed item: sex or age restriction, daily limit, the
sub-items a package item already contains and, for large-equipment exams, which exam (modality
and site) it is. The catalogue is data (the rules file)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


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
class ItemCatalogue:
    items: tuple[CatalogueItem, ...]

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
