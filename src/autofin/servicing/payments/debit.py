"""Direct debit (代扣): mandates, the debit attempts the end of day prepares, sending them through the bank channel,
and the bank's answer.

**Flow.** A mandate (代扣授权) names the customer's bank card authorised for one loan. The end-of-day step
``direct_debit`` of business date D prepares, set-based, attempt 1 for every unpaid installment due on D + 1 of a
loan with an active mandate (:func:`autofin.servicing.eod.steps.direct_debit`). On the due date
:func:`send_due_debits` (job ``servicing.direct_debit.send``, API, CLI) reserves a *collect* payment instruction in
channels under the attempt's deterministic key ``dd:<loan>:<installment>:<attempt>`` for what the installment owes
then, and sends it. The bank's signed callback settles it:

* posted → the repayment is recorded by the system (maker) and confirmed by the bank (checker): the bank's signed
  posting is the independent second confirmation that the four-eyes rule asks for, so no person confirms a direct
  debit. The transaction carries the attempt's key, so a repeated callback books nothing twice.
* failed → the loan's owner (客户经理 / collector) gets an in-app notification, and the next attempt of the retry
  policy (config ``servicing.direct_debit.retry_days``, default ``[0, 1, 3]``: the due date, +1, +3 days) is
  scheduled while the installment is still owed.

**Never two debits for one installment.** One attempt exists per (loan, installment, attempt) and its key is the
payment instruction's idempotency key; a new attempt is created only after the previous one failed; an attempt is
sent only while no other attempt of the installment is submitted or posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select

from autofin.audit import service as audit
from autofin.channels import service as channels
from autofin.channels.events import PaymentFailed, PaymentPosted
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.scoping import restrict
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, DomainError, Text, invalid
from autofin.kernel.events import subscribe
from autofin.kernel.money import ZERO
from autofin.platform import service as platform
from autofin.servicing import errors, service
from autofin.servicing.models import Installment, LoanAccount
from autofin.servicing.payments.models import DebitAttempt, DebitMandate
from autofin.servicing.permissions import DEBIT_MANAGE, DEBIT_SEND, DEBIT_VIEW, LOAN_VIEW, REPAYMENT_CONFIRM
from autofin.servicing.schemas import RepaymentCreate

PURPOSE = "direct_debit"
RETRY_KEY = "servicing.direct_debit.retry_days"
DEFAULT_RETRY_DAYS: tuple[int, ...] = (0, 1, 3)
LIVE = ("active", "overdue")
#: The checker of a direct debit: the bank, through its signed callback (see the module docstring).
BANK_CHECKER = Actor(user_id=None, username="bank", permissions=frozenset({REPAYMENT_CONFIRM, LOAN_VIEW}),
                     scope=DataScope.unrestricted())


def attempt_key(loan_id: int, installment: int, attempt: int) -> str:
    return f"dd:{loan_id}:{installment}:{attempt}"


def retry_days(uow: UnitOfWork, on: date | None = None) -> tuple[int, ...]:
    """Days after the due date of attempt 1, 2, … (config centre; a malformed value falls back to the default)."""
    raw = platform.get_parameter(uow, RETRY_KEY, on=on, default=list(DEFAULT_RETRY_DAYS))
    try:
        days = tuple(int(d) for d in raw)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_DAYS
    if not days or days[0] < 0 or any(b <= a for a, b in pairwise(days)) or len(days) > 10:
        return DEFAULT_RETRY_DAYS
    return days


# ------------------------------------------------------------------------------------------ mandates
def _mandate_snapshot(m: DebitMandate) -> dict[str, Any]:
    return {"loan_id": m.loan_id, "card_id": m.card_id, "card": m.card_masked, "authorised_on": m.authorised_on,
            "authorisation_ref": m.authorisation_ref, "status": m.status, "revoke_reason": m.revoke_reason}


def active_mandate(uow: UnitOfWork, loan_id: int) -> DebitMandate | None:
    return uow.session.scalar(select(DebitMandate).where(DebitMandate.loan_id == loan_id,
                                                         DebitMandate.status == "active"))


def authorise_mandate(uow: UnitOfWork, actor: Actor, loan_id: int, card_id: int, authorised_on: date,
                      authorisation_ref: str) -> DebitMandate:
    """代扣授权: the borrower's card for this loan. A new mandate replaces the active one (revoked as replaced)."""
    actor.require(DEBIT_MANAGE)
    loan = service.get_loan(uow, actor, loan_id)
    if loan.status not in LIVE:
        raise errors.loan_closed(loan.contract_no, loan.status)
    reference = authorisation_ref.strip()
    if not 1 <= len(reference) <= 64:
        raise invalid("authorisation_ref", "Give the reference of the signed authorisation (1–64 characters).",
                      "请填写代扣授权书编号（1–64 个字符）。", "servicing.mandate.invalid")
    if authorised_on < loan.disbursement_date - timedelta(days=366) or authorised_on > utcnow().date():
        raise invalid("authorised_on", "The authorisation date must not be in the future nor more than a year "
                      "before the loan.", "授权日期不能晚于今天，也不能早于放款前一年。", "servicing.mandate.invalid")
    found = customers.card_for_debit(uow, card_id)
    if found is None or found[0]["customer_id"] != loan.customer_id:
        raise invalid("card_id", f"Card {card_id} is not a bank card of this loan's borrower.",
                      f"银行卡 {card_id} 不是该笔贷款借款人的银行卡。", "servicing.mandate.card_invalid")
    view, _number = found
    if view["status"] != "active":
        raise invalid("card_id", f"Card {view['masked_number']} is {view['status']}: authorise an active card.",
                      f"银行卡 {view['masked_number']} 状态为 {view['status']}，请授权正常状态的银行卡。",
                      "servicing.mandate.card_invalid")
    previous = active_mandate(uow, loan.id)
    if previous is not None:
        _revoke(uow, actor, previous, f"replaced by card {view['masked_number']}")
    mandate = DebitMandate(loan_id=loan.id, customer_id=loan.customer_id, card_id=card_id,
                           card_masked=str(view["masked_number"]), bank_name=str(view.get("bank_name") or ""),
                           holder_name=str(view["holder_name"]), authorised_on=authorised_on,
                           authorisation_ref=reference, status="active", created_by=actor.user_id)
    uow.session.add(mandate)
    uow.flush()
    audit.record(uow, actor, "servicing.mandate.authorise", "debit_mandate", mandate.id,
                 after=_mandate_snapshot(mandate))
    return mandate


