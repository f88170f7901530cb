"""All smart-monitoring rules with their parameters, run over one set of tables."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.bed_hogging import BedHoggingParams, bed_hogging
from yibao.engine.supervision.catalogue import ItemCatalogue
from yibao.engine.supervision.duplicate_charge import DuplicateChargeParams, duplicate_charge
from yibao.engine.supervision.hit import HIT_SCHEMA, RuleMeta, empty_hits
from yibao.engine.supervision.low_standard_admission import (
    LowStandardAdmissionParams,
    low_standard_admission,
)
from yibao.engine.supervision.outpatient_during_stay import (
    OutpatientDuringStayParams,
    outpatient_during_stay,
)
from yibao.engine.supervision.over_examination import (
    OverExaminationParams,
    over_examination,
)
from yibao.engine.supervision.over_supply import OverSupplyParams, over_supply
from yibao.engine.supervision.restricted_item import restricted_age, restricted_sex
from yibao.engine.supervision.split_admission import SplitAdmissionParams, split_admission

RULE_KEYS = (
    "bed_hogging",
    "split_admission",
    "outpatient_during_stay",
    "duplicate_charge",
    "over_supply",
    "restricted_sex",
    "restricted_age",
    "low_standard_admission",
    "over_examination",
)


@dataclass(frozen=True)
class RuleSet:
    meta: dict[str, RuleMeta]  # by rule key
    bed_hogging: BedHoggingParams
    split_admission: SplitAdmissionParams
    outpatient_during_stay: OutpatientDuringStayParams
    duplicate_charge: DuplicateChargeParams
    over_supply: OverSupplyParams
    low_standard_admission: LowStandardAdmissionParams
    over_examination: OverExaminationParams
    catalogue: ItemCatalogue


def run_rule(
    key: str,
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    rules: RuleSet,
) -> pl.DataFrame:
    """One rule's hits (the audit shape)."""
    meta = rules.meta[key]
    if key == "bed_hogging":
        return bed_hogging(claims, details, rules.bed_hogging, meta)
    if key == "split_admission":
        return split_admission(claims, rules.split_admission, meta)
    if key == "outpatient_during_stay":
        return outpatient_during_stay(claims, rules.outpatient_during_stay, meta)
    if key == "duplicate_charge":
        return duplicate_charge(claims, details, rules.catalogue, rules.duplicate_charge, meta)
    if key == "over_supply":
        return over_supply(claims, details, rules.over_supply, meta)
    if key == "restricted_sex":
        return restricted_sex(claims, details, persons, rules.catalogue, meta)
    if key == "restricted_age":
        return restricted_age(claims, details, persons, rules.catalogue, meta)
    if key == "low_standard_admission":
        return low_standard_admission(claims, details, rules.low_standard_admission, meta)
    if key == "over_examination":
        return over_examination(claims, details, rules.catalogue, rules.over_examination, meta)
    raise ValueError(f"rule: unknown {key!r}; known: {', '.join(RULE_KEYS)}")


def run_rules(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    rules: RuleSet,
    only: tuple[str, ...] = RULE_KEYS,
) -> pl.DataFrame:
    """Every selected rule's hits, one table, ordered by rule and claim."""
    parts = [run_rule(key, claims, details, persons, rules) for key in only]
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return empty_hits()
    return pl.concat(parts).cast(HIT_SCHEMA).sort("rule_id", "setl_id")  # type: ignore[arg-type]
