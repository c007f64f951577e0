"""Ledger tables: chart of accounts, posting rules, periods, journal entries and lines, daily balances, vouchers.

Invariants kept by the database as well as by the code:

* ``ledger_entry`` carries its totals and a CHECK that they are equal and positive (both databases).
* On PostgreSQL a deferred constraint trigger verifies at commit that the lines of each new entry add up to
  those totals, and a trigger refuses UPDATE and DELETE on entries and lines (corrections are reversals).
  The DDL lives in the Alembic migration (``db/migrations/versions/0001_initial_schema.py``).
* Voucher numbers are unique per period (``uq (period, sequence)``); the service hands them out from the period
  row, locked ``FOR UPDATE``, so they are gap-free.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, Money, UTCDateTime
from autofin.kernel.clock import utcnow
from autofin.kernel.money import ZERO

ACTIVITIES = ("operating", "investing", "financing")  # 经营 / 投资 / 筹资活动
ACTIVITY_CHECK = "activity IS NULL OR activity IN ('operating','investing','financing')"


class LedgerAccount(IdMixin, TimestampMixin, Base):
    """A chart-of-accounts entry (会计科目). Lines post to leaf accounts only; parents sum their children."""

    __tablename__ = "ledger_account"

    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(150), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="CNY")
    normal_balance: Mapped[str] = mapped_column(String(6), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        CheckConstraint("type IN ('asset','liability','equity','income','expense','off_balance')", name="account_type"),
        CheckConstraint("normal_balance IN ('debit','credit')", name="normal_balance"),
    )


class PostingRuleRow(IdMixin, TimestampMixin, Base):
    """A posting rule (记账规则): event type and basis → entry template (its lines)."""

    __tablename__ = "ledger_rule"

    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    basis: Mapped[str] = mapped_column(String(10), nullable=False, default="both")
    description_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description_zh: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    lines: Mapped[list[PostingRuleLineRow]] = relationship(
        back_populates="rule", order_by="PostingRuleLineRow.line_no", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("event_type", "basis"),
        CheckConstraint("basis IN ('both','accrual','cash')", name="basis"),
    )


class PostingRuleLineRow(IdMixin, Base):
    __tablename__ = "ledger_rule_line"

    rule_id: Mapped[int] = mapped_column(ForeignKey("ledger_rule.id", ondelete="CASCADE"), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    account_code: Mapped[str] = mapped_column(String(20), nullable=False)
    side: Mapped[str] = mapped_column(String(6), nullable=False)
    expression: Mapped[str] = mapped_column(String(500), nullable=False)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # cash-flow activity of a line on a cash account (operating / investing / financing); None elsewhere
    activity: Mapped[str | None] = mapped_column(String(10), nullable=True)

    rule: Mapped[PostingRuleRow] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("rule_id", "line_no"),
        CheckConstraint("side IN ('debit','credit')", name="side"),
        CheckConstraint(ACTIVITY_CHECK, name="activity"),
    )


class LedgerPeriod(IdMixin, Base):
    """An accounting month (会计期间) and its voucher counter; the row is locked FOR UPDATE to number vouchers."""

    __tablename__ = "ledger_period"

    period: Mapped[str] = mapped_column(String(7), unique=True, nullable=False)  # YYYY-MM
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    last_sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (CheckConstraint("status IN ('open','closed')", name="status"),)


class JournalEntry(IdMixin, Base):
    """A posted journal entry (记账凭证). Never updated nor deleted; a correction is a reversing entry."""

    __tablename__ = "ledger_entry"

    voucher_no: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    source_type: Mapped[str] = mapped_column(String(60), nullable=False)
    source_id: Mapped[str] = mapped_column(String(100), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    attachments: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True, nullable=True)
    total_debit: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total_credit: Mapped[Decimal] = mapped_column(Money, nullable=False)
    posted_by: Mapped[str] = mapped_column(String(100), nullable=False)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.line_no", viewonly=True
    )

    __table_args__ = (
        UniqueConstraint("period", "sequence"),
        UniqueConstraint("event_type", "source_type", "source_id"),
        CheckConstraint("total_debit = total_credit AND total_debit > 0", name="balanced"),
        Index("ix_ledger_entry_business_date", "business_date"),
    )


class JournalLine(IdMixin, Base):
    __tablename__ = "ledger_line"

    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entry.id"), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_account.id"), nullable=False)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)
    debit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    activity: Mapped[str | None] = mapped_column(String(10), nullable=True)  # cash-flow activity (cash lines)

    entry: Mapped[JournalEntry] = relationship(back_populates="lines", viewonly=True)

    __table_args__ = (
        CheckConstraint("(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)", name="one_sided"),
        CheckConstraint(ACTIVITY_CHECK, name="activity"),
        Index("ix_ledger_line_entry", "entry_id"),
        Index("ix_ledger_line_account_date", "account_id", "business_date"),
    )


class DailyBalance(Base):
    """Debit and credit totals per account and day, maintained as entries post (the trial balance reads these)."""

    __tablename__ = "ledger_daily_balance"

    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_account.id"), primary_key=True)
    balance_date: Mapped[date] = mapped_column(Date, primary_key=True)
    debit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)


class ManualVoucher(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A manual voucher (手工凭证): the maker drafts it, a different checker approves (→ posted) or rejects it."""

    __tablename__ = "ledger_voucher"

    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    maker_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    maker_name: Mapped[str] = mapped_column(String(100), nullable=False)
    checker_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    checker_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    counterparty: Mapped[str | None] = mapped_column(String(100), nullable=True)  # 对方单位 (cash journal)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), nullable=True)
    attachments: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)

    lines: Mapped[list[ManualVoucherLine]] = relationship(
        back_populates="voucher", order_by="ManualVoucherLine.line_no", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('draft','posted','rejected')", name="status"),
        Index("ix_ledger_voucher_period_status", "period", "status"),
    )


