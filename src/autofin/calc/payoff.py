"""Payoff quotes (提前结清) and partial prepayment (部分提前还款) with ``reduce_term`` or ``reduce_installment``.

A payoff quote replays the payments made, in date order, against the schedule: before each payment, penalty
(and compound) interest accrues on what is overdue; the payment is then allocated (penalty → fees → interest →
principal, oldest first); money left over prepays principal not yet due. On ``as_of`` the quote is the principal
still owed + interest (unpaid interest of due installments, interest deferred by grace, and interest accrued in
the current period up to ``as_of`` under the terms' interest mode) + unpaid fees (including an upfront fee
collected with the first installment) + penalties + the prepayment fee on the principal repaid early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from autofin.kernel.errors import invalid
from autofin.kernel.money import HUNDRED, ZERO, quantize, rounding_mode

from .allocation import DueItem, allocate
from .apr import CashFlow
from .dates import year_fraction
from .penalty import penalty_for_terms
from .schedule import (
    Installment,
    Schedule,
    amortise,
    build_schedule,
    interest_factors,
    level_amount,
    schedule_from_rows,
)
from .terms import LoanTerms

PrepaymentMode = Literal["reduce_term", "reduce_installment"]
CODE: Final = "calc.payoff.invalid"


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    as_of: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    prepayment_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties + self.prepayment_fee


@dataclass(frozen=True, slots=True)
class Prepayment:
    """A partial prepayment: the new ``schedule``, the principal repaid, the interest accrued on that principal
    from the start of the current period to the prepayment date and the prepayment fee, all due with it."""

    schedule: Schedule
    principal: Decimal
    interest: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee


def _elapsed_share(terms: LoanTerms, row: Installment, as_of: date) -> Decimal:
    """The share of ``row``'s accrual period that has passed on ``as_of`` (0…1)."""
    if as_of <= row.period_start:
        return ZERO
    if as_of >= row.period_end:
        return Decimal(1)
    if terms.interest_period == "daily":
        whole = year_fraction(row.period_start, row.period_end, terms.day_count)
        return year_fraction(row.period_start, as_of, terms.day_count) / whole
    return Decimal((as_of - row.period_start).days) / Decimal((row.period_end - row.period_start).days)


def payoff_quote(terms: LoanTerms, as_of: date, payments_made: Sequence[CashFlow] = (),
                 schedule: Schedule | None = None) -> PayoffQuote:
    """The amount that settles the loan on ``as_of`` after ``payments_made``."""
    if as_of < terms.disbursement_date:
        raise invalid("as_of", f"as_of {as_of} must be on or after the disbursement_date {terms.disbursement_date}",
                      f"结清日 {as_of} 不能早于放款日 {terms.disbursement_date}", code=CODE)
    for payment in payments_made:
        if not terms.disbursement_date <= payment.date <= as_of:
            raise invalid("payments_made.date", "every payment made must be dated from the disbursement_date to "
                          "as_of", "每笔已还款的日期须在放款日与结清日之间", code=CODE)
        if payment.amount <= ZERO:
            raise invalid("payments_made.amount", "every payment made must be more than 0",
                          "每笔已还款金额必须大于 0", code=CODE)
    schedule = schedule or build_schedule(terms)
    mode = rounding_mode(terms.rounding)
    rows = schedule.installments
    owed = {row.number: DueItem(row.number, row.due_date, row.principal, row.interest, row.fees) for row in rows}
    accrued_to = {row.number: row.due_date for row in rows}
    credit = ZERO

    def accrue_penalties(day: date) -> None:
        for row in rows:
            if row.due_date >= day:
                break
            item = owed[row.number]
            start = accrued_to[row.number]
            if day <= start or (item.principal <= ZERO and item.interest <= ZERO):
                accrued_to[row.number] = max(start, day)
                continue
            penalty = penalty_for_terms(terms, item.principal, item.interest, start, day, mode)
            owed[row.number] = DueItem(item.number, item.due_date, item.principal, item.interest, item.fees,
                                       item.penalty + penalty.total)
            accrued_to[row.number] = day

    for payment in sorted(payments_made, key=lambda flow: flow.date):
        accrue_penalties(payment.date)
        due = [owed[row.number] for row in rows if row.due_date <= payment.date]
        result = allocate(payment.amount, due)
        for item in result.remaining:
            owed[item.number] = item
        credit += result.excess
    accrue_penalties(as_of)

    due_rows = [row for row in rows if row.due_date <= as_of]
    future_rows = rows[len(due_rows):]
    due_items = [owed[row.number] for row in due_rows]
    principal_due = sum((item.principal for item in due_items), ZERO)
    future_principal = sum((row.principal for row in future_rows), ZERO)
    prepaid = min(credit, future_principal)
    credit -= prepaid
    principal_not_due = future_principal - prepaid
    interest = sum((item.interest for item in due_items), ZERO)
    deferred = sum((row.interest_earned for row in due_rows), ZERO) - sum((row.interest for row in due_rows), ZERO)
    if deferred > ZERO:
        interest += deferred
    if future_rows:
        factors = interest_factors(terms, [r.period_start for r in future_rows],
                                   [r.period_end for r in future_rows], future_rows[0].number)
        opening = future_rows[0].balance + future_rows[0].principal - prepaid
        for row, factor in zip(future_rows, factors, strict=True):
            share = _elapsed_share(terms, row, as_of)
            if share == ZERO:
                break
            interest += quantize(opening * factor * share, 2, mode)
            opening -= row.principal
    fees = sum((item.fees for item in due_items), ZERO)
    if future_rows and future_rows[0].number == 1:
        fees += schedule.upfront_fees_first_installment
    penalties = sum((item.penalty for item in owed.values()), ZERO)
    fee_rate = terms.prepayment_fee_percent
    prepayment_fee = quantize(principal_not_due * fee_rate / HUNDRED, 2, mode) if fee_rate else ZERO
    # Credit beyond the principal not yet due pays the rest of the quote.
    principal = principal_due + principal_not_due
    for_interest = min(credit, interest)
    return PayoffQuote(as_of, principal, interest - for_interest, fees, penalties, prepayment_fee)


