"""Servicing events (past tense). ``subscribers.py`` turns them into ledger postings in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from autofin.kernel.events import Event


@dataclass(frozen=True)
class ServicingEvent(Event):
    """``source`` identifies the business record (idempotent posting); ``amounts`` are named yuan amounts."""

    source: str
    business_date: date
    amounts: dict[str, Decimal] = field(default_factory=dict)
    loan_id: int | None = None


@dataclass(frozen=True)
class LoanDisbursed(ServicingEvent):
    event_type = "loan.disbursed"

    vehicle_id: int | None = None  # the collateral car: vehicles binds its GPS devices and lien to the loan


@dataclass(frozen=True)
class LoanSettled(ServicingEvent):
    """结清: nothing is owed any more (books nothing; vehicles asks for the lien's release)."""

    event_type = "loan.settled"


@dataclass(frozen=True)
class LoanReopened(ServicingEvent):
    """A settled loan owes again (its last payment was reversed): a lien release not yet done is withdrawn."""

    event_type = "loan.reopened"


@dataclass(frozen=True)
class RepaymentAllocated(ServicingEvent):
    event_type = "repayment.allocated"


@dataclass(frozen=True)
class PrepaymentReceived(ServicingEvent):
    event_type = "prepayment.received"


@dataclass(frozen=True)
class CreditBalanceCreated(ServicingEvent):
    event_type = "credit_balance.created"


@dataclass(frozen=True)
class InterestAccrued(ServicingEvent):
    event_type = "interest.accrued"


@dataclass(frozen=True)
class PenaltyAccrued(ServicingEvent):
    event_type = "penalty.accrued"


@dataclass(frozen=True)
class ProvisionChanged(ServicingEvent):
    event_type = "provision.changed"


@dataclass(frozen=True)
class WaiverGranted(ServicingEvent):
    event_type = "waiver.granted"


@dataclass(frozen=True)
class FeeCharged(ServicingEvent):
    event_type = "fee.charged"


@dataclass(frozen=True)
class LoanWrittenOff(ServicingEvent):
    event_type = "loan.written_off"


@dataclass(frozen=True)
class RepaymentReversed(ServicingEvent):
    """A confirmed repayment was reversed; its ledger entry is reversed by the subscriber."""

    event_type = "repayment.reversed"


@dataclass(frozen=True)
class LoanRestructured(ServicingEvent):
    """重组: overdue interest, penalty and fees capitalised into the new principal (amounts interest/penalty/fee)."""

    event_type = "loan.restructured"


@dataclass(frozen=True)
class DebtTransferred(ServicingEvent):
    """债务转让 to another creditor: consideration received, principal and interest receivable derecognised."""

    event_type = "debt.transferred"


@dataclass(frozen=True)
class RecoveryReceived(ServicingEvent):
    """Money received on a written-off loan (核销后收回)."""

    event_type = "recovery.received"


@dataclass(frozen=True)
class RefundPaid(ServicingEvent):
    """A credit balance was paid back to the borrower (the bank posted the refund)."""

    event_type = "refund.paid"
