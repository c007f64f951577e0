"""Direct debit (代扣): mandates, the end-of-day preparation, sending through the bank channel, the bank's answer,
retries and notifications (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.integration.servicing.payments_world import (
    FIRST_INSTALLMENT,
    MAKER,
    FakeBank,
    borrower,
    callback,
    inbox,
    luhn_ok,
    open_loan,
    repay_now,
    set_parameter,
)

from autofin.bootstrap import App
from autofin.channels.models import PaymentInstruction
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation, ValidationFailed
from autofin.servicing import service
from autofin.servicing.eod import runner
from autofin.servicing.models import Installment, LoanTransaction
from autofin.servicing.payments import debit
from autofin.servicing.payments.models import DebitAttempt

DUE = date(2025, 2, 15)


def mandate(app: App, loan_id: int, card_id: int) -> int:
    with app.uow() as uow:
        m = debit.authorise_mandate(uow, SYSTEM, loan_id, card_id, date(2025, 1, 10), "AUTH-2025-001")
        uow.commit()
        return m.id


def attempts(app: App) -> list[tuple[object, ...]]:
    with app.uow() as uow:
        rows = uow.session.execute(select(
            DebitAttempt.loan_id, DebitAttempt.installment, DebitAttempt.attempt, DebitAttempt.scheduled_on,
            DebitAttempt.status, DebitAttempt.idempotency_key, DebitAttempt.amount).order_by(DebitAttempt.id)).all()
    return [tuple(r) for r in rows]


def debited_loan(app: App) -> tuple[int, int]:
    who = borrower(app, 1)
    loan_id = open_loan(app, who, "HT-DD-1")
    return loan_id, mandate(app, loan_id, who.card_id)


def test_the_end_of_day_prepares_one_debit_for_each_installment_due_the_next_day(app_ctx: App) -> None:
    loan_id, _ = debited_loan(app_ctx)
    other = open_loan(app_ctx, borrower(app_ctx, 2, "李四"), "HT-NO-MANDATE")
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 13))
    assert attempts(app_ctx) == []  # due in two days: not yet
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    assert attempts(app_ctx) == [(loan_id, 1, 1, DUE, "scheduled", f"dd:{loan_id}:1:1", None)]
    assert all(row[0] != other for row in attempts(app_ctx))


def test_a_posted_debit_is_recorded_by_the_system_and_confirmed_by_the_bank_once(app_ctx: App) -> None:
    loan_id, _ = debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    bank = FakeBank()
    result = debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=bank)
    assert result.submitted == 1 and len(bank.orders) == 1
    order = bank.orders[0]
    assert order.direction == "collect" and order.amount == FIRST_INSTALLMENT and order.purpose == "direct_debit"
    with app_ctx.uow() as uow:
        instruction = uow.session.scalar(select(PaymentInstruction))
        assert instruction is not None and instruction.idempotency_key == f"dd:{loan_id}:1:1"
        instruction_id = instruction.id
    callback(app_ctx, instruction_id, "posted")
    callback(app_ctx, instruction_id, "posted")  # a repeated callback books nothing twice
    debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=bank)  # and sending again sends nothing
    assert len(bank.orders) == 1
    with app_ctx.uow() as uow:
        txs = uow.session.execute(select(LoanTransaction).where(LoanTransaction.type == "repayment")).scalars().all()
        assert len(txs) == 1
        tx = txs[0]
        assert (tx.status, tx.channel, tx.amount, tx.value_date) == ("confirmed", "direct_debit", FIRST_INSTALLMENT,
                                                                     DUE)
        assert tx.created_by is None and tx.idempotency_key == f"dd:{loan_id}:1:1"
        first = uow.session.scalar(select(Installment).where(Installment.loan_id == loan_id,
                                                             Installment.number == 1))
        assert first is not None and first.status == "paid"
    assert attempts(app_ctx)[0][4] == "posted"


def test_a_failed_debit_tells_the_owner_and_retries_on_the_policy_days_until_they_run_out(app_ctx: App) -> None:
    loan_id, _ = debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    bank = FakeBank()
    expected_days = [DUE, date(2025, 2, 16), date(2025, 2, 18)]  # due date, +1, +3
    for number, day in enumerate(expected_days, start=1):
        debit.send_due_debits(app_ctx, SYSTEM, day, adapter=bank)
        with app_ctx.uow() as uow:
            attempt = uow.session.scalar(select(DebitAttempt).where(DebitAttempt.attempt == number))
            assert attempt is not None and attempt.scheduled_on == day and attempt.status == "submitted"
            instruction_id = attempt.payment_instruction_id
        assert instruction_id is not None
        callback(app_ctx, instruction_id, "failed", "余额不足 insufficient funds")
    rows = attempts(app_ctx)
    assert [(r[2], r[4], r[5]) for r in rows] == [
        (1, "failed", f"dd:{loan_id}:1:1"), (2, "failed", f"dd:{loan_id}:1:2"), (3, "failed", f"dd:{loan_id}:1:3")]
    messages = inbox(app_ctx)
    assert len(messages) == 3 and all("代扣失败" in title and "HT-DD-1" in title for title, _ in messages)
    assert "2025-02-16" in messages[0][1] and "余额不足" in messages[0][1]
    assert "重试次数已用完" in messages[2][1]
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count(LoanTransaction.id)).where(
            LoanTransaction.type == "repayment")) == 0


def test_the_retry_days_come_from_the_config_centre(app_ctx: App) -> None:
    set_parameter(app_ctx, "servicing.direct_debit.retry_days", [0, 2])
    who = borrower(app_ctx, 1)
    mandate(app_ctx, open_loan(app_ctx, who, "HT-DD-1"), who.card_id)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=FakeBank(refuse={who.card_number}))
    rows = attempts(app_ctx)
    assert [(r[2], r[3], r[4]) for r in rows] == [(1, DUE, "failed"), (2, date(2025, 2, 17), "scheduled")]


def test_an_installment_paid_before_its_debit_goes_is_skipped(app_ctx: App) -> None:
    loan_id, _ = debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    repay_now(app_ctx, loan_id, "2025-02-14", str(FIRST_INSTALLMENT))
    bank = FakeBank()
    result = debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=bank)
    assert result.skipped == 1 and bank.orders == []
    assert attempts(app_ctx)[0][4] == "skipped"


def test_revoking_the_mandate_cancels_debits_not_yet_sent_and_stops_new_ones(app_ctx: App) -> None:
    _loan_id, mandate_id = debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    with app_ctx.uow() as uow:
        debit.revoke_mandate(uow, SYSTEM, mandate_id, "借款人改为对公转账")
        uow.commit()
    assert attempts(app_ctx)[0][4] == "cancelled"
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 15))
    runner.run_eod(app_ctx, SYSTEM, date(2025, 3, 14))
    assert len(attempts(app_ctx)) == 1
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        debit.revoke_mandate(uow, SYSTEM, mandate_id, "again")


def test_a_new_mandate_replaces_the_active_one(app_ctx: App) -> None:
    loan_id, first = debited_loan(app_ctx)
    with app_ctx.uow() as uow:
        from autofin.customers import service as customers
        from autofin.customers.schemas import CardCreate

        loan = service.get_loan(uow, SYSTEM, loan_id)
        card = customers.add_card(uow, SYSTEM, loan.customer_id, CardCreate(card_number=luhn_ok("6222020299990000000"),
                                                                             holder_name="张三"))
        second = debit.authorise_mandate(uow, SYSTEM, loan_id, card.id, date(2025, 1, 20), "AUTH-2").id
        uow.commit()
    with app_ctx.uow() as uow:
        statuses = {m.id: m.status for m in debit.list_mandates(uow, SYSTEM, loan_id)}
    assert statuses == {first: "revoked", second: "active"}


def test_a_mandate_needs_the_borrowers_own_active_card_a_reference_and_a_past_date(app_ctx: App) -> None:
    loan_id, _ = debited_loan(app_ctx)
    stranger = borrower(app_ctx, 7, "王五")
    cases = [(stranger.card_id, date(2025, 1, 10), "AUTH-1", "card_id"),
             (999999, date(2025, 1, 10), "AUTH-1", "card_id"),
             (None, date(2025, 1, 10), "   ", "authorisation_ref"),
             (None, date(2099, 1, 1), "AUTH-1", "authorised_on")]
    with app_ctx.uow() as uow:
        own = debit.active_mandate(uow, loan_id)
        assert own is not None
        own_card = own.card_id
    for card_id, on, ref, field in cases:
        with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
            debit.authorise_mandate(uow, SYSTEM, loan_id, card_id or own_card, on, ref)
        assert caught.value.errors[0].field == field
        assert caught.value.errors[0].message.zh and caught.value.errors[0].message.en
    with app_ctx.uow() as uow:
        assert len(debit.list_mandates(uow, SYSTEM, loan_id)) == 1  # nothing written


def test_a_settled_loan_takes_no_mandate(app_ctx: App) -> None:
    who = borrower(app_ctx, 3)
    loan_id = open_loan(app_ctx, who, "HT-SETTLED")
    repay_now(app_ctx, loan_id, "2025-01-20", "12100.00")
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        debit.authorise_mandate(uow, SYSTEM, loan_id, who.card_id, date(2025, 1, 10), "AUTH-1")


def test_the_run_list_counts_each_debit_day_and_the_failures_are_listed(app_ctx: App) -> None:
    _loan_id, _ = debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    bank = FakeBank()
    debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=bank)
    with app_ctx.uow() as uow:
        instruction_id = uow.session.scalar(select(DebitAttempt.payment_instruction_id))
    assert instruction_id is not None
    callback(app_ctx, instruction_id, "failed", "卡已挂失")
    with app_ctx.uow() as uow:
        runs = debit.debit_runs(uow, MAKER)
        failures, total = debit.list_attempts(uow, MAKER, status="failed")
    assert runs[0]["date"] == date(2025, 2, 16) and runs[0]["scheduled"] == 1
    assert runs[1]["date"] == DUE and runs[1]["failed"] == 1 and runs[1]["attempts"] == 1
    assert total == 1 and failures[0]["contract_no"] == "HT-DD-1" and failures[0]["failure_reason"] == "卡已挂失"
    assert failures[0]["amount"] == FIRST_INSTALLMENT


def test_an_unreachable_bank_keeps_the_debit_and_the_next_send_uses_the_same_instruction(app_ctx: App) -> None:
    from autofin.channels.adapter import BankUnavailable, PaymentOrder

    class Down:
        code = "down"

        def send_payment(self, order: PaymentOrder) -> Any:
            raise BankUnavailable("connection refused")

    debited_loan(app_ctx)
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    result = debit.send_due_debits(app_ctx, SYSTEM, DUE, adapter=Down())
    assert (result.submitted, result.unavailable) == (1, 1)
    assert attempts(app_ctx)[0][4] == "submitted"
    bank = FakeBank()
    debit.send_due_debits(app_ctx, SYSTEM, date(2025, 2, 16), adapter=bank)
    with app_ctx.uow() as uow:
        instructions = [i.end_to_end_id for i in uow.session.scalars(select(PaymentInstruction))]
    assert len(instructions) == 1 and len(bank.orders) == 1
    assert bank.orders[0].instruction_id == instructions[0]
