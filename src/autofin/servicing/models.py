"""Tables of servicing: loan accounts, their installments (a projection the batch can update set-based), the
immutable transactions every balance is derived from, daily accruals (the subledger) and end-of-day runs.

Day numbers (``*_day``: days since 1970-01-01) sit next to the dates the batch compares, so the same integer SQL
runs on SQLite and PostgreSQL. Money columns are BIGINT minor units (``Money``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, Money, Rate, UTCDateTime
from autofin.kernel.clock import utcnow

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    return (day - EPOCH).days


class LoanAccount(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "servicing_loans"
    # The end-of-day batch rewrites most loan rows every night; free room in each page lets PostgreSQL update a row
    # in place without touching the indexes when no indexed column changed (HOT), as in classification and
    # provisions: 200,000 loans, classification step 3.8 → 2.5 s (bench/eod.py).
    __table_args__ = ({"postgresql_with": {"fillfactor": 70}},)

    contract_no: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    customer_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    product_code: Mapped[str] = mapped_column(String(32), nullable=False)
    product_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    setup: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # terms + servicing options (engine JSON)
    principal: Mapped[Decimal] = mapped_column(Money, nullable=False)
    disbursement_date: Mapped[date] = mapped_column(Date, nullable=False)
    maturity_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active", index=True)
    # not indexed: it changes every night for every overdue loan, and an indexed column would stop PostgreSQL
    # from updating the row in place (HOT); the batch's delinquency step is 2.4× faster without it
    days_past_due: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bucket: Mapped[str] = mapped_column(String(4), nullable=False, default="M0")
    classification: Mapped[str] = mapped_column(String(16), nullable=False, default="pass")
    classification_rank: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    principal_outstanding: Mapped[Decimal] = mapped_column(Money, nullable=False)
    credit_balance: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    provision: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    annual_rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    penalty_rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    day_basis: Mapped[int] = mapped_column(Integer, nullable=False, default=360)
    # special business (special/): restructured → at least 次级 until this date (EOD classification step);
    # transactions up to this id are history of the schedule an extension / restructure replaced (not replayed)
    restructured_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    rebased_after_transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    repayment_card_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the contract's card
    vehicle_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)  # the collateral car


class Installment(IdMixin, Base):
    """One installment as it stands (rewritten from the engine after each transaction; advanced by the batch)."""

    __tablename__ = "servicing_installments"
    # The batch rewrites status / penalty / accrued interest (no indexed column) of most rows every night: free
    # space in each page lets PostgreSQL update them in place (HOT: no index writes).
    __table_args__ = (UniqueConstraint("loan_id", "number"), Index("ix_servicing_installments_due", "due_day"),
                      {"postgresql_with": {"fillfactor": 60}})

    # no index of its own: the unique (loan_id, number) serves every look-up by loan
    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    due_day: Mapped[int] = mapped_column(Integer, nullable=False)
    period_start_day: Mapped[int] = mapped_column(Integer, nullable=False)
    period_end_day: Mapped[int] = mapped_column(Integer, nullable=False)
    principal_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    interest_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    fee_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    penalty_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    principal_paid: Mapped[Decimal] = mapped_column(Money, nullable=False)
    interest_paid: Mapped[Decimal] = mapped_column(Money, nullable=False)
    fee_paid: Mapped[Decimal] = mapped_column(Money, nullable=False)
    penalty_paid: Mapped[Decimal] = mapped_column(Money, nullable=False)
    waived: Mapped[Decimal] = mapped_column(Money, nullable=False)
    interest_accrued: Mapped[Decimal] = mapped_column(Money, nullable=False)  # of interest_due, earned so far
    penalty_base: Mapped[Decimal] = mapped_column(Money, nullable=False)  # penalty up to penalty_from_day
    penalty_from_day: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="future")  # future/due/overdue/paid


class LoanTransaction(IdMixin, Base):
    """Immutable money movements and charges. A repayment is ``pending`` until a second person confirms it;
    a reversal is a transaction of its own (``reverses_id``) and marks the original ``reversed_by_id``."""

    __tablename__ = "servicing_transactions"

    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False, index=True)
    # disbursement / repayment / prepayment / fee / waiver / reversal
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    value_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # pending / confirmed / reversed / rejected
    allocation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="counter")
    reference: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    reverses_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    reversed_by_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DailyAccrual(IdMixin, Base):
    """Per loan, day and kind (interest / penalty / provision): what the batch accrued (the subledger)."""

    __tablename__ = "servicing_accruals"
    # one index for a table that grows by about two rows per live loan each night: the day first, so the batch's
    # postings (one day, a loan-id range) and the trend (days up to a date) read a range of it
    __table_args__ = (UniqueConstraint("business_day", "loan_id", "kind"),)

    loan_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    business_day: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)


class EodRun(IdMixin, TimestampMixin, Base):
    __tablename__ = "servicing_eod_runs"

    business_date: Mapped[date] = mapped_column(Date, nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # running / failed / succeeded
    partitions: Mapped[int] = mapped_column(Integer, nullable=False)
    loans: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    id_min: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # partition bounds, fixed at start
    id_max: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    error: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EodStepProgress(IdMixin, Base):
    """One finished (step, partition) of a run: written in the same transaction as the step's work."""

    __tablename__ = "servicing_eod_progress"
    __table_args__ = (UniqueConstraint("run_id", "step", "partition"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("servicing_eod_runs.id"), nullable=False, index=True)
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    partition: Mapped[int] = mapped_column(Integer, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    milliseconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


from autofin.servicing.payments import models as _payment_models  # noqa: E402,F401 - mandates, debits, statements, refunds
from autofin.servicing.special import models as _special_models  # noqa: E402,F401 - special business, class history
