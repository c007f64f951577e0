"""Events of origination (past tense). Contracts, notifications and the ledger subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
