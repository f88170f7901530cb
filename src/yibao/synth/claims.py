"""A year of synthetic claims for enrolled people, calibrated to the national bulletins.

Counts per person are Poisson with age gradients rescaled so the population mean equals the
published rate (住院率 20.7 %, 门急诊/慢特病 人次); costs are lognormal with the published mean
(次均住院费用 7,674 元) split by hospital level; the parts outside the policy scope (丙类, 乙类先行自付,
超限价) are drawn as shares of the bill. Output columns follow ``claims.CLAIM_SCHEMA`` (fen);
``_yilei`` (the 乙类 part of the bill) and ``_days`` are kept for the fee-detail table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from yibao.claims import CLAIM_SCHEMA
from yibao.money import apply_ratio, ratio_to_bp
from yibao.policy.model import Policy
from yibao.synth.calibration import Calibration

# CLAIM_SCHEMA as polars types (timestamp[s] is held as milliseconds in polars).
CLAIM_COLUMNS = pl.DataFrame(CLAIM_SCHEMA.empty_table()).schema
# hosp_lv codes drawn for each level, with weights (医院等级代码表).
LEVEL_CODES: dict[str, tuple[tuple[str, float], ...]] = {
    "三级": (("02", 0.6), ("03", 0.3), ("12", 0.1)),
    "二级": (("05", 0.6), ("06", 0.3), ("13", 0.1)),
    "一级": (("08", 0.3), ("09", 0.3), ("10", 0.1), ("11", 0.2), ("14", 0.1)),
}
LEVEL_DIGIT = {"三级": "3", "二级": "2", "一级": "1"}
INSTITUTIONS = {
    "三级": 2,
    "二级": 3,
    "一级": 39,
}  # a county: 2 tertiary (in the city), 3 county hospitals
DIAGNOSES: dict[str, tuple[str, ...]] = {
    "inpatient": ("J18.9", "I63.9", "I25.1", "J44.1", "K80.2", "S72.0", "N18.5", "K35.8", "C34.9", "I50.9"),
    "outpatient_general": ("J06.9", "K29.7", "M54.5", "J20.9", "L30.9", "H10.9"),
    "chronic_outpatient": ("I10", "E11.9", "N18.5", "C34.9", "F20.9", "I50.9", "J44.9"),
    "two_diseases": ("I10", "E11.9"),
    "maternity_outpatient": ("Z34.9",),
    "maternity_inpatient": ("O80", "O82.9"),
}  # fmt: skip


@dataclass(frozen=True)
class People:
    """Enrolled people and their claim window (days since the epoch, inclusive)."""

    idx: np.ndarray  # row in the persons frame
    age: np.ndarray  # years on 1 January
    female: np.ndarray
    start: np.ndarray  # first day a claim may fall on
    end: np.ndarray


def _age_factor(age: np.ndarray, table: dict[int, float]) -> np.ndarray:
    bounds = np.array(sorted(table), dtype=float)
    values = np.array([table[k] for k in sorted(table)], dtype=float)
    return values[np.searchsorted(bounds, age, side="right") - 1]


def _counts(rng: np.random.Generator, people: People, rate: np.ndarray) -> np.ndarray:
    """Poisson counts, scaled by the share of the year the person can claim."""
    share = (people.end - people.start + 1) / 365.0
    return rng.poisson(np.maximum(rate * share, 0.0))


def _levels(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    names = np.array(list(shares), dtype=object)
    p = np.array(list(shares.values()), dtype=float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _hosp_lv(rng: np.random.Generator, levels: np.ndarray) -> np.ndarray:
    out = np.empty(len(levels), dtype=object)
    for level, codes in LEVEL_CODES.items():
        mask = levels == level
        names = np.array([c for c, _ in codes], dtype=object)
        p = np.array([w for _, w in codes])
        out[mask] = names[rng.choice(len(names), size=int(mask.sum()), p=p / p.sum())]
    return out


def _lognormal_fen(rng: np.random.Generator, mean_yuan: np.ndarray, sigma: float) -> np.ndarray:
    mu = np.log(mean_yuan) - sigma * sigma / 2
    return np.maximum(np.round(rng.lognormal(mu, sigma) * 100), 100).astype(np.int64)


def _block(
    rng: np.random.Generator,
    people: People,
    counts: np.ndarray,
    *,
    med_type: str | np.ndarray,
    kind: str,
    levels: np.ndarray | None,
    level_share: dict[str, float],
    mean_by_level: dict[str, float],
    sigma: float,
    stay_by_level: dict[str, float] | None,
    self_pay: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Claims of one kind: who, where, when, how much."""
    who = np.repeat(np.arange(len(people.idx)), counts)
    n = len(who)
    lv = levels if levels is not None else _levels(rng, n, level_share)
    total = _lognormal_fen(rng, np.array([mean_by_level[x] for x in lv], dtype=float), sigma)
    if stay_by_level is not None:
        mean_stay = np.array([stay_by_level[x] for x in lv], dtype=float)
        days = 1 + rng.poisson(np.maximum(mean_stay - 1, 0))
    else:
        days = np.zeros(n, dtype=np.int64)
    start, end = people.start[who], people.end[who]
    days = np.minimum(days, end - start)
    begin = start + (rng.random(n) * (end - start - days + 1)).astype(np.int64)
    finish = begin + days

    def share(name: str) -> np.ndarray:
        value = self_pay[name]
        return np.array([value[x] for x in lv]) if isinstance(value, dict) else np.full(n, value)

    fulamt = (total * share("fulamt_ownpay") * rng.uniform(0.5, 1.5, n)).astype(np.int64)
    overlmt = (
        (total * share("overlmt") * rng.uniform(0.0, 2.0, n)).astype(np.int64)
        if "overlmt" in self_pay
        else np.zeros(n, np.int64)
    )
    yilei = (total * share("yilei_share") * rng.uniform(0.7, 1.3, n)).astype(np.int64)
    yilei = np.minimum(yilei, total - fulamt - overlmt)
    preselfpay = apply_ratio(yilei, ratio_to_bp(self_pay["preselfpay_ratio"]))
    diagnoses = np.array(DIAGNOSES[kind], dtype=object)
    institution = rng.integers(0, 10_000, size=n)
    return {
        "person": people.idx[who],
        "med_type": np.full(n, med_type, dtype=object)
        if isinstance(med_type, str)
        else med_type[who],
        "level": lv,
        "hosp_lv": _hosp_lv(rng, lv),
        "institution": institution,
        "dise_codg": diagnoses[rng.integers(0, len(diagnoses), size=n)],
        "begin": begin,
        "end": finish,
        "seconds": rng.integers(8 * 3600, 18 * 3600, size=n),
        "medfee_sumamt": total,
        "fulamt_ownpay_amt": fulamt,
        "overlmt_selfpay": overlmt,
        "preselfpay_amt": preselfpay,
        "_yilei": yilei,
        "_days": days,
    }


