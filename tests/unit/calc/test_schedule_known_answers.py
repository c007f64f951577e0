"""Schedules against published numbers: the known answers of the issue and hand-checked tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from autofin.calc import Fee, LoanTerms, build_schedule

from .conftest import make_terms

ANNUITY_INTEREST = ["50.00", "47.45", "44.87", "42.27", "39.65", "36.99", "34.31", "31.61", "28.87", "26.11",
                    "23.32", "20.50", "17.66", "14.79", "11.88", "8.95", "5.99", "3.00"]


def test_annuity_with_whole_yuan_installments_matches_the_published_table() -> None:
    schedule = build_schedule(make_terms(method="annuity", installment_multiple="1"))
    rows = schedule.installments
    assert [row.total for row in rows[:17]] == [D("305.00")] * 17
    assert [str(row.interest) for row in rows] == ANNUITY_INTEREST
    assert (rows[17].principal, rows[17].interest, rows[17].total) == (D("300.22"), D("3.00"), D("303.22"))
    assert schedule.totals.interest == D("488.22")
    assert schedule.totals.principal == D("5000")
    assert rows[-1].balance == 0


def test_equal_principal_repays_the_same_principal_and_the_last_takes_the_residual() -> None:
    schedule = build_schedule(make_terms(method="equal_principal"))
    rows = schedule.installments
    assert [row.principal for row in rows[:17]] == [D("277.78")] * 17
    assert rows[17].principal == D("277.74")
    assert [str(row.interest) for row in rows[:4]] == ["50.00", "47.22", "44.44", "41.67"]
    assert [str(row.interest) for row in rows[-2:]] == ["5.56", "2.78"]
    assert schedule.totals.interest == D("475.00")


def test_equal_principal_interest_declines_by_a_constant_step() -> None:
    rows = build_schedule(make_terms(method="equal_principal")).installments
    steps = {rows[i].interest - rows[i + 1].interest for i in range(16)}
    assert steps <= {D("2.77"), D("2.78"), D("2.79")}


def test_flat_charges_interest_on_the_original_principal_every_period() -> None:
    schedule = build_schedule(make_terms(method="flat"))
    assert {row.interest for row in schedule.installments} == {D("50.00")}
    assert schedule.totals.interest == D("900.00")
    assert schedule.installments[-1].principal == D("277.74")


def test_flat_with_whole_yuan_installments_keeps_the_installment_and_the_last_absorbs() -> None:
    schedule = build_schedule(make_terms(method="flat", installment_multiple="1"))
    assert {row.total for row in schedule.installments[:17]} == {D("328.00")}
    assert schedule.totals.principal == D("5000")
    assert schedule.installments[-1].total == D("5000") - 17 * D("278.00") + D("50.00")


def test_interest_only_repays_all_principal_with_the_last_installment() -> None:
    rows = build_schedule(make_terms(method="interest_only", term=12)).installments
    assert [row.principal for row in rows[:11]] == [D("0")] * 11
    assert rows[11].principal == D("5000.00")
    assert {row.interest for row in rows} == {D("50.00")}


def test_balloon_pays_an_annuity_on_the_rest_and_the_balloon_with_the_last_installment() -> None:
    # 100,000 at 12 % over 12 months with 40,000 due at the end: annuity on 60,000 plus interest on 40,000.
    schedule = build_schedule(make_terms(principal="100000", term=12, method="balloon", balloon="40000"))
    rows = schedule.installments
    assert rows[0].total == D("5730.93")  # 60,000 × 1 % ÷ (1 − 1.01^−12) = 5,330.93 + 400.00
    assert {row.total for row in rows[:11]} == {D("5730.93")}
    assert rows[10].balance > D("40000") > rows[11].principal - D("6000")
    assert rows[11].principal > D("40000")
    assert schedule.totals.principal == D("100000.00")


def test_zero_rate_annuity_divides_the_principal_evenly() -> None:
    schedule = build_schedule(make_terms(principal="1000", annual_rate="0", term=3))
    assert [row.total for row in schedule.installments] == [D("333.33"), D("333.33"), D("333.34")]
    assert schedule.totals.interest == 0


def test_half_even_rounding_rounds_a_half_cent_to_the_even_cent() -> None:
    # 1,000.50 at 1 % a month: first interest 10.005 → 10.01 half-up, 10.00 half-even.
    up = build_schedule(make_terms(principal="1000.50", term=2, rounding="half_up")).installments[0]
    even = build_schedule(make_terms(principal="1000.50", term=2, rounding="half_even")).installments[0]
    assert (up.interest, even.interest) == (D("10.01"), D("10.00"))


def test_month_end_disbursement_falls_due_on_each_month_end() -> None:
    rows = build_schedule(make_terms(disbursement_date=date(2024, 1, 31), term=4)).installments
    assert [row.due_date for row in rows] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30),
                                               date(2024, 5, 31)]
    rows = build_schedule(make_terms(disbursement_date=date(2023, 1, 31), term=2)).installments
    assert [row.due_date for row in rows] == [date(2023, 2, 28), date(2023, 3, 31)]


def test_weekly_biweekly_quarterly_and_yearly_frequencies_step_their_due_dates() -> None:
    start = date(2025, 1, 6)
    weekly = build_schedule(make_terms(disbursement_date=start, frequency="weekly", term=2)).installments
    biweekly = build_schedule(make_terms(disbursement_date=start, frequency="biweekly", term=2)).installments
    quarterly = build_schedule(make_terms(disbursement_date=start, frequency="quarterly", term=2)).installments
    yearly = build_schedule(make_terms(disbursement_date=start, frequency="yearly", term=2)).installments
    every_two_months = build_schedule(make_terms(disbursement_date=start, every=2, term=2)).installments
    assert [r.due_date for r in weekly] == [date(2025, 1, 13), date(2025, 1, 20)]
    assert [r.due_date for r in biweekly] == [date(2025, 1, 20), date(2025, 2, 3)]
    assert [r.due_date for r in quarterly] == [date(2025, 4, 6), date(2025, 7, 6)]
    assert [r.due_date for r in yearly] == [date(2026, 1, 6), date(2027, 1, 6)]
    assert [r.due_date for r in every_two_months] == [date(2025, 3, 6), date(2025, 5, 6)]
    assert quarterly[0].interest == D("150.00")  # 5,000 × 12 % ÷ 4
    assert every_two_months[0].interest == D("100.00")  # 5,000 × 12 % ÷ 6


def test_daily_interest_under_actual_actual_counts_leap_year_days_over_366() -> None:
    terms = make_terms(principal="100000", term=2, disbursement_date=date(2023, 12, 31), interest_period="daily",
                       day_count="actual/actual", method="interest_only")
    rows = build_schedule(terms).installments
    # 31 Dec 2023 → 31 Jan 2024: 1 day of 2023 over 365 and 30 days of 2024 over 366.
    assert rows[0].interest == D("1016.48")  # 100,000 × 12 % × (1/365 + 30/366) = 1,016.483
    # 31 Jan → 29 Feb 2024: 29 days over 366.
    assert rows[1].interest == D("950.82")


def test_daily_interest_under_each_day_count_for_february() -> None:
    def february_interest(day_count: str) -> D:
        terms = make_terms(principal="100000", term=2, disbursement_date=date(2025, 1, 31),
                           interest_period="daily", day_count=day_count, method="interest_only")
        return build_schedule(terms).installments[0].interest

    assert february_interest("actual/365") == D("920.55")  # 28 days ÷ 365
    assert february_interest("actual/360") == D("933.33")  # 28 days ÷ 360
    assert february_interest("actual/actual") == D("920.55")
    assert february_interest("30/360") == D("933.33")  # 31 Jan → 28 Feb is 28 days under 30/360


def test_broken_first_period_bears_interest_for_its_real_length() -> None:
    terms = make_terms(principal="10000", term=3, disbursement_date=date(2025, 1, 10),
                       first_due_date=date(2025, 2, 25), day_count="actual/365")
    rows = build_schedule(terms).installments
    assert [r.due_date for r in rows] == [date(2025, 2, 25), date(2025, 3, 25), date(2025, 4, 25)]
    assert rows[0].interest == D("151.23")  # 10,000 × 12 % × 46 ÷ 365
    assert rows[1].interest == quantized(rows[0].balance * D("0.01"))
    assert rows[0].total == rows[1].total  # the installment stays level; principal gives way to interest


def quantized(amount: D) -> D:
    return amount.quantize(D("0.01"))


def test_grace_on_principal_pays_interest_only_then_amortises_over_the_rest() -> None:
    rows = build_schedule(make_terms(principal="12000", term=12, grace_on_principal=3)).installments
    assert [r.principal for r in rows[:3]] == [D("0")] * 3
    assert [r.interest for r in rows[:3]] == [D("120.00")] * 3
    assert rows[3].total == D("1400.88")  # 12,000 × 1 % ÷ (1 − 1.01^−9) = 1,400.884
    assert {r.total for r in rows[3:11]} == {D("1400.88")}
    assert rows[-1].balance == 0


def test_grace_on_interest_payment_defers_interest_to_the_first_period_after_it() -> None:
    plain = build_schedule(make_terms(principal="12000", term=12)).installments
    deferred = build_schedule(make_terms(principal="12000", term=12, grace_on_interest_payment=2)).installments
    assert [r.interest for r in deferred[:2]] == [D("0"), D("0")]
    assert deferred[2].interest == plain[0].interest + plain[1].interest + plain[2].interest
    assert sum(r.interest for r in deferred) == sum(r.interest for r in plain)
    assert [r.principal for r in deferred] == [r.principal for r in plain]


def test_grace_on_interest_charged_makes_the_first_periods_interest_free() -> None:
    plain = build_schedule(make_terms(principal="12000", term=12))
    free = build_schedule(make_terms(principal="12000", term=12, grace_on_interest_charged=2))
    assert [r.interest for r in free.installments[:2]] == [D("0.00"), D("0.00")]
    assert free.installments[2].interest > 0
    assert free.totals.interest < plain.totals.interest
    # Level payment A with two free periods: 12,000 = 2A + A·a₁₀ at 1 % → A = 1,046.089
    assert free.installments[0].total == D("1046.09")
    assert free.totals.principal == D("12000.00")


def test_upfront_fee_deducted_reduces_the_money_paid_out_not_the_schedule() -> None:
    schedule = build_schedule(make_terms(principal="100000", term=12, fees=(Fee(amount=D("1000")),)))
    assert schedule.net_disbursed == D("99000.00")
    assert schedule.principal == D("100000.00")
    assert schedule.totals.fees == 0


def test_upfront_fee_financed_is_added_to_the_principal_amortised() -> None:
    fee = Fee(percent=D("2"), treatment="financed")
    schedule = build_schedule(make_terms(principal="100000", term=12, fees=(fee,)))
    assert schedule.principal == D("102000.00")
    assert schedule.totals.principal == D("102000.00")
    assert schedule.net_disbursed == D("100000.00")


def test_upfront_fee_with_the_first_installment_and_per_installment_fees_show_per_installment() -> None:
    fees = (Fee(amount=D("300"), treatment="first_installment"),
            Fee(timing="per_installment", percent=D("0.5")))
    rows = build_schedule(make_terms(principal="10000", term=3, fees=fees)).installments
    assert [r.fees for r in rows] == [D("350.00"), D("50.00"), D("50.00")]
    assert rows[0].total == rows[0].principal + rows[0].interest + D("350.00")


def test_a_loan_disbursed_on_the_31st_has_a_regular_first_period_ending_on_the_clipped_month_end():
    terms = LoanTerms(principal=D("100"), annual_rate=D("0.32"), term=16, disbursement_date=date(2021, 1, 31),
                      method="equal_principal")
    rows = build_schedule(terms).installments
    assert rows[0].due_date == date(2021, 2, 28)
    assert [row.interest for row in rows[:3]] == [D("0.03"), D("0.03"), D("0.02")]  # 100 × 0.32 % ÷ 12, no day count
