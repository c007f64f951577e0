"""Business-day calendars: the China calendar with make-up working days (调休), and business-day adjustment.

China moves working days around its public holidays: a weekend day may become a working day (e.g. Sunday
2025-01-26 and Saturday 2025-02-08 around the 2025 Spring Festival) and a weekday may become a day off
(2025-02-03, 2025-02-04). The ``holidays`` package lists the days off as holidays and, since 0.5x, the make-up
working days in ``weekend_workdays``; a day is a business day when it is a weekday that is not a holiday, or a
weekend day that is a make-up working day.

Adjustment rules: ``none`` keeps the date, ``following`` moves it to the next business day, ``preceding`` to the
previous one.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final, Literal

import holidays

BusinessDayAdjust = Literal["none", "following", "preceding"]
BUSINESS_DAY_ADJUSTMENTS: Final[tuple[str, ...]] = ("none", "following", "preceding")
SUPPORTED_CALENDARS: Final[tuple[str, ...]] = ("CN",)

_ONE_DAY: Final = timedelta(days=1)
_MAX_SHIFT_DAYS: Final = 31


class BusinessCalendar:
    """One country's working days, loaded year by year from the ``holidays`` package and cached."""

    def __init__(self, country: str) -> None:
        self.country = country
        self._days_off: set[date] = set()
        self._make_up_working_days: set[date] = set()
        self._weekend: frozenset[int] = frozenset({5, 6})
        self._loaded_years: set[int] = set()

    def _load(self, year: int) -> None:
        table = holidays.country_holidays(self.country, years=year)
        self._days_off.update(day for day in table if day.year == year)
        # ``weekend_workdays`` holds the make-up working days (调休上班) of the years loaded.
        self._make_up_working_days.update(
            day for day in getattr(table, "weekend_workdays", ()) if day.year == year
        )
        weekend = getattr(table, "weekend", None)
        if weekend:
            self._weekend = frozenset(weekend)
        self._loaded_years.add(year)

    def is_business_day(self, day: date) -> bool:
        """True on a working day: a weekday that is not a day off, or a make-up working day on a weekend."""
        if day.year not in self._loaded_years:
            self._load(day.year)
        if day.weekday() in self._weekend:
            return day in self._make_up_working_days
        return day not in self._days_off

    def is_make_up_working_day(self, day: date) -> bool:
        """True on a weekend day that is a working day because of a holiday swap (调休)."""
        if day.year not in self._loaded_years:
            self._load(day.year)
        return day in self._make_up_working_days

    def adjust(self, day: date, rule: BusinessDayAdjust) -> date:
        """Move ``day`` to a business day by ``rule`` (none / following / preceding)."""
        if rule == "none":
            return day
        if rule not in ("following", "preceding"):
            raise ValueError(f"unknown business-day adjustment {rule!r}: use none, following or preceding")
        step = _ONE_DAY if rule == "following" else -_ONE_DAY
        adjusted = day
        for _ in range(_MAX_SHIFT_DAYS):
            if self.is_business_day(adjusted):
                return adjusted
            adjusted += step
        raise ValueError(f"no business day within {_MAX_SHIFT_DAYS} days of {day.isoformat()}")


@lru_cache(maxsize=8)
def business_calendar(country: str = "CN") -> BusinessCalendar:
    """The shared calendar of ``country`` (only ``CN`` is supported)."""
    if country not in SUPPORTED_CALENDARS:
        raise ValueError(f"unknown calendar {country!r}: use one of {', '.join(SUPPORTED_CALENDARS)}")
    return BusinessCalendar(country)


def adjust_business_day(day: date, rule: BusinessDayAdjust, country: str = "CN") -> date:
    """``day`` moved to a business day of ``country`` by ``rule``."""
    return business_calendar(country).adjust(day, rule)