def _revoke(uow: UnitOfWork, actor: Actor, mandate: DebitMandate, reason: str) -> None:
    before = _mandate_snapshot(mandate)
    mandate.status = "revoked"
    mandate.revoked_on = utcnow().date()
    mandate.revoke_reason = reason[:200]
    waiting = uow.session.scalars(select(DebitAttempt).where(DebitAttempt.mandate_id == mandate.id,
                                                             DebitAttempt.status == "scheduled"))
    for attempt in waiting:
        attempt.status = "cancelled"
        attempt.failure_reason = f"mandate revoked: {reason}"[:500]
    uow.flush()
    audit.record(uow, actor, "servicing.mandate.revoke", "debit_mandate", mandate.id, before=before,
                 after=_mandate_snapshot(mandate))


def revoke_mandate(uow: UnitOfWork, actor: Actor, mandate_id: int, reason: str, version: int | None = None
                   ) -> DebitMandate:
    """撤销代扣授权: no further debits; attempts not yet sent are cancelled (sent ones still settle)."""
    actor.require(DEBIT_MANAGE)
    mandate = uow.session.get(DebitMandate, mandate_id)
    if mandate is None:
        raise mandate_not_found(mandate_id)
    service.get_loan(uow, actor, mandate.loan_id)  # data scope
    ensure_version(mandate, version, "代扣授权 mandate")
    if mandate.status != "active":
        raise Conflict("servicing.mandate.not_active", Text(f"Mandate {mandate_id} is already {mandate.status}.",
                                                            f"代扣授权 {mandate_id} 已是 {mandate.status} 状态。"))
    if len(reason.strip()) < 2:
        raise invalid("reason", "Give a reason (at least 2 characters).", "请填写撤销原因（至少 2 个字符）。",
                      "servicing.mandate.invalid")
    _revoke(uow, actor, mandate, reason.strip())
    return mandate


