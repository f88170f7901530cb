"""A small clean year of claims, fee details and persons, for checking the monitoring rules
(the synthetic-population package makes the large calibrated ones). "Clean" means generated
so that no rule should fire: outpatient visits avoid inpatient stays, refills wait for the
previous supply, restricted items go only to the persons they are for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.claims import CLAIM_SCHEMA
from yibao.engine.supervision.inputs import FEE_DETAIL_SCHEMA, PERSON_SCHEMA
from yibao.idcard import make_id

TOWNSHIPS = ("汉葭街道", "绍庆街道", "保家镇", "郁山镇", "高谷镇")
CATEGORIES = ("", "", "", "", "", "", "稳定脱贫人口", "低保对象", "防止返贫监测对象", "特困人员")
SERIOUS_DIAGNOSES = ("J18.9", "I63.9", "K80.2", "S72.0", "I21.9", "N18.5", "C34.9", "O80.0")
ITEMS: dict[str, tuple[str, str, str, int]] = {  # code → name, type, 甲乙类, price (fen)
    "BED001": ("普通床位费", "床位", "01", 3_000),
    "NUR002": ("二级护理", "护理", "01", 2_000),
    "CON001": ("住院诊察费", "诊察", "01", 1_500),
    "CON002": ("门诊诊察费", "诊察", "01", 1_000),
    "LAB100": ("血常规（全血细胞计数+五分类）", "检查", "01", 2_500),
    "LAB101": ("白细胞计数", "检查", "01", 500),
    "IMG001": ("胸部CT平扫", "检查", "01", 28_000),
    "IMG002": ("腹部彩色多普勒超声", "检查", "01", 15_000),
    "IMG003": ("胸部CT增强扫描", "检查", "02", 45_000),
    "IMG004": ("头颅CT平扫", "检查", "01", 20_000),
    "IMG005": ("心脏彩色多普勒超声", "检查", "01", 20_000),
    "IMG010": ("头颅MRI平扫", "检查", "02", 50_000),
    "IMG011": ("腰椎MRI平扫", "检查", "02", 50_000),
    "TRT001": ("静脉输液", "治疗", "01", 1_200),
    "MAT001": ("一次性输液器", "材料", "02", 800),
    "DRG001": ("头孢呋辛酯片", "药品", "02", 600),
    "DRG002": ("阿莫西林胶囊", "药品", "01", 300),
    "DRG003": ("氨氯地平片", "药品", "01", 150),
    "DRG005": ("注射用头孢曲松钠", "药品", "02", 4_500),
    "SEXF01": ("宫颈细胞学检查（TCT）", "检查", "02", 12_000),
    "SEXM01": ("前列腺特异性抗原测定（PSA）", "检查", "02", 6_000),
    "AGE002": ("小儿氨酚黄那敏颗粒", "药品", "02", 200),
    "AGE003": ("老年综合评估", "检查", "02", 8_000),
}


@dataclass
class SampleBuilder:
    """Accumulates claims and their fee lines; amounts always add up to medfee_sumamt."""

    region: str
    claims: list[dict[str, Any]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def new_id(self, prefix: str = "S") -> str:
        sid = f"{prefix}{self.next_id:07d}"
        self.next_id += 1
        return sid

    def claim(
        self,
        person: dict[str, Any],
        med_type: str,
        begin: dt.date,
        end: dt.date,
        diagnosis: str,
        lines: list[tuple[str, dt.date, int, int | None]],  # item, date, qty, days_supply
        hosp_lv: str = "05",
        setl_id: str | None = None,
    ) -> str:
        sid = setl_id or self.new_id()
        total = 0
        for no, (code, day, qty, days) in enumerate(lines, start=1):
            name, kind, level, price = ITEMS[code]
            total += price * qty
            self.details.append(
                {
                    "setl_id": sid,
                    "line_no": no,
                    "item_code": code,
                    "item_name": name,
                    "item_type": kind,
                    "chrgitm_lv": level,
                    "date": day,
                    "qty": float(qty),
                    "price": price,
                    "amount": price * qty,
                    "days_supply": days,
                }
            )
        self.claims.append(
            {
                "setl_id": sid,
                "psn_no": person["psn_no"],
                "certno": person["certno"],
                "insuplc_admdvs": self.region,
                "tier": 1,
                "categories": person["categories"],
                "med_type": med_type,
                "hosp_lv": hosp_lv,
                "fixmedins_code": f"H{self.region}{hosp_lv}",
                "dise_codg": diagnosis,
                "setl_time": dt.datetime.combine(end, dt.time(10)),
                "begndate": begin,
                "enddate": end,
                "medfee_sumamt": total,
                "fulamt_ownpay_amt": 0,
                "overlmt_selfpay": 0,
                "preselfpay_amt": 0,
                "coverage_begin": None,
                "coverage_end": None,
            }
        )
        return sid


def inpatient_lines(begin: dt.date, days: int, rng: np.random.Generator) -> list[Any]:
    lines: list[Any] = [("LAB100", begin, 1, None), ("IMG001", begin, 1, None)]
    for d in range(days):
        day = begin + dt.timedelta(days=d)
        lines += [("BED001", day, 1, None), ("NUR002", day, 1, None), ("CON001", day, 1, None)]
        lines += [("DRG005", day, int(rng.integers(1, 3)), None), ("TRT001", day, 1, None)]
        lines.append(("MAT001", day, 1, None))
    return lines


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _inside(day: dt.date, stays: list[tuple[dt.date, dt.date]]) -> bool:
    return any(b < day < e for b, e in stays)


def clean_sample(
    persons: int = 500, year: int = 2023, seed: int = 1, region: str = "500243"
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(claims in CLAIM_SCHEMA, fee details, persons) for one clean synthetic year."""
    rng = np.random.default_rng(seed)
    start = dt.date(year, 1, 1)
    people: list[dict[str, Any]] = []
    b = SampleBuilder(region)
    for i in range(persons):
        age = int(rng.integers(1, 86))
        birth = dt.date(year - age, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        p = {
            "psn_no": f"P{i + 1:07d}",
            "certno": make_id(region, birth, i % 999 + 1),
            "sex": str(rng.choice(["1", "2"])),
            "birth_date": birth,
            "township": str(rng.choice(TOWNSHIPS)),
            "categories": str(rng.choice(CATEGORIES)),
        }
        people.append(p)
        stays: list[tuple[dt.date, dt.date]] = []
        # Inpatient stays, at least 60 days apart, each for a different diagnosis.
        for k in range(int(rng.choice([0] * 8 + [1, 2]))):
            days = int(rng.integers(4, 13))
            begin = start + dt.timedelta(days=int(rng.integers(0, 150)) + 180 * k)
            end = begin + dt.timedelta(days=days)
            dx = SERIOUS_DIAGNOSES[(i + k) % len(SERIOUS_DIAGNOSES)]
            b.claim(p, "21", begin, end, dx, inpatient_lines(begin, days, rng), hosp_lv="02")
            stays.append((begin, end))
        # General outpatient visits; a drug again only once the last supply is used.
        last_drug: dict[str, dt.date] = {}
        visit_days = sorted(
            {start + dt.timedelta(days=int(d)) for d in rng.integers(0, 360, rng.poisson(3))}
        )
        for day in visit_days:
            if any(b0 <= day <= e0 for b0, e0 in stays):
                continue
            lines: list[Any] = [("CON002", day, 1, None)]
            drug = "AGE002" if _age(birth, day) <= 14 else str(rng.choice(["DRG001", "DRG002"]))
            supply = int(rng.integers(3, 8))
            if drug not in last_drug or (day - last_drug[drug]).days >= 8:
                lines.append((drug, day, supply, supply))
                last_drug[drug] = day
            if rng.random() < 0.3:
                lines.append(("LAB100", day, 1, None))
            if age >= 25 and rng.random() < 0.1:
                lines.append(("SEXF01" if p["sex"] == "2" else "SEXM01", day, 1, None))
            if _age(birth, day) >= 60 and rng.random() < 0.1:
                lines.append(("AGE003", day, 1, None))
            b.claim(p, "11", day, day, "J06.9", lines, hosp_lv=str(rng.choice(["05", "08"])))
        # Chronic disease (高血压): a 30-day supply every 30 days.
        if age >= 40 and rng.random() < 0.15:
            first = int(rng.integers(0, 30))
            for m in range(12):
                day = start + dt.timedelta(days=first + 30 * m)
                if day.year != year or _inside(day, stays):
                    continue
                b.claim(p, "14", day, day, "I10", [("DRG003", day, 30, 30)], hosp_lv="08")
    # every CLAIM_SCHEMA column, in order (the 异地就医 ones null: local claims)
    claims = pl.from_arrow(pa.Table.from_pylist(b.claims, schema=CLAIM_SCHEMA))
    assert isinstance(claims, pl.DataFrame)
    details = pl.DataFrame(b.details, schema=FEE_DETAIL_SCHEMA)
    persons_df = pl.DataFrame(people).select(list(PERSON_SCHEMA)).cast(PERSON_SCHEMA)
    return claims, details, persons_df
