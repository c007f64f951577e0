"""Payment instructions (付款指令), two-phase: reserved (with a unique idempotency key) → sent → posted / failed.

``idempotency_key`` is unique: a double click or a retried request finds the instruction already reserved.
``end_to_end_id`` is the id the bank sees; it never changes, so sending again is deduplicated by the bank.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, UTCDateTime


class PaymentState(StrEnum):
    RESERVED = "reserved"  # 已登记
    SENT = "sent"  # 已发送（银行已受理）
    POSTED = "posted"  # 已入账
    FAILED = "failed"  # 失败

    @property
    def final(self) -> bool:
        return self in (PaymentState.POSTED, PaymentState.FAILED)


class PaymentInstruction(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "channel_payment_instruction"

    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    end_to_end_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(30), nullable=False, default="simulator")
    account: Mapped[str] = mapped_column(String(40), nullable=False)
    account_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="pay")  # pay (付款) / collect (代扣)
    reference: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=PaymentState.RESERVED.value)
    send_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bank_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        CheckConstraint("state IN ('reserved','sent','posted','failed')", name="payment_state"),
        CheckConstraint("amount > 0", name="payment_amount_positive"),
    )
