"""Pydantic shapes of the loan API: LoanOpen / RepaymentCreate in, LoanPublic / LoanDetail / PayoffPublic out."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel


class LoanOpen(StrictModel):
    contract_no: str = Field(min_length=1, max_length=40)
    customer_id: int = Field(ge=1)
    customer_name: str = Field(default="", max_length=100)
    product_code: str = Field(min_length=1, max_length=32)
    product_version: int = Field(default=1, ge=1)
    department_id: int | None = None
    owner_id: int | None = None
    terms: dict[str, Any]  # the JSON of `autofin calc schedule` + interest_recalculation, advance_payment, penalty
    vehicle_id: int | None = Field(default=None, ge=1)  # the car securing the loan (its GPS and lien bind to it)


class RepaymentCreate(StrictModel):
    type: Literal["repayment", "prepayment"] = "repayment"
    date: date
    amount: MoneyStr
    channel: Literal["counter", "transfer", "direct_debit", "statement"] = "counter"
    reference: str = Field(default="", max_length=64)
    version: int | None = Field(default=None, ge=1)  # the loan's version the clerk saw: 409 when it changed since


class ReversalCreate(StrictModel):
    reason: str = Field(min_length=2, max_length=200)


class LoanPublic(PublicModel):
    id: int
    contract_no: str
    customer_id: int
    customer_name: str
    product_code: str
    department_id: int | None
    vehicle_id: int | None  # the collateral car (vehicles: GET /api/v1/gps-devices/loans/{id})
    owner_id: int | None
    principal: MoneyStr
    principal_outstanding: MoneyStr
    disbursement_date: date
    maturity_date: date
    status: str
    days_past_due: int
    bucket: str
    classification: str
    provision: MoneyStr
    credit_balance: MoneyStr
    version: int


class InstallmentPublic(PublicModel):
    number: int
    due_date: date
    principal_due: MoneyStr
    interest_due: MoneyStr
    fee_due: MoneyStr
    penalty_due: MoneyStr
    principal_paid: MoneyStr
    interest_paid: MoneyStr
    fee_paid: MoneyStr
    penalty_paid: MoneyStr
    waived: MoneyStr
    status: str


class TransactionPublic(PublicModel):
    id: int
    type: str
    value_date: date
    amount: MoneyStr
    status: str
    channel: str
    reference: str
    allocation: dict[str, Any] | None
    reverses_id: int | None
    reversed_by_id: int | None
    created_by: int | None
    confirmed_by: int | None


class LoanDetail(LoanPublic):
    balances: dict[str, MoneyStr] = Field(default_factory=dict)
    installments: list[InstallmentPublic] = Field(default_factory=list)
    transactions: list[TransactionPublic] = Field(default_factory=list)


class PayoffPublic(PublicModel):
    as_of: date
    principal: MoneyStr
    interest: MoneyStr
    fees: MoneyStr
    penalties: MoneyStr
    prepayment_fee: MoneyStr
    credit: MoneyStr
    total: MoneyStr