def list_mandates(uow: UnitOfWork, actor: Actor, loan_id: int) -> list[DebitMandate]:
    actor.require(DEBIT_VIEW)
    service.get_loan(uow, actor, loan_id)
    return list(uow.session.scalars(select(DebitMandate).where(DebitMandate.loan_id == loan_id)
                                    .order_by(DebitMandate.id.desc())))


def mandate_not_found(mandate_id: int) -> DomainError:
    from autofin.kernel.errors import NotFound

    return NotFound("servicing.mandate.not_found", Text(f"Mandate {mandate_id} does not exist.",
                                                        f"代扣授权 {mandate_id} 不存在。"))


# ------------------------------------------------------------------------------------------ sending
@dataclass
class DispatchResult:
    on: date
    submitted: int = 0
    skipped: int = 0
    cancelled: int = 0
    unavailable: int = 0
    failed: int = 0
    attempt_ids: list[int] = field(default_factory=list)


def _owed(row: Installment) -> Decimal:
    return (row.principal_due + row.interest_due + row.fee_due + row.penalty_due - row.principal_paid
            - row.interest_paid - row.fee_paid - row.penalty_paid - row.waived)


def _prepare(uow: UnitOfWork, attempt: DebitAttempt, result: DispatchResult) -> int | None:
    """Reserve the collect instruction of a scheduled attempt (or find it again); None when nothing is to be sent."""
    if attempt.status == "submitted":
        instruction = channels.get_payment(uow, SYSTEM, attempt.payment_instruction_id or 0)
        return instruction.id if instruction.state == "reserved" else None
    mandate = uow.session.get(DebitMandate, attempt.mandate_id)
    loan = uow.session.get(LoanAccount, attempt.loan_id)
    reason = ""
    if mandate is None or mandate.status != "active":
        reason = "mandate revoked"
    elif loan is None or loan.status not in LIVE:
        reason = f"loan {loan.status if loan else 'missing'}"
    if reason:
        attempt.status, attempt.failure_reason = "cancelled", reason
        result.cancelled += 1
        return None
    if mandate is None or loan is None:  # for the type checker: handled above
        return None
    row = uow.session.scalar(select(Installment).where(Installment.loan_id == loan.id,
                                                       Installment.number == attempt.installment))
    busy = uow.session.scalar(select(func.count(DebitAttempt.id)).where(
        DebitAttempt.loan_id == attempt.loan_id, DebitAttempt.installment == attempt.installment,
        DebitAttempt.id != attempt.id, DebitAttempt.status.in_(("submitted", "posted"))))
    owed = _owed(row) if row is not None else ZERO
    if owed <= ZERO or busy:
        attempt.status = "skipped"
        attempt.failure_reason = "already paid" if owed <= ZERO else "another debit of the installment is under way"
        result.skipped += 1
        return None
    card = customers.card_for_debit(uow, mandate.card_id)
    if card is None:
        attempt.status, attempt.failure_reason = "cancelled", "card removed"
        result.cancelled += 1
        return None
    view, number = card
    instruction = channels.reserve_payment(
        uow, SYSTEM, attempt.idempotency_key, number, owed, PURPOSE, f"debit:{attempt.id}",
        account_name=str(view["holder_name"]), direction="collect")
    attempt.amount = owed
    attempt.status = "submitted"
    attempt.payment_instruction_id = instruction.id
    audit.record(uow, SYSTEM, "servicing.debit.submit", "debit_attempt", attempt.id,
                 after={"loan_id": attempt.loan_id, "installment": attempt.installment, "attempt": attempt.attempt,
                        "amount": str(owed), "instruction_id": instruction.id, "card": mandate.card_masked})
    result.submitted += 1
    return instruction.id


