"""Refunds of credit balances (溢缴款退款): requested → reviewed by another person → a payment instruction out
through channels → posted (or failed).

An overpayment becomes the loan's credit balance (``CreditBalanceCreated``, booked Dr 1002 / Cr 2241). A refund
may ask for at most the credit balance less the refunds already requested and not failed or rejected. Approval
reserves the payment instruction (key ``refund:<id>``) in the same transaction; :func:`send_refund` hands it to the
bank; the bank's callback posts it: a ``refund`` transaction on the loan (never replayed by the engine), the credit
balance lowered, and ``RefundPaid`` booked (Dr 2241 / Cr 1002). A failed payment leaves the credit balance as it
was and tells the requester.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.channels import service as channels
from autofin.channels.events import PaymentFailed, PaymentPosted
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.errors import Conflict, DomainError, NotFound, RuleViolation, Text, invalid
from autofin.kernel.events import subscribe
from autofin.kernel.money import ZERO, quantize
from autofin.platform import service as platform
from autofin.servicing import events, service
from autofin.servicing.models import LoanAccount, LoanTransaction
from autofin.servicing.payments.models import Refund
from autofin.servicing.permissions import REFUND_REQUEST, REFUND_REVIEW

PURPOSE = "refund"
OPEN = ("requested", "approved", "sent")


def _snapshot(r: Refund) -> dict[str, Any]:
    return {"loan_id": r.loan_id, "amount": str(r.amount), "card": r.card_masked, "status": r.status,
            "reason": r.reason, "review_note": r.review_note, "payment_instruction_id": r.payment_instruction_id}


def not_found(refund_id: int) -> NotFound:
    return NotFound("servicing.refund.not_found", Text(f"Refund {refund_id} does not exist or is not visible to you.",
                                                       f"退款申请 {refund_id} 不存在或无权查看。"))


def refundable(uow: UnitOfWork, loan: LoanAccount) -> Decimal:
    """The credit balance less the refunds on their way."""
    pending = uow.session.scalar(select(func.sum(Refund.amount)).where(
        Refund.loan_id == loan.id, Refund.status.in_(OPEN)))
    return loan.credit_balance - (pending or ZERO)


def _card(uow: UnitOfWork, loan: LoanAccount, card_id: int) -> tuple[dict[str, Any], str]:
    found = customers.card_for_debit(uow, card_id)
    if found is None or found[0]["customer_id"] != loan.customer_id or found[0]["status"] != "active":
        raise invalid("card_id", f"Card {card_id} is not an active bank card of this loan's borrower.",
                      f"银行卡 {card_id} 不是该笔贷款借款人的有效银行卡。", "servicing.refund.card_invalid")
    return found


def request_refund(uow: UnitOfWork, actor: Actor, loan_id: int, amount: Decimal, card_id: int, reason: str,
                   idempotency_key: str | None = None) -> Refund:
    """退款申请 of (part of) the loan's credit balance to one of the borrower's cards."""
    actor.require(REFUND_REQUEST)
    loan = service.get_loan(uow, actor, loan_id)
    if idempotency_key:
        existing = uow.session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))
        if existing is not None:
            if existing.loan_id != loan.id or existing.amount != amount or existing.card_id != card_id:
                raise Conflict("servicing.refund.key_reused", Text(
                    "This idempotency key was used for another refund request.", "该幂等键已用于另一笔退款申请。"))
            return existing
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= ZERO or quantize(amount) != amount:
        raise invalid("amount", "The refund must be a positive amount with at most two decimals.",
                      "退款金额须为正数，最多两位小数。", "servicing.refund.invalid")
    available = refundable(uow, loan)
    if amount > available:
        raise invalid("amount", f"At most {available:.2f} can be refunded (the credit balance less refunds under "
                      "way).", f"最多可退 {available:.2f} 元（溢缴款余额减去处理中的退款）。",
                      "servicing.refund.exceeds_credit")
    text = reason.strip()
    if not 2 <= len(text) <= 200:
        raise invalid("reason", "Give the reason for the refund (2–200 characters).",
                      "请填写退款原因（2–200 个字符）。", "servicing.refund.invalid")
    view, _number = _card(uow, loan, card_id)
    refund = Refund(loan_id=loan.id, amount=amount, card_id=card_id, card_masked=str(view["masked_number"]),
                    reason=text, status="requested", requested_by=actor.user_id, review_note="",
                    idempotency_key=idempotency_key, failure_reason="")
    uow.session.add(refund)
    uow.flush()
    audit.record(uow, actor, "servicing.refund.request", "refund", refund.id, after=_snapshot(refund))
    return refund


def get_refund(uow: UnitOfWork, actor: Actor, refund_id: int) -> Refund:
    refund = uow.session.get(Refund, refund_id)
    if refund is None:
        raise not_found(refund_id)
    try:
        service.get_loan(uow, actor, refund.loan_id)
    except DomainError:
        raise not_found(refund_id) from None
    return refund


def review_refund(uow: UnitOfWork, actor: Actor, refund_id: int, approve: bool, note: str = "",
                  version: int | None = None) -> Refund:
    """审核: another person approves (the payment instruction is reserved) or rejects (with a note)."""
    actor.require(REFUND_REVIEW)
    refund = get_refund(uow, actor, refund_id)
    ensure_version(refund, version, "退款申请 refund")
    if refund.status != "requested":
        raise Conflict("servicing.refund.not_requested", Text(
            f"Refund {refund.id} is {refund.status}: only a requested refund can be reviewed.",
            f"退款申请 {refund.id} 状态为 {refund.status}：只有待审核的申请可以审核。"))
    if refund.requested_by is not None and refund.requested_by == actor.user_id:
        raise RuleViolation("servicing.refund.same_person", Text(
            "A refund must be reviewed by someone other than the person who requested it.",
            "退款须由申请人以外的另一人审核。"))
    if not approve and len(note.strip()) < 2:
        raise invalid("note", "Say why the refund is rejected (at least 2 characters).",
                      "请填写驳回原因（至少 2 个字符）。", "servicing.refund.invalid")
    before = _snapshot(refund)
    refund.reviewed_by = actor.user_id
    refund.review_note = note.strip()[:200]
    if approve:
        loan = service.get_loan(uow, actor, refund.loan_id)
        if refund.amount > loan.credit_balance - _others_open(uow, refund):
            raise invalid("amount", f"The credit balance is now {loan.credit_balance:.2f}: the refund no longer "
                          "fits.", f"溢缴款余额现为 {loan.credit_balance:.2f} 元，此退款已超出。",
                          "servicing.refund.exceeds_credit")
        view, number = _card(uow, loan, refund.card_id)
        instruction = channels.reserve_payment(uow, SYSTEM, f"refund:{refund.id}", number, refund.amount, PURPOSE,
                                               f"refund:{refund.id}", account_name=str(view["holder_name"]))
        refund.payment_instruction_id = instruction.id
        refund.status = "approved"
    else:
        refund.status = "rejected"
    uow.flush()
    audit.record(uow, actor, f"servicing.refund.{'approve' if approve else 'reject'}", "refund", refund.id,
                 before=before, after=_snapshot(refund))
    return refund


def _others_open(uow: UnitOfWork, refund: Refund) -> Decimal:
    other = uow.session.scalar(select(func.sum(Refund.amount)).where(
        Refund.loan_id == refund.loan_id, Refund.status.in_(("approved", "sent")), Refund.id != refund.id))
    return other or ZERO


def send_refund(app: Any, actor: Actor, refund_id: int, *, adapter: Any = None) -> Refund:
    """Hand the approved refund to the bank (safe to repeat: the bank dedupes). 503 when the bank is unreachable."""
    actor.require(REFUND_REVIEW)
    with app.uow() as uow:
        refund = get_refund(uow, actor, refund_id)
        if refund.status not in ("approved", "sent") or refund.payment_instruction_id is None:
            raise Conflict("servicing.refund.not_approved", Text(
                f"Refund {refund.id} is {refund.status}: only an approved refund can be sent.",
                f"退款申请 {refund.id} 状态为 {refund.status}：只有已审核通过的退款可以发送。"))
        instruction_id = refund.payment_instruction_id
    channels.send_payment(app, instruction_id, actor=SYSTEM, adapter=adapter)
    with app.uow() as uow:
        refund = get_refund(uow, actor, refund_id)
        if refund.status == "approved":
            refund.status = "sent"
            audit.record(uow, actor, "servicing.refund.send", "refund", refund.id, after=_snapshot(refund))
        uow.commit()
        uow.session.expunge(refund)
    return refund


def _refund_of(uow: UnitOfWork, event: PaymentPosted | PaymentFailed) -> Refund | None:
    if event.purpose != PURPOSE or not event.reference.startswith("refund:"):
        return None
    return uow.session.execute(select(Refund).where(Refund.id == int(event.reference.removeprefix("refund:")))
                               .with_for_update()).scalar_one_or_none()


def on_payment_posted(uow: UnitOfWork, event: PaymentPosted) -> None:
    refund = _refund_of(uow, event)
    if refund is None or refund.status not in ("approved", "sent"):
        return
    before = _snapshot(refund)
    loan = uow.session.get(LoanAccount, refund.loan_id)
    if loan is None:
        return
    day = service.business_date(uow)
    tx = LoanTransaction(loan_id=loan.id, type="refund", value_date=day, amount=refund.amount, status="confirmed",
                         channel="transfer", reference=(event.bank_reference or f"refund:{refund.id}")[:64],
                         idempotency_key=f"refund:{refund.id}", created_by=refund.requested_by,
                         confirmed_by=refund.reviewed_by)
    uow.session.add(tx)
    uow.flush()
    refund.status = "posted"
    refund.transaction_id = tx.id
    loan.credit_balance = loan.credit_balance - refund.amount
    uow.emit(events.RefundPaid(f"loan:{loan.id}:refund:{refund.id}", day, {"amount": refund.amount}, loan.id))
    audit.record(uow, SYSTEM, "servicing.refund.posted", "refund", refund.id, before=before, after=_snapshot(refund))


def on_payment_failed(uow: UnitOfWork, event: PaymentFailed) -> None:
    refund = _refund_of(uow, event)
    if refund is None or refund.status not in ("approved", "sent"):
        return
    before = _snapshot(refund)
    refund.status = "failed"
    refund.failure_reason = (event.reason or "failed")[:500]
    audit.record(uow, SYSTEM, "servicing.refund.failed", "refund", refund.id, before=before, after=_snapshot(refund))
    if refund.requested_by is not None:
        platform.notify(uow, refund.requested_by, f"退款失败 {refund.amount} 元",
                        f"退款申请 {refund.id} 付款失败：{refund.failure_reason}。溢缴款余额未变，可重新申请。",
                        link=f"/servicing/loans/{refund.loan_id}", template="servicing.refund.failed")


subscribe(PaymentPosted, on_payment_posted)
subscribe(PaymentFailed, on_payment_failed)


def list_refunds(uow: UnitOfWork, actor: Actor, *, status: str | None = None, loan_id: int | None = None,
                 page: int = 1, size: int = 50) -> tuple[list[Refund], int]:
    if not actor.can(REFUND_REVIEW):
        actor.require(REFUND_REQUEST)
    stmt = restrict(select(Refund).join(LoanAccount, LoanAccount.id == Refund.loan_id), actor,
                    department_column=LoanAccount.department_id, owner_column=LoanAccount.owner_id)
    if status:
        stmt = stmt.where(Refund.status == status)
    if loan_id is not None:
        stmt = stmt.where(Refund.loan_id == loan_id)
    return fetch_page(uow.session, stmt, (Refund.id.desc(),), page, size)
