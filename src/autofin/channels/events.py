"""Payment events (past tense): the bank's final answer on an instruction, for disbursement and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from autofin.kernel.events import Event


@dataclass(frozen=True)
class PaymentEvent(Event):
    instruction_id: int
    idempotency_key: str
    purpose: str
    reference: str  # the business record paid (e.g. the disbursement id); subscribers find their record by it
    amount: Decimal
    bank_reference: str


@dataclass(frozen=True)
class PaymentPosted(PaymentEvent):
    event_type = "payment.posted"


@dataclass(frozen=True)
class PaymentFailed(PaymentEvent):
    event_type = "payment.failed"
    reason: str = ""