def prepay(terms: LoanTerms, on: date, amount: Decimal, mode: PrepaymentMode = "reduce_installment",
           schedule: Schedule | None = None) -> Prepayment:
    """Repay ``amount`` of principal early on ``on`` and rebuild the installments after it.

    The installments due on or before ``on`` are kept as they are (assumed paid). The prepayment takes effect
    from the start of the current period: the following installments bear interest on the reduced balance, and
    the interest the prepaid amount earned from that start to ``on`` is collected with the prepayment.
    ``reduce_installment`` keeps the number of installments and lowers them; ``reduce_term`` keeps the installment
    (annuity) or principal part (equal principal, flat) and drops installments from the end.
    """
    if mode not in ("reduce_term", "reduce_installment"):
        raise invalid("mode", f"prepayment mode {mode!r} is unknown: use reduce_term or reduce_installment",
                      f"提前还款方式 {mode!r} 无效：应为 reduce_term（缩期）或 reduce_installment（减少月供）",
                      code=CODE)
    if mode == "reduce_term" and terms.method in ("interest_only", "balloon"):
        raise invalid("mode", f"reduce_term needs method annuity, equal_principal or flat, not {terms.method}",
                      f"缩期仅适用于等额本息、等额本金或等本等息，不适用于 {terms.method}", code=CODE)
    schedule = schedule or build_schedule(terms)
    rows = schedule.installments
    kept = [row for row in rows if row.period_end <= on]
    if on < terms.disbursement_date or len(kept) == len(rows):
        raise invalid("on", "a prepayment date must fall between the disbursement_date and the last due date",
                      "提前还款日期须在放款日与最后一期还款日之间", code=CODE)
    rest = rows[len(kept):]
    balance = rest[0].balance + rest[0].principal
    if not ZERO < amount < balance:
        raise invalid("amount", f"a partial prepayment must be more than 0 and less than the balance {balance}; "
                      "to repay everything use a payoff quote",
                      f"部分提前还款金额须大于 0 且小于剩余本金 {balance}；全部结清请使用结清报价", code=CODE)
    rounding = rounding_mode(terms.rounding)
    new_balance = balance - amount
    starts = [r.period_start for r in rest]
    ends = [r.period_end for r in rest]
    dues = [r.due_date for r in rest]
    fees = [r.fees for r in rest]
    first_number = rest[0].number
    if mode == "reduce_installment":
        new_rows = amortise(terms, new_balance, starts, ends, dues, fees, first_number=first_number)
    else:
        count = _periods_needed(terms, schedule, new_balance, first_number)
        count = min(count, len(rest))
        fixed = level_amount(terms, terms.method, schedule.principal, 1, terms.term)
        if terms.method == "annuity":
            new_rows = amortise(terms, new_balance, starts[:count], ends[:count], dues[:count], fees[:count],
                                first_number=first_number, fixed_installment=fixed)
        else:
            new_rows = amortise(terms, new_balance, starts[:count], ends[:count], dues[:count], fees[:count],
                                first_number=first_number, fixed_principal=fixed)
    factor = interest_factors(terms, starts[:1], ends[:1], first_number)[0]
    interest = quantize(amount * factor * _elapsed_share(terms, rest[0], on), 2, rounding)
    fee = quantize(amount * terms.prepayment_fee_percent / HUNDRED, 2, rounding)
    return Prepayment(schedule_from_rows(terms, [*kept, *new_rows], schedule), amount, interest, fee)


def _periods_needed(terms: LoanTerms, schedule: Schedule, balance: Decimal, first_number: int) -> int:
    """How many installments of the original level amount repay ``balance`` (at least 1)."""
    level = level_amount(terms, terms.method, schedule.principal, 1, terms.term)
    principal_grace_left = max(0, terms.grace_on_principal - first_number + 1)
    if terms.method == "annuity":
        rate = float(terms.periodic_rate)
        ratio = float(balance) * rate / float(level) if rate else 0.0
        if rate == 0.0:
            needed = math.ceil(float(balance / level))
        elif ratio >= 1:
            return terms.term
        else:
            needed = math.ceil(-math.log(1 - ratio) / math.log(1 + rate) - 1e-9)
    else:
        needed = math.ceil(balance / level)
    return max(1, needed + principal_grace_left)
