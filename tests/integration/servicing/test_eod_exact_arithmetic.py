"""The end-of-day batch computes money with exact integers, the same cent as the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import func, select, text

from autofin.bootstrap import App
from autofin.calc import build_schedule, penalty_interest
from autofin.calc import io as calc_io
from autofin.db.types import RATE_SCALE
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import ValidationFailed
from autofin.servicing import service
from autofin.servicing.eod import runner, steps
from autofin.servicing.models import DailyAccrual, Installment, LoanAccount, day_number
from autofin.servicing.schemas import LoanOpen

D = Decimal
BIG = {"principal": "10000000.00", "annual_rate": "12", "term": 12, "disbursement_date": "2025-01-15",
       "penalty": {"rate": "36"}}


def open_loan(app: App, contract: str, terms: dict[str, Any]) -> int:
    with app.uow() as uow:
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(contract_no=contract, customer_id=1,
                                                                product_code="CAR", terms=terms))
        uow.commit()
        return loan.id


def installments(app: App, loan_id: int) -> list[Installment]:
    with app.uow() as uow:
        rows = list(uow.session.scalars(select(Installment).where(Installment.loan_id == loan_id)
                                        .order_by(Installment.number)))
        uow.session.expunge_all()
        return rows


def accruals(app: App, loan_id: int, kind: str) -> dict[int, Decimal]:
    with app.uow() as uow:
        rows = uow.session.execute(select(DailyAccrual.business_day, DailyAccrual.amount).where(
            DailyAccrual.loan_id == loan_id, DailyAccrual.kind == kind).order_by(DailyAccrual.business_day)).all()
    return {day: amount for day, amount in rows}


def exact_half_up(principal_minor: int, percent: Fraction, days: int, basis: int) -> int:
    """round_half_up(P × rate% × days ÷ basis) with unbounded rational arithmetic (the reference)."""
    value = Fraction(principal_minor) * percent / 100 * days / basis
    return (value.numerator * 2 + value.denominator) // (value.denominator * 2)


@pytest.mark.parametrize(("principal_minor", "percent", "days", "basis"), [
    (1_000_000_000, "36", 400, 360),            # 10,000,000.00 yuan at 36 % for 400 days: P·R·N alone would overflow
    (1_000_000_000, "36", 3650, 365),           # ten years overdue
    (steps.MAX_PRINCIPAL_MINOR, "100", 36500, 360),  # the documented bound: 900,000,000.00 at 100 % for a century
    (123_456_789, "18.123456", 77, 365),       # six decimal places of percent
    (1, "0.000001", 1, 360),                    # the smallest of everything rounds to zero
    (333, "15", 1, 360),                        # 0.1387 → 0
    (12_000, "15", 1, 360),                     # exactly half a fen (0.5) rounds up
])
def test_the_interest_formula_in_sql_is_exact_and_fits_in_64_bits(
    app_ctx: App, principal_minor: int, percent: str, days: int, basis: int
) -> None:
    rate_units = int(D(percent) * RATE_SCALE)
    expected = exact_half_up(principal_minor, Fraction(percent), days, basis)
    sql = steps.interest_sql("CAST(:p AS BIGINT)", "CAST(:r AS BIGINT)", "CAST(:n AS BIGINT)", ":b")
    with app_ctx.uow() as uow:
        value = uow.session.execute(text(f"SELECT {sql}"),
                                    {"p": principal_minor, "r": rate_units, "n": days, "b": basis}).scalar_one()
    assert isinstance(value, int)  # SQLite turns an overflowing product into a float: it must not happen
    assert value == expected == steps.interest_minor(principal_minor, rate_units, days, basis)


@pytest.mark.parametrize("day_count", ["actual/360", "actual/365"])
def test_penalty_over_many_days_equals_calc_penalty_interest_to_the_cent(app_ctx: App, day_count: str) -> None:
    loan_id = open_loan(app_ctx, "BIG-1", {**BIG, "day_count": day_count})
    as_of = date(2026, 3, 20)  # installment 1 overdue 400 days, the others fewer
    runner.run_eod(app_ctx, SYSTEM, as_of)
    rows = installments(app_ctx, loan_id)
    overdue = [r for r in rows if r.status == "overdue"]
    assert len(overdue) == 12
    for row in overdue:
        expected = penalty_interest(row.principal_due, row.due_date, as_of, D("36"), day_count)  # type: ignore[arg-type]
        assert row.penalty_due == expected.penalty, row.number
    with app_ctx.uow() as uow:
        loan = service.get_loan(uow, SYSTEM, loan_id)
        state, _ = service.replay_loan(uow, loan, as_of)
    assert [r.penalty for r in state.rows] == [r.penalty_due for r in rows]  # the engine agrees to the cent


def test_daily_penalty_runs_do_not_drift_from_one_computation_over_the_whole_span(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, "BIG-2", BIG)
    first_due = installments(app_ctx, loan_id)[0].due_date
    for offset in range(1, 21):
        runner.run_eod(app_ctx, SYSTEM, first_due + timedelta(days=offset), partitions=1)
    row = installments(app_ctx, loan_id)[0]
    expected = penalty_interest(row.principal_due, first_due, first_due + timedelta(days=20), D("36"), "actual/360")
    assert row.penalty_due == expected.penalty
    booked = accruals(app_ctx, loan_id, "penalty")
    assert sum(booked.values(), D(0)) == sum((r.penalty_due for r in installments(app_ctx, loan_id)), D(0))


@pytest.mark.parametrize("day_count", ["actual/365", "actual/360"])
def test_daily_interest_accruals_over_a_period_sum_to_the_periods_interest(app_ctx: App, day_count: str) -> None:
    terms = {**BIG, "principal": "123456.78", "annual_rate": "7.35", "interest_period": "daily", "day_count": day_count}
    loan_id = open_loan(app_ctx, "DAILY-1", terms)
    schedule = build_schedule(calc_io.parse_terms({k: v for k, v in terms.items() if k in calc_io.TERMS_KEYS}))
    first, second = schedule.installments[0], schedule.installments[1]
    days = [first.period_start + timedelta(days=n) for n in range(1, (first.period_end - first.period_start).days + 6)]
    for day in days:
        runner.run_eod(app_ctx, SYSTEM, day, partitions=1)
    booked = accruals(app_ctx, loan_id, "interest")
    through_first = sum((a for d, a in booked.items() if d <= day_number(first.period_end)), D(0))
    assert through_first == first.interest  # Σ daily accruals over the period = the period's interest, once rounded
    cumulative = D(0)
    with app_ctx.uow() as uow:
        for day in days:
            cumulative += booked.get(day_number(day), D(0))
            if day < first.due_date:  # nothing due yet: the payoff's interest is exactly what was earned to date
                quote = service.payoff_quote(uow, SYSTEM, loan_id, day)
                assert quote["interest"] == cumulative, day
    rows = installments(app_ctx, loan_id)
    assert rows[0].interest_accrued == first.interest
    five_days = Fraction(int(second.interest * 100)) * 5 / (second.period_end - second.period_start).days
    assert rows[1].interest_accrued * 100 == (five_days.numerator * 2 + five_days.denominator) // (
        five_days.denominator * 2)


def test_rerunning_every_step_for_the_same_date_changes_nothing(app_ctx: App) -> None:
    for n in range(3):
        open_loan(app_ctx, f"RR-{n}", {**BIG, "principal": f"{12345 + n * 1111}.67"})
    runner.run_eod(app_ctx, SYSTEM, date(2025, 5, 3))

    def state() -> tuple[list[Any], list[Any], int]:
        with app_ctx.uow() as uow:
            loans = uow.session.execute(select(LoanAccount.id, LoanAccount.days_past_due, LoanAccount.bucket,
                                               LoanAccount.classification, LoanAccount.provision,
                                               LoanAccount.version).order_by(LoanAccount.id)).all()
            rows = uow.session.execute(select(Installment.id, Installment.status, Installment.penalty_due,
                                              Installment.interest_accrued).order_by(Installment.id)).all()
            count = uow.session.scalar(select(func.count(DailyAccrual.id))) or 0
        return [tuple(r) for r in loans], [tuple(r) for r in rows], count

    before = state()
    with app_ctx.uow() as uow:
        changed = {name: step(uow, day_number(date(2025, 5, 3)), 0, 10**9) for name, step in steps.STEPS.items()
                   if name != "postings"}
        uow.commit()
    assert changed == dict.fromkeys(changed, 0)
    assert state() == before


def test_provisions_are_exact_percentages_of_the_principal_rounded_half_up(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, "PROV-1", {**BIG, "principal": "1234.50"})
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 16))  # 1 day past due: special mention, 2 %
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None and loan.classification == "special_mention"
        assert loan.provision == (loan.principal_outstanding * D("0.02")).quantize(D("0.01"), ROUND_HALF_UP)


@pytest.mark.parametrize(("terms", "field"), [
    ({**BIG, "principal": "900000000.01"}, "terms.principal"),
    ({**BIG, "penalty": {"rate": "18.0000001"}}, "terms.penalty.rate"),
])
def test_a_loan_the_batch_could_not_compute_exactly_is_refused_at_opening(
    app_ctx: App, terms: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        open_loan(app_ctx, "TOO-BIG", terms)
    assert refused.value.errors[0].field == field
