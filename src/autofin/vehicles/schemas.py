"""Input and output shapes of the vehicles API (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel


class VehicleCreate(StrictModel):
    vin: str = Field(max_length=24)
    plate: str | None = Field(None, max_length=12)
    model_code: str | None = Field(None, max_length=64)
    condition: Literal["new", "used"] = "new"
    powertrain: Literal["ice", "bev", "phev"] = "ice"
    use: Literal["self", "commercial"] = "self"
    mileage_km: int = Field(0, ge=0, le=2_000_000)
    first_registration: date | None = None
    invoice_price: MoneyStr | None = None
    customer_id: int | None = None


class VehicleUpdate(StrictModel):
    version: int
    plate: str | None = Field(None, max_length=12)
    model_code: str | None = Field(None, max_length=64)
    use: Literal["self", "commercial"] | None = None
    mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    first_registration: date | None = None
    invoice_price: MoneyStr | None = None
    customer_id: int | None = None


class VehiclePublic(PublicModel):
    id: int
    vin: str
    maker: str | None
    model_year: int | None
    plate: str | None
    model_code: str | None
    condition: str
    powertrain: str
    use: str
    mileage_km: int
    first_registration: date | None
    invoice_price: MoneyStr | None
    customer_id: int | None
    department_id: int | None
    version: int
    created_at: datetime


class PolicyCreate(StrictModel):
    insurer: str = Field(min_length=1, max_length=100)
    policy_number: str = Field(min_length=1, max_length=64)
    kind: Literal["compulsory", "commercial", "vehicle_damage", "third_party", "other"]
    cover: MoneyStr
    starts_on: date
    ends_on: date
    beneficiary: str | None = Field(None, max_length=100)


class PolicyPublic(PublicModel):
    id: int
    vehicle_id: int
    insurer: str
    policy_number: str
    kind: str
    cover: MoneyStr
    starts_on: date
    ends_on: date
    beneficiary: str | None


class AppraisalCreate(StrictModel):
    method: Literal["staff", "third_party", "rule"]
    value: MoneyStr | None = None  # required unless method == rule
    appraised_on: date | None = None
    appraiser: str | None = Field(None, max_length=100)
    report_file: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=2000)


class AppraisalPublic(PublicModel):
    id: int
    vehicle_id: int
    method: str
    value: MoneyStr
    appraised_on: date
    appraiser: str
    report_file: str | None
    notes: str | None


class LtvRequest(StrictModel):
    loan: MoneyStr


class LtvPublic(BaseModel):
    loan: MoneyStr
    price: MoneyStr | None
    appraisal: MoneyStr | None
    basis: MoneyStr
    ltv: Decimal


class LienCreate(StrictModel):
    vehicle_id: int
    kind: Literal["mortgage", "pledge"] = "mortgage"
    creditor: str = Field("autofin", min_length=1, max_length=100)
    loan_reference: str | None = Field(None, max_length=64)
    loan_id: int | None = Field(None, ge=1)  # the servicing loan it secures (bound at disbursement otherwise)
    secured_amount: MoneyStr | None = None


class LienRegister(StrictModel):
    authority: str = Field("车辆管理所", min_length=1, max_length=100)
    certificate_number: str = Field("PENDING", min_length=1, max_length=64)
    registered_on: date | None = None


class LienReleaseRequest(StrictModel):
    reason: str = Field("loan settled", min_length=1, max_length=500)


class LienRelease(StrictModel):
    released_on: date | None = None


class LienPublic(PublicModel):
    id: int
    vehicle_id: int
    vin: str
    kind: str
    status: str
    active: bool
    creditor: str
    loan_reference: str | None
    loan_id: int | None
    secured_amount: MoneyStr | None
    authority: str | None
    certificate_number: str | None
    registered_on: date | None
    release_reason: str | None
    released_on: date | None
    version: int


class RegistryEntryPublic(PublicModel):
    sequence: int
    occurred_at: datetime
    lien_id: int
    vin: str
    action: str
    data: dict[str, object]
    actor_name: str
    row_hash: str


class GpsDeviceCreate(StrictModel):
    serial: str = Field(min_length=1, max_length=64)
    imei: str | None = Field(None, pattern=r"^\d{15}$")
    kind: Literal["wired", "wireless"]
    sim: str | None = Field(None, max_length=24)


class GpsInstall(StrictModel):
    vehicle_id: int = Field(ge=1)
    installer: str = Field(min_length=1, max_length=100)
    installed_on: date | None = None
    photos: list[str] = Field(default_factory=list, max_length=20)  # free references (file names)
    photo_document_ids: list[int] = Field(default_factory=list, max_length=20)  # the vehicle's uploaded photos
    loan_reference: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)  # the device's version the clerk saw


class GpsStatusChange(StrictModel):
    status: Literal["in_stock", "removed", "faulty"]
    version: int | None = Field(None, ge=1)
    reason: str | None = Field(None, max_length=500)


class GpsDevicePublic(PublicModel):
    id: int
    serial: str
    imei: str | None
    kind: str
    sim: str | None
    status: str
    vehicle_id: int | None
    loan_reference: str | None
    loan_id: int | None
    version: int


class GpsInstallationPublic(PublicModel):
    id: int
    device_id: int
    vehicle_id: int
    installer: str
    installed_on: date
    removed_on: date | None
    photos: list[str] | None
    notes: str | None


class LoanBind(StrictModel):
    vehicle_id: int = Field(ge=1)
    loan_id: int = Field(ge=1, le=2**62)


class LoanBindingPublic(BaseModel):
    loan_id: int
    vehicle_id: int
    device_ids: list[int]
    lien_id: int | None


class VerifyReport(BaseModel):
    entries_checked: int
    intact: bool
    first_broken_sequence: int | None
    problem: str | None
