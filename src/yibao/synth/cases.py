"""Synthetic 病案首页 fields for inpatient claims (med_type 21): 主诊断 and 手术 codes, other
diagnoses, LOS, age, sex and 离院方式, so every hospital has a case mix for DRG/DIP (issue 18).

All distributions here are ASSUMED (no bulletin gives a case mix by code): a catalogue of common
inpatient case types with assumed shares by age band and an assumed relative cost, matched to the
claim's own cost so that dearer claims get dearer case types. Age, sex and LOS are not drawn:
they come from the claim (certno, begndate/enddate). Codes are CHS-DRG 1.1 / 国家医保版 ICD-10 and
ICD-9-CM-3 codes present in the shipped table (data/drg/chs-drg-1.1).

Deterministic: each claim's draws are seeded by its setl_id, so the cases of a claim do not
depend on which other claims are in the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

ASSUMED = True  # every share and weight below is an assumption (see module docstring)


@dataclass(frozen=True)
class CaseType:
    main: str  # 主诊断
    procedures: tuple[str, ...]  # 主手术 first
    relative_cost: float  # assumed cost relative to the mean admission
    shares: tuple[float, float, float]  # assumed weight among children (<15), adults, elderly (≥65)
    sex: str = ""  # "1"/"2" when the type is sex-specific


CATALOGUE: tuple[CaseType, ...] = (
    CaseType("J18.900", (), 0.8, (30, 6, 10)),  # 肺炎
    CaseType("J20.900", (), 0.5, (20, 2, 2)),  # 急性支气管炎
    CaseType("J06.900", (), 0.4, (12, 2, 1)),  # 急性上呼吸道感染
    CaseType("A09.900x003", (), 0.45, (12, 4, 2)),  # 胃肠炎和结肠炎
    CaseType("J44.100", (), 1.0, (0, 2, 12)),  # 慢阻肺急性加重
    CaseType("I63.900", (), 1.2, (0, 4, 12)),  # 脑梗死
    CaseType("I61.900x002", (), 2.2, (0, 1, 2)),  # 脑内出血
    CaseType("I25.103", (), 0.8, (0, 3, 8)),  # 冠心病
    CaseType("I20.000", ("36.0700",), 4.0, (0, 1, 3)),  # 不稳定型心绞痛, 药物洗脱支架
    CaseType("I50.900", (), 1.1, (0, 1, 6)),  # 心力衰竭
    CaseType("E11.900", (), 0.7, (0, 3, 4)),  # 2型糖尿病
    CaseType("K29.700", (), 0.5, (1, 4, 3)),  # 胃炎
    CaseType("K35.800x001", ("47.0901",), 1.1, (4, 4, 1)),  # 急性阑尾炎, 阑尾切除
    CaseType("K80.100x001", ("51.2300",), 1.5, (0, 4, 3)),  # 胆囊结石伴胆囊炎, 腹腔镜胆囊切除
    CaseType("K40.900x002", ("53.0001",), 1.0, (2, 2, 2), "1"),  # 腹股沟疝, 修补
    CaseType("K56.700", (), 0.9, (1, 1, 2)),  # 肠梗阻
    CaseType("K85.900", (), 1.6, (0, 2, 1)),  # 急性胰腺炎
    CaseType("N39.000", (), 0.6, (2, 2, 3)),  # 泌尿道感染
    CaseType("N20.000", (), 0.6, (0, 3, 1)),  # 肾结石
    CaseType("N40.x00", ("60.2900x003",), 1.3, (0, 0, 3), "1"),  # 前列腺增生, 经尿道切除
    CaseType("H25.900", ("13.4100",), 0.9, (0, 1, 6)),  # 老年性白内障, 超声乳化
    CaseType("M51.202", (), 0.8, (0, 4, 2)),  # 腰椎间盘突出（保守）
    CaseType("M17.900", ("81.5400",), 5.0, (0, 0, 2)),  # 膝关节病, 全膝置换
    CaseType("S72.000", ("81.5100",), 5.5, (0, 0, 2)),  # 股骨颈骨折, 全髋置换
    CaseType("S82.201", ("79.3600x013",), 2.5, (1, 2, 1)),  # 胫骨骨干骨折, 内固定
    CaseType("S06.000", (), 0.6, (3, 2, 1)),  # 脑震荡
    CaseType("C34.900x001", (), 1.3, (0, 1, 3)),  # 肺恶性肿瘤
    CaseType("Z51.102", ("99.2503",), 0.9, (0, 2, 2)),  # 术后恶性肿瘤化学治疗
    CaseType("R50.900", (), 0.4, (6, 1, 1)),  # 发热
)

# Other diagnoses (assumed prevalence among adults ≥ 45 and elderly): 2型糖尿病, 高血压3级 (CC in
# CHS-DRG 1.1), 贫血, 低钠血症, 慢性肾脏病5期, 急性呼吸衰竭 (MCC).
COMORBIDITY: tuple[tuple[str, float], ...] = (
    ("E11.900", 0.12),
    ("I10.x05", 0.18),
    ("D64.900", 0.05),
    ("E87.100", 0.04),
    ("N18.500", 0.01),
    ("J96.000", 0.02),
)
# 离院方式 (assumed): 1 医嘱离院, 2 医嘱转院, 3 转社区, 4 非医嘱离院, 5 死亡, 9 其他.
LEAVING = (("1", 0.955), ("2", 0.015), ("3", 0.005), ("4", 0.015), ("5", 0.005), ("9", 0.005))
COST_SIGMA = 0.6  # assumed spread of a case type's cost (lognormal) when matching claims to types

CASE_COLUMNS = {
    "setl_id": pl.String,
    "gend": pl.String,
    "age": pl.Int32,
    "age_days": pl.Int32,
    "weight": pl.Int32,
    "los": pl.Int32,
    "leaving_type": pl.String,
    "diagnoses": pl.String,  # "|"-joined, 主诊断 first
    "procedures": pl.String,  # "|"-joined, 主手术 first ("" none)
}


DRAWS = 2 + len(COMORBIDITY)  # uniforms per claim: case type, 离院方式, one per comorbidity


def _uniforms(setl_ids: list[str]) -> np.ndarray:
    """DRAWS uniforms in [0, 1) per claim from a hash of its setl_id (stable across runs,
    independent of the other claims in the file)."""
    raw = b"".join(hashlib.blake2b(s.encode(), digest_size=8 * DRAWS).digest() for s in setl_ids)
    words = np.frombuffer(raw, dtype="<u8").reshape(len(setl_ids), DRAWS)
    return (words >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def claim_facts(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """What a claim itself says of its case, nothing drawn: gend and age from ``certno`` (on the
    settlement day), the age in days, LOS from begndate/enddate (at least 1)."""
    day = frame.select(
        pl.coalesce(pl.col("setl_time").cast(pl.Date), pl.col("enddate")).alias("day")
    )["day"]
    birth = frame["certno"].str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")
    gend = np.where(frame["certno"].str.slice(16, 1).cast(pl.Int32).to_numpy() % 2 == 1, "1", "2")
    age = (
        day.dt.year()
        - birth.dt.year()
        - (
            (day.dt.month().cast(pl.Int32) * 100 + day.dt.day())
            < (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day())
        ).cast(pl.Int32)
    ).to_numpy()
    days = (day - birth).dt.total_days().to_numpy()
    los = np.maximum((frame["enddate"] - frame["begndate"]).dt.total_days().to_numpy(), 1)
    return {"gend": gend, "age": age, "age_days": days, "los": los}


def simulate_cases(claims: pl.DataFrame) -> pl.DataFrame:
    """Cases (CASE_COLUMNS) for the inpatient claims (med_type 21) of a CLAIM_SCHEMA frame."""
    frame = claims.filter(pl.col("med_type") == "21")
    if frame.height == 0:
        return pl.DataFrame(schema=CASE_COLUMNS)
    u = _uniforms(frame["setl_id"].to_list())
    facts = claim_facts(frame)
    gend, age, days, los = facts["gend"], facts["age"], facts["age_days"], facts["los"]
    band = np.where(age < 15, 0, np.where(age >= 65, 2, 1))
    # Cost against the mean over all levels: dearer hospitals (三级) get the dearer case types.
    cost = np.maximum(frame["medfee_sumamt"].to_numpy().astype(np.float64), 1.0)
    rel = np.log(cost / cost.mean())
    weights = np.array([t.shares for t in CATALOGUE], dtype=float)  # T × 3
    log_cost = np.log([t.relative_cost for t in CATALOGUE])
    p = weights.T[band] * np.exp(-0.5 * ((rel[:, None] - log_cost[None, :]) / COST_SIGMA) ** 2)
    sex = np.array([t.sex for t in CATALOGUE])
    p *= (sex[None, :] == "") | (sex[None, :] == gend[:, None])
    empty = p.sum(axis=1) <= 0
    p[empty] = weights.T[band[empty]]
    cum = np.cumsum(p, axis=1)
    kind = np.minimum((cum < (u[:, 0] * cum[:, -1])[:, None]).sum(axis=1), len(CATALOGUE) - 1)
    mains = np.array([t.main for t in CATALOGUE], dtype=object)[kind]
    diagnoses = mains.copy()
    factor = np.where(band == 2, 1.5, 1.0)
    for j, (code, prevalence) in enumerate(COMORBIDITY):
        has = (age >= 45) & (mains != code) & (u[:, 2 + j] < prevalence * factor)
        diagnoses = np.where(has, diagnoses + "|" + code, diagnoses)
    procs = np.array(["|".join(t.procedures) for t in CATALOGUE], dtype=object)[kind]
    leave_cum = np.cumsum([w for _, w in LEAVING])
    leave_idx = np.minimum((u[:, 1][:, None] >= leave_cum[None, :]).sum(axis=1), len(LEAVING) - 1)
    leaving = np.array([c for c, _ in LEAVING], dtype=object)[leave_idx]
    # Birth weight of a neonate: assumed 3,200 g (a normal term weight).
    columns = {
        "setl_id": frame["setl_id"],
        "gend": pl.Series(gend.tolist(), dtype=pl.String),
        "age": pl.Series(age, dtype=pl.Int32),
        "age_days": pl.Series(days, dtype=pl.Int32),
        "weight": pl.Series(np.full(len(age), 3200), dtype=pl.Int32),
        "los": pl.Series(los, dtype=pl.Int32),
        "leaving_type": pl.Series(leaving.tolist(), dtype=pl.String),
        "diagnoses": pl.Series(diagnoses.tolist(), dtype=pl.String),
        "procedures": pl.Series(procs.tolist(), dtype=pl.String),
    }
    out = pl.DataFrame(columns)
    return out.with_columns(
        pl.when(pl.col("age") == 0).then(pl.col("age_days")).alias("age_days"),
        pl.when((pl.col("age") == 0) & (pl.col("age_days") <= 28))
        .then(pl.col("weight"))
        .alias("weight"),
    ).select(*(pl.col(k).cast(v) for k, v in CASE_COLUMNS.items()))


# The case's fields under the claim's (national platform's) names: claims.CASE_FIELDS.
CLAIM_FIELD = {
    "gend": "gend",
    "age": "age",
    "age_days": "nwb_age",
    "weight": "nwb_bir_wt",
    "los": "act_ipt_days",
    "leaving_type": "dscg_way",
}


def case_fields(cases: pl.DataFrame) -> pl.DataFrame:
    """Cases (CASE_COLUMNS) as the claim's 病案首页 columns (setl_id and claims.CASE_FIELDS):
    the "|"-joined codes become lists of strings, 主诊断 / 主手术 first (no procedure: [])."""

    def codes(name: str) -> pl.Expr:
        return pl.col(name).str.split("|").list.eval(pl.element().filter(pl.element() != ""))

    return cases.select(
        "setl_id",
        *(pl.col(case).alias(claim) for case, claim in CLAIM_FIELD.items()),
        pl.col("diagnoses").str.split("|").list.first().alias("dscg_maindiag_code"),
        codes("diagnoses").alias("diseinfo_diag_code"),
        codes("procedures").alias("oprninfo_oprn_oprt_code"),
    )


def with_case_fields(claims: pl.DataFrame) -> pl.DataFrame:
    """The claims with their 病案首页 columns (claims.CASE_FIELDS, CLAIM_SCHEMA's types) filled
    for the inpatient ones (simulate_cases) and null on the others; every other column as it
    was, in the same order (the case columns where they were, else last)."""
    from yibao.claims import CASE_FIELDS, CLAIM_SCHEMA

    types = pl.DataFrame(CLAIM_SCHEMA.empty_table().select(list(CASE_FIELDS))).schema
    fields = case_fields(simulate_cases(claims))
    joined = claims.drop(CASE_FIELDS, strict=False).join(
        fields, on="setl_id", how="left", maintain_order="left"
    )
    order = [*claims.columns, *(n for n in CASE_FIELDS if n not in claims.columns)]
    return joined.select(pl.col(n).cast(types[n]) if n in types else pl.col(n) for n in order)
