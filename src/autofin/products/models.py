"""Loan products (贷款产品): a code with versions (draft → active → retired) and the effective-dated LTV caps.

A loan keeps the version it was made under (``ProductVersion.id``); at most one version of a product is active,
enforced by a partial unique index.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Rate, UTCDateTime


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)


class ProductVersion(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "product_versions"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    conditions: Mapped[list[str]] = mapped_column(JSON, nullable=False)  # new / used
    powertrains: Mapped[list[str]] = mapped_column(JSON, nullable=False)  # conventional / nev
    uses: Mapped[list[str]] = mapped_column(JSON, nullable=False)  # self / commercial
    methods: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    terms: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    max_term: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_min: Mapped[Decimal] = mapped_column(Rate, nullable=False)  # annual percent
    rate_max: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    rate_default: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    penalty_rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)  # annual percent on overdue principal
    grace_days: Mapped[int] = mapped_column(Integer, nullable=False)
    allocation_order: Mapped[str] = mapped_column(String(32), nullable=False)
    prepayment_after_months: Mapped[int] = mapped_column(Integer, nullable=False)
    prepayment_fee_percent: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    min_down_payment_percent: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    max_ltv_percent: Mapped[Decimal | None] = mapped_column(Rate, nullable=True)  # the lender's own cap, if lower
    max_balloon_percent: Mapped[Decimal | None] = mapped_column(Rate, nullable=True)
    min_age: Mapped[int] = mapped_column(Integer, nullable=False)
    max_age: Mapped[int] = mapped_column(Integer, nullable=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("product_id", "number"),
        Index(
            "uq_product_versions_one_active",
            "product_id",
            unique=True,
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
    )


class LtvCap(IdMixin, TimestampMixin, Base):
    """A regulatory loan-to-value cap for (use, powertrain class, new/used) over a period of time."""

    __tablename__ = "product_ltv_caps"

    use: Mapped[str] = mapped_column(String(16), nullable=False)  # self / commercial
    powertrain: Mapped[str] = mapped_column(String(16), nullable=False)  # conventional / nev
    condition: Mapped[str] = mapped_column(String(8), nullable=False)  # new / used
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; None = open
    cap_percent: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    lender_set: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (UniqueConstraint("use", "powertrain", "condition", "effective_from"),)
