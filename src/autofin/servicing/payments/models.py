"""Tables of money coming in and going back: direct-debit mandates (代扣授权) and attempts, bank statement imports
and their lines (the unmatched queue), and refunds of credit balances (退款).

Wired into :mod:`autofin.servicing.models` with one import line, so Alembic and the tests see them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, UTCDateTime
from autofin.kernel.clock import utcnow


class DebitMandate(IdMixin, TimestampMixin, VersionedMixin, Base):
    """代扣授权: the borrower authorised debits of one of their bank cards for one loan (active → revoked)."""

    __tablename__ = "servicing_debit_mandates"

    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    card_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    card_masked: Mapped[str] = mapped_column(String(32), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    holder_name: Mapped[str] = mapped_column(String(100), nullable=False)
    authorised_on: Mapped[date] = mapped_column(Date, nullable=False)
    authorisation_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")  # active / revoked
    revoked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoke_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DebitAttempt(IdMixin, Base):
    """One debit of one installment (代扣指令): attempt n of the retry policy, under the deterministic key
    ``dd:<loan>:<installment>:<attempt>``. scheduled → submitted → posted / failed; skipped (nothing owed when it
    was due to go) / cancelled (mandate revoked or loan closed)."""

    __tablename__ = "servicing_debit_attempts"
    __table_args__ = (UniqueConstraint("loan_id", "installment", "attempt"),)

    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False, index=True)
    mandate_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    installment: Mapped[int] = mapped_column(Integer, nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    scheduled_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="scheduled", index=True)
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    payment_instruction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failure_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StatementImport(IdMixin, TimestampMixin, Base):
    """One uploaded bank statement file (银行流水导入) and what became of its lines."""

    __tablename__ = "servicing_statement_imports"

    file_name: Mapped[str] = mapped_column(String(200), nullable=False)
    file_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    new_lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    matched: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class StatementLine(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One credit line of a statement; ``line_hash`` makes a re-import change nothing. matched (a pending
    repayment exists) / unmatched (in the queue) / ignored (not ours, with a note)."""

    __tablename__ = "servicing_statement_lines"

    import_id: Mapped[int] = mapped_column(ForeignKey("servicing_statement_imports.id"), nullable=False, index=True)
    line_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    payer_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    payer_account_masked: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    payer_account_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="", index=True)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    match_rule: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    loan_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Refund(IdMixin, TimestampMixin, VersionedMixin, Base):
    """退款 of a credit balance: requested → approved (another person) → sent → posted / failed; or rejected."""

    __tablename__ = "servicing_refunds"

    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    card_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    card_masked: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="requested", index=True)
    requested_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    review_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    payment_instruction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failure_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
