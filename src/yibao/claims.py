"""The claim contract: the JSON a hospital integrator sends (yuan) and the columnar form the
engine and the Parquet files use (fen). Field names follow the national platform (setlinfo)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from yibao.categories import canonical_all
from yibao.codes import DSCG_WAYS, HOSP_LVS, INPATIENT_MED_TYPES, INSUTYPE_RESIDENT, MED_TYPES
from yibao.idcard import parse_id
from yibao.money import yuan_to_fen

# The platform's code lists live in data/codes.yaml (yibao.codes).
AMOUNT_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")

# Columnar claims (Parquet and the vectorised engine). Money in fen (int64).
CLAIM_SCHEMA = pa.schema(
    [
        ("setl_id", pa.string()),  # the claim's id: idempotency key
        ("psn_no", pa.string()),
        ("certno", pa.string()),
        ("insuplc_admdvs", pa.string()),  # region code of the insurance place
        ("tier", pa.int8()),
        ("categories", pa.string()),  # canonical names joined by "|" ("" for none)
        ("med_type", pa.string()),
        ("hosp_lv", pa.string()),
        ("fixmedins_code", pa.string()),  # institution
        ("dise_codg", pa.string()),  # main diagnosis (ICD-10)
        ("setl_time", pa.timestamp("s")),
        ("begndate", pa.date32()),
        ("enddate", pa.date32()),
        ("medfee_sumamt", pa.int64()),
        ("fulamt_ownpay_amt", pa.int64()),
        ("overlmt_selfpay", pa.int64()),
        ("preselfpay_amt", pa.int64()),
        ("coverage_begin", pa.date32()),  # null: covered the whole policy year
        ("coverage_end", pa.date32()),
        # 异地就医: the 备案 kind of care outside the 参保地 (benefits.offsite_ratio_reduction's
        # keys, e.g. 异地转诊人员, 未备案); null or "": 本地
        ("offsite_kind", pa.string()),
        # the hospital level the deductible is taken at, where it differs from hosp_lv
        # (dedc_hosp_lv of the platform's 2201/2401); null: hosp_lv
        ("dedc_hosp_lv", pa.string()),
        # 中途结算: the per-admission deductible already paid by earlier parts of the same stay
        # (mdtrt_id); the store fills it from its settlements. null: 0
        ("dedc_paid_in_stay", pa.int64()),
        # 病案首页 of an inpatient stay (issue 18: DRG/DIP grouping), optional, null on the other
        # claims; the names of the platform's 4101 医疗保障基金结算清单 (setlinfo, diseinfo,
        # oprninfo) and 2401 入院办理 (dscg_maindiag_code). CASE_FIELDS lists them.
        ("gend", pa.string()),  # setlinfo.gend 性别: 1 男, 2 女
        ("age", pa.int32()),  # setlinfo.age 年龄 (years)
        ("nwb_age", pa.int32()),  # setlinfo.nwb_age 年龄不足1周岁的年龄 (days)
        ("nwb_bir_wt", pa.int32()),  # setlinfo.nwb_bir_wt 新生儿出生体重 (g)
        ("act_ipt_days", pa.int32()),  # setlinfo.act_ipt_days 实际住院天数
        ("dscg_way", pa.string()),  # setlinfo.dscg_way 离院方式 (1 医嘱离院 … 5 死亡, 9 其他)
        ("dscg_maindiag_code", pa.string()),  # 住院主诊断代码 (医保版 ICD-10)
        ("diseinfo_diag_code", pa.list_(pa.string())),  # diseinfo[].diag_code, 主诊断 first
        ("oprninfo_oprn_oprt_code", pa.list_(pa.string())),  # oprninfo[] codes, 主手术 first
    ]
)
CASE_FIELDS = (
    "gend", "age", "nwb_age", "nwb_bir_wt", "act_ipt_days", "dscg_way", "dscg_maindiag_code",
    "diseinfo_diag_code", "oprninfo_oprn_oprt_code",
)  # fmt: skip


GENDERS = ("1", "2")  # setlinfo.gend


class ClaimError(ValueError):
    pass


class YtdIn(BaseModel):
    """Running totals for the person-year when no store is used (yuan)."""

    model_config = ConfigDict(extra="forbid")
    pool_paid: dict[str, Any] = Field(default_factory=dict)  # cap group → basic fund paid so far
    deductible_used: dict[str, Any] = Field(default_factory=dict)  # pool → per-year deductible met
    critical_eligible: Any = 0  # 大病 running eligible total
    critical_paid: Any = 0
    assistance_eligible: Any = 0  # 医疗救助 running base (its yearly deductible runs on it)
    assistance_paid: Any = 0  # 医疗救助 paid so far this year


class ClaimIn(BaseModel):
    """One claim as JSON (amounts in yuan). Absent amounts count as 0."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    setl_id: str | None = None
    psn_no: str
    certno: str
    insuplc_admdvs: str
    insutype: str = INSUTYPE_RESIDENT
    tier: int = 1
    categories: list[str] = Field(default_factory=list)
    med_type: str
    hosp_lv: str
    fixmedins_code: str = ""
    dise_codg: str = ""
    setl_time: dt.datetime
    begndate: dt.date | None = None
    enddate: dt.date | None = None
    medfee_sumamt: Any
    fulamt_ownpay_amt: Any = 0
    overlmt_selfpay: Any = 0
    preselfpay_amt: Any = 0
    coverage_begin: dt.date | None = None
    coverage_end: dt.date | None = None
    offsite_kind: str = ""  # 异地就医 备案 kind ("" 本地); the region's policy lists the kinds
    dedc_hosp_lv: str | None = None  # deductible at another level than hosp_lv
    # 病案首页 of an inpatient stay (CASE_FIELDS, the 4101 结算清单 names), for DRG/DIP.
    gend: str | None = None
    age: int | None = Field(None, ge=0, le=150)
    nwb_age: int | None = Field(None, ge=0, le=365)
    nwb_bir_wt: int | None = Field(None, ge=0, le=10_000)
    act_ipt_days: int | None = Field(None, ge=0, le=3_660)
    dscg_way: str | None = None
    dscg_maindiag_code: str | None = None
    diseinfo_diag_code: list[str] | None = None
    oprninfo_oprn_oprt_code: list[str] | None = None
    ytd: YtdIn | None = None

    @field_validator("certno")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        return parse_id(v, "certno").number

    @field_validator("insutype")
    @classmethod
    def _resident(cls, v: str) -> str:
        if v != INSUTYPE_RESIDENT:
            raise ValueError(
                f"insutype: only 390 (城乡居民基本医疗保险) is settled here, got {v!r}"
            )
        return v

    @field_validator("med_type")
    @classmethod
    def _med_type(cls, v: str) -> str:
        if v not in MED_TYPES:
            raise ValueError(f"med_type: unknown {v!r}; known: {', '.join(MED_TYPES)}")
        return v

    @field_validator("hosp_lv")
    @classmethod
    def _hosp_lv(cls, v: str) -> str:
        if v not in HOSP_LVS:
            raise ValueError(f"hosp_lv: unknown {v!r}; known: {', '.join(HOSP_LVS)}")
        return v

    @field_validator("dedc_hosp_lv")
    @classmethod
    def _dedc_hosp_lv(cls, v: str | None) -> str | None:
        if v is not None and v not in HOSP_LVS:
            raise ValueError(f"dedc_hosp_lv: unknown {v!r}; known: {', '.join(HOSP_LVS)}")
        return v

    @field_validator("gend")
    @classmethod
    def _gend(cls, v: str | None) -> str | None:
        if v is not None and v not in GENDERS:
            raise ValueError(f"gend: 性别代码应为 1（男）或 2（女），收到 {v!r}")
        return v

    @field_validator("dscg_way")
    @classmethod
    def _dscg_way(cls, v: str | None) -> str | None:
        if v is not None and v not in DSCG_WAYS:
            raise ValueError(f"dscg_way: 离院方式应为 {'、'.join(DSCG_WAYS)} 之一，收到 {v!r}")
        return v

    @field_validator("diseinfo_diag_code", "oprninfo_oprn_oprt_code")
    @classmethod
    def _codes(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if v is not None and any(not c.strip() for c in v):
            raise ValueError(f"{info.field_name}: 代码不能为空")
        return None if v is None else [c.strip() for c in v]

    @field_validator("tier")
    @classmethod
    def _tier(cls, v: int) -> int:
        if v not in (1, 2):
            raise ValueError(f"tier: must be 1 or 2, got {v}")
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        return list(canonical_all(v))

    @model_validator(mode="after")
    def _amounts_and_dates(self) -> ClaimIn:
        fen = {name: yuan_to_fen(getattr(self, name) or 0, name) for name in AMOUNT_FIELDS}
        for name, value in fen.items():
            if value < 0:
                raise ValueError(f"{name}: must not be negative")
        parts = fen["fulamt_ownpay_amt"] + fen["overlmt_selfpay"] + fen["preselfpay_amt"]
        if parts > fen["medfee_sumamt"]:
            raise ValueError(
                "fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt: larger than medfee_sumamt"
            )
        begin = self.begndate or self.setl_time.date()
        end = self.enddate or begin
        if end < begin:
            raise ValueError("enddate: before begndate")
        if self.coverage_begin and self.coverage_end and self.coverage_end < self.coverage_begin:
            raise ValueError("coverage_end: before coverage_begin")
        self._case_fields_fit()
        return self

    def _case_fields_fit(self) -> None:
        given = [name for name in CASE_FIELDS if getattr(self, name) is not None]
        if given and self.med_type not in INPATIENT_MED_TYPES:
            raise ValueError(
                f"{given[0]}: 病案首页字段只用于住院结算（med_type {self.med_type} 不是住院）"
            )
        diagnoses, main = self.diseinfo_diag_code, self.dscg_maindiag_code
        if diagnoses is not None and not diagnoses:
            raise ValueError("diseinfo_diag_code: 至少要有主诊断")
        if diagnoses and main is not None and diagnoses[0] != main:
            raise ValueError(
                f"diseinfo_diag_code: 第一个诊断应为主诊断 dscg_maindiag_code {main}，收到 {diagnoses[0]}"
            )

    def fen(self, name: str) -> int:
        return yuan_to_fen(getattr(self, name) or 0, name)

    def to_row(self, setl_id: str | None = None) -> dict[str, Any]:
        """The claim as one row of CLAIM_SCHEMA (fen)."""
        begin = self.begndate or self.setl_time.date()
        return {
            "setl_id": setl_id or self.setl_id or f"{self.psn_no}-{self.setl_time:%Y%m%d%H%M%S}",
            "psn_no": self.psn_no,
            "certno": self.certno,
            "insuplc_admdvs": self.insuplc_admdvs,
            "tier": self.tier,
            "categories": "|".join(self.categories),
            "med_type": self.med_type,
            "hosp_lv": self.hosp_lv,
            "fixmedins_code": self.fixmedins_code,
            "dise_codg": self.dise_codg,
            "setl_time": self.setl_time.replace(tzinfo=None),
            "begndate": begin,
            "enddate": self.enddate or begin,
            **{name: self.fen(name) for name in AMOUNT_FIELDS},
            "coverage_begin": self.coverage_begin,
            "coverage_end": self.coverage_end,
            # only where set: a local claim's row (and its stored digest) is as before
            **({"offsite_kind": self.offsite_kind} if self.offsite_kind else {}),
            **({"dedc_hosp_lv": self.dedc_hosp_lv} if self.dedc_hosp_lv else {}),
            **{
                name: getattr(self, name) for name in CASE_FIELDS if getattr(self, name) is not None
            },
        }
