"""Vehicles (车辆), insurance policies, appraisals (评估), the lien registry (抵押/质押) and GPS devices.

At most one active lien per VIN is enforced by the database: a unique index on ``vehicle_liens.vin`` restricted to
``active`` rows (partial index on PostgreSQL and SQLite). Every registry step appends a hash-chained
:class:`RegistryEntry`; ``autofin registry verify`` walks the chain.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, UTCDateTime


class Condition(StrEnum):
    NEW = "new"  # 新车
    USED = "used"  # 二手车


class Powertrain(StrEnum):
    ICE = "ice"  # 燃油车 (conventional)
    BEV = "bev"  # 纯电动
    PHEV = "phev"  # 插电混动


class VehicleUse(StrEnum):
    SELF = "self"  # 自用
    COMMERCIAL = "commercial"  # 商用


class Vehicle(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "vehicles"

    vin: Mapped[str] = mapped_column(String(17), nullable=False, unique=True)
    maker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    plate: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    model_code: Mapped[str | None] = mapped_column(String(64), nullable=True)  # 车型 (data dictionary)
    condition: Mapped[str] = mapped_column(String(8), nullable=False)
    powertrain: Mapped[str] = mapped_column(String(8), nullable=False)
    use: Mapped[str] = mapped_column(String(16), nullable=False)
    mileage_km: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_registration: Mapped[date | None] = mapped_column(Date, nullable=True)
    invoice_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # owner
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class InsurancePolicy(IdMixin, TimestampMixin, Base):
    __tablename__ = "vehicle_insurance_policies"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False, index=True)
    insurer: Mapped[str] = mapped_column(String(100), nullable=False)
    policy_number: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # compulsory 交强险 / commercial 商业险 …
    cover: Mapped[Decimal] = mapped_column(Money, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    beneficiary: Mapped[str | None] = mapped_column(String(100), nullable=True)  # 第一受益人


class AppraisalMethod(StrEnum):
    STAFF = "staff"
    THIRD_PARTY = "third_party"
    RULE = "rule"


class Appraisal(IdMixin, TimestampMixin, Base):
    __tablename__ = "vehicle_appraisals"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    appraised_on: Mapped[date] = mapped_column(Date, nullable=False)
    appraiser: Mapped[str] = mapped_column(String(100), nullable=False)
    report_file: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class LienKind(StrEnum):
    MORTGAGE = "mortgage"  # 抵押
    PLEDGE = "pledge"  # 质押


class LienStatus(StrEnum):
    APPLIED = "applied"
    REGISTERED = "registered"
    RELEASE_REQUESTED = "release_requested"
    RELEASED = "released"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (LienStatus.APPLIED, LienStatus.REGISTERED, LienStatus.RELEASE_REQUESTED)


class Lien(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A mortgage or pledge on a vehicle, active from application until released or cancelled."""

    __tablename__ = "vehicle_liens"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False, index=True)
    vin: Mapped[str] = mapped_column(String(17), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    creditor: Mapped[str] = mapped_column(String(100), nullable=False)
    loan_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    secured_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    applied_by: Mapped[str] = mapped_column(String(64), nullable=False)
    authority: Mapped[str | None] = mapped_column(String(100), nullable=True)  # 车管所
    certificate_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    registered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    registered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    release_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loan_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # servicing loan secured

    __table_args__ = (
        Index(
            "uq_vehicle_liens_active_vin",
            "vin",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )


class RegistryEntry(IdMixin, Base):
    """One step of the lien registry, hash-chained to the step before it. Never updated."""

    __tablename__ = "vehicle_registry_entries"

    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    lien_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    vin: Mapped[str] = mapped_column(String(17), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class RegistryHead(Base):
    __tablename__ = "vehicle_registry_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class VehicleAlert(IdMixin, Base):
    """A risk alert (e.g. a second lien attempted on a VIN that already has one)."""

    __tablename__ = "vehicle_alerts"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    vehicle_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    vin: Mapped[str] = mapped_column(String(17), nullable=False, index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False)


class GpsStatus(StrEnum):
    IN_STOCK = "in_stock"  # 库存
    INSTALLED = "installed"  # 已安装
    REMOVED = "removed"  # 已拆除
    FAULTY = "faulty"  # 故障


# status → the statuses it may change to by hand (installing is its own step: in_stock → installed)
GPS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    GpsStatus.IN_STOCK: (GpsStatus.FAULTY,),
    GpsStatus.INSTALLED: (GpsStatus.REMOVED, GpsStatus.FAULTY),
    GpsStatus.REMOVED: (GpsStatus.IN_STOCK, GpsStatus.FAULTY),
    GpsStatus.FAULTY: (GpsStatus.IN_STOCK, GpsStatus.REMOVED),
}


class GpsDevice(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A GPS tracker: in stock → installed on a vehicle (bound to its loan) → removed / faulty → back in stock."""

    __tablename__ = "gps_devices"

    serial: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    imei: Mapped[str | None] = mapped_column(String(15), nullable=True, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # wired 有线 / wireless 无线
    sim: Mapped[str | None] = mapped_column(String(24), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # in_stock / installed / removed / faulty
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), nullable=True, index=True)
    loan_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loan_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # servicing loan watched


class GpsInstallation(IdMixin, TimestampMixin, Base):
    __tablename__ = "gps_installations"

    device_id: Mapped[int] = mapped_column(ForeignKey("gps_devices.id"), nullable=False, index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), nullable=False, index=True)
    installer: Mapped[str] = mapped_column(String(100), nullable=False)
    installed_on: Mapped[date] = mapped_column(Date, nullable=False)
    photos: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # "document:<id>" of the vehicle's files
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # when the device came off again


class VehicleLoan(IdMixin, TimestampMixin, Base):
    """A servicing loan as the vehicles domain heard of it (``LoanDisbursed``), and the vehicle it is secured on.

    Vehicles never reads servicing tables: this projection lets ``bind_gps_to_loan`` check that a loan exists and
    lets a device installed later find the loan of its vehicle.
    """

    __tablename__ = "vehicle_loans"

    loan_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), nullable=True, index=True)
    disbursed_on: Mapped[date] = mapped_column(Date, nullable=False)
