"""Events of origination (past tense). Contracts, notifications and the ledger subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from autofin.kernel.events import Event


@dataclass(frozen=True)
class ApplicationSubmitted(Event):
    application_id: int
    number: str
    applicant_id: int
    amount: Decimal
    product_code: str
    outcome: str  # worst check outcome: pass / refer / decline


@dataclass(frozen=True)
class ApplicationApproved(Event):
    application_id: int
    number: str
    approved_amount: Decimal
    approved_rate: Decimal
    approved_term: int
    approved_method: str
    expires_at: datetime
    conditions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ApplicationRejected(Event):
    application_id: int
    number: str
    reason_code: str
    by_checks: bool = False


@dataclass(frozen=True)
class ApplicationReturned(Event):
    application_id: int
    number: str
    reason_code: str


@dataclass(frozen=True)
class ApplicationExpired(Event):
    application_id: int
    number: str


@dataclass(frozen=True)
class ApplicationWithdrawn(Event):
    application_id: int
    number: str


@dataclass(frozen=True)
class ApplicationContracted(Event):
    application_id: int
    number: str
    contract_no: str


@dataclass(frozen=True)
class DisbursementRegistered(Event):
    disbursement_id: int
    application_id: int
    payout_amount: Decimal


@dataclass(frozen=True)
class DisbursementApproved(Event):
    disbursement_id: int
    application_id: int
    payment_instruction_id: int


@dataclass(frozen=True)
class DisbursementPaid(Event):
    """The bank posted the payment: the loan account is open (``loan_id``)."""

    disbursement_id: int
    application_id: int
    loan_id: int
    amount: Decimal
    fee_amount: Decimal
    payout_amount: Decimal


@dataclass(frozen=True)
class DisbursementFailed(Event):
    disbursement_id: int
    application_id: int
    reason: str


@dataclass(frozen=True)
class DisbursementFeeCharged(Event):
    """An upfront service / consulting fee kept out of a disbursement (收取服务费): booked as ``fee.charged``."""

    source: str
    business_date: date
    fee: Decimal
    loan_id: int


@dataclass(frozen=True)
class CreditLineOpened(Event):
    credit_line_id: int
    application_id: int
    limit_amount: Decimal
