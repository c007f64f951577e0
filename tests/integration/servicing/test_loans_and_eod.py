"""Loan accounts over the database and the end-of-day batch (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.servicing.loans_support import CHECKER, MAKER, D, open_loan, repay, wipe_loans

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import RuleViolation
from autofin.servicing import service
from autofin.servicing.eod import runner
from autofin.servicing.models import DailyAccrual, Installment, LoanAccount
from autofin.servicing.schemas import RepaymentCreate


def snapshot(app: App) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    with app.uow() as uow:
        loans = uow.session.execute(select(
            LoanAccount.id, LoanAccount.status, LoanAccount.days_past_due, LoanAccount.bucket,
            LoanAccount.classification, LoanAccount.provision).order_by(LoanAccount.id)).all()
        rows = uow.session.execute(select(
            Installment.loan_id, Installment.number, Installment.status, Installment.penalty_due,
            Installment.interest_accrued).order_by(Installment.loan_id, Installment.number)).all()
        accruals = uow.session.execute(select(DailyAccrual.loan_id, DailyAccrual.business_day, DailyAccrual.kind,
                                              DailyAccrual.amount).order_by(DailyAccrual.id)).all()
    return [tuple(r) for r in loans], [tuple(r) for r in rows], [tuple(r) for r in accruals]


def test_opening_a_loan_builds_its_schedule_and_books_the_disbursement(app_ctx: App) -> None:
    from autofin.ledger.models import JournalEntry

    loan_id = open_loan(app_ctx)
    with app_ctx.uow() as uow:
        loan = service.get_loan(uow, SYSTEM, loan_id)
        rows = service.installments_of(uow, loan)
        assert len(rows) == 12 and rows[0].interest_due == D("120.00") and rows[0].principal_due == D("946.19")
        assert loan.principal_outstanding == D("12000")
        entry = uow.session.scalar(select(JournalEntry).where(JournalEntry.event_type == "loan.disbursed"))
        assert entry is not None


def test_a_repayment_needs_a_second_person_and_is_then_allocated(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with app_ctx.uow() as uow:
        tx = service.record_repayment(uow, MAKER, loan_id, RepaymentCreate(date=date(2025, 2, 15),
                                                                          amount=D("1066.19")))
        uow.commit()
        tx_id = tx.id
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        service.confirm_repayment(uow, MAKER, tx_id)
    with app_ctx.uow() as uow:
        confirmed = service.confirm_repayment(uow, CHECKER, tx_id)
        uow.commit()
        assert confirmed.allocation is not None and confirmed.allocation["principal"] == "946.19"
        loan = service.get_loan(uow, SYSTEM, loan_id)
        assert loan.principal_outstanding == D("11053.81")
        assert service.installments_of(uow, loan)[0].status == "paid"


def test_reversing_a_payment_reapplies_the_later_ones(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    first = repay(app_ctx, loan_id, "2025-02-15", "1066.19")
    repay(app_ctx, loan_id, "2025-03-15", "1066.19")
    with app_ctx.uow() as uow:
        service.reverse_transaction(uow, CHECKER, first, "bounced cheque")
        uow.commit()
    with app_ctx.uow() as uow:
        loan = service.get_loan(uow, SYSTEM, loan_id)
        rows = service.installments_of(uow, loan)
        # the second payment now pays installment 1: its penalty (946.19 × 18 % × 28/360 = 13.25) first
        assert (rows[0].penalty_paid, rows[0].interest_paid, rows[0].principal_paid) == (
            D("13.25"), D("120.00"), D("932.94"))
        assert rows[1].principal_paid == D("0")
        assert loan.days_past_due > 0


def test_a_payoff_quote_is_the_engine_payoff_on_the_date(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    repay(app_ctx, loan_id, "2025-02-15", "1066.19")
    with app_ctx.uow() as uow:
        quote = service.payoff_quote(uow, SYSTEM, loan_id, date(2025, 3, 1))
    assert quote["principal"] == D("11053.81") and quote["interest"] == D("55.27")


def test_eod_marks_overdue_counts_dpd_from_the_oldest_installment_and_accrues(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    result = runner.run_eod(app_ctx, SYSTEM, date(2025, 3, 20))
    assert result.status == "succeeded"
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None
        assert (loan.status, loan.days_past_due, loan.bucket, loan.classification) == (
            "overdue", 33, "M2", "special_mention")
        rows = service.installments_of(uow, loan)
        assert [r.status for r in rows[:3]] == ["overdue", "overdue", "future"]
        # 946.19 × 18 % × 33 / 360 = 15.61; 955.65 × 18 % × 5 / 360 = 2.39
        assert rows[0].penalty_due == D("15.61") and rows[1].penalty_due == D("2.39")
        assert rows[0].interest_accrued == D("120.00") and rows[2].interest_accrued == D("16.29")  # 100.98 × 5/31
        assert loan.provision == D("240.00")  # 2 % of 12,000


@pytest.mark.parametrize(("dpd_date", "expected"), [
    (date(2025, 2, 16), "special_mention"), (date(2025, 5, 17), "substandard"),
    (date(2025, 11, 13), "doubtful"), (date(2026, 2, 11), "loss")])
def test_classification_floors_follow_days_past_due_and_never_upgrade(
    app_ctx: App, dpd_date: date, expected: str
) -> None:
    loan_id = open_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, dpd_date)
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None and loan.classification == expected
    repay(app_ctx, loan_id, dpd_date.isoformat(), "50000")  # paid off: no upgrade by itself
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, loan_id)
        assert loan is not None and loan.classification == expected


def test_running_the_same_date_twice_changes_nothing(app_ctx: App) -> None:
    for n in range(5):
        open_loan(app_ctx, f"HT-{n}")
    runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 1))
    once = snapshot(app_ctx)
    again = runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 1))
    assert again.skipped
    assert snapshot(app_ctx) == once




def test_a_crash_mid_step_then_rerun_equals_an_uninterrupted_run(app_ctx: App) -> None:
    for n in range(6):
        open_loan(app_ctx, f"HT-{n}")
    runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 1), partitions=3)
    crashed_state: dict[str, object] = {}

    def crash(step: str, partition: int) -> None:
        if step == "interest_accrual" and partition == 1:
            raise RuntimeError("killed")

    runner.FAIL_HOOK = crash
    try:
        with pytest.raises(RuntimeError):
            runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 2), partitions=3)
    finally:
        runner.FAIL_HOOK = None
    with app_ctx.uow() as uow:
        assert service.business_date(uow) == date(2025, 4, 2)  # not advanced by the failed run
    crashed_state["resumed"] = runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 2), partitions=3).status
    resumed = snapshot(app_ctx)

    # the same loans run without a crash, in a fresh set of accounts, must give the same per-loan results
    wipe_loans(app_ctx)
    for n in range(6):
        open_loan(app_ctx, f"HT-{n}")
    steps = [step for step in runner.STEPS if step != "subledger_check"]
    runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 1), partitions=3, steps=steps)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 4, 2), partitions=3, steps=steps)
    uninterrupted = snapshot(app_ctx)
    assert crashed_state["resumed"] == "succeeded"

    def strip(state: tuple[list[tuple[Any, ...]], ...]) -> tuple[object, ...]:
        loans, rows, accruals = state
        base_loan = min(int(r[0]) for r in loans)
        return ([r[1:] for r in loans], [(int(r[0]) - base_loan, *r[1:]) for r in rows],
                sorted((int(r[0]) - base_loan, *r[1:]) for r in accruals))

    assert strip(resumed) == strip(uninterrupted)


def test_reversing_a_repayment_reverses_its_journal_entry(app_ctx: App) -> None:
    from autofin.ledger.models import JournalEntry

    loan_id = open_loan(app_ctx)
    tx_id = repay(app_ctx, loan_id, "2025-02-15", "1066.19")
    with app_ctx.uow() as uow:
        service.reverse_transaction(uow, CHECKER, tx_id, "bounced cheque")
        uow.commit()
    with app_ctx.uow() as uow:
        original = uow.session.scalar(select(JournalEntry).where(
            JournalEntry.source_type == "servicing", JournalEntry.source_id == f"loan:{loan_id}:tx:{tx_id}"))
        assert original is not None
        mirror = uow.session.scalar(select(JournalEntry).where(JournalEntry.reverses_entry_id == original.id))
        assert mirror is not None and mirror.total_debit == original.total_debit
