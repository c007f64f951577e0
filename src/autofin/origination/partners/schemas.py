"""Shapes of second-party intake: the partner's payload (their codes) in, our ids and statuses out; admin shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel

PartnerCode = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
PartnerValue = Field(min_length=1, max_length=32)

# Mapping tables a partner may have: table name → (the payload field it translates, the values ours accepts;
# None: any existing product code).
#: What a partner may send as an application's supporting file (进件资料); review notes and contracts are ours.
PARTNER_DOCUMENT_KINDS = ("id_photo", "invoice", "appraisal_report", "vehicle_photo", "other")
MAPPING_TABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "product": ("product_code", None),
    "method": ("method", ("annuity", "equal_principal", "flat", "interest_only", "balloon")),
    "id_type": ("applicant.id_type", ("resident_id", "passport", "hk_macau_permit", "taiwan_permit")),
    "vehicle_condition": ("vehicle.condition", ("new", "used")),
    "powertrain": ("vehicle.powertrain", ("ice", "bev", "phev")),
    "vehicle_use": ("vehicle.use", ("self", "commercial")),
    "document_kind": ("kind", PARTNER_DOCUMENT_KINDS),
}


# ---- what a partner sends ---------------------------------------------------------------------------------------


class PartnerApplicant(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    id_type: str = Field("resident_id", min_length=1, max_length=32)  # partner's code when an id_type table exists
    id_number: str = Field(min_length=1, max_length=40)
    phone: str = Field(min_length=1, max_length=24)
    address: str | None = Field(None, max_length=300)
    employer: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=100)
    monthly_income: MoneyStr | None = None


class PartnerVehicle(StrictModel):
    vin: str = Field(min_length=17, max_length=24)
    condition: str = Field("new", min_length=1, max_length=32)
    powertrain: str = Field("ice", min_length=1, max_length=32)
    use: str = Field("self", min_length=1, max_length=32)
    plate: str | None = Field(None, max_length=12)
    mileage_km: int = Field(0, ge=0, le=2_000_000)
    first_registration: date | None = None
    invoice_price: MoneyStr | None = None


class PartnerApplicationIn(StrictModel):
    """One application from a partner platform (进件), in the partner's codes."""

    order_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-.:/]+$")  # the partner's reference
    product_code: str = PartnerValue
    applicant: PartnerApplicant
    vehicle: PartnerVehicle
    price: MoneyStr
    down_payment: MoneyStr
    amount: MoneyStr | None = None
    term: int = Field(ge=1, le=120)
    method: str = Field("annuity", min_length=1, max_length=32)
    rate: Decimal | None = Field(None, ge=0, le=100)
    purpose: str = Field("", max_length=200)


class PartnerCheck(PublicModel):
    name: str
    outcome: str
    reason_en: str
    reason_zh: str


class PartnerDocumentOut(PublicModel):
    """A supporting file as stored for the partner's application (the same content sent again is stored once)."""

    document_id: int
    application_id: int
    kind: str
    sha256: str
    size: int
    media_type: str
    filename: str
    stored_before: bool


class PartnerApplicationOut(PublicModel):
    """What a partner sees of its application: our id and number, its status, decision when there is one."""

    application_id: int
    number: str | None
    order_no: str
    status: str
    check_outcome: str | None = None
    checks: list[PartnerCheck] = Field(default_factory=list)
    approved_amount: MoneyStr | None = None
    approved_rate: Decimal | None = None
    approved_term: int | None = None
    decision_reason: str | None = None
    approval_expires_at: datetime | None = None
    updated_at: datetime


# ---- administration --------------------------------------------------------------------------------------------


class PartnerCreate(StrictModel):
    code: str = PartnerCode
    name: str = Field(min_length=1, max_length=100)
    department_id: int = Field(ge=1)  # the dealer / branch the partner's applications belong to
    rate_limit_per_minute: int = Field(60, ge=1, le=100_000)
    callback_url: str | None = Field(None, max_length=500)
    allowed_ips: list[str] = Field(default_factory=list, max_length=50)
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    description: str = Field("", max_length=500)


class PartnerUpdate(StrictModel):
    version: int
    name: str | None = Field(None, min_length=1, max_length=100)
    status: Literal["active", "suspended"] | None = None
    department_id: int | None = Field(None, ge=1)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=100_000)
    callback_url: str | None = Field(None, max_length=500)
    allowed_ips: list[str] | None = Field(None, max_length=50)
    mappings: dict[str, dict[str, str]] | None = None
    description: str | None = Field(None, max_length=500)


class PartnerPublic(PublicModel):
    id: int
    code: str
    name: str
    status: str
    key_id: str
    department_id: int
    rate_limit_per_minute: int
    callback_url: str | None
    allowed_ips: list[str]
    mappings: dict[str, Any]
    description: str
    secret_rotated_at: datetime
    version: int
    created_at: datetime


class PartnerWithSecret(PartnerPublic):
    """Answered once, at creation or rotation: the secret is never shown again."""

    secret: str


class DeliveryPublic(PublicModel):
    id: int
    partner_id: int
    application_id: int
    event: str
    status: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptPublic(PublicModel):
    attempt: int
    at: datetime
    url: str
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int


class DeliveryDetail(DeliveryPublic):
    attempts_log: list[AttemptPublic] = Field(default_factory=list)
