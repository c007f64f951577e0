"""API shapes of payment instructions (money as strings)."""

from __future__ import annotations

from datetime import datetime

from autofin.schemas import MoneyStr, PublicModel


class PaymentPublic(PublicModel):
    id: int
    idempotency_key: str
    end_to_end_id: str
    channel: str
    account: str
    account_name: str
    amount: MoneyStr
    purpose: str
    reference: str
    state: str
    send_attempts: int
    sent_at: datetime | None
    bank_reference: str | None
    settled_at: datetime | None
    failure_reason: str | None
    version: int


class CallbackResult(PublicModel):
    status: str
    instruction_state: str