def simulate_claims(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    enrollments: pl.DataFrame,
    policy: Policy,
    calib: Calibration,
) -> pl.DataFrame:
    """Claims of the enrolled people for the policy year (CLAIM_SCHEMA columns plus _yilei, _days)."""
    year = policy.meta.year
    jan1 = int(np.datetime64(f"{year}-01-01", "D").astype(np.int64))
    dec31 = int(np.datetime64(f"{year}-12-31", "D").astype(np.int64))
    # People whose waiting period outlasts the year have no coverage: no claim reaches the fund.
    cover = enrollments.filter(
        (pl.col("insutype") == "390") & (pl.col("begin") <= pl.col("end"))
    ).select("psn_no", "begin", "end")
    frame = persons.with_row_index("row").join(cover, on="psn_no", how="inner").sort("row")
    birth = frame["birth_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    people = People(
        idx=frame["row"].to_numpy().astype(np.int64),
        age=(jan1 - birth) / 365.25,
        female=(frame["sex"] == "2").to_numpy(),
        start=np.maximum(birth, jan1),
        end=np.full(frame.height, dec31, dtype=np.int64),
    )
    pools = policy.benefits.med_type_pool.value
    util = calib.assumption("utilisation")
    out_cost = calib.assumption("outpatient_cost")
    out_level = calib.assumption("outpatient_level_share")
    out_self = calib.assumption("outpatient_self_pay")
    blocks: list[dict[str, np.ndarray]] = []

    # 住院: 住院率 and 次均住院费用 from the bulletin, split by level.
    f = _age_factor(people.age, util["inpatient_age_factor"])
    rate = calib.figure(year, "inpatient_rate").value * f / f.mean()
    level_share = calib.assumption("inpatient_level_share")
    cost = calib.assumption("inpatient_cost_by_level")
    # The national mean per admission at the region's cost level (a rural county's below it).
    cost_level = calib.assumption("inpatient_cost_level", calib.profile(policy.meta.code))
    mean_cost = calib.figure(year, "inpatient_cost_per_admission").value * cost_level
    norm = sum(level_share[lv] * cost[lv] for lv in level_share)
    blocks.append(
        _block(
            rng, people, _counts(rng, people, rate), med_type="21", kind="inpatient", levels=None,
            level_share=level_share,
            mean_by_level={lv: mean_cost * cost[lv] / norm for lv in level_share},
            sigma=cost["sigma"], stay_by_level=calib.assumption("length_of_stay"),
            self_pay=calib.assumption("inpatient_self_pay"),
        )
    )  # fmt: skip

    # 普通门急诊: 17亿人次 of 21.57亿 (2022), age gradient; 5% are emergencies (13).
    f = _age_factor(people.age, util["outpatient_age_factor"])
    counts = _counts(rng, people, util["outpatient_visits_per_person"] * f / f.mean())
    oc = out_cost["outpatient_general"]
    block = _block(
        rng, people, counts, med_type="11", kind="outpatient_general", levels=None,
        level_share=out_level["outpatient_general"], mean_by_level=oc, sigma=oc["sigma"],
        stay_by_level=None, self_pay=out_self,
    )  # fmt: skip
    block["med_type"] = np.where(rng.random(len(block["person"])) < 0.05, "13", "11").astype(object)
    blocks.append(block)

    # 门诊慢特病: patients by age prevalence, several visits each.
    if "14" in pools:
        patient = rng.random(len(people.idx)) < _age_factor(
            people.age, util["chronic_prevalence_age"]
        )
        counts = np.where(patient, rng.poisson(util["chronic_visits_per_patient"], len(patient)), 0)
        cc = out_cost["chronic_outpatient"]
        blocks.append(
            _block(
                rng,
                people,
                counts,
                med_type="14",
                kind="chronic_outpatient",
                levels=None,
                level_share=out_level["chronic_outpatient"],
                mean_by_level=cc,
                sigma=cc["sigma"],
                stay_by_level=None,
                self_pay=out_self,
            )
        )

    # 两病门诊用药: hypertension/diabetes patients filling prescriptions at 基层.
    if "9901" in pools:
        patient = rng.random(len(people.idx)) < _age_factor(
            people.age, util["two_diseases_prevalence_age"]
        )
        counts = np.where(
            patient, rng.poisson(util["two_diseases_fills_per_patient"], len(patient)), 0
        )
        tc = out_cost["two_diseases"]
        blocks.append(
            _block(
                rng,
                people,
                counts,
                med_type="9901",
                kind="two_diseases",
                levels=None,
                level_share={"一级": 1.0},
                mean_by_level=tc,
                sigma=tc["sigma"],
                stay_by_level=None,
                self_pay=out_self,
            )
        )

    # 生育: deliveries at the national birth rate, borne by women aged 20–40; prenatal visits.
    if "52" in pools:
        women = people.female & (people.age >= 20) & (people.age < 40)
        p = calib.figure(year, "birth_rate").value * len(people.idx) / max(int(women.sum()), 1)
        counts = (women & (rng.random(len(women)) < p)).astype(np.int64)
        mc = out_cost["maternity_inpatient"]
        delivery = _block(
            rng,
            people,
            counts,
            med_type="52",
            kind="maternity_inpatient",
            levels=None,
            level_share=out_level["maternity_inpatient"],
            mean_by_level=mc,
            sigma=mc["sigma"],
            stay_by_level={"三级": 4, "二级": 3, "一级": 3},
            self_pay=out_self,
        )
        blocks.append(delivery)
        if "51" in pools:
            visits = counts * int(calib.assumption("maternity")["prenatal_visits"])
            pc = out_cost["maternity_outpatient"]
            blocks.append(
                _block(
                    rng, people, visits, med_type="51", kind="maternity_outpatient", levels=None,
                    level_share={"二级": 1.0}, mean_by_level=pc, sigma=pc["sigma"],
                    stay_by_level=None, self_pay=out_self,
                )
            )  # fmt: skip

    data = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    return _assemble(data, persons, enrollments, policy)


