"""Ledger API shapes: strict inputs, public outputs, money as strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

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
    activity: str | None = None


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
    activity: Literal["operating", "investing", "financing"] | None = None  # cash-flow activity of a cash line


class VoucherCreate(StrictModel):
    business_date: date
    description: str = Field(min_length=1, max_length=300)
    lines: list[VoucherLineIn] = Field(min_length=2, max_length=200)
    attachments: list[str] = Field(default_factory=list, max_length=20)
    counterparty: str | None = Field(None, max_length=100)


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
    activity: str | None = None


class VoucherPublic(PublicModel):
    id: int
    business_date: date
    period: str
    description: str
    status: str
    maker_name: str
    checker_name: str | None
    reject_reason: str | None
    counterparty: str | None = None
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


# ------------------------------------------------------------------------------------------ cash and figures
class CashFlowItemPublic(PublicModel):
    activity: str
    category_code: str
    name_zh: str
    name_en: str
    inflow: MoneyStr
    outflow: MoneyStr
    net: MoneyStr


class CashFlowSectionPublic(PublicModel):
    activity: str
    name_zh: str
    name_en: str
    items: list[CashFlowItemPublic]
    inflow: MoneyStr
    outflow: MoneyStr
    net: MoneyStr


class CashFlowStatementPublic(PublicModel):
    period: str
    start: date
    end: date
    sections: list[CashFlowSectionPublic]
    opening_cash: MoneyStr
    closing_cash: MoneyStr
    net_change: MoneyStr
    ties: bool


class DailyBalancePublic(PublicModel):
    date: date
    balance: MoneyStr


class FinanceFiguresPublic(PublicModel):
    account_code: str
    start: date
    end: date
    average_daily_balance: MoneyStr
    closing_balance: MoneyStr
    daily: list[DailyBalancePublic]
    weighted_average_rate: Decimal | None = Field(description="annual rate as a decimal string, e.g. 0.0725")
    rate_available: bool
    rate_source: str | None
    rate_unavailable_reason: str | None


class BankAccountCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    bank_name: str = Field(min_length=1, max_length=100)
    number: str = Field(min_length=8, max_length=40, description="full number; only the masked form is stored")
    account_code: str = Field(min_length=4, max_length=20, examples=["1002"])


class BankAccountPublic(PublicModel):
    id: int
    name: str
    bank_name: str
    number_masked: str
    account_code: str
    active: bool
    version: int


class CashJournalLinePublic(PublicModel):
    line_id: int
    entry_id: int
    voucher_no: str
    business_date: date
    description: str
    counterparty: str
    memo: str
    receipt: MoneyStr
    payment: MoneyStr
    balance: MoneyStr
    activity: str | None
    statement_line_id: int | None


class CashJournalPublic(PublicModel):
    bank_account_id: int
    name: str
    bank_name: str
    number_masked: str
    account_code: str
    start: date
    end: date
    opening: MoneyStr
    lines: list[CashJournalLinePublic]
    total_receipts: MoneyStr
    total_payments: MoneyStr
    closing: MoneyStr


class ImportResultPublic(PublicModel):
    statement_id: int
    line_count: int
    first_date: date
    last_date: date
    total_in: MoneyStr
    total_out: MoneyStr
    matched: int


class BankStatementLinePublic(PublicModel):
    id: int
    statement_id: int
    row_no: int
    value_date: date
    amount: MoneyStr
    counterparty: str
    reference: str
    balance: MoneyStr | None
    matched_line_id: int | None
    match_kind: str | None
    matched_by: str | None


class UnmatchedPublic(PublicModel):
    bank_account_id: int
    statement_lines: list[BankStatementLinePublic]
    journal_lines: list[CashJournalLinePublic]


class AutoMatchRequest(StrictModel):
    window_days: int = Field(3, ge=0, le=31)


class AutoMatchResult(PublicModel):
    matched: int
    pairs: list[tuple[int, int]]


class ManualMatchRequest(StrictModel):
    journal_line_id: int
