"""Tables of second-party intake: partners, their used nonces, which applications came from them, callbacks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import UTCDateTime
from autofin.kernel.clock import utcnow


class PartnerStatus(StrEnum):
    ACTIVE = "active"  # 启用
    SUSPENDED = "suspended"  # 停用


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # 待推送 (or waiting for the next retry)
    DELIVERED = "delivered"  # 已送达
    DEAD = "dead"  # 已放弃 (all retries failed)


class Partner(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A partner platform (合作方) allowed to submit applications through the signed intake API."""

    __tablename__ = "origination_partners"

    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=PartnerStatus.ACTIVE)
    key_id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)  # X-Partner-Key, not secret
    secret_enc: Mapped[str] = mapped_column(String(300), nullable=False)  # FieldCipher, context "partner.secret"
    secret_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    allowed_ips: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # empty: any address
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    callback_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # {"product": {"P01": "NEW-ANNUITY"}, "id_type": {"01": "resident_id"}, "method": {...}, ...}
    mappings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    department_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)  # the dealer it belongs to
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")


class PartnerNonce(IdMixin, Base):
    """A nonce a partner has used; a second request with it is refused until it expires and is purged."""

    __tablename__ = "origination_partner_nonces"

    partner_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (UniqueConstraint("partner_id", "nonce"),)


class PartnerApplication(IdMixin, Base):
    """An application that came from a partner, under the partner's own order number (进件单号)."""

    __tablename__ = "origination_partner_applications"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("origination_partners.id", ondelete="CASCADE", name="fk_origination_partner_applications_partner"),
        nullable=False,
        index=True,
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey(
            "origination_applications.id", ondelete="CASCADE", name="fk_origination_partner_applications_application"
        ),
        nullable=False,
        unique=True,
    )
    order_no: Mapped[str] = mapped_column(String(64), nullable=False)
    notified_status: Mapped[str] = mapped_column(String(16), nullable=False)  # the status the partner last heard
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("partner_id", "order_no"),)


class CallbackDelivery(IdMixin, Base):
    """One signed status callback to a partner (回调推送), retried with backoff until delivered or dead."""

    __tablename__ = "origination_partner_callbacks"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("origination_partners.id", ondelete="CASCADE", name="fk_origination_partner_callbacks_partner"),
        nullable=False,
        index=True,
    )
    application_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    event: Mapped[str] = mapped_column(String(32), nullable=False)  # approved / rejected / returned / ...
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=DeliveryStatus.PENDING)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_origination_partner_callbacks_due", "status", "next_attempt_at"),)


class CallbackAttempt(IdMixin, Base):
    """One try at delivering a callback: when, the HTTP status or the error, and the start of the answer."""

    __tablename__ = "origination_partner_callback_attempts"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey(
            "origination_partner_callbacks.id",
            ondelete="CASCADE",
            name="fk_origination_partner_callback_attempts_delivery",
        ),
        nullable=False,
        index=True,
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
