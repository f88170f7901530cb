"""Request and response bodies. Field names follow the national platform; money is yuan with
two decimals. String fields are bounded and restricted to what the store can hold, so bad input
is a 422 naming the field, never a database error."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from yibao.claims import AMOUNT_FIELDS, ClaimIn
from yibao.money import yuan_to_fen

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

    @field_validator("psn_name")
    @classmethod
    def _printable(cls, v: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise ValueError("psn_name: control characters are not allowed")
        return v


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
    categories: list[CategoryOut]


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


class PaymentIn(Strict):
    psn_no: Code
    year: Year
    personal_paid: Annotated[float, Field(ge=0, le=1_000_000)]
    assistance_subsidy: Annotated[float, Field(ge=0, le=1_000_000)] = 0
    paid_on: dt.date
    channel: Text = ""


class QuoteIn(Strict):
    region: Admdvs
    year: Year
    categories: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    tier: Literal[1, 2] = 1
    psn_no: Code | None = None  # take the categories valid on 1 January from the store


class SettleIn(ClaimIn):
    """A claim to settle: ClaimIn without ytd (the store keeps the running totals)."""

    setl_id: SetlId  # type: ignore[assignment]  # required here: the idempotency key
    psn_no: Code  # type: ignore[assignment]
    insuplc_admdvs: Admdvs  # type: ignore[assignment]
    fixmedins_code: Annotated[str, StringConstraints(max_length=40)] = ""
    dise_codg: Annotated[str, StringConstraints(max_length=40)] = ""
    categories: list[str] = Field(default_factory=list, max_length=20)
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
