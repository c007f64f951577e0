"""The China business-day calendar with make-up working days, and due dates moved by it."""

from __future__ import annotations

from datetime import date

import pytest

from autofin.calc import BusinessDayRule, build_schedule
from autofin.kernel.calendar import adjust_business_day, business_calendar

from .conftest import make_terms


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),   # Sunday, make-up working day before the Spring Festival
        (date(2025, 1, 28), False),  # Spring Festival Eve, day off
        (date(2025, 2, 3), False),   # Monday, day off swapped from 26 Jan
        (date(2025, 2, 4), False),   # Tuesday, day off swapped from 8 Feb
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),    # Saturday, make-up working day
        (date(2025, 2, 9), False),   # an ordinary Sunday
        (date(2025, 9, 28), True),   # Sunday, make-up working day before National Day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # Wednesday, day off swapped from 11 Oct
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
    ],
)
def test_china_calendar_knows_2025_days_off_and_make_up_working_days(day: date, working: bool) -> None:
    assert business_calendar("CN").is_business_day(day) is working


def test_following_moves_a_spring_festival_due_date_past_the_swapped_days_off() -> None:
    assert adjust_business_day(date(2025, 1, 29), "following") == date(2025, 2, 5)
    assert adjust_business_day(date(2025, 1, 29), "preceding") == date(2025, 1, 27)
    assert adjust_business_day(date(2025, 1, 29), "none") == date(2025, 1, 29)


def test_a_due_date_on_a_make_up_working_sunday_stays_put() -> None:
    assert adjust_business_day(date(2025, 1, 26), "following") == date(2025, 1, 26)
    assert adjust_business_day(date(2025, 9, 28), "preceding") == date(2025, 9, 28)


def test_national_day_due_dates_move_to_9_october_or_back_to_30_september() -> None:
    assert adjust_business_day(date(2025, 10, 1), "following") == date(2025, 10, 9)
    assert adjust_business_day(date(2025, 10, 5), "preceding") == date(2025, 9, 30)


def test_schedule_due_dates_follow_the_calendar_but_interest_keeps_the_contract_dates() -> None:
    plain = build_schedule(make_terms(disbursement_date=date(2024, 12, 29), term=3))
    moved = build_schedule(make_terms(disbursement_date=date(2024, 12, 29), term=3,
                                      business_day=BusinessDayRule("CN", "following")))
    assert [r.due_date for r in moved.installments] == [date(2025, 2, 5), date(2025, 2, 28), date(2025, 3, 31)]
    assert [r.interest for r in moved.installments] == [r.interest for r in plain.installments]
    assert moved.installments[0].period_end == date(2025, 1, 29)
