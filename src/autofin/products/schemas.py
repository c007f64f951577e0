"""Input and output shapes of the products API (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

from autofin.schemas import MoneyStr, PublicModel, StrictModel


def _fixed(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


# Rates and percents cross the wire as fixed-point strings ("70", "5.25"), never "7E+1".
Percent = Annotated[Decimal, PlainSerializer(_fixed, return_type=str, when_used="json")]
MethodName = Literal["annuity", "equal_principal", "flat", "interest_only", "balloon"]
ConditionName = Literal["new", "used"]
PowertrainClass = Literal["conventional", "nev"]
UseName = Literal["self", "commercial"]
DEFAULT_CONDITIONS: tuple[ConditionName, ...] = ("new",)
DEFAULT_POWERTRAINS: tuple[PowertrainClass, ...] = ("conventional", "nev")
DEFAULT_USES: tuple[UseName, ...] = ("self",)
DEFAULT_METHODS: tuple[MethodName, ...] = ("annuity",)


class FeeSpec(StrictModel):
    name: str = Field(min_length=1, max_length=64)
    amount: MoneyStr | None = None
    percent: Decimal | None = Field(None, ge=0, le=100)
    timing: Literal["upfront", "at_disbursement", "per_installment"] = "upfront"
    treatment: Literal["paid", "financed"] = "paid"


class VersionFields(StrictModel):
    name: str | None = Field(None, max_length=100)
    conditions: list[ConditionName] = Field(default_factory=lambda: list(DEFAULT_CONDITIONS), min_length=1)
    powertrains: list[PowertrainClass] = Field(default_factory=lambda: list(DEFAULT_POWERTRAINS), min_length=1)
    uses: list[UseName] = Field(default_factory=lambda: list(DEFAULT_USES), min_length=1)
    methods: list[MethodName] = Field(default_factory=lambda: list(DEFAULT_METHODS), min_length=1)
    terms: list[int] = Field(default_factory=lambda: [12, 24, 36], min_length=1)
    max_term: int = Field(36, ge=1, le=60)
    rate_min: Decimal = Field(Decimal("3"), ge=0, le=100)
    rate_max: Decimal = Field(Decimal("12"), ge=0, le=100)
    rate_default: Decimal = Field(Decimal("6"), ge=0, le=100)
    fees: list[FeeSpec] = Field(default_factory=list, max_length=10)
    penalty_rate: Decimal = Field(Decimal("9"), ge=0, le=100)
    grace_days: int = Field(3, ge=0, le=30)
    allocation_order: Literal["default", "principal_first", "interest_first", "penalty_first"] = "default"
    prepayment_after_months: int = Field(0, ge=0, le=60)
    prepayment_fee_percent: Decimal = Field(Decimal("0"), ge=0, le=100)
    min_down_payment_percent: Decimal = Field(Decimal("20"), ge=0, le=100)
    max_ltv_percent: Decimal | None = Field(None, gt=0, le=100)
    max_balloon_percent: Decimal | None = Field(None, gt=0, lt=100)
    min_age: int = Field(18, ge=16, le=80)
    max_age: int = Field(65, ge=18, le=90)


class VersionUpdate(VersionFields):
    """A draft's new fields (all of them, as the form shows them) and the draft's version the editor saw."""

    version: int = Field(ge=1)


class ProductCreate(VersionFields):
    code: str = Field(pattern=r"^[A-Z0-9_\-]{2,32}$")
    product_name: str = Field(min_length=1, max_length=100)


class VersionPublic(PublicModel):
    id: int
    number: int
    status: str
    name: str
    conditions: list[str]
    powertrains: list[str]
    uses: list[str]
    methods: list[str]
    terms: list[int]
    max_term: int
    rate_min: Percent
    rate_max: Percent
    rate_default: Percent
    fees: list[dict[str, object]]
    penalty_rate: Percent
    grace_days: int
    allocation_order: str
    prepayment_after_months: int
    prepayment_fee_percent: Percent
    min_down_payment_percent: Percent
    max_ltv_percent: Percent | None
    max_balloon_percent: Percent | None
    min_age: int
    max_age: int
    activated_at: datetime | None
    retired_at: datetime | None
    version: int


class ProductPublic(BaseModel):
    id: int
    code: str
    name: str
    active_version: VersionPublic | None
    versions: list[VersionPublic]


class QuoteRequest(StrictModel):
    price: MoneyStr
    down_payment: MoneyStr
    term: int = Field(ge=1, le=120)
    method: MethodName = "annuity"
    rate: Decimal | None = Field(None, ge=0, le=100)
    balloon: MoneyStr | None = None
    condition: Literal["new", "used"] | None = None
    powertrain: Literal["conventional", "nev"] | None = None
    use: Literal["self", "commercial"] | None = None
    disbursement_date: date | None = None


class QuoteLine(BaseModel):
    number: int
    due_date: date
    principal: MoneyStr
    interest: MoneyStr
    fees: MoneyStr
    total: MoneyStr
    balance: MoneyStr


class QuotePublic(BaseModel):
    product_code: str
    product_version: int
    principal: MoneyStr
    net_disbursed: MoneyStr
    annual_rate: Percent
    term: int
    method: str
    ltv_percent: Percent
    ltv_cap_percent: Percent
    down_payment_percent: Percent
    total_interest: MoneyStr
    total_fees: MoneyStr
    total_repayment: MoneyStr
    annualized_rate_simple: Percent
    annualized_rate_compound: Percent
    schedule: list[QuoteLine]


class LtvCapPublic(PublicModel):
    id: int
    use: str
    powertrain: str
    condition: str
    effective_from: date
    effective_to: date | None
    cap_percent: Percent
    lender_set: bool
    source: str


class LtvCapCreate(StrictModel):
    """A new effective-dated row of the LTV cap table; the row in force before it ends the day before."""

    use: UseName
    powertrain: PowertrainClass
    condition: ConditionName
    effective_from: date
    cap_percent: Decimal = Field(max_digits=9, decimal_places=4)
    lender_set: bool = False
    source: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(None, max_length=500)  # required when the date is in the past
