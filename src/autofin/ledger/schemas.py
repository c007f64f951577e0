"""Ledger API shapes: strict inputs, public outputs, money as strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from autofin.schemas import MoneyStr, PublicModel, StrictModel


class AccountPublic(PublicModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    type: str
    parent_code: str | None
    currency: str
    normal_balance: str
    active: bool


class LinePublic(PublicModel):
    line_no: int
    account_id: int
    debit: MoneyStr
    credit: MoneyStr
    memo: str


class EntryPublic(PublicModel):
    id: int
    voucher_no: str
    period: str
    business_date: date
    event_type: str
    source_type: str
    source_id: str
    description: str
    dimensions: dict[str, Any]
    reverses_entry_id: int | None
    total_debit: MoneyStr
    total_credit: MoneyStr
    posted_by: str
    approved_by: str | None
    posted_at: datetime
    lines: list[LinePublic]


class VoucherLineIn(StrictModel):
    account_code: str = Field(min_length=4, max_length=20)
    debit: MoneyStr = Decimal("0")
    credit: MoneyStr = Decimal("0")
    memo: str = Field("", max_length=200)


class VoucherCreate(StrictModel):
    business_date: date
    description: str = Field(min_length=1, max_length=300)
    lines: list[VoucherLineIn] = Field(min_length=2, max_length=200)
    attachments: list[str] = Field(default_factory=list, max_length=20)


class VoucherDecision(StrictModel):
    version: int | None = None


class VoucherReject(StrictModel):
    reason: str = Field(min_length=1, max_length=300)
    version: int | None = None


class VoucherLinePublic(PublicModel):
    line_no: int
    account_code: str
    debit: MoneyStr
    credit: MoneyStr
    memo: str


class VoucherPublic(PublicModel):
    id: int
    business_date: date
    period: str
    description: str
    status: str
    maker_name: str
    checker_name: str | None
    reject_reason: str | None
    entry_id: int | None
    version: int
    lines: list[VoucherLinePublic]


class ReverseRequest(StrictModel):
    reason: str = Field(min_length=2, max_length=200)
    business_date: date | None = None


class ReopenRequest(StrictModel):
    reason: str = Field(min_length=5, max_length=300)


class TrialBalanceRowPublic(PublicModel):
    code: str
    name_zh: str
    name_en: str
    type: str
    is_summary: bool
    opening_debit: MoneyStr
    opening_credit: MoneyStr
    period_debit: MoneyStr
    period_credit: MoneyStr
    closing_debit: MoneyStr
    closing_credit: MoneyStr


class TrialBalancePublic(PublicModel):
    period: str
    start: date
    end: date
    balanced: bool
    rows: list[TrialBalanceRowPublic]
    opening_debit: MoneyStr
    opening_credit: MoneyStr
    period_debit: MoneyStr
    period_credit: MoneyStr
    closing_debit: MoneyStr
    closing_credit: MoneyStr


class StatementLinePublic(PublicModel):
    code: str
    name_zh: str
    name_en: str
    amount: MoneyStr


class BalanceSheetPublic(PublicModel):
    as_of: date
    balanced: bool
    assets: list[StatementLinePublic]
    liabilities: list[StatementLinePublic]
    equity: list[StatementLinePublic]
    current_year_profit: MoneyStr
    total_assets: MoneyStr
    total_liabilities: MoneyStr
    total_equity: MoneyStr


class IncomeStatementPublic(PublicModel):
    period: str
    start: date
    end: date
    income: list[StatementLinePublic]
    expenses: list[StatementLinePublic]
    total_income: MoneyStr
    total_expenses: MoneyStr
    net_profit: MoneyStr


class ChecklistItemPublic(PublicModel):
    name: str
    passed: bool
    notes: list[str]


class ChecklistPublic(PublicModel):
    period: str
    passed: bool
    items: list[ChecklistItemPublic]


class PeriodPublic(PublicModel):
    period: str
    status: str
    last_sequence: int
    closed_at: datetime | None
    closed_by: str | None


class DetailLinePublic(PublicModel):
    entry_id: int
    voucher_no: str
    business_date: date
    description: str
    memo: str
    debit: MoneyStr
    credit: MoneyStr
    balance: MoneyStr


class AccountDetailPublic(PublicModel):
    code: str
    name_zh: str
    name_en: str
    normal_balance: str
    start: date
    end: date
    opening: MoneyStr
    lines: list[DetailLinePublic]
    total_debit: MoneyStr
    total_credit: MoneyStr
    closing: MoneyStr
