"""Tables of disbursement (放款) and credit lines (授信): down-payment receipts, disbursements, credit lines and the
link of an application to a credit line (the line it asks for, or the line it draws on).

``Disbursement.open_application_id`` holds the application id while the disbursement is live (registered, paying,
paid) and NULL once it is rejected or failed: a unique column (both databases allow many NULLs), so an application
can never have two live disbursements, whatever the race.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, Rate, UTCDateTime
from autofin.kernel.clock import utcnow


class DisbursementStatus(StrEnum):
    REGISTERED = "registered"  # 已登记，待复核
    REJECTED = "rejected"  # 复核退回
    PAYING = "paying"  # 付款中（指令已登记 / 已发送）
    PAID = "paid"  # 已放款（银行已入账，贷款账户已开立）
    FAILED = "failed"  # 付款失败

    @property
    def live(self) -> bool:
        return self in (DisbursementStatus.REGISTERED, DisbursementStatus.PAYING, DisbursementStatus.PAID)


class DownPayment(IdMixin, Base):
    """A recorded receipt of (part of) the borrower's down payment (首付款到账)."""

    __tablename__ = "origination_down_payments"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False)  # receipt / bank transfer number
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="down_payment_positive"),)


class Disbursement(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One disbursement of an application (放款): registered by one person, reviewed by another, paid by the bank."""

    __tablename__ = "origination_disbursements"

    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # FK-20261124-000123
    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id"), nullable=False, index=True
    )
    open_application_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=DisbursementStatus.REGISTERED, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    applicant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(100), nullable=False)
    contract_no: Mapped[str] = mapped_column(String(20), nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    product_version: Mapped[int] = mapped_column(Integer, nullable=False)
    credit_line_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    # the approved terms, as they were when registered
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # the loan principal (approved amount)
    fee_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # upfront fees deducted from the payout
    payout_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # what the bank pays: amount − fees
    rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    term: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(24), nullable=False)
    # the payee (收款方): the borrower's card or the dealer's account
    payee_kind: Mapped[str] = mapped_column(String(10), nullable=False)  # borrower / dealer
    payee_card_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payee_account: Mapped[str] = mapped_column(String(40), nullable=False)  # dealer: in full; borrower: masked
    payee_name: Mapped[str] = mapped_column(String(100), nullable=False)
    payee_bank: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # who did what
    registered_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    registered_by_name: Mapped[str] = mapped_column(String(64), nullable=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    register_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the payment and its outcome
    payment_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    payment_instruction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    bank_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    loan_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('registered','rejected','paying','paid','failed')", name="disbursement_status"),
        CheckConstraint("payee_kind IN ('borrower','dealer')", name="disbursement_payee_kind"),
        CheckConstraint("payout_amount > 0", name="disbursement_payout_positive"),
    )


class CreditLineStatus(StrEnum):
    ACTIVE = "active"  # 有效
    FROZEN = "frozen"  # 已冻结
    CLOSED = "closed"  # 已关闭


class CreditLine(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A credit line (授信额度): a limit the borrower draws on until ``valid_until`` (inclusive)."""

    __tablename__ = "origination_credit_lines"

    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # SX-20261124-000123
    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id"), nullable=False, unique=True
    )
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    customer_name: Mapped[str] = mapped_column(String(100), nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    limit_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    drawn_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))  # paid out
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=CreditLineStatus.ACTIVE)

    __table_args__ = (
        CheckConstraint("status IN ('active','frozen','closed')", name="credit_line_status"),
        CheckConstraint("limit_amount > 0", name="credit_line_limit_positive"),
    )


class CreditLineLink(IdMixin, Base):
    """What an application is to credit lines: a request for a line (``request``, with the validity asked for) or a
    drawdown on one (``drawdown``, with its line)."""

    __tablename__ = "origination_credit_line_links"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("origination_applications.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # request / drawdown
    credit_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("origination_credit_lines.id"), nullable=True, index=True
    )
    validity_months: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (CheckConstraint("kind IN ('request','drawdown')", name="credit_line_link_kind"),)