def _assemble(
    data: dict[str, np.ndarray], persons: pl.DataFrame, enrollments: pl.DataFrame, policy: Policy
) -> pl.DataFrame:
    region = policy.meta.code
    year = policy.meta.year
    level_digit = np.array([LEVEL_DIGIT[x] for x in data["level"]], dtype=object)
    count = np.array([INSTITUTIONS[x] for x in data["level"]])
    fixmedins = [
        f"H{region}{d}{i:04d}"
        for d, i in zip(level_digit, data["institution"] % count, strict=True)
    ]
    epoch = np.datetime64("1970-01-01", "D")
    begin = epoch + data["begin"].astype("timedelta64[D]")
    end = epoch + data["end"].astype("timedelta64[D]")
    setl_time = (end.astype("datetime64[s]") + data["seconds"].astype("timedelta64[s]")).astype(
        "datetime64[ms]"
    )
    coverage = enrollments.filter(pl.col("insutype") == "390").select(
        "psn_no",
        pl.when((pl.col("begin") == pl.date(year, 1, 1)) & (pl.col("end") == pl.date(year, 12, 31)))
        .then(None)
        .otherwise(pl.col("begin"))
        .alias("coverage_begin"),
        pl.when((pl.col("begin") == pl.date(year, 1, 1)) & (pl.col("end") == pl.date(year, 12, 31)))
        .then(None)
        .otherwise(pl.col("end"))
        .alias("coverage_end"),
    )
    who = persons.select("psn_no", "certno", "insuplc_admdvs", "tier", "categories")[data["person"]]
    frame = (
        who.with_columns(
            pl.Series("med_type", data["med_type"], dtype=pl.String),
            pl.Series("hosp_lv", data["hosp_lv"], dtype=pl.String),
            pl.Series("fixmedins_code", fixmedins, dtype=pl.String),
            pl.Series("dise_codg", data["dise_codg"], dtype=pl.String),
            pl.Series("setl_time", setl_time),
            pl.Series("begndate", begin),
            pl.Series("enddate", end),
            *(
                pl.Series(k, data[k].astype(np.int64))
                for k in (
                    "medfee_sumamt",
                    "fulamt_ownpay_amt",
                    "overlmt_selfpay",
                    "preselfpay_amt",
                    "_yilei",
                    "_days",
                )
            ),
        )
        .join(coverage, on="psn_no", how="left")
        .sort("psn_no", "setl_time", maintain_order=True)
        .with_columns(
            (
                pl.col("psn_no")
                + pl.lit("-")
                + pl.int_range(1, pl.len() + 1).over("psn_no").cast(pl.String).str.zfill(4)
            ).alias("setl_id")
        )
    )
    # The synthetic year is of local claims: no 异地就医 inputs (null columns of the schema).
    absent = [pl.lit(None, dtype).alias(n) for n, dtype in CLAIM_COLUMNS.items() if n not in frame]
    return frame.with_columns(absent).select(
        *(pl.col(name).cast(dtype) for name, dtype in CLAIM_COLUMNS.items()), "_yilei", "_days"
    )


def claim_table(claims: pl.DataFrame) -> pl.DataFrame:
    """Only the CLAIM_SCHEMA columns, in order (what is written and settled)."""
    return claims.select(list(CLAIM_COLUMNS))
