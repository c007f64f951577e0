"""Allocation of payments, penalty interest, payoff quotes and partial prepayment, with real numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from autofin.calc import CashFlow, DueItem, Fee, allocate, build_schedule, payoff_quote, penalty_interest, prepay
from autofin.kernel.errors import ValidationFailed

from .conftest import make_terms

OLDER = DueItem(1, date(2025, 1, 15), principal=D("800"), interest=D("100"), fees=D("20"), penalty=D("5"))
NEWER = DueItem(2, date(2025, 2, 15), principal=D("810"), interest=D("90"), fees=D("20"), penalty=D("0"))


def test_default_order_pays_penalty_fees_interest_then_principal_of_the_oldest_installment_first() -> None:
    result = allocate(D("1000"), [NEWER, OLDER])
    assert [(line.number, line.bucket, line.amount) for line in result.lines] == [
        (1, "penalty", D("5")), (1, "fees", D("20")), (1, "interest", D("100")), (1, "principal", D("800")),
        (2, "fees", D("20")), (2, "interest", D("55")),
    ]
    assert (result.penalty, result.fees, result.interest, result.principal) == (D("5"), D("40"), D("155"), D("800"))
    assert result.excess == 0
    assert result.remaining[1].interest == D("35")


def test_principal_first_order_across_buckets_pays_all_principal_before_any_interest() -> None:
    result = allocate(D("1700"), [OLDER, NEWER], order="principal_first", by="bucket")
    assert result.principal == D("1610")
    assert result.interest == D("90")
    assert result.fees == result.penalty == 0


def test_interest_first_order_pays_interest_before_principal_within_each_installment() -> None:
    result = allocate(D("150"), [OLDER], order="interest_first")
    assert (result.interest, result.principal, result.fees) == (D("100"), D("50"), D("0"))


def test_a_payment_larger_than_everything_owed_reports_the_excess() -> None:
    result = allocate(D("2000"), [OLDER, NEWER])
    assert result.allocated == OLDER.total + NEWER.total
    assert result.excess == D("2000") - OLDER.total - NEWER.total


def test_an_unknown_allocation_order_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(ValidationFailed) as caught:
        allocate(D("10"), [OLDER], order="fees_last")
    assert caught.value.errors[0].field == "order"
    assert "principal_first" in caught.value.message.en


def test_penalty_interest_is_the_penalty_rate_per_day_for_the_days_overdue() -> None:
    result = penalty_interest(D("10000"), date(2025, 3, 1), date(2025, 3, 31), D("18"), "actual/360")
    assert (result.days_overdue, result.penalty, result.compound) == (30, D("150.00"), D("0"))


def test_compound_interest_on_overdue_interest_is_added_when_asked_for() -> None:
    result = penalty_interest(D("10000"), date(2025, 3, 1), date(2025, 3, 31), D("18"), "actual/365",
                              overdue_interest=D("500"), compound_rate=D("18"))
    assert (result.penalty, result.compound, result.total) == (D("147.95"), D("7.40"), D("155.35"))


def test_payoff_on_the_disbursement_date_is_the_principal_plus_upfront_fees_not_yet_paid() -> None:
    fees = (Fee(amount=D("500"), treatment="first_installment"), Fee(amount=D("300")),
            Fee(amount=D("200"), treatment="financed"))
    terms = make_terms(principal="100000", term=12, disbursement_date=date(2025, 1, 15), fees=fees)
    quote = payoff_quote(terms, date(2025, 1, 15))
    assert (quote.principal, quote.interest, quote.fees, quote.penalties) == (D("100200.00"), 0, D("500.00"), 0)
    assert quote.total == D("100700.00")


def test_payoff_mid_period_adds_interest_accrued_to_the_day() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=12, disbursement_date=date(2025, 1, 15))
    schedule = build_schedule(terms)
    paid = [CashFlow(date(2025, 2, 15), schedule.installments[0].total)]
    quote = payoff_quote(terms, date(2025, 3, 1), paid)
    assert quote.principal == schedule.installments[0].balance == D("91893.36")
    # 91,893.36 × 0.5 % × 14 of 28 days of the period 15 Feb → 15 Mar
    assert quote.interest == D("229.73")
    assert quote.penalties == 0


def test_payoff_after_a_missed_installment_charges_penalty_on_the_overdue_principal() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=12, disbursement_date=date(2025, 1, 15),
                       penalty_rate="9", prepayment_fee_percent="1")
    schedule = build_schedule(terms)
    missed = schedule.installments[1]
    paid = [CashFlow(date(2025, 2, 15), schedule.installments[0].total)]
    quote = payoff_quote(terms, date(2025, 4, 1), paid)
    assert quote.principal == D("91893.36")
    # 8,147.17 overdue since 15 Mar: × 9 % × 17 ÷ 360
    assert quote.penalties == D("34.63") == (missed.principal * D("0.09") * 17 / 360).quantize(D("0.01"))
    assert quote.interest == missed.interest + D("229.63")  # unpaid + 83,746.19 × 0.5 % × 17 of 31 days
    assert quote.prepayment_fee == ((missed.balance) * D("0.01")).quantize(D("0.01"))


def test_payoff_for_an_as_of_before_disbursement_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        payoff_quote(make_terms(), date(2022, 10, 1))
    assert caught.value.errors[0].field == "as_of"


def test_reduce_term_keeps_the_installment_and_drops_installments_from_the_end() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=12, disbursement_date=date(2025, 1, 15))
    original = build_schedule(terms)
    result = prepay(terms, date(2025, 5, 15), D("30000"), "reduce_term")
    rows = result.schedule.installments
    assert len(rows) == 9
    assert {row.total for row in rows[4:8]} == {original.installments[5].total}
    assert rows[-1].total < original.installments[5].total
    assert result.schedule.totals.principal + D("30000") == D("100000.00")
    assert rows[-1].balance == 0
    assert result.interest == 0  # prepaid on a due date: nothing accrued on the prepaid amount


def test_reduce_installment_keeps_the_term_and_lowers_every_later_installment() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=12, disbursement_date=date(2025, 1, 15))
    original = build_schedule(terms)
    result = prepay(terms, date(2025, 5, 15), D("30000"), "reduce_installment")
    rows = result.schedule.installments
    assert len(rows) == 12
    assert rows[:4] == original.installments[:4]
    assert rows[4].total == D("4771.78") < original.installments[4].total
    assert result.schedule.totals.principal + D("30000") == D("100000.00")
    assert rows[-1].balance == 0


def test_reduce_term_saves_more_interest_than_reduce_installment() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=24, disbursement_date=date(2025, 1, 15))
    shorter = prepay(terms, date(2025, 6, 15), D("20000"), "reduce_term").schedule.totals.interest
    smaller = prepay(terms, date(2025, 6, 15), D("20000"), "reduce_installment").schedule.totals.interest
    assert shorter < smaller


def test_prepayment_between_due_dates_collects_the_interest_the_prepaid_amount_earned() -> None:
    terms = make_terms(principal="100000", annual_rate="6", term=12, disbursement_date=date(2025, 1, 15))
    result = prepay(terms, date(2025, 5, 30), D("30000"), "reduce_installment")
    assert result.interest == D("72.58")  # 30,000 × 0.5 % × 15 of 31 days


def test_reduce_term_is_refused_for_interest_only_loans() -> None:
    with pytest.raises(ValidationFailed) as caught:
        prepay(make_terms(method="interest_only"), date(2023, 3, 1), D("1000"), "reduce_term")
    assert caught.value.errors[0].field == "mode"
