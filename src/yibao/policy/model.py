"""The resolved policy of one region and year: a typed tree whose every leaf is a cited Param.

Money is stored in fen and ratios in basis points (see ``yibao.money``); the YAML files say
yuan and ratios (0.7 or "70%") because that is how the notices say them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from yibao.money import BasisPoints, Fen, ratio_to_bp, yuan_to_fen

T = TypeVar("T")

TIERS = ("1", "2")
LEVELS = ("三级", "二级", "一级")
GOVERNMENT_LEVELS = ("central", "provincial", "municipal", "county")


def _money(value: Any) -> Fen:
    return yuan_to_fen(value, "amount")


def _ratio(value: Any) -> BasisPoints:
    return ratio_to_bp(value, "ratio")


Money = Annotated[int, BeforeValidator(_money)]
Ratio = Annotated[int, BeforeValidator(_ratio)]
MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Param(Frozen, Generic[T]):
    """One policy value with where it comes from."""

    value: T
    source: str
    clause: str = ""
    assumed: bool = False
    note: str = ""
    unit: str = ""
    file: str = ""
    path: str = ""
    raw: Any = None  # the value as written in the file (yuan, ratios): what people read

    @model_validator(mode="after")
    def _assumed_needs_note(self) -> Param[T]:
        if self.assumed and not self.note:
            raise ValueError("an assumed value needs a note saying why")
        return self

    def cite(self) -> str:
        where = f"{self.source} {self.clause}".strip()
        return f"{where}（假定值）" if self.assumed else where


# ---------------------------------------------------------------- financing (筹资)
class Financing(Frozen):
    fiscal_subsidy_per_capita: Param[Money]
    fiscal_subsidy_increase: Param[Money]
    personal_contribution: Param[dict[str, Money]]  # by tier: {"1": 380, "2": ...}
    personal_contribution_increase: Param[Money]
    total_standard_min: Param[Money | None]
    next_year_personal_contribution_min: Param[Money | None]
    shortfall_makeup_next_year: Param[bool]
    # This year's collection also collects the previous year's shortfall up to this standard
    # (内蒙古 2023 一: below 380 元 for 2023 → made up when collecting 2024). None: no such rule.
    previous_year_shortfall_standard: Param[Money | None]
    # The shortfall made up is each person's (standard − what they paid for the previous year);
    # False: the standard is shown but no per-person 补缴 is computed.
    previous_year_shortfall_per_person: Param[bool]
    resident_permit_same_subsidy: Param[bool]
    critical_illness_financing_per_capita: Param[Money]

    @model_validator(mode="after")
    def _tier1_exists(self) -> Financing:
        if "1" not in self.personal_contribution.value:
            raise ValueError("personal_contribution needs tier '1'")
        return self


# ---------------------------------------------------------------- fiscal sharing (财政补助分担)
class CascadeStep(Frozen):
    level: Literal["central", "provincial", "municipal", "county"]
    share_of_remainder: Ratio


class SharingScheme(Frozen):
    """Either integer parts of the whole (6:3:1) or a cascade of shares of what remains
    (内蒙古: 80% central, then 30/50/70% of the rest provincial, …). The last step of a
    cascade takes all that remains."""

    label: str = ""
    parts: dict[Literal["central", "provincial", "municipal", "county"], int] | None = None
    cascade: list[CascadeStep] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SharingScheme:
        if (self.parts is None) == (self.cascade is None):
            raise ValueError("a sharing scheme has exactly one of parts or cascade")
        if self.parts is not None and sum(self.parts.values()) <= 0:
            raise ValueError("parts must add up to more than 0")
        if self.cascade is not None and not self.cascade:
            raise ValueError("cascade must have at least one step")
        return self


class FiscalSharing(Frozen):
    central_share_by_group: Param[dict[str, Ratio]]
    province_group: Param[str | None]
    schemes: Param[dict[str, SharingScheme]]
    default_scheme: Param[str | None]
    county_schemes: Param[dict[str, str]]
    student_schemes: Param[dict[str, str]]

    @model_validator(mode="after")
    def _schemes_exist(self) -> FiscalSharing:
        names = set(self.schemes.value)
        referenced = [self.default_scheme.value, *self.county_schemes.value.values()]
        referenced += list(self.student_schemes.value.values())
        for name in referenced:
            if name is not None and name not in names:
                raise ValueError(f"sharing scheme {name!r} is referenced but not defined")
        return self


# ---------------------------------------------------------------- assistance subsidy (资助参保)
class SubsidyRule(Frozen):
    category: str
    kind: Literal["share", "fixed", "share_of_base"]
    share: Ratio | None = None  # of the tier-1 personal contribution (kind=share) or of base
    amount: Money | None = None  # kind=fixed
    base_amount: Money | None = None  # kind=share_of_base: e.g. the 2021 standard
    fund: str = "医疗救助基金"
    regions: list[str] = Field(default_factory=list)  # only in these counties (empty: all)
    tier2: Literal["same", "share_of_tier1"] = "same"
    tier2_share: Ratio | None = None
    clause: str = ""
    source: str = ""
    assumed: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _fields_for_kind(self) -> SubsidyRule:
        need = {
            "share": ("share",),
            "fixed": ("amount",),
            "share_of_base": ("share", "base_amount"),
        }
        for name in need[self.kind]:
            if getattr(self, name) is None:
                raise ValueError(f"{self.category}: kind {self.kind} needs {name}")
        if self.tier2 == "share_of_tier1" and self.tier2_share is None:
            raise ValueError(f"{self.category}: tier2 share_of_tier1 needs tier2_share")
        if self.assumed and not self.note:
            raise ValueError(f"{self.category}: an assumed rule needs a note")
        return self


class AssistanceSubsidy(Frozen):
    rules: Param[list[SubsidyRule]]
    highest_applies: Param[bool]  # 就高不就低
    no_double_subsidy: Param[bool]  # 不重复资助
    no_top_up_after_change: Param[bool]  # 身份变化不再差额资助
    # Subsidy towards a commercial supplementary insurance (彭水 渝快保): product → category group
    # (categories.yaml ``group``: 脱贫人口, 监测对象) → amount. Not 资助参保 of the basic fund.
    commercial_supplement: Param[dict[str, dict[str, Money]]]
    commercial_supplement_fund: Param[str]  # who pays it
    # Groups a notice names for subsidised enrollment without an amount of its own (咸宁 三:
    # 残疾人 …, "按咸政办发〔2017〕35号执行"); listed so that they are not silently dropped.
    other_groups: Param[list[str]]


# ---------------------------------------------------------------- enrollment and waiting periods
class Enrollment(Frozen):
    coverage_start: Param[MonthDay]
    coverage_end: Param[MonthDay]
    collection_start: Param[MonthDay]  # in the year before the coverage year
    collection_end: Param[MonthDay]  # in the year before the coverage year
    migrant_worker_deadline_month: Param[int | None]  # last day of this month, coverage year
    continuation_grace_months: Param[int]
    continuation_waiting_months: Param[int]
    continuation_events: Param[list[str]]
    late_enrollment_waiting_months: Param[int]
    newborn_grace_days: Param[int]
    transfer_in_benefit_start: Param[Literal["next_day", "next_month"]]
    no_waiting_categories: Param[list[str]]
    # Groups that are to enrol within the collection period (彭水 三（一）2); late enrollments of
    # them are reported by the 应保尽保 ledger, not refused.
    concentrated_period_categories: Param[list[str]]


# ---------------------------------------------------------------- benefits (待遇)
class PoolValues(Frozen):
    """A pool's plain values (what the engine computes with)."""

    label: str
    deductible: dict[str, int]
    deductible_basis: Literal["per_claim", "per_year"]
    ratio: dict[str, dict[str, int]]
    annual_cap: dict[str, int | None]
    daily_cap: dict[str, int]
    cap_group: str


