"""Servicing's side of the finance centre: the loan subledger checked against the ledger, and the loan rates behind
the weighted average rate (加权平均利率).

Both are computed from the loans and their confirmed transactions, as of any day: a loan's principal is its amount
from the disbursement date, less the principal each confirmed repayment allocated from its value date on. A reversed
transaction counts as never made (the ledger reverses it on the day of the reversal, so on the days in between the
two differ by design; the daily check runs on the business date, after the reversal).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from autofin.db.uow import UnitOfWork
from autofin.kernel.money import ZERO, quantize
from autofin.ledger import service as ledger
from autofin.servicing.models import LoanAccount, LoanTransaction

PRINCIPAL_ACCOUNT = "1303"  # 贷款: normal and overdue principal together
STREAM_ROWS = 5000


def principal_movements(uow: UnitOfWork, until: date) -> dict[int, list[tuple[date, Decimal]]]:
    """Each loan's principal changes up to ``until``: + the amount on disbursement, − principal repaid."""
    movements: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    loans = uow.session.execute(
        select(LoanAccount.id, LoanAccount.disbursement_date, LoanAccount.principal)
        .where(LoanAccount.disbursement_date <= until)
    )
    for loan_id, disbursed_on, principal in loans:
        movements[loan_id].append((disbursed_on, principal))
    repaid = uow.session.execute(
        select(LoanTransaction.loan_id, LoanTransaction.value_date, LoanTransaction.allocation)
        .where(LoanTransaction.status == "confirmed", LoanTransaction.value_date <= until)
    )
    for loan_id, value_date, allocation in repaid:
        principal = Decimal((allocation or {}).get("principal", "0"))
        if principal and loan_id in movements:
            movements[loan_id].append((value_date, -principal))
    return movements


def principal_outstanding_on(uow: UnitOfWork, as_of: date) -> Decimal:
    """The same total as :func:`principal_movements`, without holding a row per loan: one SUM over the loans and
    one streamed pass over the confirmed transactions' allocations (the end-of-day check runs it over every loan)."""
    disbursed = uow.session.scalar(
        select(func.sum(LoanAccount.principal)).where(LoanAccount.disbursement_date <= as_of)) or ZERO
    allocations = uow.session.execute(
        select(LoanTransaction.allocation)
        .join(LoanAccount, LoanAccount.id == LoanTransaction.loan_id)
        .where(LoanTransaction.status == "confirmed", LoanTransaction.value_date <= as_of,
               LoanAccount.disbursement_date <= as_of)
        .execution_options(yield_per=STREAM_ROWS))
    repaid = sum((Decimal((allocation or {}).get("principal", "0")) for (allocation,) in allocations), ZERO)
    return disbursed - repaid


def principal_reconciliation(uow: UnitOfWork, as_of: date) -> list[str]:
    """Loan principal in servicing equals the ledger's 贷款 (1303) balance at the end of ``as_of``."""
    loans = principal_outstanding_on(uow, as_of)
    books = ledger.account_balance(uow, PRINCIPAL_ACCOUNT, as_of)
    if loans == books:
        return []
    return [
        f"loan principal on {as_of.isoformat()}: servicing {loans} ≠ ledger {PRINCIPAL_ACCOUNT} {books} "
        f"(difference {loans - books}) / {as_of.isoformat()} 贷款本金：贷后 {loans} ≠ 总账 {books}"
    ]


def loan_rates(uow: UnitOfWork, start: date, end: date) -> list[tuple[Decimal, Decimal]]:
    """(average daily balance, annual rate) per rate over ``start``…``end``: the weights of 加权平均利率."""
    days = (end - start).days + 1
    rates: dict[int, Decimal] = {loan_id: rate for loan_id, rate in uow.session.execute(
        select(LoanAccount.id, LoanAccount.annual_rate))}
    balance_days: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for loan_id, changes in principal_movements(uow, end).items():
        balance = ZERO
        day = start
        for changed_on, amount in sorted(changes):
            if changed_on > day:  # the balance held from `day` until the day before this change
                balance_days[rates[loan_id]] += balance * (changed_on - day).days
                day = changed_on
            balance += amount
        balance_days[rates[loan_id]] += balance * ((end + timedelta(days=1)) - day).days
    return [(quantize(total / days), rate) for rate, total in sorted(balance_days.items()) if total]
