"""Pydantic shapes of direct debit, statement import and refunds (``payments/api.py``)."""

from __future__ import annotations

import datetime as dt
from datetime import date

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel


class MandateCreate(StrictModel):
    card_id: int = Field(ge=1, le=2**62)
    authorised_on: date
    authorisation_ref: str = Field(min_length=1, max_length=64)


class MandateRevoke(StrictModel):
    reason: str = Field(min_length=2, max_length=200)
    version: int | None = Field(default=None, ge=1)


class MandatePublic(PublicModel):
    id: int
    loan_id: int
    customer_id: int
    card_id: int
    card_masked: str
    bank_name: str
    holder_name: str
    authorised_on: date
    authorisation_ref: str
    status: str
    revoked_on: date | None
    revoke_reason: str
    version: int


class DebitAttemptPublic(PublicModel):
    id: int
    loan_id: int
    contract_no: str
    customer_name: str
    installment: int
    attempt: int
    due_date: date
    scheduled_on: date
    status: str
    amount: MoneyStr | None
    idempotency_key: str
    payment_instruction_id: int | None
    transaction_id: int | None
    failure_reason: str


class DebitRunPublic(PublicModel):
    date: dt.date
    attempts: int
    scheduled: int
    submitted: int
    posted: int
    failed: int
    skipped: int
    cancelled: int
    collected: MoneyStr


class DebitSend(StrictModel):
    date: dt.date | None = None


class DebitSendResult(PublicModel):
    date: dt.date
    submitted: int
    skipped: int
    cancelled: int
    unavailable: int
    failed: int


class StatementImportPublic(PublicModel):
    id: int
    file_name: str
    lines: int
    new_lines: int
    matched: int
    unmatched: int
    duplicate_file: bool = False
    skipped: int = 0


class StatementLinePublic(PublicModel):
    id: int
    import_id: int
    value_date: date
    amount: MoneyStr
    payer_name: str
    payer_account: str
    memo: str
    status: str
    match_rule: str
    loan_id: int | None
    transaction_id: int | None
    note: str
    version: int


class LineMatch(StrictModel):
    loan_id: int = Field(ge=1, le=2**62)
    version: int | None = Field(default=None, ge=1)


class LineIgnore(StrictModel):
    note: str = Field(min_length=2, max_length=200)
    version: int | None = Field(default=None, ge=1)


class RefundCreate(StrictModel):
    amount: MoneyStr
    card_id: int = Field(ge=1, le=2**62)
    reason: str = Field(min_length=2, max_length=200)


class RefundReview(StrictModel):
    approve: bool
    note: str = Field(default="", max_length=200)
    version: int | None = Field(default=None, ge=1)


class RefundPublic(PublicModel):
    id: int
    loan_id: int
    amount: MoneyStr
    card_id: int
    card_masked: str
    reason: str
    status: str
    requested_by: int | None
    reviewed_by: int | None
    review_note: str
    payment_instruction_id: int | None
    transaction_id: int | None
    failure_reason: str
    version: int
