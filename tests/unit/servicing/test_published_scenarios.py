"""Published scenarios of an established loan system (Apache Fineract's end-to-end acceptance tables).

Source: the Gherkin features of apache/fineract, ``fineract-e2e-tests-runner/src/test/resources/features``:
``EMICalculation.feature`` (C3154, C3155: EMI schedules on 30/360 with daily interest) and
``LoanDelinquency-Part2.feature`` (progressive loan ``LP2_ADV_PYMNT_INTEREST_DAILY_EMI_360_30_INTEREST_RECALCULATION
_DAILY_TILL_PRECLOSE``: 1,000 at 7 %, 3 monthly installments from 1 June 2024, no penalties; C3936 UC7: 400 paid
early on 25 June; C3937 UC8: one installment paid late on 15 August; C3939 UC10: paid off on 25 June). The figures
below are the ones those tables publish; the loans are run through ``autofin loan simulate``'s engine.

Under interest recalculation both systems keep the installment amount (EMI 337.23): each installment's principal is
the EMI less its (recalculated) interest and the last one takes the principal left, so every published schedule
row, allocation and balance below is matched to the cent.

A period that lies partly on one balance and partly on another bears the period's interest pro rata over its actual
days (1,000 × 7 %/12 × 14/31 + 668.60 × 7 %/12 × 17/31 = 4.77), as Fineract does on 30/360; so the split 31-day
periods of UC7 (2.05) and UC8 (3.71, 4.77) match too.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from autofin.calc import io as calc_io
from autofin.servicing.engine import io

D = Decimal


def simulate(**payload: object) -> dict:  # type: ignore[type-arg]
    return io.run_simulate(calc_io.load_json(json.dumps(payload)))


@pytest.mark.parametrize(
    ("rate", "principal", "interest", "last_due"),
    [
        # C3154: 100 at 12 %, 6 months from 1 January 2024, 360/30, daily interest
        ("12", ["16.25", "16.41", "16.58", "16.74", "16.91", "17.11"], ["1.00", "0.84", "0.67", "0.51", "0.34", "0.17"],
         "17.28"),
        # C3155: the same at 9.4822 %
        ("9.4822", ["16.34", "16.47", "16.60", "16.73", "16.86", "17.00"],
         ["0.79", "0.66", "0.53", "0.40", "0.27", "0.13"], "17.13"),
    ],
)
def test_emi_schedules_on_30_360_match_the_published_tables(rate, principal, interest, last_due) -> None:
    result = simulate(principal="100", annual_rate=rate, term=6, disbursement_date="2024-01-01",
                      interest_period="daily", day_count="30/360", interest_recalculation=True,
                      transactions=[], as_of="2024-01-01")
    rows = result["installments"]
    assert [r["principal"] for r in rows] == principal
    assert [r["interest"] for r in rows] == interest
    assert D(rows[-1]["principal"]) + D(rows[-1]["interest"]) == D(last_due)
    assert sum(D(r["principal"]) for r in rows) == D("100")


LOAN = {"principal": "1000", "annual_rate": "7", "term": 3, "disbursement_date": "2024-06-01",
        "interest_period": "daily", "day_count": "30/360", "interest_recalculation": True,
        "advance_payment": "reschedule_next", "penalty": {"rate": "0"}}  # the Fineract product charges no penalty


def schedule(result: dict) -> list[tuple[str, str, str, str, str]]:  # type: ignore[type-arg]
    """(principal, interest, due, paid, outstanding) per installment, the columns of the published tables."""
    return [(r["principal"], r["interest"], r["total"], r["paid"], r["outstanding"]) for r in result["installments"]]


def test_the_schedule_before_any_payment_is_the_published_one() -> None:
    result = simulate(**LOAN, transactions=[], as_of="2024-06-01")
    assert schedule(result) == [("331.40", "5.83", "337.23", "0.00", "337.23"),
                                ("333.33", "3.90", "337.23", "0.00", "337.23"),
                                ("335.27", "1.96", "337.23", "0.00", "337.23")]


@pytest.mark.parametrize("as_of", ["2024-06-25", "2024-08-01"])
def test_uc7_an_early_overpayment_keeps_the_emi_and_pays_the_next_installment_in_advance(as_of: str) -> None:
    """C3936 UC7: 400 paid on 25 June, before the first due date; the tables of 25 June and 1 August."""
    result = simulate(**LOAN, transactions=[{"date": "2024-06-25", "type": "repayment", "amount": "400"}],
                      as_of=as_of)
    allocation = result["transactions"][0]["allocation"]
    assert (allocation["principal"], allocation["interest"], allocation["credit"]) == ("395.33", "4.67", "0.00")
    assert schedule(result) == [
        ("332.56", "4.67", "337.23", "337.23", "0.00"),  # interest to 25 June only: principal = 337.23 - 4.67
        ("333.00", "4.23", "337.23", "62.77", "274.46"),  # 604.67 from 25 June (the tail of period 1) and July
        ("334.44", "1.95", "336.39", "0.00", "336.39"),  # the principal left; interest on it for August
    ]
    rows = result["installments"]
    assert sum(D(r["principal"]) for r in rows) == D("1000")
    assert sum(D(r["interest"]) for r in rows) == D("10.85")  # the published total row: due 1,010.85
    assert sum(D(r["outstanding"]) for r in rows) == D("610.85")
    assert result["balances"]["principal"] == "604.67"  # the published loan balance after the payment
    assert result["installments"][0]["status"] == "paid"


def test_uc7_two_days_after_the_unpaid_due_date() -> None:
    """C3936 UC7 on 3 August: installment 2 still open, so August's first two days bear interest on 604.67."""
    result = simulate(**LOAN, transactions=[{"date": "2024-06-25", "type": "repayment", "amount": "400"}],
                      as_of="2024-08-03")
    assert schedule(result)[:2] == [("332.56", "4.67", "337.23", "337.23", "0.00"),
                                    ("333.00", "4.23", "337.23", "62.77", "274.46")]
    third = result["installments"][2]
    assert third["principal"] == "334.44"
    assert third["interest"] == "2.05"  # 604.67 × 7 %/12 × 2/31 + 334.44 × 7 %/12 × 29/31


