"""Pydantic shapes of special business: one ``…Apply`` model per kind in, ``SpecialRequestPublic`` out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel

RateIn = Annotated[Decimal, Field(ge=0, le=100, max_digits=12, decimal_places=6)]
Reason = Annotated[str, Field(default="", max_length=500)]


class _Apply(StrictModel):
    effective_date: date | None = None  # default: today's business date
    reason: Reason = ""
    loan_version: int | None = Field(default=None, ge=1)  # the loan version the clerk saw (409 when changed)


class PrepaymentApply(_Apply):
    """提前还款: ``full`` settles the loan (amount from the payoff quote), ``partial`` pays ``amount`` early."""

    mode: Literal["full", "partial"] = "partial"
    amount: MoneyStr | None = None
    channel: Literal["counter", "transfer", "direct_debit", "statement"] = "transfer"


class ExtensionApply(_Apply):
    """展期: ``extra_terms`` installments more, optionally at a new annual rate (percent)."""

    extra_terms: int = Field(ge=1, le=120)
    annual_rate: RateIn | None = None


class RestructureApply(_Apply):
    """重组: the outstanding balance (with the arrears capitalised) on a new schedule of ``term`` installments."""

    term: int = Field(ge=1, le=360)
    annual_rate: RateIn | None = None
    method: Literal["annuity", "equal_principal", "interest_only"] | None = None
    observation_months: int | None = Field(default=None, ge=1, le=36)


class TransferApply(_Apply):
    """债务转让: to a new ``borrower`` (customer id, KYC + blacklist) or to another ``creditor`` (name, price)."""

    mode: Literal["borrower", "creditor"]
    new_customer_id: int | None = Field(default=None, ge=1)
    creditor_name: str = Field(default="", max_length=100)
    consideration: MoneyStr | None = None


class ContactIn(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    relation: Literal["spouse", "parent", "child", "sibling", "relative", "colleague", "friend", "other"]
    phone: str = Field(min_length=5, max_length=24)
    consent: bool = False


class ContractChangeApply(_Apply):
    """合同变更: the repayment ``bank_card``, the ``repayment_day`` (1–28) or a ``contact`` of the borrower."""

    change: Literal["bank_card", "repayment_day", "contact"]
    card_id: int | None = Field(default=None, ge=1)
    repayment_day: int | None = Field(default=None, ge=1, le=28)
    contact: ContactIn | None = None


class WaiverApply(_Apply):
    """减免: ``amount`` of penalty and fees owed (penalty first), approval level by amount."""

    amount: MoneyStr


class WriteOffApply(_Apply):
    """核销: the whole balance off the books (eligibility: loss class or days past due over the threshold)."""


class RecoveryApply(_Apply):
    """核销后收回: money received on a written-off loan."""

    amount: MoneyStr
    channel: Literal["counter", "transfer", "collection", "disposal"] = "transfer"
    reference: str = Field(default="", max_length=64)


class ReclassificationApply(_Apply):
    """五级分类人工调整: the new class with a reason (upgrades need a manager, never better than the floors)."""

    to_class: Literal["pass", "special_mention", "substandard", "doubtful", "loss"]
    reason: str = Field(min_length=4, max_length=500)


class ReviewCommand(StrictModel):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=500)
    version: int | None = Field(default=None, ge=1)


class ExecuteCommand(StrictModel):
    version: int | None = Field(default=None, ge=1)


class CancelCommand(StrictModel):
    reason: str = Field(min_length=2, max_length=500)
    version: int | None = Field(default=None, ge=1)


class SpecialRequestPublic(PublicModel):
    id: int
    loan_id: int
    kind: str
    status: str
    effective_date: date
    amount: MoneyStr
    reason: str
    payload: dict[str, Any]
    preview: dict[str, Any]
    result: dict[str, Any] | None
    approval_permission: str
    approvals_needed: int
    approvals: list[dict[str, Any]]
    applicant_id: int | None
    applicant_name: str
    decided_by: int | None
    decided_at: datetime | None
    decision_comment: str
    executed_by: int | None
    executed_at: datetime | None
    created_at: datetime
    version: int


class ClassificationChangePublic(PublicModel):
    id: int
    loan_id: int
    business_date: date
    from_class: str
    to_class: str
    source: str
    reason: str
    request_id: int | None
    actor_id: int | None
    created_at: datetime


class PrepaymentQuotePublic(PublicModel):
    as_of: date
    mode: str
    allowed_from: date
    prepayment_fee_percent: str
    payoff: dict[str, MoneyStr]
    amount: MoneyStr
    allocation: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