class ManualVoucherLine(IdMixin, Base):
    __tablename__ = "ledger_voucher_line"

    voucher_id: Mapped[int] = mapped_column(ForeignKey("ledger_voucher.id", ondelete="CASCADE"), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    account_code: Mapped[str] = mapped_column(String(20), nullable=False)
    debit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    activity: Mapped[str | None] = mapped_column(String(10), nullable=True)

    voucher: Mapped[ManualVoucher] = relationship(back_populates="lines")

    __table_args__ = (CheckConstraint(ACTIVITY_CHECK, name="activity"),)


class BankAccount(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A bank account of the company (银行账户) and the cash account of the chart that books it (e.g. 1002 or a
    sub-account). Only the masked number is kept: the cash journal never needs the full one."""

    __tablename__ = "ledger_bank_account"

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(100), nullable=False)
    number_masked: Mapped[str] = mapped_column(String(40), nullable=False)
    account_code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class BankStatement(IdMixin, Base):
    """One imported bank statement file (银行对账单); the same file cannot be imported twice for an account."""

    __tablename__ = "ledger_bank_statement"

    bank_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_bank_account.id"), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    line_count: Mapped[int] = mapped_column(Integer, nullable=False)
    first_date: Mapped[date] = mapped_column(Date, nullable=False)
    last_date: Mapped[date] = mapped_column(Date, nullable=False)
    imported_by: Mapped[str] = mapped_column(String(100), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("bank_account_id", "content_hash"),)


class BankStatementLine(IdMixin, Base):
    """A line of a bank statement: ``amount`` is signed (+ money in, − money out). Matching to a journal line is
    kept here (journal lines are immutable); a journal line matches at most one statement line."""

    __tablename__ = "ledger_bank_statement_line"

    statement_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_bank_statement.id"), nullable=False)
    bank_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_bank_account.id"), nullable=False)
    row_no: Mapped[int] = mapped_column(Integer, nullable=False)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    counterparty: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reference: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    balance: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    matched_line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_line.id"), unique=True, nullable=True)
    match_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # auto / manual
    matched_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("match_kind IS NULL OR match_kind IN ('auto','manual')", name="match_kind"),
        Index("ix_ledger_bank_statement_line_account_date", "bank_account_id", "value_date"),
    )