class Pool(Frozen):
    """One benefit pool of the basic fund: each of its values is a cited Param, so a local
    file can override one (e.g. 咸宁 2023 outpatient annual_cap 350) and cite its own clause."""

    label: Param[str]
    deductible: Param[dict[str, Money]]  # by level
    deductible_basis: Param[Literal["per_claim", "per_year"]]
    ratio: Param[dict[str, dict[str, Ratio]]]  # tier → level → ratio
    annual_cap: Param[dict[str, Money | None]]  # tier → cap (None: no cap)
    daily_cap: Param[dict[str, Money]]  # level → cap per day
    cap_group: Param[str]  # pools with the same group share one yearly cap ("" = own)

    @model_validator(mode="after")
    def _complete(self) -> Pool:
        for level in LEVELS:
            if level not in self.deductible.value:
                raise ValueError(f"deductible lacks level {level}")
        if "1" not in self.ratio.value or "1" not in self.annual_cap.value:
            raise ValueError("ratio and annual_cap need tier '1'")
        for tier, by_level in self.ratio.value.items():
            for level in LEVELS:
                if level not in by_level:
                    raise ValueError(f"ratio for tier {tier} lacks level {level}")
            for level, bp in by_level.items():
                if not 0 <= bp <= 10_000:
                    raise ValueError(f"ratio {tier}/{level} must be within 0..100%")
        return self

    def values(self) -> PoolValues:
        return PoolValues(
            label=self.label.value,
            deductible=dict(self.deductible.value),
            deductible_basis=self.deductible_basis.value,
            ratio={t: dict(v) for t, v in self.ratio.value.items()},
            annual_cap=dict(self.annual_cap.value),
            daily_cap=dict(self.daily_cap.value),
            cap_group=self.cap_group.value,
        )


