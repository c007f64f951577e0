"""Input and output shapes of the customers API (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel

IndividualIdType = Literal["resident_id", "passport", "hk_macau_permit", "taiwan_permit"]
PiiGroup = Literal["identity", "contact", "finance", "credit"]


class CustomerCreate(StrictModel):
    kind: Literal["individual", "enterprise"]
    name: str = Field(min_length=1, max_length=100)
    id_type: IndividualIdType | None = None  # individuals; default resident_id
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=24)
    address: str | None = Field(None, max_length=300)
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None
    education: str | None = Field(None, max_length=24)
    employer: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=100)
    monthly_income: MoneyStr | None = None
    credit_score: int | None = Field(None, ge=0, le=1000)
    credit_summary: str | None = Field(None, max_length=2000)
    uscc: str | None = Field(None, max_length=24)  # enterprises
    uscc_override: bool = False
    override_reason: str | None = Field(None, max_length=500)
    legal_rep_id: int | None = None
    registered_capital: MoneyStr | None = None
    industry: str | None = Field(None, max_length=100)
    financials: dict[str, str] | None = None
    department_id: int | None = None
    manager_id: int | None = None


class CustomerUpdate(StrictModel):
    version: int
    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=24)
    address: str | None = Field(None, max_length=300)
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None
    education: str | None = Field(None, max_length=24)
    employer: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=100)
    monthly_income: MoneyStr | None = None
    credit_score: int | None = Field(None, ge=0, le=1000)
    credit_summary: str | None = Field(None, max_length=2000)
    registered_capital: MoneyStr | None = None
    industry: str | None = Field(None, max_length=100)
    financials: dict[str, str] | None = None
    department_id: int | None = None
    manager_id: int | None = None


class CustomerPublic(BaseModel):
    """A customer as shown: personal data masked unless a group was revealed (``masked`` lists what is hidden)."""

    id: int
    kind: str
    name: str
    id_type: str
    id_number: str
    phone: str | None = None
    address: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    region_code: str | None = None
    marital_status: str | None = None
    education: str | None = None
    employer: str | None = None
    occupation: str | None = None
    monthly_income: MoneyStr | None = None
    credit_score: int | None = None
    credit_summary: str | None = None
    uscc_override: bool = False
    legal_rep_id: int | None = None
    registered_capital: MoneyStr | None = None
    industry: str | None = None
    financials: dict[str, str] | None = None
    grade_code: str | None = None
    tags: list[str] = []
    status: str
    merged_into_id: int | None = None
    department_id: int | None = None
    manager_id: int | None = None
    version: int
    created_at: datetime
    masked: list[str] = []


class RevealRequest(StrictModel):
    groups: list[PiiGroup] = Field(min_length=1)
    reason: str = Field(max_length=500)


class ContactCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    relation: Literal["spouse", "parent", "child", "sibling", "relative", "colleague", "friend", "other"]
    phone: str = Field(max_length=24)
    consent: bool = False


class ContactPublic(PublicModel):
    id: int
    customer_id: int
    name: str
    relation: str
    phone: str
    consent: bool
    consent_at: datetime | None


class MergeRequest(StrictModel):
    duplicate_id: int
    reason: str = Field(max_length=500)


class DuplicatePublic(BaseModel):
    reason: Literal["same_phone", "same_name_birth_date"]
    customer_ids: list[int]
    names: list[str]


class TagCreate(StrictModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=64)


class TagPublic(PublicModel):
    id: int
    code: str
    name: str


class TagAssign(StrictModel):
    code: str = Field(max_length=32)


class GradeCreate(StrictModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    name_zh: str = Field(min_length=1, max_length=64)
    name_en: str = Field(min_length=1, max_length=64)
    rank: int = Field(ge=0, le=100)
    min_monthly_income: MoneyStr | None = None
    min_credit_score: int | None = Field(None, ge=0, le=1000)
    min_registered_capital: MoneyStr | None = None


class GradePublic(PublicModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    rank: int
    min_monthly_income: MoneyStr | None
    min_credit_score: int | None
    min_registered_capital: MoneyStr | None


class GradeAssign(StrictModel):
    code: str | None = Field(None, max_length=32)  # None: evaluate the configured criteria


class CardCreate(StrictModel):
    """No CVV field: a CVV sent anyway is refused as an unknown field and never stored."""

    card_number: str = Field(max_length=30)
    holder_name: str = Field(min_length=1, max_length=100)


class CardPublic(PublicModel):
    id: int
    customer_id: int
    masked_number: str
    bin: str
    last4: str
    bank_code: str | None
    bank_name: str | None
    holder_name: str
    status: str


class ReasonRequest(StrictModel):
    reason: str = Field(max_length=500)


class CardReveal(BaseModel):
    id: int
    card_number: str


class BlacklistCreate(StrictModel):
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=24)
    uscc: str | None = Field(None, max_length=24)
    vin: str | None = Field(None, max_length=24)
    reason: str = Field(min_length=1, max_length=500)
    source: str = Field("manual", max_length=64)
    expires_at: datetime | None = None


class BlacklistPublic(PublicModel):
    id: int
    kind: str
    value_masked: str
    reason: str
    source: str
    expires_at: datetime | None
    author_name: str
    status: str
    removal_requested_by_name: str | None
    removal_reason: str | None
    created_at: datetime


class BlacklistCheck(StrictModel):
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=24)
    uscc: str | None = Field(None, max_length=24)
    vin: str | None = Field(None, max_length=24)


class BlacklistHitPublic(BaseModel):
    entry_id: int
    kind: str
    value_masked: str
    reason: str
    source: str
