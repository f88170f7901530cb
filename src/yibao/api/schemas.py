"""Request and response bodies. Field names follow the national platform; money is yuan with
two decimals. String fields are bounded and restricted to what the store can hold, so bad input
is a 422 naming the field, never a database error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from yibao.claims import AMOUNT_FIELDS, ClaimIn
from yibao.money import yuan_to_fen
from yibao.services.enrollment import EnrollmentRequest
from yibao.services.payments import PaymentRequest
from yibao.store.persons import CategorySpan, PersonSpec

# Identifiers: letters, digits and - _ . only (they appear in URLs and logs).
CODE_RE = r"^[0-9A-Za-z_.\-]{1,40}$"
SETL_ID_RE = r"^[0-9A-Za-z_.\-]{1,64}$"
Code = Annotated[str, StringConstraints(pattern=CODE_RE)]
SetlId = Annotated[str, StringConstraints(pattern=SETL_ID_RE)]
PsnNoPath = Annotated[str, Path(pattern=CODE_RE, description="人员编号")]
SetlIdPath = Annotated[str, Path(pattern=SETL_ID_RE, description="结算ID")]
YearPath = Annotated[int, Path(ge=2000, le=2100)]
Admdvs = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Year = Annotated[int, Field(ge=2000, le=2100)]
# Printable text without control characters (PostgreSQL cannot store NUL).
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=100)]
Role = Literal["经办", "审核", "只读", "管理"]
Situation = Literal["resident", "migrant_worker", "continuation", "newborn", "transfer_in"]

# Yuan at the edge, exact: a decimal with at most two places (strings or JSON numbers; a
# JSON number is read from its text, never kept as a float), 0 ≤ amount ≤ 1,000,000.
Yuan = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2)]
PaymentId = Annotated[str, StringConstraints(pattern=SETL_ID_RE)]
# A commercial supplement product name (渝快保 普惠款 / 升级款); the policy says which exist.
Product = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,40}$")]

# A single claim above 1亿元 is a keying error, and keeps every sum far inside int64 fen.
MAX_CLAIM_FEN = 100_000_000 * 100


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CategoryIn(Strict):
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    begin_date: dt.date
    end_date: dt.date | None = None


class PersonIn(Strict):
    psn_no: Code | None = None
    certno: Annotated[str, StringConstraints(min_length=18, max_length=18)]
    psn_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    insuplc_admdvs: Admdvs
    hh_id: Code | None = None
    categories: list[CategoryIn] = Field(default_factory=list, max_length=20)
    resident_permit: bool = False  # 持居住证 (registered here on a 居住证)

    @field_validator("psn_name")
    @classmethod
    def _printable(cls, v: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise ValueError("psn_name: control characters are not allowed")
        return v

    def to_spec(self) -> PersonSpec:
        return PersonSpec(
            certno=self.certno,
            psn_name=self.psn_name,
            insuplc_admdvs=self.insuplc_admdvs,
            psn_no=self.psn_no,
            hh_id=self.hh_id,
            categories=tuple(
                CategorySpan(c.category, c.begin_date, c.end_date) for c in self.categories
            ),
            resident_permit=self.resident_permit,
        )


class CategoryOut(BaseModel):
    category: str
    begin_date: str
    end_date: str | None


class PersonOut(BaseModel):
    psn_no: str
    certno: str
    psn_name: str
    gend: str
    brdy: str
    insuplc_admdvs: str
    hh_id: str | None
    resident_permit: bool = False
    categories: list[CategoryOut]


def _fen(value: Decimal | None, name: str) -> int | None:
    return None if value is None else yuan_to_fen(value, name)


class EnrollmentIn(Strict):
    psn_no: Code
    year: Year
    enrolled_on: dt.date  # the payment date (缴费日期): the coverage start follows from it
    tier: Literal[1, 2] = 1
    insuplc_admdvs: Admdvs | None = None
    situation: Situation = "resident"
    previous_coverage_end: dt.date | None = None
    continuation_event: Annotated[str, StringConstraints(max_length=40)] | None = None
    coverage_begin: dt.date | None = None  # explicit dates override the eligibility engine
    coverage_end: dt.date | None = None
    payment_id: PaymentId | None = None  # 税务票据号; absent: one 缴费 per person-year
    personal_paid: Yuan | None = None  # absent: the quote's; when sent it must be the quote's
    channel: Text = ""
    supplement_product: Product | None = None  # 渝快保 product bought with the 缴费 (彭水)
    resident_permit: bool | None = None  # absent: the register's; when sent it must agree

    def to_request(self) -> EnrollmentRequest:
        return EnrollmentRequest(
            psn_no=self.psn_no,
            year=self.year,
            enrolled_on=self.enrolled_on,
            tier=self.tier,
            insuplc_admdvs=self.insuplc_admdvs,
            situation=self.situation,
            previous_coverage_end=self.previous_coverage_end,
            continuation_event=self.continuation_event,
            coverage_begin=self.coverage_begin,
            coverage_end=self.coverage_end,
            payment_id=self.payment_id,
            personal_paid=_fen(self.personal_paid, "personal_paid"),
            channel=self.channel,
            supplement_product=self.supplement_product,
            resident_permit=self.resident_permit,
        )


class EnrollmentOut(BaseModel):
    psn_no: str
    year: int
    insuplc_admdvs: str
    tier: int
    enrolled_on: str
    coverage_begin: str | None
    coverage_end: str | None
    situation: str
    coverage_rule: str
    status: str
    payment: dict[str, Any] | None = None


class PaymentIn(Strict):
    """A payment record (yuan, parsed exactly: at most two decimals, never a float)."""

    psn_no: Code
    year: Year
    payment_id: PaymentId  # 税务票据号 or another payment id: the idempotency key
    kind: Literal["缴费", "补缴", "退费", "冲正"] = "缴费"
    personal_paid: Yuan | None = None
    assistance_subsidy: Yuan | None = None
    paid_on: dt.date
    reason: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=200)] = ""
    refers_to: PaymentId | None = None
    channel: Text = ""

    def to_request(self) -> PaymentRequest:
        return PaymentRequest(
            psn_no=self.psn_no,
            year=self.year,
            payment_id=self.payment_id,
            paid_on=self.paid_on,
            kind=self.kind,
            personal_paid=_fen(self.personal_paid, "personal_paid"),
            assistance_subsidy=_fen(self.assistance_subsidy, "assistance_subsidy"),
            reason=self.reason,
            refers_to=self.refers_to,
            channel=self.channel,
        )


class QuoteIn(Strict):
    region: Admdvs
    year: Year
    categories: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    tier: Literal[1, 2] = 1
    psn_no: Code | None = None  # take the categories valid on 1 January from the store
    supplement_product: Product | None = None  # 渝快保 product (彭水 三（一）3)
    resident_permit: bool | None = None  # 持居住证; absent: the person's (psn_no) or False


class SettleIn(ClaimIn):
    """A claim to settle: ClaimIn without ytd (the store keeps the running totals).

    The register decides (engine.register): 参保地, tier, coverage dates and categories are the
    person's as registered. ``tier``, ``coverage_begin``/``coverage_end`` and ``categories``
    may be left out; when sent they must agree with the register, else the claim is refused.
    """

    setl_id: SetlId  # type: ignore[assignment]  # required here: the idempotency key
    mdtrt_id: SetlId | None = None  # 就诊ID; absent: the settlement's own setl_id
    psn_no: Code  # type: ignore[assignment]
    insuplc_admdvs: Admdvs  # type: ignore[assignment]
    tier: int | None = None  # type: ignore[assignment]  # absent: the enrollment's
    fixmedins_code: Annotated[str, StringConstraints(max_length=40)] = ""
    dise_codg: Annotated[str, StringConstraints(max_length=40)] = ""
    categories: list[str] = Field(default_factory=list, max_length=20)
    offsite_kind: Annotated[str, StringConstraints(max_length=20)] = ""
    # 就医地 (行政区划代码): outside the 参保地, the register's 异地就医备案 decides offsite_kind
    mdtrtarea_admvs: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None
    ytd: None = None

    @field_validator(*AMOUNT_FIELDS)
    @classmethod
    def _bounded(cls, v: Any, info: Any) -> Any:
        fen = yuan_to_fen(v if v is not None else 0, info.field_name)
        if abs(fen) > MAX_CLAIM_FEN:
            raise ValueError(f"{info.field_name}: larger than 100000000 yuan")
        return v

    @field_validator("setl_time")
    @classmethod
    def _year(cls, v: dt.datetime) -> dt.datetime:
        if not 2000 <= v.year <= 2100:
            raise ValueError("setl_time: year must be within 2000..2100")
        return v

    def to_row(self, setl_id: str | None = None) -> dict[str, Any]:
        row = super().to_row(setl_id)
        if self.mdtrt_id:
            row["mdtrt_id"] = self.mdtrt_id
        if self.mdtrtarea_admvs:
            row["mdtrtarea_admvs"] = self.mdtrtarea_admvs
        return row


class ReverseIn(Strict):
    """结算撤销: the 撤销原因, required (printable text, at most 200 characters)."""

    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    ]


class PreviewIn(SettleIn):
    setl_id: SetlId | None = None  # type: ignore[assignment]


class UserIn(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,100}$")]
    role: Role


class UserOut(BaseModel):
    name: str
    role: str
    active: bool


class NewUserOut(UserOut):
    token: str  # shown once


class LoginIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
