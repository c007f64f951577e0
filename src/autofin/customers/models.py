"""Customers (客户): individuals and enterprises, their contacts, tags, grades, bank cards and the blacklist.

Personal data (ID numbers, phones, addresses, card numbers) is stored only encrypted (``*_enc``, AES-GCM, see
``kernel.crypto``) next to a keyed hash (``*_hash``) for exact search and a masked copy (``*_masked``) for lists.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, UTCDateTime


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"  # 个人
    ENTERPRISE = "enterprise"  # 企业


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAU_PERMIT = "hk_macau_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    USCC = "uscc"  # 统一社会信用代码 (enterprises)


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # folded into another record after de-duplication


class Customer(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "customers"

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    id_type: Mapped[str] = mapped_column(String(24), nullable=False)
    id_number_enc: Mapped[str] = mapped_column(String(255), nullable=False)
    id_number_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # one customer per ID
    id_number_masked: Mapped[str] = mapped_column(String(40), nullable=False)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    gender: Mapped[str | None] = mapped_column(String(8), nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    phone_enc: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    # finance group (individuals)
    marital_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    education: Mapped[str | None] = mapped_column(String(24), nullable=True)
    employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    occupation: Mapped[str | None] = mapped_column(String(100), nullable=True)
    monthly_income: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # credit report group
    credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credit_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    # enterprises
    uscc_override: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uscc_override_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    legal_rep_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    registered_capital: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True)
    financials: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # classification and ownership
    grade_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CustomerStatus.ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    manager_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # account manager

    __table_args__ = (
        # name-prefix search with the data-scope columns, so the count is an index-only scan
        Index(
            "ix_customers_name_prefix",
            "name",
            "department_id",
            "manager_id",
            postgresql_ops={"name": "text_pattern_ops"},
        ),
        Index("ix_customers_name_birth", "name", "birth_date"),
    )


class Contact(IdMixin, TimestampMixin, Base):
    """A person the customer names (emergency contact, spouse …) and whether they agreed to be contacted."""

    __tablename__ = "customer_contacts"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    relation: Mapped[str] = mapped_column(String(24), nullable=False)
    phone_enc: Mapped[str] = mapped_column(String(255), nullable=False)
    phone_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    phone_masked: Mapped[str] = mapped_column(String(20), nullable=False)
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Tag(IdMixin, TimestampMixin, Base):
    __tablename__ = "customer_tags"

    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)


class CustomerTag(IdMixin, Base):
    __tablename__ = "customer_tag_links"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("customer_tags.id"), nullable=False)

    __table_args__ = (UniqueConstraint("customer_id", "tag_id"),)


class Grade(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A customer grade (客户等级) and the criteria that earn it; higher ``rank`` is better."""

    __tablename__ = "customer_grades"

    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False)
    name_en: Mapped[str] = mapped_column(String(64), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    min_monthly_income: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    min_credit_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_registered_capital: Mapped[Decimal | None] = mapped_column(Money, nullable=True)


class BankCard(IdMixin, TimestampMixin, Base):
    """A customer's bank card: number only encrypted; shown as BIN + last four. No CVV is ever stored."""

    __tablename__ = "customer_bank_cards"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    number_enc: Mapped[str] = mapped_column(String(255), nullable=False)
    number_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    bin: Mapped[str] = mapped_column(String(6), nullable=False)
    last4: Mapped[str] = mapped_column(String(4), nullable=False)
    bank_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    bank_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    holder_name: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")

    __table_args__ = (UniqueConstraint("customer_id", "number_hash"),)


class BlacklistKind(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    USCC = "uscc"
    VIN = "vin"


class BlacklistStatus(StrEnum):
    ACTIVE = "active"
    REMOVAL_REQUESTED = "removal_requested"  # still blocks until a second person approves
    REMOVED = "removed"


class BlacklistEntry(IdMixin, TimestampMixin, VersionedMixin, Base):
    """黑名单: an identifier that must stop an application at intake."""

    __tablename__ = "blacklist_entries"

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    value_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    value_enc: Mapped[str] = mapped_column(String(255), nullable=False)
    value_masked: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    author_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    author_name: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default=BlacklistStatus.ACTIVE)
    removal_requested_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    removal_requested_by_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    removal_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    removed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_blacklist_entries_lookup", "kind", "value_hash"),)


class CustomerAlert(IdMixin, Base):
    """A risk alert raised by this domain (a blacklist hit at intake …), for risk officers to follow up."""

    __tablename__ = "customer_alerts"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)  # masked identifiers only
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False)
