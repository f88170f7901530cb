"""Load the smart-monitoring rules file (yibao/data/monitoring_rules.yaml or a region's own)
into the engine's typed RuleSet. Every parameter needs a source, as in the policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from yibao import yamlfile
from yibao.engine.supervision import RULE_KEYS, RuleMeta, RuleSet
from yibao.engine.supervision.bed_hogging import BedHoggingParams
from yibao.engine.supervision.catalogue import CatalogueItem, ItemCatalogue
from yibao.engine.supervision.duplicate_charge import DuplicateChargeParams
from yibao.engine.supervision.low_standard_admission import LowStandardAdmissionParams
from yibao.engine.supervision.outpatient_during_stay import OutpatientDuringStayParams
from yibao.engine.supervision.over_examination import OverExaminationParams
from yibao.engine.supervision.over_supply import OverSupplyParams
from yibao.engine.supervision.split_admission import SplitAdmissionParams
from yibao.money import ratio_to_bp, yuan_to_fen

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "monitoring_rules.yaml"
ITEM_KEYS = {
    "item_code",
    "item_name",
    "item_type",
    "sex",
    "age_min",
    "age_max",
    "daily_limit",
    "includes",
    "exam_group",
}


class RulesFileError(ValueError):
    pass


class _Params:
    """The parameters of one rule; reading one checks it is there and cited."""

    def __init__(self, file: Path, rule: str, raw: dict[str, Any]) -> None:
        self.file, self.rule, self.raw = file, rule, raw

    def get(self, name: str) -> Any:
        where = f"{self.file}: rules.{self.rule}.params.{name}"
        node = self.raw.get(name)
        if not isinstance(node, dict) or "value" not in node:
            raise RulesFileError(f"{where}: missing (a mapping with value and source)")
        if not node.get("source"):
            raise RulesFileError(f"{where}: missing source")
        if node.get("assumed") and not node.get("note"):
            raise RulesFileError(f"{where}: an assumed value needs a note")
        if not node.get("assumed") and not node.get("clause"):
            raise RulesFileError(f"{where}: missing clause (or assumed: true with a note)")
        return node["value"]

    def int(self, name: str) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesFileError(
                f"{self.file}: rules.{self.rule}.params.{name}: expected a whole number >= 0"
            )
        return value

    def codes(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if not isinstance(value, list):
            raise RulesFileError(f"{self.file}: rules.{self.rule}.params.{name}: expected a list")
        return tuple(str(v) for v in value)

    def _bp(self, name: str) -> int:
        try:
            return ratio_to_bp(self.get(name), f"rules.{self.rule}.params.{name}")
        except ValueError as exc:
            raise RulesFileError(f"{self.file}: {exc}") from exc

    def ratio(self, name: str) -> int:
        bp = self._bp(name)
        if not 0 <= bp <= 10_000:
            raise RulesFileError(f"{self.file}: rules.{self.rule}.params.{name}: must be 0..1")
        return bp

    def multiple(self, name: str) -> int:
        """A multiple of something (2 = twice) as basis points; at least 1."""
        bp = self._bp(name)
        if bp < 10_000:
            raise RulesFileError(f"{self.file}: rules.{self.rule}.params.{name}: must be >= 1")
        return bp

    def money(self, name: str) -> int:
        try:
            return yuan_to_fen(self.get(name), f"rules.{self.rule}.params.{name}")
        except ValueError as exc:
            raise RulesFileError(f"{self.file}: {exc}") from exc

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            raise RulesFileError(
                f"{self.file}: rules.{self.rule}.params.{name}: expected true/false"
            )
        return value


def _item(file: Path, i: int, raw: Any) -> CatalogueItem:
    where = f"{file}: items[{i}]"
    if not isinstance(raw, dict):
        raise RulesFileError(f"{where}: expected a mapping")
    unknown = set(raw) - ITEM_KEYS
    if unknown:
        raise RulesFileError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("item_code", "item_name", "item_type"):
        if not raw.get(key):
            raise RulesFileError(f"{where}: {key}: missing")
    sex = raw.get("sex")
    if sex is not None and str(sex) not in ("1", "2"):
        raise RulesFileError(f'{where}: sex: must be "1" (男) or "2" (女), got {sex!r}')
    return CatalogueItem(
        item_code=str(raw["item_code"]),
        item_name=str(raw["item_name"]),
        item_type=str(raw["item_type"]),
        sex=None if sex is None else str(sex),
        age_min=raw.get("age_min"),
        age_max=raw.get("age_max"),
        daily_limit=raw.get("daily_limit"),
        includes=tuple(str(c) for c in raw.get("includes") or ()),
        exam_group=None if raw.get("exam_group") is None else str(raw["exam_group"]),
    )


def load_rules(path: Path | str | None = None) -> RuleSet:
    file = Path(path) if path else DEFAULT_RULES
    try:
        data = yamlfile.load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesFileError(f"--rules: cannot read {file}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        raise RulesFileError(f"{file}: rules: missing (a mapping of rule name to rule)")
    rules = data["rules"]
    missing = [k for k in RULE_KEYS if k not in rules]
    if missing:
        raise RulesFileError(f"{file}: rules: missing {', '.join(missing)}")
    unknown = [k for k in rules if k not in RULE_KEYS]
    if unknown:
        raise RulesFileError(f"{file}: rules: unknown {', '.join(unknown)}")
    meta: dict[str, RuleMeta] = {}
    params: dict[str, _Params] = {}
    for key in RULE_KEYS:
        rule = rules[key]
        for field in ("rule_id", "rule_name", "sev_deg", "vola_bhvr_type"):
            if not isinstance(rule, dict) or not rule.get(field):
                raise RulesFileError(f"{file}: rules.{key}.{field}: missing")
        if rule["sev_deg"] not in ("可疑", "明确"):
            raise RulesFileError(f"{file}: rules.{key}.sev_deg: must be 可疑 or 明确")
        meta[key] = RuleMeta(
            str(rule["rule_id"]),
            str(rule["rule_name"]),
            rule["sev_deg"],
            str(rule["vola_bhvr_type"]),
        )
        params[key] = _Params(file, key, rule.get("params") or {})
    items = data.get("items") or []
    catalogue = ItemCatalogue(tuple(_item(file, i, raw) for i, raw in enumerate(items)))
    bh, sa, od = params["bed_hogging"], params["split_admission"], params["outpatient_during_stay"]
    dc, os_, ls = (
        params["duplicate_charge"],
        params["over_supply"],
        params["low_standard_admission"],
    )
    oe = params["over_examination"]
    return RuleSet(
        meta=meta,
        bed_hogging=BedHoggingParams(
            inpatient_med_types=bh.codes("inpatient_med_types"),
            min_stay_days=bh.int("min_stay_days"),
            idle_day_share_bp=bh.ratio("idle_day_share"),
            idle_item_types=bh.codes("idle_item_types"),
        ),
        split_admission=SplitAdmissionParams(
            inpatient_med_types=sa.codes("inpatient_med_types"),
            window_days=sa.int("window_days"),
            diagnosis_prefix=sa.int("diagnosis_prefix"),
            exempt_diagnoses=sa.codes("exempt_diagnoses"),
        ),
        outpatient_during_stay=OutpatientDuringStayParams(
            inpatient_med_types=od.codes("inpatient_med_types"),
            outpatient_med_types=od.codes("outpatient_med_types"),
        ),
        duplicate_charge=DuplicateChargeParams(
            use_daily_limits=dc.flag("use_daily_limits"),
            use_included_items=dc.flag("use_included_items"),
        ),
        over_supply=OverSupplyParams(
            outpatient_med_types=os_.codes("outpatient_med_types"),
            max_days_supply=os_.int("max_days_supply"),
            chronic_med_types=os_.codes("chronic_med_types"),
            chronic_max_days_supply=os_.int("chronic_max_days_supply"),
            refill_min_used_share_bp=os_.ratio("refill_min_used_share"),
        ),
        low_standard_admission=LowStandardAdmissionParams(
            inpatient_med_types=ls.codes("inpatient_med_types"),
            max_stay_days=ls.int("max_stay_days"),
            max_total=ls.money("max_total"),
            exam_item_types=ls.codes("exam_item_types"),
            min_exam_share_bp=ls.ratio("min_exam_share"),
            outpatient_treatable_diagnoses=ls.codes("outpatient_treatable_diagnoses"),
        ),
        over_examination=OverExaminationParams(
            repeat_window_days=oe.int("repeat_window_days"),
            inpatient_med_types=oe.codes("inpatient_med_types"),
            exam_item_types=oe.codes("exam_item_types"),
            diagnosis_prefix=oe.int("diagnosis_prefix"),
            min_peer_claims=oe.int("min_peer_claims"),
            share_over_median_bp=oe.multiple("share_over_median"),
            min_exam_share_bp=oe.ratio("min_exam_share"),
        ),
        catalogue=catalogue,
    )


def rule_parameters(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Every rule parameter with its source, for docs and ``monitor rules --explain``."""
    file = Path(path) if path else DEFAULT_RULES
    data = yamlfile.load(file.read_text(encoding="utf-8"))
    out = []
    for key, rule in data["rules"].items():
        for name, node in (rule.get("params") or {}).items():
            out.append(
                {
                    "rule": key,
                    "rule_id": rule["rule_id"],
                    "rule_name": rule["rule_name"],
                    "param": name,
                    "value": node["value"],
                    "unit": node.get("unit", ""),
                    "source": node["source"],
                    "clause": node.get("clause", ""),
                    "assumed": bool(node.get("assumed", False)),
                    "note": node.get("note", ""),
                }
            )
    return out
