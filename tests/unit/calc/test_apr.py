"""Annualised rates against regulators' worked examples: PBOC 2021 and US Regulation Z Appendix J (c)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from autofin.calc import CashFlow, Fee, annual_percentage_rate, annualized_rate, build_schedule, pboc_rate
from autofin.calc.dates import add_months, step_date
from autofin.kernel.errors import ValidationFailed

from .conftest import make_terms


def test_pboc_example_of_a_fee_paid_at_the_start_gives_12_80_simple_and_13_58_compound() -> None:
    rate = pboc_rate(D("99000"), [D("8833.30")] * 12, D(12))
    assert (rate.simple, rate.compound) == (D("12.80"), D("13.58"))


def test_pboc_example_through_dated_cash_flows_with_the_fee_deducted() -> None:
    payments = [CashFlow(add_months(date(2021, 3, 15), k), D("8833.30")) for k in range(1, 13)]
    result = annual_percentage_rate("pboc", [CashFlow(date(2021, 3, 15), D("100000"))], payments, fees=D("1000"))
    assert (result.apr, result.compound) == (D("12.80"), D("13.58"))


def test_a_deducted_fee_raises_the_annualised_rate_of_a_schedule_to_the_irr_of_its_cash_flows() -> None:
    terms = make_terms(principal="100000", annual_rate="10.8", term=12, fees=(Fee(amount=D("1000")),))
    schedule = build_schedule(terms)
    rate = annualized_rate(schedule)
    by_hand = pboc_rate(D("99000"), [row.total for row in schedule.installments], D(12))
    assert rate == by_hand
    assert (rate.simple, rate.compound) == (D("12.71"), D("13.47"))


def test_schedule_without_fees_annualises_to_its_own_nominal_rate() -> None:
    rate = annualized_rate(build_schedule(make_terms(principal="100000", annual_rate="12", term=36)))
    assert rate.simple == D("12.00")
    assert rate.compound == D("12.68")


def _regular(amount: str, advanced: date, payment: str, count: int, first: date, frequency: str = "monthly",
             every: int = 1) -> D:
    payments = [CashFlow(step_date(first, frequency, every, k), D(payment)) for k in range(count)]
    return annual_percentage_rate("us-reg-z", [CashFlow(advanced, D(amount))], payments).apr


@pytest.mark.parametrize(
    ("example", "amount", "advanced", "payment", "count", "first", "frequency", "expected"),
    [
        ("(c)(1)(i) monthly, regular first period", "5000", date(1978, 1, 10), "230", 24, date(1978, 2, 10),
         "monthly", "9.69"),
        ("(c)(1)(ii) monthly, long first period", "6000", date(1978, 2, 10), "200", 36, date(1978, 4, 1),
         "monthly", "11.82"),
        ("(c)(1)(iv) quarterly, long first period", "10000", date(1978, 5, 23), "385", 40, date(1978, 10, 1),
         "quarterly", "8.97"),
        ("(c)(1)(v) weekly, long first period", "500", date(1978, 3, 20), "17.60", 30, date(1978, 4, 21),
         "weekly", "14.96"),
    ],
)
def test_regulation_z_appendix_j_regular_examples_give_the_published_apr(
    example: str, amount: str, advanced: date, payment: str, count: int, first: date, frequency: str, expected: str
) -> None:
    assert _regular(amount, advanced, payment, count, first, frequency) == D(expected), example


def test_regulation_z_example_with_an_odd_first_payment_gives_10_08() -> None:
    payments = [CashFlow(date(1978, 2, 10), D("250"))]
    payments += [CashFlow(add_months(date(1978, 3, 10), k), D("230")) for k in range(23)]
    result = annual_percentage_rate("us-reg-z", [CashFlow(date(1978, 1, 10), D("5000"))], payments)
    assert result.apr == D("10.08")


def test_regulation_z_example_with_an_odd_final_payment_gives_10_50() -> None:
    payments = [CashFlow(add_months(date(1978, 2, 10), k), D("230")) for k in range(23)]
    payments.append(CashFlow(add_months(date(1978, 2, 10), 23), D("280")))
    result = annual_percentage_rate("us-reg-z", [CashFlow(date(1978, 1, 10), D("5000"))], payments)
    assert result.apr == D("10.50")


def test_regulation_z_example_every_four_weeks_with_odd_first_payment_gives_28_50() -> None:
    payments = [CashFlow(date(1978, 4, 20), D("39.50"))]
    payments += [CashFlow(step_date(date(1978, 5, 18), "weekly", 4, k), D("38.31")) for k in range(11)]
    result = annual_percentage_rate("us-reg-z", [CashFlow(date(1978, 3, 18), D("400"))], payments)
    assert result.apr == D("28.50")
    assert result.unit_period.label == "4 weeks"


def test_regulation_z_single_payment_under_a_year_uses_the_term_in_days_as_unit_period() -> None:
    result = annual_percentage_rate("us-reg-z", [CashFlow(date(1978, 1, 3), D("1000"))],
                                    [CashFlow(date(1978, 9, 15), D("1080"))])
    assert result.apr == D("11.45")  # 8 % over 255 days × 365/255


def test_regulation_z_and_pboc_agree_when_every_period_is_regular() -> None:
    payments = [CashFlow(add_months(date(1978, 2, 10), k), D("230")) for k in range(24)]
    advances = [CashFlow(date(1978, 1, 10), D("5000"))]
    assert annual_percentage_rate("pboc", advances, payments).apr == D("9.69")


def test_apr_refuses_payments_before_the_advance_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        annual_percentage_rate("us-reg-z", [CashFlow(date(2025, 1, 10), D("5000"))],
                               [CashFlow(date(2025, 1, 1), D("5100"))])
    assert caught.value.errors[0].field == "payments.date"


def test_payments_that_do_not_repay_the_advance_are_refused_rather_than_given_a_negative_rate():
    with pytest.raises(ValidationFailed) as refused:
        annual_percentage_rate(
            "pboc",
            [CashFlow(date(2024, 1, 1), D("100000"))],
            [CashFlow(date(2024, 2, 1), D("8833.30"))],
            fees=D("1000"),
        )
    assert refused.value.errors[0].field == "payments"
    assert "99000" in refused.value.message.en
