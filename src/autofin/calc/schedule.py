"""Repayment schedules: annuity (等额本息), equal principal (等额本金), flat (等本等息), interest-only then bullet
(先息后本) and balloon (尾款贷), with grace, fees, broken first periods and per-period rounding.

Every amount is rounded per period to 2 places with the rounding of the terms; principal = installment − interest;
the last installment takes whatever balance is left, so Σprincipal equals the amortised principal exactly and the
final balance is exactly zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from autofin.kernel.money import HUNDRED, ONE, ZERO, quantize, round_to_multiple, rounding_mode

from .dates import accrual_dates, due_dates, is_regular_period, year_fraction
from .terms import LoanTerms, Method

_AMORTISING: Final = frozenset({"annuity", "balloon"})
_ZERO_MONEY: Final = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Installment:
    """One row of a schedule. ``interest`` is the interest due with this installment; ``interest_earned`` the
    interest accrued over its period (they differ only under ``grace_on_interest_payment``). ``balance`` is the
    principal outstanding after it. ``period_start``/``period_end`` bound the accrual period (unadjusted dates)."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    balance: Decimal
    period_start: date
    period_end: date
    interest_earned: Decimal


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule. ``principal`` is the amount amortised (the loan plus financed fees);
    ``net_disbursed`` the money the borrower receives (the loan less deducted fees)."""

    terms: LoanTerms
    installments: tuple[Installment, ...]
    totals: ScheduleTotals
    principal: Decimal
    net_disbursed: Decimal
    upfront_fees_deducted: Decimal
    upfront_fees_financed: Decimal
    upfront_fees_first_installment: Decimal


def _totals(installments: Sequence[Installment]) -> ScheduleTotals:
    principal = interest = fees = ZERO
    for row in installments:
        principal += row.principal
        interest += row.interest
        fees += row.fees
    return ScheduleTotals(principal, interest, fees, principal + interest + fees)


def _level_installment(balance: Decimal, rate: Decimal, free: int, charged: int, balloon: Decimal) -> Decimal:
    """The unrounded level payment that repays ``balance`` over ``free`` interest-free then ``charged`` periods at
    ``rate`` leaving ``balloon`` after the last: (balance − balloon·vᵐ) ÷ (free + aₘ)."""
    if charged == 0:
        return (balance - balloon) / Decimal(free)
    if rate == ZERO:
        return (balance - balloon) / Decimal(free + charged)
    discount = (ONE + rate) ** -charged
    annuity_factor = (ONE - discount) / rate
    return (balance - balloon * discount) / (Decimal(free) + annuity_factor)


def interest_factors(terms: LoanTerms, starts: Sequence[date], ends: Sequence[date],
                     first_number: int = 1) -> list[Decimal]:
    """The fraction of the balance charged as interest in each period (0 in interest-free grace periods).

    ``per_period``: the periodic rate, except a broken first period (a ``first_due_date`` that is not one period
    after disbursement), which bears annual rate × its year fraction. ``daily``: annual rate × year fraction.
    """
    annual = terms.annual_rate / HUNDRED
    rate = terms.periodic_rate
    free_until = terms.grace_on_interest_charged
    day_count = terms.day_count
    daily = terms.interest_period == "daily"
    factors: list[Decimal] = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        number = first_number + index
        if number <= free_until:
            factors.append(ZERO)
        elif daily or (number == 1 and not is_regular_period(start, end, terms.frequency, terms.every)):
            factors.append(annual * year_fraction(start, end, day_count))
        else:
            factors.append(rate)
    return factors


def level_amount(terms: LoanTerms, method: Method, balance: Decimal, first_number: int, last: int,
                 flat_base: Decimal | None = None) -> Decimal:
    """The rounded level amount of installments ``first_number``…``last`` on ``balance``: the equal installment
    (annuity, balloon; flat with ``installment_multiple``) or the equal principal part (equal principal, flat);
    zero for interest-only."""
    mode = rounding_mode(terms.rounding)
    multiple = terms.installment_multiple
    amortising_from = max(terms.grace_on_principal + 1, first_number)
    amortising = last - amortising_from + 1
    if method in _AMORTISING:
        free = max(0, min(terms.grace_on_interest_charged, last) - amortising_from + 1)
        balloon = terms.balloon if method == "balloon" else ZERO
        raw = _level_installment(balance, terms.periodic_rate, free, amortising - free, balloon)
        return round_to_multiple(raw, multiple, mode) if multiple is not None else quantize(raw, 2, mode)
    if method == "equal_principal":
        return quantize(balance / Decimal(amortising), 2, mode)
    if method == "flat":
        part = balance / Decimal(amortising)
        if multiple is not None:
            base = flat_base if flat_base is not None else balance
            return round_to_multiple(part + base * terms.periodic_rate, multiple, mode)
        return quantize(part, 2, mode)
    return ZERO


def amortise(
    terms: LoanTerms,
    balance: Decimal,
    starts: Sequence[date],
    ends: Sequence[date],
    dues: Sequence[date],
    fees: Sequence[Decimal],
    *,
    first_number: int = 1,
    method: Method | None = None,
    fixed_installment: Decimal | None = None,
    fixed_principal: Decimal | None = None,
    original_principal: Decimal | None = None,
) -> tuple[Installment, ...]:
    """Amortise ``balance`` over the given periods under the terms' method, grace and rounding.

    Used for a new schedule (``first_number`` 1) and for the rest of a schedule after a prepayment (later
    numbers; grace counts from installment 1). ``fixed_installment`` / ``fixed_principal`` keep an installment or
    principal part instead of computing one (``reduce_term``).
    """
    method = method or terms.method
    mode = rounding_mode(terms.rounding)
    multiple = terms.installment_multiple
    count = len(ends)
    last = first_number + count - 1
    factors = interest_factors(terms, starts, ends, first_number)
    principal_grace = terms.grace_on_principal
    interest_deferred_until = terms.grace_on_interest_payment
    flat_base = original_principal if original_principal is not None else balance

    amortising_from = max(principal_grace + 1, first_number)
    if fixed_installment is not None:
        level = fixed_installment
    elif fixed_principal is not None:
        level = fixed_principal
    else:
        level = level_amount(terms, method, balance, first_number, last, flat_base)

    rows: list[Installment] = []
    append = rows.append
    deferred = ZERO
    for index in range(count):
        number = first_number + index
        factor = factors[index]
        if method == "flat":
            earned = quantize(flat_base * factor, 2, mode)
        else:
            earned = quantize(balance * factor, 2, mode)
        if number == last:
            principal = balance
        elif number < amortising_from or method == "interest_only":
            principal = ZERO
        else:
            if method in _AMORTISING or (method == "flat" and multiple is not None and fixed_principal is None):
                principal = level - earned
            else:
                principal = level
            if principal < ZERO:
                principal = ZERO
            elif principal > balance:
                principal = balance
        if number <= interest_deferred_until:
            deferred += earned
            interest = ZERO
        elif deferred:
            interest = earned + deferred
            deferred = ZERO
        else:
            interest = earned
        fee = fees[index]
        balance -= principal
        append(Installment(number, dues[index], principal, interest, fee, principal + interest + fee, balance,
                           starts[index], ends[index], earned))
    return tuple(rows)


def build_schedule(terms: LoanTerms) -> Schedule:
    """The repayment schedule of ``terms``."""
    mode = rounding_mode(terms.rounding)
    principal = terms.principal
    deducted = financed = first = per_installment = _ZERO_MONEY
    for fee in terms.fees:
        amount = quantize(fee.amount_on(principal), 2, mode)
        if fee.timing == "per_installment":
            per_installment += amount
        elif fee.treatment == "deducted":
            deducted += amount
        elif fee.treatment == "financed":
            financed += amount
        else:
            first += amount
    amortised = quantize(principal + financed, 2, mode)
    ends = accrual_dates(terms)
    dues = due_dates(terms, ends)
    starts = (terms.disbursement_date, *ends[:-1])
    fees = [per_installment] * terms.term
    fees[0] += first
    rows = amortise(terms, amortised, starts, ends, dues, fees)
    return Schedule(terms, rows, _totals(rows), amortised, quantize(principal - deducted, 2, mode), deducted, financed,
                    first)


def schedule_from_rows(terms: LoanTerms, rows: Sequence[Installment], base: Schedule) -> Schedule:
    """A schedule with other rows (after a prepayment), keeping the upfront amounts of ``base``."""
    installments = tuple(rows)
    return Schedule(terms, installments, _totals(installments), base.principal, base.net_disbursed,
                    base.upfront_fees_deducted, base.upfront_fees_financed, base.upfront_fees_first_installment)
