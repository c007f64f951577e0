"""Penalty interest (罚息) on overdue principal and compound interest (复利) on overdue interest.

Penalty = overdue principal × annual penalty rate × the year fraction of the days overdue under the day count of
the terms (so a rate "per day" is the annual rate ÷ 360, 365 or 366). Compound interest, when the contract asks for
it, is overdue interest × the compound rate × the same fraction. Each is rounded once, to 2 places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from autofin.kernel.errors import invalid
from autofin.kernel.money import HALF_UP, HUNDRED, ZERO, quantize

from .dates import year_fraction
from .terms import DayCount, LoanTerms


@dataclass(frozen=True, slots=True)
class PenaltyInterest:
    days_overdue: int
    penalty: Decimal
    compound: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.compound


def penalty_interest(overdue_principal: Decimal, overdue_from: date, as_of: date, annual_rate: Decimal,
                     day_count: DayCount, overdue_interest: Decimal = ZERO,
                     compound_rate: Decimal | None = None, mode: str = HALF_UP) -> PenaltyInterest:
    """Penalty interest on ``overdue_principal`` from ``overdue_from`` (the due date) to ``as_of`` at
    ``annual_rate`` percent, plus compound interest on ``overdue_interest`` at ``compound_rate`` percent when
    given (``None``: no compound interest)."""
    if overdue_principal < ZERO or overdue_interest < ZERO:
        raise invalid("overdue_principal", "overdue amounts must be zero or more", "逾期金额不能为负数",
                      code="calc.penalty.invalid")
    if annual_rate < ZERO or (compound_rate is not None and compound_rate < ZERO):
        raise invalid("penalty_rate", "penalty rates must be zero or more", "罚息利率不能为负数",
                      code="calc.penalty.invalid")
    fraction = year_fraction(overdue_from, as_of, day_count)
    days = max(0, (as_of - overdue_from).days)
    penalty = quantize(overdue_principal * annual_rate / HUNDRED * fraction, 2, mode)
    compound = ZERO
    if compound_rate is not None:
        compound = quantize(overdue_interest * compound_rate / HUNDRED * fraction, 2, mode)
    return PenaltyInterest(days, penalty, compound)


def penalty_for_terms(terms: LoanTerms, overdue_principal: Decimal, overdue_interest: Decimal,
                      overdue_from: date, as_of: date, mode: str = HALF_UP) -> PenaltyInterest:
    """Penalty (and compound) interest under the rates and day count of ``terms``."""
    compound_rate = terms.effective_compound_rate if terms.compound_overdue_interest else None
    return penalty_interest(overdue_principal, overdue_from, as_of, terms.effective_penalty_rate,
                            terms.day_count, overdue_interest, compound_rate, mode)
