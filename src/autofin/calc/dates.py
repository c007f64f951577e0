"""Due dates and day counts.

Month arithmetic keeps the anchor day: a loan anchored on the 31st falls due on 31 Jan, 28/29 Feb, 31 Mar, 30 Apr …
(the day is clipped to the length of each month, never carried over from the previous due date).
"""

from __future__ import annotations

from calendar import isleap, monthrange
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from autofin.kernel.calendar import business_calendar

from .terms import DayCount, LoanTerms

_DAYS_366: Final = Decimal(366)
_DAYS_365: Final = Decimal(365)
_DAYS_360: Final = Decimal(360)

#: Months or days of one period of each frequency when ``every`` is 1.
_MONTHS_PER_PERIOD: Final[dict[str, int]] = {"monthly": 1, "quarterly": 3, "yearly": 12}
_DAYS_PER_PERIOD: Final[dict[str, int]] = {"weekly": 7, "biweekly": 14}


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by ``months``, keeping its day of month and clipping it to the month's length."""
    month_index = anchor.month - 1 + months
    year = anchor.year + month_index // 12
    month = month_index % 12 + 1
    last_day = monthrange(year, month)[1]
    return date(year, month, anchor.day if anchor.day <= last_day else last_day)


def step_date(anchor: date, frequency: str, every: int, steps: int) -> date:
    """The date ``steps`` periods of ``every`` × ``frequency`` after ``anchor``."""
    months = _MONTHS_PER_PERIOD.get(frequency)
    if months is not None:
        return add_months(anchor, months * every * steps)
    return anchor + timedelta(days=_DAYS_PER_PERIOD[frequency] * every * steps)


def accrual_dates(terms: LoanTerms) -> tuple[date, ...]:
    """The unadjusted period ends (due dates before any business-day move), one per installment.

    Interest accrues on these dates; a business-day adjustment moves only the date the money is due.
    """
    if terms.first_due_date is None:
        anchor, offset = terms.disbursement_date, 1
    else:
        anchor, offset = terms.first_due_date, 0
    frequency, every = terms.frequency, terms.every
    if frequency in _MONTHS_PER_PERIOD:
        months = _MONTHS_PER_PERIOD[frequency] * every
        year, month0, day = anchor.year, anchor.month - 1, anchor.day
        result = []
        for k in range(offset, terms.term + offset):
            index = month0 + months * k
            y, m = year + index // 12, index % 12 + 1
            last_day = monthrange(y, m)[1]
            result.append(date(y, m, day if day <= last_day else last_day))
        return tuple(result)
    days = _DAYS_PER_PERIOD[frequency] * every
    return tuple(anchor + timedelta(days=days * k) for k in range(offset, terms.term + offset))


def due_dates(terms: LoanTerms, unadjusted: tuple[date, ...]) -> tuple[date, ...]:
    """Due dates after the business-day rule of the terms (``none`` keeps them)."""
    rule = terms.business_day
    if rule is None or rule.adjust == "none":
        return unadjusted
    calendar = business_calendar(rule.calendar)
    return tuple(calendar.adjust(day, rule.adjust) for day in unadjusted)


def is_regular_period(start: date, end: date, frequency: str, every: int) -> bool:
    """Whether ``start`` → ``end`` is one whole period. Stepping forward from the start decides it, so a period that
    starts on 31 January and ends on 28 February (the month end clipped) is regular, not broken."""
    return step_date(start, frequency, every, 1) == end


def days_30_360(start: date, end: date) -> int:
    """Days between two dates under 30/360 (US bond basis: 31st counts as 30th)."""
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return (end.year - start.year) * 360 + (end.month - start.month) * 30 + (d2 - d1)


def year_fraction(start: date, end: date, day_count: DayCount) -> Decimal:
    """The fraction of a year from ``start`` to ``end`` under ``day_count``.

    actual/actual counts the days falling in a leap year over 366 and the others over 365; actual/365 and
    actual/360 count real days over a fixed year; 30/360 counts months of 30 days over 360.
    """
    if end <= start:
        return Decimal(0)
    if day_count == "actual/360":
        return Decimal((end - start).days) / _DAYS_360
    if day_count == "actual/365":
        return Decimal((end - start).days) / _DAYS_365
    if day_count == "30/360":
        return Decimal(days_30_360(start, end)) / _DAYS_360
    if start.year == end.year:
        return Decimal((end - start).days) / (_DAYS_366 if isleap(start.year) else _DAYS_365)
    fraction = Decimal(0)
    cursor = start
    while cursor < end:
        year_end = date(cursor.year + 1, 1, 1)
        stop = year_end if year_end < end else end
        fraction += Decimal((stop - cursor).days) / (_DAYS_366 if isleap(cursor.year) else _DAYS_365)
        cursor = stop
    return fraction


def days_in_year(day: date, day_count: DayCount) -> int:
    """The year basis a single day of ``day`` counts over: 360, 365, or 365/366 for actual/actual."""
    if day_count in ("actual/360", "30/360"):
        return 360
    if day_count == "actual/365":
        return 365
    return 366 if isleap(day.year) else 365
