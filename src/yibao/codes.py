"""The platform's code lists (``data/codes.yaml``), read once: names, kinds and the fund that
pays each setlinfo amount. Every module that names a code takes it from here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yibao import yamlfile

FILE = Path(__file__).resolve().parent / "data" / "codes.yaml"


def _load() -> dict[str, Any]:
    data = yamlfile.load(FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


_DATA = _load()


def _names(table: str) -> dict[str, str]:
    return {code: str(entry["name"]) for code, entry in _DATA[table].items()}


@dataclass(frozen=True)
class Fund:
    code: str  # fund_pay_type
    name: str
    short: str
    field: str  # the setlinfo amount it pays


INSUTYPES: dict[str, str] = _names("insutype")
INSUTYPE_RESIDENT = "390"
MED_TYPES: dict[str, str] = _names("med_type")
HOSP_LVS: dict[str, str] = _names("hosp_lv")
CHRGITM_LVS: dict[str, str] = _names("chrgitm_lv")
CLR_TYPES: dict[str, str] = _names("clr_type")
DSCG_WAYS: dict[str, str] = _names("dscg_way")
INPATIENT_MED_TYPES: frozenset[str] = frozenset(
    code for code, entry in _DATA["med_type"].items() if entry["setting"] == "住院"
)
OUTPATIENT_MED_TYPES: frozenset[str] = frozenset(MED_TYPES) - INPATIENT_MED_TYPES
FUNDS: tuple[Fund, ...] = tuple(
    Fund(code, str(e["name"]), str(e["short"]), str(e["field"]))
    for code, e in _DATA["fund_pay_type"].items()
)
FUND_NAMES: dict[str, str] = {f.code: f.name for f in FUNDS}
FUND_BASIC, FUND_CRITICAL, FUND_ASSISTANCE = (f.code for f in FUNDS)


def med_type_label(code: str) -> str:
    return MED_TYPES.get(code, code)


def is_inpatient(med_type: str) -> bool:
    return med_type in INPATIENT_MED_TYPES