class PoolTable(dict[str, Pool]):
    """The pools by name. ``.value`` gives their plain values (name → PoolValues)."""

    @property
    def value(self) -> dict[str, PoolValues]:
        return {name: pool.values() for name, pool in self.items()}


def _pool_table(pools: dict[str, Pool]) -> PoolTable:
    return PoolTable(pools)


class Benefits(Frozen):
    hosp_level_map: Param[dict[str, str]]  # hosp_lv code → 三级/二级/一级
    med_type_pool: Param[dict[str, str]]  # med_type → pool name
    pools: Annotated[dict[str, Pool], AfterValidator(_pool_table)]
    inpatient_policy_ratio_target: Param[Ratio]
    county_inpatient_ratio_target: Param[dict[str, Ratio]]
    chronic_outpatient_ratio_target: Param[Ratio | None]
    outpatient_cap_target: Param[Money | None]
    # Pools of which one claim may be paid from one only (池州 二、7: 两病 and 门诊慢特病,
    # 避免重复报销): each inner list is one such set.
    exclusive_pools: Param[list[list[str]]]
    # Places outside the 参保地 where a student's care is paid at the 参保地's local rates (池州
    # 二、9: 学籍地, 户籍地, 就业见习地, 实习地). Read by the 异地就医 reduction once it exists; until
    # then every claim is paid at local rates anyway. Empty: no such rule.
    student_local_places: Param[list[str]]
    # 异地就医: points by which the ratio is lowered outside the 参保地, by 备案 kind (the claim's
    # offsite_kind; "" is 本地). A kind not listed is refused, naming offsite_kind.
    offsite_ratio_reduction: Param[dict[str, Ratio]]

    @model_validator(mode="after")
    def _pools_exist(self) -> Benefits:
        for exclusive in self.exclusive_pools.value:
            for pool_name in exclusive:
                if pool_name not in self.pools:
                    raise ValueError(f"exclusive_pools names unknown pool {pool_name!r}")
        for med_type, mapped in self.med_type_pool.value.items():
            if mapped not in self.pools:
                raise ValueError(f"med_type {med_type} maps to unknown pool {mapped!r}")
        for code, level in self.hosp_level_map.value.items():
            if level not in LEVELS:
                raise ValueError(f"hosp_lv {code} maps to {level!r}, not one of {LEVELS}")
        groups: dict[str, dict[str, int | None]] = {}
        for name, pool in self.pools.items():
            group = pool.cap_group.value or name
            cap = pool.annual_cap.value
            if group in groups and groups[group] != cap:
                raise ValueError(f"pools sharing cap_group {group!r} must have the same annual_cap")
            groups[group] = cap
        return self


# ---------------------------------------------------------------- 大病保险
class Segment(Frozen):
    upper: Money | None  # running eligible total at which this segment ends (None: open)
    ratio: Ratio


