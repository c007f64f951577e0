"""Statement figures as plain frozen dataclasses, and finance-centre helpers over daily balances. Pure.

``statements.py`` reads the database into these; ``checks.py`` verifies them; the API serialises them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from autofin.kernel.money import ZERO


def debit_credit_columns(net_debit: Decimal) -> tuple[Decimal, Decimal]:
    """A balance (debit minus credit) shown on its own side: (debit column, credit column)."""
    return (net_debit, ZERO) if net_debit >= ZERO else (ZERO, -net_debit)


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name_zh: str
    name_en: str
    type: str
    is_summary: bool  # a parent account: the sum of its children, not counted in the totals
    opening_debit: Decimal
    opening_credit: Decimal
    period_debit: Decimal
    period_credit: Decimal
    closing_debit: Decimal
    closing_credit: Decimal


@dataclass(frozen=True)
class TrialBalance:
    """科目余额表: opening, movements and closing per account for a period."""

    period: str
    start: date
    end: date
    rows: tuple[TrialBalanceRow, ...]
    opening_debit: Decimal
    opening_credit: Decimal
    period_debit: Decimal
    period_credit: Decimal
    closing_debit: Decimal
    closing_credit: Decimal

    @property
    def balanced(self) -> bool:
        return (
            self.opening_debit == self.opening_credit
            and self.period_debit == self.period_credit
            and self.closing_debit == self.closing_credit
        )


@dataclass(frozen=True)
class StatementLine:
    code: str
    name_zh: str
    name_en: str
    amount: Decimal


@dataclass(frozen=True)
class BalanceSheet:
    """资产负债表 at the end of a day. ``current_year_profit`` is income less expense not yet carried (本年利润)."""

    as_of: date
    assets: tuple[StatementLine, ...]
    liabilities: tuple[StatementLine, ...]
    equity: tuple[StatementLine, ...]
    current_year_profit: Decimal
    total_assets: Decimal
    total_liabilities: Decimal
    total_equity: Decimal  # including current_year_profit

    @property
    def balanced(self) -> bool:
        return self.total_assets == self.total_liabilities + self.total_equity


@dataclass(frozen=True)
class IncomeStatement:
    """利润表 for a date range (year-end carry entries excluded, so the figures are the period's activity)."""

    period: str
    start: date
    end: date
    income: tuple[StatementLine, ...]
    expenses: tuple[StatementLine, ...]
    total_income: Decimal
    total_expenses: Decimal

    @property
    def net_profit(self) -> Decimal:
        return self.total_income - self.total_expenses


@dataclass(frozen=True)
class DetailLine:
    entry_id: int
    voucher_no: str
    business_date: date
    description: str
    memo: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance on the account's normal side


@dataclass(frozen=True)
class AccountDetail:
    """明细账 of one account: opening, every line with a running balance, closing."""

    code: str
    name_zh: str
    name_en: str
    normal_balance: str
    start: date
    end: date
    opening: Decimal
    lines: tuple[DetailLine, ...] = field(default_factory=tuple)
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    closing: Decimal = ZERO


@dataclass(frozen=True)
class Checklist:
    """The month-end close checklist (结账检查): each item passed or failed with the reasons."""

    period: str
    items: tuple[tuple[str, bool, tuple[str, ...]], ...]

    @property
    def passed(self) -> bool:
        return all(ok for _name, ok, _errors in self.items)

    def failures(self) -> list[str]:
        return [f"{name}: {'; '.join(errors)}" for name, ok, errors in self.items if not ok]


def average_daily_balance(
    opening: Decimal, daily_net_movements: Mapping[date, Decimal], start: date, end: date
) -> Decimal:
    """贷款日均余额: the mean of end-of-day balances from ``start`` to ``end`` (inclusive), not rounded.

    ``opening`` is the balance at the end of the day before ``start``; ``daily_net_movements`` the change of the
    balance on each day (days without movement may be absent).
    """
    if end < start:
        raise ValueError("the end date must not be before the start date")
    balance = opening
    total = ZERO
    days = 0
    day = start
    while day <= end:
        balance += daily_net_movements.get(day, ZERO)
        total += balance
        days += 1
        day += timedelta(days=1)
    return total / days


def weighted_average_rate(balances_and_rates: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """加权平均利率: Σ(balance × rate) / Σbalance over (average daily balance, annual rate) pairs; 0 if none."""
    weight = sum((balance for balance, _rate in balances_and_rates), ZERO)
    if weight == ZERO:
        return ZERO
    return sum((balance * rate for balance, rate in balances_and_rates), ZERO) / weight
