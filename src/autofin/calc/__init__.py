"""Loan mathematics, pure: schedules, day counts, grace, rounding, annualised rates, allocation, payoff quotes.

Imports only the standard library and :mod:`autofin.kernel`; every other module (product quotes, contracts,
servicing, the end-of-day batch) uses these functions so the whole system shows the same cent. See ``docs.md``.

Public API:

* ``LoanTerms(principal, annual_rate, term, disbursement_date, method=…, …)`` — frozen, validated terms
  (``Fee``, ``BusinessDayRule`` for fees and the China business-day rule).
* ``build_schedule(terms) -> Schedule`` — installments (``Installment``) and ``ScheduleTotals``.
* ``annualized_rate(schedule) -> AnnualizedRate`` — PBOC simple and compound rate of a schedule.
* ``pboc_rate(net_advance, payments, periods_per_year, times=None) -> AnnualizedRate``.
* ``annual_percentage_rate(method, advances, payments, fees=ZERO) -> AprResult`` — ``pboc`` or ``us-reg-z``
  (Regulation Z Appendix J) over dated ``CashFlow``s.
* ``allocate(payment, dues, order="default", by="installment") -> Allocation`` over ``DueItem``s.
* ``penalty_interest(overdue_principal, overdue_from, as_of, annual_rate, day_count, overdue_interest=ZERO,
  compound_rate=None) -> PenaltyInterest``; ``penalty_for_terms(terms, principal, interest, from, as_of)``.
* ``payoff_quote(terms, as_of, payments_made=(), schedule=None) -> PayoffQuote``.
* ``prepay(terms, on, amount, mode="reduce_installment", schedule=None) -> Prepayment``.
* ``year_fraction(start, end, day_count) -> Decimal``; ``add_months(anchor, months) -> date``.
"""

from .allocation import Allocation, AllocationLine, DueItem, allocate
from .apr import AnnualizedRate, AprResult, CashFlow, UnitPeriod, annual_percentage_rate, annualized_rate, pboc_rate
from .dates import add_months, year_fraction
from .payoff import PayoffQuote, Prepayment, payoff_quote, prepay
from .penalty import PenaltyInterest, penalty_for_terms, penalty_interest
from .schedule import Installment, Schedule, ScheduleTotals, build_schedule
from .terms import BusinessDayRule, Fee, LoanTerms

__all__ = [
    "Allocation",
    "AllocationLine",
    "AnnualizedRate",
    "AprResult",
    "BusinessDayRule",
    "CashFlow",
    "DueItem",
    "Fee",
    "Installment",
    "LoanTerms",
    "PayoffQuote",
    "PenaltyInterest",
    "Prepayment",
    "Schedule",
    "ScheduleTotals",
    "UnitPeriod",
    "add_months",
    "allocate",
    "annual_percentage_rate",
    "annualized_rate",
    "build_schedule",
    "payoff_quote",
    "pboc_rate",
    "penalty_for_terms",
    "penalty_interest",
    "prepay",
    "year_fraction",
]
