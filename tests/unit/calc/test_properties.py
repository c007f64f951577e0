"""Invariants that hold for every loan: hypothesis draws the terms."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from autofin.calc import DueItem, Fee, LoanTerms, allocate, build_schedule, payoff_quote

money = st.integers(min_value=100_00, max_value=2_000_000_00).map(lambda cents: D(cents) / 100)
rates = st.integers(min_value=0, max_value=3600).map(lambda bp: D(bp) / 100)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def loan_terms(draw: Any, method: str | None = None) -> LoanTerms:
    term = draw(st.integers(min_value=1, max_value=60))
    chosen = method or draw(st.sampled_from(["annuity", "equal_principal", "flat", "interest_only", "balloon"]))
    principal = draw(money)
    start = draw(days)
    options: dict[str, Any] = {
        "frequency": draw(st.sampled_from(["monthly", "weekly", "biweekly", "quarterly", "yearly"])),
        "every": draw(st.integers(min_value=1, max_value=3)),
        "interest_period": draw(st.sampled_from(["per_period", "daily"])),
        "day_count": draw(st.sampled_from(["actual/actual", "actual/365", "actual/360", "30/360"])),
        "rounding": draw(st.sampled_from(["half_up", "half_even"])),
        "grace_on_principal": draw(st.integers(min_value=0, max_value=term - 1)),
        "grace_on_interest_payment": draw(st.integers(min_value=0, max_value=term - 1)),
        "grace_on_interest_charged": draw(st.integers(min_value=0, max_value=term - 1)),
    }
    if chosen == "balloon":
        options["balloon"] = (principal * draw(st.integers(min_value=1, max_value=60)) / 100).quantize(D("0.01"))
        if not D(0) < options["balloon"] < principal:
            chosen, options["balloon"] = "annuity", D(0)
    if chosen in ("annuity", "flat") and draw(st.booleans()):
        options["installment_multiple"] = draw(st.sampled_from([D("1"), D("10"), D("0.1")]))
    if draw(st.booleans()):
        options["first_due_date"] = start + timedelta(days=draw(st.integers(min_value=1, max_value=60)))
    if draw(st.booleans()):
        options["fees"] = (Fee(amount=D("100"), treatment=draw(st.sampled_from(
            ["deducted", "financed", "first_installment"]))), Fee(timing="per_installment", percent=D("0.1")))
    return LoanTerms(principal=principal, annual_rate=draw(rates), term=term, disbursement_date=start,
                     method=chosen, **options)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(loan_terms())
def test_every_schedule_repays_exactly_the_principal_and_ends_at_zero(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    rows = schedule.installments
    assert sum(row.principal for row in rows) == schedule.principal
    assert rows[-1].balance == 0
    assert len(rows) == terms.term
    for row in rows:
        assert row.principal >= 0 and row.interest >= 0 and row.fees >= 0 and row.balance >= 0
        assert row.total == row.principal + row.interest + row.fees
        for amount in (row.principal, row.interest, row.total, row.balance):
            assert amount == amount.quantize(D("0.01"))


@settings(max_examples=200, deadline=None)
@given(money, rates, st.integers(min_value=2, max_value=84), days)
def test_annuity_installments_are_equal_except_the_last(principal: D, rate: D, term: int, start: date) -> None:
    rows = build_schedule(LoanTerms(principal=principal, annual_rate=rate, term=term,
                                    disbursement_date=start)).installments
    assert len({row.total for row in rows[:-1]}) == 1


@settings(max_examples=200, deadline=None)
@given(money, rates, st.integers(min_value=2, max_value=84), days)
def test_equal_principal_installments_decline_but_for_the_last_cents_of_residual(
    principal: D, rate: D, term: int, start: date
) -> None:
    rows = build_schedule(LoanTerms(principal=principal, annual_rate=rate, term=term, disbursement_date=start,
                                    method="equal_principal")).installments
    assert all(rows[i].total >= rows[i + 1].total for i in range(len(rows) - 2))
    residual = rows[-1].principal - rows[0].principal  # the last installment absorbs the rounding of the others
    assert rows[-1].total <= rows[-2].total + max(residual, D(0))


buckets = st.integers(min_value=0, max_value=100_000).map(lambda cents: D(cents) / 100)


@settings(max_examples=300, deadline=None)
@given(buckets, st.lists(st.tuples(buckets, buckets, buckets, buckets), min_size=0, max_size=6),
       st.sampled_from(["default", "principal_first", "interest_first"]), st.sampled_from(["installment", "bucket"]))
def test_allocation_never_takes_more_than_the_payment_or_a_bucket_holds(
    payment: D, owed: list[tuple[D, D, D, D]], order: str, by: str
) -> None:
    dues = [DueItem(i + 1, date(2025, 1, 1) + timedelta(days=30 * i), *amounts) for i, amounts in enumerate(owed)]
    result = allocate(payment, dues, order, by)  # type: ignore[arg-type]
    assert result.allocated + result.excess == payment
    assert result.allocated <= payment
    assert result.excess >= 0
    for before, after in zip(dues, result.remaining, strict=True):
        for bucket in ("principal", "interest", "fees", "penalty"):
            assert 0 <= getattr(after, bucket) <= getattr(before, bucket)
    assert result.excess == 0 or all(item.total == 0 for item in result.remaining)


@settings(max_examples=150, deadline=None)
@given(loan_terms())
def test_a_payoff_on_the_disbursement_date_is_the_principal_plus_upfront_fees_not_yet_paid(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    quote = payoff_quote(terms, terms.disbursement_date)
    assert quote.interest == 0 and quote.penalties == 0
    assert quote.principal == schedule.principal
    assert quote.total == schedule.principal + schedule.upfront_fees_first_installment + quote.prepayment_fee
