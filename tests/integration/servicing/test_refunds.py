"""Overpayment → credit balance → refund (退款): request → review by another person → payment through channels →
posted (or failed), booked in the ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.integration.servicing.payments_world import (
    CHECKER,
    MAKER,
    FakeBank,
    borrower,
    callback,
    inbox,
    open_loan,
    repay_now,
)

from autofin.bootstrap import App
from autofin.channels.models import PaymentInstruction
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation, ValidationFailed
from autofin.servicing import service
from autofin.servicing.models import LoanTransaction
from autofin.servicing.payments import refunds

D = Decimal


def overpaid_loan(app: App) -> tuple[int, int, Decimal]:
    """A loan paid off early with 12,100.00: settled, the rest (80.65 after 5 days' interest) a credit balance."""
    who = borrower(app, 1)
    loan_id = open_loan(app, who, "HT-RF-1")
    repay_now(app, loan_id, "2025-01-20", "12100.00")
    with app.uow() as uow:
        loan = service.get_loan(uow, SYSTEM, loan_id)
        return loan_id, who.card_id, loan.credit_balance


def requested(app: App, loan_id: int, card_id: int, amount: str) -> int:
    with app.uow() as uow:
        refund = refunds.request_refund(uow, MAKER, loan_id, D(amount), card_id, "客户多还款，申请退回")
        uow.commit()
        return refund.id


def approve_and_send(app: App, refund_id: int, bank: FakeBank) -> int:
    with app.uow() as uow:
        refund = refunds.review_refund(uow, CHECKER, refund_id, True, "核对无误")
        uow.commit()
        instruction_id = refund.payment_instruction_id
    assert instruction_id is not None
    refunds.send_refund(app, CHECKER, refund_id, adapter=bank)
    return instruction_id


def test_an_overpayment_becomes_a_credit_balance_booked_as_such(app_ctx: App) -> None:
    from autofin.ledger.models import JournalEntry

    loan_id, _card, credit = overpaid_loan(app_ctx)
    assert credit == D("80.65")
    with app_ctx.uow() as uow:
        assert service.get_loan(uow, SYSTEM, loan_id).status == "settled"
        entries = uow.session.scalars(select(JournalEntry).where(
            JournalEntry.event_type == "credit_balance.created")).all()
        assert len(entries) == 1


def test_an_approved_refund_is_paid_through_the_bank_and_lowers_the_credit_balance(app_ctx: App) -> None:
    from autofin.ledger.models import JournalEntry

    loan_id, card_id, credit = overpaid_loan(app_ctx)
    refund_id = requested(app_ctx, loan_id, card_id, "80.65")
    bank = FakeBank()
    instruction_id = approve_and_send(app_ctx, refund_id, bank)
    assert len(bank.orders) == 1 and bank.orders[0].direction == "pay" and bank.orders[0].amount == D("80.65")
    with app_ctx.uow() as uow:
        assert refunds.get_refund(uow, SYSTEM, refund_id).status == "sent"
        assert service.get_loan(uow, SYSTEM, loan_id).credit_balance == credit  # not yet: the bank has not posted
    callback(app_ctx, instruction_id, "posted")
    callback(app_ctx, instruction_id, "posted")
    with app_ctx.uow() as uow:
        refund = refunds.get_refund(uow, SYSTEM, refund_id)
        assert refund.status == "posted"
        assert service.get_loan(uow, SYSTEM, loan_id).credit_balance == D("0.00")
        txs = uow.session.scalars(select(LoanTransaction).where(LoanTransaction.type == "refund")).all()
        assert [(t.amount, t.status) for t in txs] == [(D("80.65"), "confirmed")]
        entries = uow.session.scalars(select(JournalEntry).where(JournalEntry.event_type == "refund.paid")).all()
        assert len(entries) == 1


def test_a_refund_cannot_exceed_the_credit_balance_less_refunds_under_way(app_ctx: App) -> None:
    loan_id, card_id, _credit = overpaid_loan(app_ctx)
    requested(app_ctx, loan_id, card_id, "50.00")
    for amount, code in (("30.66", "servicing.refund.exceeds_credit"), ("0", "servicing.refund.invalid"),
                         ("-5", "servicing.refund.invalid"), ("1.005", "servicing.refund.invalid")):
        with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
            refunds.request_refund(uow, MAKER, loan_id, D(amount), card_id, "再退一笔")
        assert caught.value.code == code and caught.value.errors[0].field == "amount"
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        refunds.request_refund(uow, MAKER, loan_id, D("10"), card_id, "x")
    assert caught.value.errors[0].field == "reason"
    stranger = borrower(app_ctx, 9, "王五")
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        refunds.request_refund(uow, MAKER, loan_id, D("10"), stranger.card_id, "退到别人的卡")
    assert caught.value.errors[0].field == "card_id"
    with app_ctx.uow() as uow:
        assert refunds.list_refunds(uow, MAKER, loan_id=loan_id)[1] == 1  # nothing else written


def test_the_requester_cannot_review_and_a_rejection_needs_a_reason(app_ctx: App) -> None:
    loan_id, card_id, _credit = overpaid_loan(app_ctx)
    refund_id = requested(app_ctx, loan_id, card_id, "80.00")
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        refunds.review_refund(uow, MAKER, refund_id, True)
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed):
        refunds.review_refund(uow, CHECKER, refund_id, False, "")
    with app_ctx.uow() as uow:
        refunds.review_refund(uow, CHECKER, refund_id, False, "客户要求抵扣下一笔贷款")
        uow.commit()
    with app_ctx.uow() as uow:
        assert refunds.get_refund(uow, SYSTEM, refund_id).status == "rejected"
        assert uow.session.scalar(select(PaymentInstruction.id)) is None
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        refunds.review_refund(uow, CHECKER, refund_id, True)
    # the rejected amount is available again
    requested(app_ctx, loan_id, card_id, "80.00")


def test_a_failed_refund_keeps_the_credit_balance_and_tells_the_requester(app_ctx: App) -> None:
    loan_id, card_id, credit = overpaid_loan(app_ctx)
    refund_id = requested(app_ctx, loan_id, card_id, "80.00")
    instruction_id = approve_and_send(app_ctx, refund_id, FakeBank())
    callback(app_ctx, instruction_id, "failed", "收款账户已销户")
    with app_ctx.uow() as uow:
        refund = refunds.get_refund(uow, SYSTEM, refund_id)
        assert (refund.status, refund.failure_reason) == ("failed", "收款账户已销户")
        assert service.get_loan(uow, SYSTEM, loan_id).credit_balance == credit
    messages = inbox(app_ctx, MAKER.user_id or 0)
    assert len(messages) == 1 and "退款失败" in messages[0][0]
    requested(app_ctx, loan_id, card_id, "80.00")  # may be asked again


def test_a_refund_stays_deducted_when_the_loan_is_replayed_later(app_ctx: App) -> None:
    loan_id, card_id, _credit = overpaid_loan(app_ctx)
    refund_id = requested(app_ctx, loan_id, card_id, "30.00")
    callback(app_ctx, approve_and_send(app_ctx, refund_id, FakeBank()), "posted")
    with app_ctx.uow() as uow:
        service.bring_up_to_date(uow, SYSTEM, loan_id, __import__("datetime").date(2025, 2, 1))
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.get_loan(uow, SYSTEM, loan_id).credit_balance == D("50.65")
