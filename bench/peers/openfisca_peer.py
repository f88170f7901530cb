"""The inpatient layers for a person-year, encoded in OpenFisca (openfisca-core), as a peer.

OpenFisca computes per entity and period, so the rules are written at the person-year level:
the basic fund pays the level ratio on each level's policy-scope amount above the per-admission
deductibles, capped by the yearly cap; 大病保险 pays its first segment ratio on what remains above
its deductible (special groups: half the deductible, +5 points, no cap); 医疗救助 pays its
category ratio on what is left, within the yearly limit. Parameters are read from the resolved
yibao Policy. OpenFisca's float money is float32 by default: amounts are yuan in float32 here,
so cents are lost above about 100,000 yuan (2**24 fen), which is why yibao keeps integer fen.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from openfisca_core.entities import build_entity
from openfisca_core.periods import YEAR
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from yibao.policy.model import Policy

LEVELS = ("三级", "二级", "一级")
KEYS = {"三级": "l3", "二级": "l2", "一级": "l1"}

Person = build_entity(
    key="person", plural="persons", label="参保人", is_person=True, doc="A resident insured."
)
Household = build_entity(
    key="household",
    plural="households",
    label="户",
    roles=[{"key": "member", "plural": "members", "label": "member"}],
    doc="A household (OpenFisca needs a group entity).",
)


def _input(name: str, kind: type = float) -> type[Variable]:
    return type(
        name,
        (Variable,),
        {"value_type": kind, "entity": Person, "definition_period": YEAR, "label": name},
    )


def build_system(policy: Policy) -> TaxBenefitSystem:
    pool = policy.benefits.pools.value["inpatient"]
    ci = policy.critical_illness
    ma = policy.medical_assistance
    ratio = {lv: pool.ratio["1"][lv] / 10_000 for lv in LEVELS}
    cap = (pool.annual_cap["1"] or 10**12) / 100
    ci_ded = ci.deductible.value / 100
    ci_ratio = ci.segments.value[0].ratio / 10_000
    ci_cap = (ci.annual_cap.value or 10**12) / 100
    factor = ci.special_deductible_factor.value / 10_000
    add = ci.special_ratio_add.value / 10_000
    ma_limit = ma.annual_limit.value / 100

    variables: list[type[Variable]] = [
        *(_input(f"inscp_{KEYS[lv]}") for lv in LEVELS),
        *(_input(f"admissions_{KEYS[lv]}") for lv in LEVELS),
        _input("special_group", bool),
        _input("assistance_ratio"),
        _input("assistance_deductible"),
    ]

    class hifp_pay(Variable):
        value_type = float
        entity = Person
        definition_period = YEAR
        label = "基本医保统筹基金支付（住院）"

        def formula(person, period):  # type: ignore[no-untyped-def]
            total = 0
            for lv in LEVELS:
                k = KEYS[lv]
                ded = pool.deductible[lv] / 100 * person(f"admissions_{k}", period)
                base = np.maximum(person(f"inscp_{k}", period) - ded, 0)
                total = total + base * ratio[lv]
            return np.minimum(total, cap)

    class hifmi_pay(Variable):
        value_type = float
        entity = Person
        definition_period = YEAR
        label = "大病保险支付"

        def formula(person, period):  # type: ignore[no-untyped-def]
            inscp = sum(person(f"inscp_{KEYS[lv]}", period) for lv in LEVELS)
            left = inscp - person("hifp_pay", period)
            special = person("special_group", period)
            ded = np.where(special, ci_ded * factor, ci_ded)
            rate = np.where(special, ci_ratio + add, ci_ratio)
            pay = np.maximum(left - ded, 0) * rate
            return np.where(special, pay, np.minimum(pay, ci_cap))

    class maf_pay(Variable):
        value_type = float
        entity = Person
        definition_period = YEAR
        label = "医疗救助支付"

        def formula(person, period):  # type: ignore[no-untyped-def]
            inscp = sum(person(f"inscp_{KEYS[lv]}", period) for lv in LEVELS)
            left = inscp - person("hifp_pay", period) - person("hifmi_pay", period)
            base = np.maximum(left - person("assistance_deductible", period), 0)
            return np.minimum(base * person("assistance_ratio", period), ma_limit)

    system = TaxBenefitSystem([Person, Household])
    for variable in [*variables, hifp_pay, hifmi_pay, maf_pay]:
        system.add_variable(variable)
    return system


def person_inputs(claims: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per person-year inputs from inpatient claims (policy-scope amounts and admissions by level)."""
    levels = policy.benefits.hosp_level_map.value
    special = policy.critical_illness.special_groups.value
    ratios = policy.medical_assistance.ratio_by_category.value
    deductibles = policy.medical_assistance.deductible_by_category.value
    frame = claims.filter(pl.col("med_type") == "21").with_columns(
        pl.col("hosp_lv").replace_strict(levels, default="一级").alias("level"),
        (
            pl.col("medfee_sumamt")
            - pl.col("fulamt_ownpay_amt")
            - pl.col("overlmt_selfpay")
            - pl.col("preselfpay_amt")
        ).alias("inscp"),
    )
    aggs = []
    for lv in LEVELS:
        k = KEYS[lv]
        aggs.append(((pl.col("level") == lv) * pl.col("inscp")).sum().alias(f"inscp_{k}"))
        aggs.append((pl.col("level") == lv).sum().alias(f"admissions_{k}"))
    people = frame.group_by("psn_no").agg(*aggs, pl.col("categories").first())
    cats = people["categories"].to_list()
    best_ratio, best_ded, is_special = [], [], []
    for joined in cats:
        names = [c for c in joined.split("|") if c]
        rs = [(ratios[c], deductibles.get(c, 0)) for c in names if c in ratios]
        r, d = max(rs) if rs else (0, 0)
        best_ratio.append(r / 10_000)
        best_ded.append(d / 100)
        is_special.append(any(c in special for c in names))
    return people.with_columns(
        pl.Series("assistance_ratio", best_ratio),
        pl.Series("assistance_deductible", best_ded),
        pl.Series("special_group", is_special),
    )


def run(system: TaxBenefitSystem, inputs: pl.DataFrame, year: int) -> dict[str, np.ndarray]:
    """Set the inputs (yuan, float32) and compute the three layers for every person."""
    sim = SimulationBuilder().build_default_simulation(system, count=inputs.height)
    period = str(year)
    for lv in LEVELS:
        k = KEYS[lv]
        sim.set_input(f"inscp_{k}", period, inputs[f"inscp_{k}"].to_numpy() / 100)
        sim.set_input(f"admissions_{k}", period, inputs[f"admissions_{k}"].to_numpy())
    sim.set_input("special_group", period, inputs["special_group"].to_numpy())
    sim.set_input("assistance_ratio", period, inputs["assistance_ratio"].to_numpy())
    sim.set_input("assistance_deductible", period, inputs["assistance_deductible"].to_numpy())
    return {name: sim.calculate(name, period) for name in ("hifp_pay", "hifmi_pay", "maf_pay")}