class CriticalIllness(Frozen):
    deductible: Param[Money]
    segments: Param[list[Segment]]
    annual_cap: Param[Money | None]
    special_groups: Param[list[str]]
    special_deductible_factor: Param[Ratio]
    special_ratio_add: Param[Ratio]
    special_no_cap: Param[bool]
    included_pools: Param[list[str]]
    policy_ratio_target: Param[Ratio | None]

    @model_validator(mode="after")
    def _segments_ordered(self) -> CriticalIllness:
        segments = self.segments.value
        if not segments:
            raise ValueError("critical illness needs at least one segment")
        uppers = [s.upper for s in segments]
        if any(u is None for u in uppers[:-1]):
            raise ValueError("only the last segment may be open-ended")
        bounded = [u for u in uppers if u is not None]
        if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("segment uppers must increase")
        if bounded and bounded[0] <= self.deductible.value:
            raise ValueError("the first segment must end above the deductible")
        return self


# ---------------------------------------------------------------- 医疗救助
class MedicalAssistance(Frozen):
    ratio_by_category: Param[dict[str, Ratio]]
    deductible_by_category: Param[dict[str, Money]]
    annual_limit: Param[Money]
    included_pools: Param[list[str]]
    application_lookback_months: Param[int]
    application_ratio: Param[Ratio]
    application_deductible: Param[Money]


# ---------------------------------------------------------------- monitoring, targets, fund risk
class Monitoring(Frozen):
    standard: Param[Money]  # 乡村振兴部门确定的监测标准 (per person-year)
    warning_multiple: Param[Ratio]  # 2 × the standard
    followup_months_after_risk_eliminated: Param[int]
    general_resident_threshold: Param[Money]
    watched_categories: Param[list[str]]  # judged against standard × multiple; others: general
    # every_resident: everyone against standard × multiple (彭水 三（三）2, to find new persons to
    # bring into monitoring); watched_categories: only those, the others against the general line
    warning_scope: Param[Literal["every_resident", "watched_categories"]]
    # the monitored groups whose category stays valid followup_months after its end date (风险消除)
    followup_categories: Param[list[str]]


class Targets(Frozen):
    enrollment_rate: Param[Ratio | None]
    low_income_enrollment_rate: Param[Ratio | None]
    eight_categories_enrollment_rate: Param[Ratio | None]
    drg_institution_coverage: Param[Ratio | None]
    drg_disease_coverage: Param[Ratio | None]
    drg_fund_share: Param[Ratio | None]
    smart_monitoring_coverage: Param[Ratio | None]
    e_prescription_min_institutions: Param[int | None]
    e_prescription_min_pharmacies: Param[int | None]
    cross_province_settlement_counties: Param[bool | None]
    about_tolerance: Param[Ratio]  # what "左右" allows either side of a target (engine/targets.py)


class FundRisk(Frozen):
    balance_months_min: Param[int]
    balance_months_max: Param[int]
    current_year_deficit_warning: Param[bool]


class Meta(Frozen):
    code: str
    name: str
    year: int
    coverage_from: dt.date
    coverage_to: dt.date
    chain: tuple[str, ...]
    files: tuple[str, ...]
    documents: dict[str, dict[str, str]]


class Policy(Frozen):
    meta: Meta
    financing: Financing
    fiscal_sharing: FiscalSharing
    assistance_subsidy: AssistanceSubsidy
    enrollment: Enrollment
    benefits: Benefits
    critical_illness: CriticalIllness
    medical_assistance: MedicalAssistance
    monitoring: Monitoring
    targets: Targets
    fund_risk: FundRisk

    def params(self) -> list[Param[Any]]:
        """Every leaf, in the order of the sections."""
        out: list[Param[Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, Param):
                out.append(node)
            elif isinstance(node, BaseModel):
                for field in type(node).model_fields:
                    walk(getattr(node, field))
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)

        for name in type(self).model_fields:
            if name != "meta":
                walk(getattr(self, name))
        return out

    def assumed_counts(self) -> dict[str, int]:
        """How many resolved values are assumptions, by the jurisdiction whose file sets them,
        in chain order (000000 first). An assumed parameter counts once; in a parameter that is
        itself cited, each assumed subsidy rule counts once."""
        counts = {code: 0 for code in self.meta.chain}
        for param in self.params():
            code = param.file.split("/", 1)[0]
            if param.assumed:
                n = 1
            elif isinstance(param.value, list):
                n = sum(1 for item in param.value if getattr(item, "assumed", False))
            else:
                n = 0
            if n:
                counts[code] = counts.get(code, 0) + n
        return {code: n for code, n in counts.items() if n}

    def covers(self, day: dt.date) -> bool:
        return self.meta.coverage_from <= day <= self.meta.coverage_to
