"""Pydantic shapes of disbursement (放款) and credit lines (授信): commands in, views out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel


class DownPaymentCreate(StrictModel):
    amount: MoneyStr = Field(gt=0)
    received_on: date
    reference: str = Field(min_length=1, max_length=64)  # receipt or bank transfer number


class DownPaymentPublic(PublicModel):
    id: int
    application_id: int
    amount: MoneyStr
    received_on: date
    reference: str
    recorded_by: int | None
    recorded_at: datetime


class DisbursementRegister(StrictModel):
    """Who receives the money: the borrower's bank card on file (``card_id``) or the dealer's account."""

    payee: Literal["borrower", "dealer"] = "borrower"
    card_id: int | None = Field(None, ge=1)  # payee borrower: one of the applicant's active bank cards
    account_number: str | None = Field(None, max_length=40)  # payee dealer: 8–32 digits
    account_name: str | None = Field(None, max_length=100)  # payee dealer: the account holder
    bank_name: str | None = Field(None, max_length=64)
    comment: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)  # the application version the operator saw (409 when stale)


class DisbursementReview(StrictModel):
    decision: Literal["approve", "reject"]
    comment: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)  # the disbursement version the reviewer saw (409 when stale)


class ConditionPublic(PublicModel):
    code: str
    label_zh: str
    label_en: str
    met: bool
    detail: str


class ChecklistPublic(PublicModel):
    application_id: int
    all_met: bool
    conditions: list[ConditionPublic]


class CreditLineStatusChange(StrictModel):
    status: Literal["active", "frozen", "closed"]
    version: int | None = Field(None, ge=1)


class DisbursementPublic(PublicModel):
    id: int
    number: str
    application_id: int
    status: str
    applicant_id: int
    applicant_name: str
    contract_no: str
    product_code: str
    product_version: int
    credit_line_id: int | None
    amount: MoneyStr
    fee_amount: MoneyStr
    payout_amount: MoneyStr
    rate: Decimal
    term: int
    method: str
    payee_kind: str
    payee_account: str
    payee_name: str
    payee_bank: str
    registered_by: int | None
    registered_by_name: str
    registered_at: datetime
    register_comment: str | None
    reviewed_by: int | None
    reviewed_by_name: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    payment_instruction_id: int | None
    bank_reference: str | None
    failure_reason: str | None
    settled_at: datetime | None
    loan_id: int | None
    version: int


class DisbursementDetail(DisbursementPublic):
    payment_state: str | None = None  # reserved / sent / posted / failed, from the bank channel
    payment_error: str | None = None  # the last error talking to the bank (the instruction is re-sent)


# ---- credit lines ------------------------------------------------------------------------------------------------


class CreditLineRequest(StrictModel):
    """Mark a draft application as a request for a credit line (its amount is the limit asked for)."""

    validity_months: int = Field(12, ge=1, le=60)


class DrawdownCreate(StrictModel):
    """A drawdown (用信) on a credit line: an application of the line's customer for at most the remaining limit."""

    vehicle_id: int = Field(ge=1)
    price: MoneyStr
    down_payment: MoneyStr
    amount: MoneyStr | None = None
    term: int = Field(ge=1, le=120)
    method: Literal["annuity", "equal_principal", "flat", "interest_only", "balloon"] = "annuity"
    rate: Decimal | None = Field(None, ge=0, le=100)
    purpose: str = Field("", max_length=200)


class CreditLinePublic(PublicModel):
    id: int
    number: str
    application_id: int
    customer_id: int
    customer_name: str
    product_code: str
    limit_amount: MoneyStr
    drawn_amount: MoneyStr
    reserved_amount: MoneyStr = Decimal("0.00")  # drawdowns approved or in flight, not paid yet
    available_amount: MoneyStr = Decimal("0.00")
    valid_from: date
    valid_until: date
    status: str
    version: int


# ---- contract signing (面签) -----------------------------------------------------------------------------------------


class SigningSessionPublic(PublicModel):
    id: int
    contract_no: str
    application_id: int | None
    borrower_name: str
    state: str
    contract_sha256: str
    identity_outcome: str | None
    recording_sha256: str | None
    consent_at: datetime | None
    consent_ip: str | None
    signed_sha256: str | None
    signer: str | None
    institution_signed_at: datetime | None
    version: int


class IdentityConfirm(StrictModel):
    video_matches_id_photo: bool
    note: str = Field("", max_length=500)
    version: int | None = Field(None, ge=1)


class BorrowerConsent(StrictModel):
    ip: str = Field(min_length=2, max_length=45)  # the address the borrower signed from
    version: int | None = Field(None, ge=1)


class SigningVersion(StrictModel):
    version: int | None = Field(None, ge=1)
