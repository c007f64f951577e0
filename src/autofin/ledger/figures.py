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


def daily_balances(
    opening: Decimal, daily_net_movements: Mapping[date, Decimal], start: date, end: date
) -> list[tuple[date, Decimal]]:
    """End-of-day balances from ``start`` to ``end`` (inclusive): the series 日均余额 averages and charts draw."""
    if end < start:
        raise ValueError("the end date must not be before the start date")
    series: list[tuple[date, Decimal]] = []
    balance = opening
    day = start
    while day <= end:
        balance += daily_net_movements.get(day, ZERO)
        series.append((day, balance))
        day += timedelta(days=1)
    return series


@dataclass(frozen=True)
class FinanceFigures:
    """Finance-centre figures of a loan account for a date range (贷款日均余额, 加权平均利率)."""

    account_code: str
    start: date
    end: date
    average_daily_balance: Decimal  # rounded to the cent
    closing_balance: Decimal
    daily: tuple[tuple[date, Decimal], ...]
    weighted_average_rate: Decimal | None  # None: no loan-rate provider registered (see reason)
    rate_source: str | None = None
    rate_unavailable_en: str | None = None
    rate_unavailable_zh: str | None = None


# ------------------------------------------------------------------------------------------- cash flow (direct)
ACTIVITY_ORDER = ("operating", "investing", "financing")
ACTIVITY_NAMES = {
    "operating": ("经营活动产生的现金流量", "Cash flows from operating activities"),
    "investing": ("投资活动产生的现金流量", "Cash flows from investing activities"),
    "financing": ("筹资活动产生的现金流量", "Cash flows from financing activities"),
}


@dataclass(frozen=True)
class CashLine:
    """A line of an entry as the cash-flow statement sees it."""

    account_code: str
    account_type: str
    is_cash: bool
    debit: Decimal
    credit: Decimal
    activity: str | None = None


@dataclass(frozen=True)
class Category:
    code: str  # the top-level counterpart account (e.g. 1303, 6011)
    name_zh: str
    name_en: str


MIXED = Category("", "多项活动", "mixed activities")


def classify_cash_entry(
    lines: Sequence[CashLine], category_of: Mapping[str, Category]
) -> list[tuple[str, Category, Decimal]]:
    """The cash movements of one entry as ``(activity, counterpart category, signed amount)`` (+ inflow).

    The counterpart (non-cash, on-balance) lines carry the amounts: a credit to a counterpart is money in.
    Their sum equals the entry's net cash movement, so the statement ties to the change in cash exactly. A cash
    line without an activity takes ``financing`` when a counterpart is equity, else ``operating``. Transfers
    between cash accounts have no counterpart and move no cash in total: they give nothing.
    """
    cash = [line for line in lines if line.is_cash]
    if not cash:
        return []
    counterparts = [line for line in lines if not line.is_cash and line.account_type != "off_balance"]
    inferred = "financing" if any(line.account_type == "equity" for line in counterparts) else "operating"
    activities = {line.activity or inferred for line in cash}
    if len(activities) > 1:  # a voucher mixing activities: each cash line stands alone
        return [(line.activity or inferred, MIXED, line.debit - line.credit) for line in cash]
    (activity,) = activities
    return [
        (activity, category_of.get(line.account_code, MIXED), line.credit - line.debit)
        for line in counterparts
        if line.credit != line.debit
    ]


@dataclass(frozen=True)
class CashFlowItem:
    activity: str
    category_code: str
    name_zh: str
    name_en: str
    inflow: Decimal
    outflow: Decimal

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class CashFlowSection:
    activity: str
    name_zh: str
    name_en: str
    items: tuple[CashFlowItem, ...]
    inflow: Decimal
    outflow: Decimal

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class CashFlowStatement:
    """现金流量表 (direct method) of a period; ``net_change`` must equal closing − opening cash."""

    period: str
    start: date
    end: date
    sections: tuple[CashFlowSection, ...]
    opening_cash: Decimal
    closing_cash: Decimal

    @property
    def net_change(self) -> Decimal:
        return sum((section.net for section in self.sections), ZERO)

    @property
    def ties(self) -> bool:
        return self.closing_cash - self.opening_cash == self.net_change


def build_cash_flow(
    period: str,
    start: date,
    end: date,
    movements: Sequence[tuple[str, Category, Decimal]],
    opening_cash: Decimal,
    closing_cash: Decimal,
) -> CashFlowStatement:
    """Group classified movements by activity and category; every activity appears, in the usual order."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    categories: dict[str, Category] = {}
    for activity, category, amount in movements:
        figure = sums.setdefault((activity, category.code), [ZERO, ZERO])
        categories[category.code] = category
        if amount > ZERO:
            figure[0] += amount
        else:
            figure[1] -= amount
    sections: list[CashFlowSection] = []
    for activity in ACTIVITY_ORDER:
        items = tuple(
            CashFlowItem(activity, code, categories[code].name_zh, categories[code].name_en, inflow, outflow)
            for (act, code), (inflow, outflow) in sorted(sums.items())
            if act == activity
        )
        zh, en = ACTIVITY_NAMES[activity]
        sections.append(
            CashFlowSection(
                activity,
                zh,
                en,
                items,
                sum((item.inflow for item in items), ZERO),
                sum((item.outflow for item in items), ZERO),
            )
        )
    return CashFlowStatement(period, start, end, tuple(sections), opening_cash, closing_cash)
