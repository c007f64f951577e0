"""Ledger invariants as pure checks that return a list of errors (empty = fine), as beancount's validation does.

Run after posting in tests, before a period is closed and by the daily job (``jobs.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from autofin.kernel.money import ZERO
from autofin.ledger.figures import BalanceSheet, CashFlowStatement, IncomeStatement, TrialBalance
from autofin.ledger.rules.engine import PostingLine


def entry_balance_errors(lines: Sequence[PostingLine], account_types: Mapping[str, str] | None = None) -> list[str]:
    """Σdebit = Σcredit; every line one-sided and positive; off-balance memoranda balance among themselves."""
    errors: list[str] = []
    if len(lines) < 2:
        errors.append(f"an entry needs at least two lines, it has {len(lines)}")
    for number, line in enumerate(lines, start=1):
        if line.debit < ZERO or line.credit < ZERO:
            errors.append(f"line {number} ({line.account_code}) has a negative amount")
        if (line.debit > ZERO) == (line.credit > ZERO):
            errors.append(f"line {number} ({line.account_code}) must have either a debit or a credit")
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    if debit != credit:
        errors.append(f"debits {debit} differ from credits {credit} by {debit - credit}")
    if account_types is not None:
        off_debit = sum((ln.debit for ln in lines if account_types.get(ln.account_code) == "off_balance"), ZERO)
        off_credit = sum((ln.credit for ln in lines if account_types.get(ln.account_code) == "off_balance"), ZERO)
        if off_debit != off_credit:
            errors.append(f"off-balance lines do not balance: debits {off_debit}, credits {off_credit}")
    return errors


def trial_balance_errors(trial_balance: TrialBalance) -> list[str]:
    errors: list[str] = []
    for label, debit, credit in (
        ("opening", trial_balance.opening_debit, trial_balance.opening_credit),
        ("period", trial_balance.period_debit, trial_balance.period_credit),
        ("closing", trial_balance.closing_debit, trial_balance.closing_credit),
    ):
        if debit != credit:
            errors.append(f"trial balance {trial_balance.period}: {label} debits {debit} ≠ credits {credit}")
    for row in trial_balance.rows:
        opening = row.opening_debit - row.opening_credit
        closing = row.closing_debit - row.closing_credit
        if opening + row.period_debit - row.period_credit != closing:
            errors.append(f"trial balance {trial_balance.period}: account {row.code} does not roll forward")
    return errors


def balance_sheet_errors(balance_sheet: BalanceSheet) -> list[str]:
    if balance_sheet.balanced:
        return []
    difference = balance_sheet.total_assets - balance_sheet.total_liabilities - balance_sheet.total_equity
    return [
        f"balance sheet {balance_sheet.as_of}: assets {balance_sheet.total_assets} ≠ liabilities "
        f"{balance_sheet.total_liabilities} + equity {balance_sheet.total_equity} (difference {difference})"
    ]


def profit_ties_to_equity_errors(
    income_statement: IncomeStatement, opening: BalanceSheet, closing: BalanceSheet, capital_movement: Decimal
) -> list[str]:
    """Net profit of a period equals the change in equity other than capital paid in or out."""
    change = closing.total_equity - opening.total_equity - capital_movement
    if change == income_statement.net_profit:
        return []
    return [f"net profit {income_statement.net_profit} ≠ change in retained earnings {change}"]


def voucher_sequence_errors(period: str, sequences: Iterable[int]) -> list[str]:
    """Voucher numbers of a period are 1..N without gaps or duplicates."""
    ordered = sorted(sequences)
    expected = list(range(1, len(ordered) + 1))
    if ordered == expected:
        return []
    missing = sorted(set(expected) - set(ordered))[:10]
    duplicates = sorted({n for n in ordered if ordered.count(n) > 1})[:10] if len(ordered) < 10_000 else []
    return [f"voucher numbers of {period} are not gap-free (missing {missing}, duplicated {duplicates})"]


SubledgerCheck = Callable[[Any, Any], list[str]]
"""``fn(uow, as_of_date) -> errors``: a domain compares its subledger with the ledger's control accounts."""

_SUBLEDGER_CHECKS: dict[str, SubledgerCheck] = {}


def register_subledger_check(name: str, check: SubledgerCheck) -> None:
    """Register a subledger = GL reconciliation (e.g. servicing's loan balances vs 1303); run at close and daily."""
    _SUBLEDGER_CHECKS[name] = check


def unregister_subledger_check(name: str) -> None:
    _SUBLEDGER_CHECKS.pop(name, None)


def subledger_checks() -> dict[str, SubledgerCheck]:
    return dict(_SUBLEDGER_CHECKS)


def voucher_range_errors(period: str, count: int, distinct: int, lowest: int | None, highest: int | None) -> list[str]:
    """The same gap-free rule as :func:`voucher_sequence_errors`, from SQL aggregates (count, min, max)."""
    if count == 0:
        return []
    if distinct == count and lowest == 1 and highest == count:
        return []
    return [
        f"voucher numbers of {period} are not gap-free: {count} entries numbered {lowest}..{highest}"
        f" ({count - distinct} duplicated)"
    ]


def cash_flow_errors(statement: CashFlowStatement) -> list[str]:
    """The cash-flow statement ties to the change in cash over the period (closing − opening = net flows)."""
    change = statement.closing_cash - statement.opening_cash
    if change == statement.net_change:
        return []
    return [
        f"cash flow {statement.period}: net cash flows {statement.net_change} ≠ change in cash {change} "
        f"(opening {statement.opening_cash}, closing {statement.closing_cash})"
    ]


LoanRates = Sequence[tuple[Decimal, Decimal]]
RateProvider = Callable[[Any, Any, Any], LoanRates]
"""``fn(uow, start, end) -> [(average daily balance, annual rate), ...]`` over the loans (or rate buckets) in the
period — servicing registers one; the ledger weights the rates by those balances (加权平均利率)."""

_RATE_PROVIDERS: dict[str, RateProvider] = {}


def register_rate_provider(name: str, provider: RateProvider) -> None:
    """Register where loan rates come from (the ledger knows no loans); the latest registration is used."""
    _RATE_PROVIDERS.pop(name, None)
    _RATE_PROVIDERS[name] = provider


def unregister_rate_provider(name: str) -> None:
    _RATE_PROVIDERS.pop(name, None)


def rate_providers() -> dict[str, RateProvider]:
    return dict(_RATE_PROVIDERS)


def rate_provider() -> tuple[str, RateProvider] | None:
    if not _RATE_PROVIDERS:
        return None
    name = next(reversed(_RATE_PROVIDERS))
    return name, _RATE_PROVIDERS[name]