def send_due_debits(app: Any, actor: Actor, on: date | None = None, *, adapter: Any = None,
                    progress: Callable[[int, int], None] | None = None) -> DispatchResult:
    """Send every attempt scheduled on or before ``on`` (default: the business date). Each attempt is prepared in
    its own transaction, then sent without holding one open; running it again sends nothing twice."""
    actor.require(DEBIT_SEND)
    with app.uow() as uow:
        day = on or service.business_date(uow)
        ids = list(uow.session.scalars(select(DebitAttempt.id).where(
            DebitAttempt.status.in_(("scheduled", "submitted")), DebitAttempt.scheduled_on <= day)
            .order_by(DebitAttempt.id)))
    result = DispatchResult(day)
    for done, attempt_id in enumerate(ids, start=1):
        with app.uow() as uow:
            attempt = uow.session.execute(select(DebitAttempt).where(DebitAttempt.id == attempt_id)
                                          .with_for_update()).scalar_one()
            if attempt.status not in ("scheduled", "submitted"):
                continue
            instruction_id = _prepare(uow, attempt, result)
            uow.commit()
        if instruction_id is not None:
            result.attempt_ids.append(attempt_id)
            try:
                sent = channels.send_payment(app, instruction_id, actor=SYSTEM, adapter=adapter)
            except DomainError:
                result.unavailable += 1  # kept as submitted + reserved: the next run sends it again
            else:
                if sent.state == "failed":
                    result.failed += 1
        if progress is not None:
            progress(done, len(ids))
    return result


# ------------------------------------------------------------------------------------------ the bank's answer
def _attempt_of(uow: UnitOfWork, event: PaymentPosted | PaymentFailed) -> DebitAttempt | None:
    if event.purpose != PURPOSE or not event.reference.startswith("debit:"):
        return None
    attempt_id = int(event.reference.removeprefix("debit:"))
    return uow.session.execute(select(DebitAttempt).where(DebitAttempt.id == attempt_id)
                               .with_for_update()).scalar_one_or_none()


def _notify_owner(uow: UnitOfWork, loan: LoanAccount, title: str, body: str, template: str) -> None:
    if loan.owner_id is not None:
        platform.notify(uow, loan.owner_id, title, body, link=f"/servicing/loans/{loan.id}", template=template)


def on_payment_posted(uow: UnitOfWork, event: PaymentPosted) -> None:
    attempt = _attempt_of(uow, event)
    if attempt is None or attempt.status != "submitted":
        return
    attempt.status = "posted"
    attempt.settled_at = utcnow()
    command = RepaymentCreate(date=attempt.scheduled_on, amount=event.amount, channel="direct_debit",
                              reference=(event.bank_reference or attempt.idempotency_key)[:64])
    try:
        tx = service.record_repayment(uow, SYSTEM, attempt.loan_id, command, idempotency_key=attempt.idempotency_key)
        service.confirm_repayment(uow, BANK_CHECKER, tx.id)
    except DomainError as error:  # e.g. the loan was settled meanwhile: the money is in, a person must place it
        attempt.failure_reason = f"collected but not booked: {error.message.en}"[:500]
        loan = uow.session.get(LoanAccount, attempt.loan_id)
        if loan is not None:
            _notify_owner(uow, loan, f"代扣已入账但未能记账 {loan.contract_no}",
                          f"代扣 {event.amount} 元已到账，但无法记入贷款：{error.message.zh} 请人工处理。",
                          "servicing.debit.unbooked")
    else:
        attempt.transaction_id = tx.id
    audit.record(uow, BANK_CHECKER, "servicing.debit.posted", "debit_attempt", attempt.id,
                 after={"amount": str(event.amount), "transaction_id": attempt.transaction_id})


def on_payment_failed(uow: UnitOfWork, event: PaymentFailed) -> None:
    attempt = _attempt_of(uow, event)
    if attempt is None or attempt.status != "submitted":
        return
    attempt.status = "failed"
    attempt.settled_at = utcnow()
    attempt.failure_reason = (event.reason or "failed")[:500]
    loan = uow.session.get(LoanAccount, attempt.loan_id)
    days = retry_days(uow, attempt.due_date)
    next_attempt: DebitAttempt | None = None
    mandate = uow.session.get(DebitMandate, attempt.mandate_id)
    if attempt.attempt < len(days) and mandate is not None and mandate.status == "active" and loan is not None \
            and loan.status in LIVE:
        number = attempt.attempt + 1
        on = max(attempt.due_date + timedelta(days=days[number - 1]), attempt.scheduled_on + timedelta(days=1))
        next_attempt = DebitAttempt(loan_id=attempt.loan_id, mandate_id=attempt.mandate_id,
                                    installment=attempt.installment, attempt=number, due_date=attempt.due_date,
                                    scheduled_on=on, idempotency_key=attempt_key(attempt.loan_id,
                                                                                 attempt.installment, number),
                                    status="scheduled", failure_reason="")
        uow.session.add(next_attempt)
        uow.flush()
    audit.record(uow, BANK_CHECKER, "servicing.debit.failed", "debit_attempt", attempt.id,
                 after={"reason": attempt.failure_reason,
                        "next_attempt_on": next_attempt.scheduled_on if next_attempt else None})
    if loan is not None:
        then = (f"下次代扣日 {next_attempt.scheduled_on}。" if next_attempt
                else "重试次数已用完，请联系借款人还款。")
        _notify_owner(uow, loan, f"代扣失败 {loan.contract_no} 第 {attempt.installment} 期",
                      f"第 {attempt.attempt} 次代扣 {attempt.amount} 元失败：{attempt.failure_reason}。{then}",
                      "servicing.debit.failed")