def test_uc8_a_late_payment_leaves_the_balance_at_1000_through_the_second_period() -> None:
    """C3937 UC8: one installment (337.23) paid on 15 August, after two due dates."""
    late = [{"date": "2024-08-15", "type": "repayment", "amount": "337.23"}]
    result = simulate(**LOAN, transactions=late, as_of="2024-08-15")
    allocation = result["transactions"][0]["allocation"]
    assert (allocation["principal"], allocation["interest"]) == ("331.40", "5.83")
    assert result["balances"]["principal"] == "668.60"  # the published loan balance after the payment
    first, second, third = schedule(result)
    assert first == ("331.40", "5.83", "337.23", "337.23", "0.00")
    assert second == ("331.40", "5.83", "337.23", "0.00", "337.23")  # 1,000 all July: EMI - 5.83 of principal
    assert third[0] == "337.20"  # the principal left, as published
    assert third[1] == "3.71"  # the same balances, split over the actual days of the period
    assert schedule(simulate(**LOAN, transactions=late, as_of="2024-09-01"))[2][:2] == ("337.20", "4.77")


def test_uc10_a_payoff_before_the_first_due_date() -> None:
    """C3939 UC10: the loan paid off on 25 June (1,004.67); later installments keep the EMI, the last the rest."""
    assert simulate(**LOAN, transactions=[], as_of="2024-06-25")["payoff"]["total"] == "1004.67"
    result = simulate(**LOAN, transactions=[{"date": "2024-06-25", "type": "repayment", "amount": "1004.67"}],
                      as_of="2024-08-01")
    allocation = result["transactions"][0]["allocation"]
    assert (allocation["principal"], allocation["interest"], allocation["credit"]) == ("1000.00", "4.67", "0.00")
    assert schedule(result) == [("332.56", "4.67", "337.23", "337.23", "0.00"),
                                ("337.23", "0.00", "337.23", "337.23", "0.00"),
                                ("330.21", "0.00", "330.21", "330.21", "0.00")]
    assert result["balances"]["settled"] is True