subscribe(PaymentPosted, on_payment_posted)
subscribe(PaymentFailed, on_payment_failed)


# ------------------------------------------------------------------------------------------ lists
def list_attempts(uow: UnitOfWork, actor: Actor, *, status: str | None = None, on: date | None = None,
                  loan_id: int | None = None, page: int = 1, size: int = 50) -> tuple[list[dict[str, Any]], int]:
    """Debit attempts (newest first) with the loan's contract number: the run list and its failures."""
    actor.require(DEBIT_VIEW)
    stmt = restrict(select(DebitAttempt, LoanAccount.contract_no, LoanAccount.customer_name)
                    .join(LoanAccount, LoanAccount.id == DebitAttempt.loan_id), actor,
                    department_column=LoanAccount.department_id, owner_column=LoanAccount.owner_id)
    if status:
        stmt = stmt.where(DebitAttempt.status == status)
    if on is not None:
        stmt = stmt.where(DebitAttempt.scheduled_on == on)
    if loan_id is not None:
        stmt = stmt.where(DebitAttempt.loan_id == loan_id)
    total = uow.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = uow.session.execute(stmt.order_by(DebitAttempt.scheduled_on.desc(), DebitAttempt.id.desc())
                               .offset((page - 1) * size).limit(size)).all()
    return [attempt_view(a, contract_no, name) for a, contract_no, name in rows], total


def attempt_view(a: DebitAttempt, contract_no: str = "", customer_name: str = "") -> dict[str, Any]:
    return {"id": a.id, "loan_id": a.loan_id, "contract_no": contract_no, "customer_name": customer_name,
            "installment": a.installment, "attempt": a.attempt, "due_date": a.due_date,
            "scheduled_on": a.scheduled_on, "status": a.status, "amount": a.amount,
            "idempotency_key": a.idempotency_key, "payment_instruction_id": a.payment_instruction_id,
            "transaction_id": a.transaction_id, "failure_reason": a.failure_reason}


def debit_runs(uow: UnitOfWork, actor: Actor, *, limit: int = 60) -> list[dict[str, Any]]:
    """One row per debit day: how many attempts were scheduled, sent, posted, failed, and the amount collected."""
    actor.require(DEBIT_VIEW)

    def count(status: str) -> Any:
        return func.sum(case((DebitAttempt.status == status, 1), else_=0))

    posted_amount = func.sum(case((DebitAttempt.status == "posted", DebitAttempt.amount), else_=None))
    stmt = restrict(select(DebitAttempt.scheduled_on, func.count(DebitAttempt.id), count("scheduled"),
                           count("submitted"), count("posted"), count("failed"), count("skipped"),
                           count("cancelled"), posted_amount)
                    .join(LoanAccount, LoanAccount.id == DebitAttempt.loan_id), actor,
                    department_column=LoanAccount.department_id, owner_column=LoanAccount.owner_id)
    rows = uow.session.execute(stmt.group_by(DebitAttempt.scheduled_on)
                               .order_by(DebitAttempt.scheduled_on.desc()).limit(limit)).all()
    names = ("scheduled", "submitted", "posted", "failed", "skipped", "cancelled")
    result = []
    for row in rows:
        item: dict[str, Any] = {"date": row[0], "attempts": int(row[1])}
        item.update({name: int(value or 0) for name, value in zip(names, row[2:8], strict=True)})
        item["collected"] = row[8] if row[8] is not None else ZERO
        result.append(item)
    return result
