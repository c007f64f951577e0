"""Special business use cases (特殊业务): every kind is **apply → review → execute**, audited.

* ``apply_<kind>(uow, actor, loan_id, cmd, idempotency_key=None) -> SpecialRequest`` checks eligibility now,
  computes a preview (quote, new schedule, limits) and sets the approval level (``approval_permission`` held by
  ``approvals_needed`` distinct people other than the applicant).
* ``review_request`` approves (one level at a time) or rejects; ``execute_request`` re-checks eligibility on the
  loan as it stands and does the business; ``cancel_request`` withdraws it.
* Money moves as loan transactions and servicing events (ledger postings through ``subscribers.py``).

Extension, restructure and a repayment-day change **rebase** the loan: the loan's terms are replaced by new terms
that start at the rebase date with the balance then outstanding; a marker transaction records it and its id goes
to ``LoanAccount.rebased_after_transaction_id`` — the replay applies only later transactions (earlier ones are
history, kept with the replaced terms and installments in the request's ``result``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.calc import add_months
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed, invalid
from autofin.kernel.money import HUNDRED, ZERO, quantize
from autofin.platform import service as platform
from autofin.products import service as products
from autofin.servicing import events
from autofin.servicing import service as servicing
from autofin.servicing.engine import LoanState, Transaction, replay
from autofin.servicing.engine.io import parse_setup
from autofin.servicing.models import LoanAccount, LoanTransaction
from autofin.servicing.permissions import (
    LOAN_VIEW,
    SPECIAL_APPLY,
    SPECIAL_APPROVE,
    SPECIAL_EXECUTE,
    SPECIAL_REVIEW,
)
from autofin.servicing.special import errors
from autofin.servicing.special.history import CLASSES, record_classification_change
from autofin.servicing.special.models import ClassificationChange, SpecialRequest
from autofin.servicing.special.schemas import (
    ContactIn,
    ContractChangeApply,
    ExtensionApply,
    PrepaymentApply,
    ReclassificationApply,
    RecoveryApply,
    RestructureApply,
    ReviewCommand,
    TransferApply,
    WaiverApply,
    WriteOffApply,
)

KINDS = ("prepayment", "extension", "restructure", "transfer", "contract_change", "waiver", "write_off", "recovery",
         "reclassification")
OPEN = ("pending", "approved")
LIVE = ("active", "overdue")
CODE = "servicing.special.invalid"

# Config-center parameters (platform.get_parameter, per product) and their defaults.
P_EXTENSIONS = "servicing.extension.max_count"  # 展期次数上限
P_WAIVER_LIMIT = "servicing.waiver.single_review_limit"  # ≤ one reviewer; above a manager
P_WRITE_OFF_DPD = "servicing.write_off.min_days_past_due"
P_WRITE_OFF_LIMIT = "servicing.write_off.single_approval_limit"  # ≤ one manager; above two managers
P_OBSERVATION = "servicing.restructure.observation_months"
DEFAULTS: dict[str, Any] = {P_EXTENSIONS: 1, P_WAIVER_LIMIT: Decimal("1000.00"), P_WRITE_OFF_DPD: 180,
                            P_WRITE_OFF_LIMIT: Decimal("100000.00"), P_OBSERVATION: 6}


def _m(value: Decimal) -> str:
    return f"{quantize(value):.2f}"


def parameter(uow: UnitOfWork, key: str, loan: LoanAccount | None = None) -> Any:
    return platform.get_parameter(uow, key, product=loan.product_code if loan else None, default=DEFAULTS[key])


# ------------------------------------------------------------------------------------------ reading
def get_request(uow: UnitOfWork, actor: Actor, request_id: int) -> SpecialRequest:
    actor.require(LOAN_VIEW)
    request = uow.session.get(SpecialRequest, request_id)
    if request is None or not visible(actor, request.department_id, request.owner_id):
        raise errors.request_not_found(request_id)
    return request


def list_requests(uow: UnitOfWork, actor: Actor, *, status: str | None = None, kind: str | None = None,
                  loan_id: int | None = None, page: int = 1, size: int = 50) -> tuple[list[SpecialRequest], int]:
    """The review queue (``status=pending``) and history, restricted to the actor's data scope."""
    actor.require(LOAN_VIEW)
    statement = restrict(select(SpecialRequest), actor, department_column=SpecialRequest.department_id,
                         owner_column=SpecialRequest.owner_id)
    if status:
        statement = statement.where(SpecialRequest.status == status)
    if kind:
        statement = statement.where(SpecialRequest.kind == kind)
    if loan_id is not None:
        statement = statement.where(SpecialRequest.loan_id == loan_id)
    return fetch_page(uow.session, statement, (SpecialRequest.id.desc(),), page, size)


def classification_history(uow: UnitOfWork, actor: Actor, loan_id: int) -> list[ClassificationChange]:
    loan = servicing.get_loan(uow, actor, loan_id)
    return list(uow.session.scalars(select(ClassificationChange).where(ClassificationChange.loan_id == loan.id)
                                    .order_by(ClassificationChange.id)))


# ------------------------------------------------------------------------------------------ helpers
def _state(uow: UnitOfWork, loan: LoanAccount, on: date) -> LoanState:
    state, _rows = servicing.replay_loan(uow, loan, on)
    return state


def _effective_date(uow: UnitOfWork, loan: LoanAccount, wanted: date | None) -> date:
    """The business date by default; never before the loan's last transaction or the last end of day."""
    on = wanted or servicing.business_date(uow)
    last_tx = uow.session.scalar(select(func.max(LoanTransaction.value_date)).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.status == "confirmed"))
    floor = max(d for d in (loan.disbursement_date, last_tx, servicing.last_business_date(uow)) if d is not None)
    if on < floor:
        raise invalid("effective_date", f"the effective date must be on or after {floor} (the loan's last "
                      "transaction or end of day)", f"生效日期不能早于 {floor}（贷款最后一笔交易或最近日终日期）",
                      code=CODE)
    return on


def _require_live(loan: LoanAccount) -> None:
    if loan.status not in LIVE:
        raise errors.loan_state(loan.contract_no, loan.status, "active or overdue", "正常或逾期")


def _due_owed(state: LoanState, on: date) -> dict[str, Decimal]:
    """What is owed on installments due on or before ``on`` (per bucket)."""
    due = [r for r in state.rows if r.due_date <= on]
    return {b: sum((r.owed(b) for r in due), ZERO) for b in ("principal", "interest", "fees", "penalty")}


def _receivables(uow: UnitOfWork, loan: LoanAccount, state: LoanState) -> tuple[Decimal, Decimal]:
    """Interest and penalty receivable as of the state, and book in the ledger what the batch has not accrued yet
    (so a write-off, transfer or capitalisation clears exactly what 1132 holds for this loan)."""
    rows = servicing.installments_of(uow, loan)
    paid_interest = sum((r.paid["interest"] + r.waived["interest"] for r in state.rows), ZERO)
    paid_penalty = sum((r.paid["penalty"] + r.waived["penalty"] for r in state.rows), ZERO)
    booked_interest = sum((r.interest_accrued for r in rows), ZERO) - paid_interest
    booked_penalty = sum((r.penalty_due for r in rows), ZERO) - paid_penalty
    interest, penalty = state.payoff.interest, state.payoff.penalties
    on = state.as_of
    if interest > booked_interest:
        uow.emit(events.InterestAccrued(f"loan:{loan.id}:special-accrual:{on}:{interest - booked_interest}", on,
                                        {"interest": interest - booked_interest}, loan.id))
    if penalty > booked_penalty:
        uow.emit(events.PenaltyAccrued(f"loan:{loan.id}:special-penalty:{on}:{penalty - booked_penalty}", on,
                                       {"penalty": penalty - booked_penalty}, loan.id))
    return max(interest, booked_interest, ZERO), max(penalty, booked_penalty, ZERO)


def _marker(uow: UnitOfWork, loan: LoanAccount, request: SpecialRequest, actor: Actor, tx_type: str, amount: Decimal,
            allocation: dict[str, Any], channel: str = "counter", reference: str = "") -> LoanTransaction:
    tx = LoanTransaction(loan_id=loan.id, type=tx_type, value_date=request.effective_date, amount=amount,
                         status="confirmed", allocation=allocation, channel=channel,
                         reference=reference or f"special:{request.id}", created_by=request.applicant_id,
                         confirmed_by=actor.user_id)
    uow.session.add(tx)
    uow.flush()
    return tx


def _set_class(uow: UnitOfWork, loan: LoanAccount, rank: int, on: date, *, source: str, reason: str, actor: Actor,
               request_id: int | None) -> None:
    if rank == loan.classification_rank:
        return
    record_classification_change(uow, loan.id, on, loan.classification_rank, rank, source=source, reason=reason,
                                 actor=actor, request_id=request_id)
    loan.classification_rank, loan.classification = rank, CLASSES[rank - 1]


def class_floor(loan: LoanAccount, on: date) -> int:
    """The best class the loan may have: the DPD floors, and 次级 during a restructuring's observation period."""
    floor = servicing.classification_floor(loan.days_past_due)
    if loan.restructured_until is not None and loan.restructured_until >= on:
        floor = max(floor, 3)
    return floor


# ------------------------------------------------------------------------------------------ the request life
def _open(uow: UnitOfWork, actor: Actor, loan: LoanAccount, kind: str, on: date, *, amount: Decimal,
          payload: dict[str, Any], preview: dict[str, Any], permission: str, needed: int = 1, reason: str = "",
          idempotency_key: str | None = None) -> SpecialRequest:
    existing = uow.session.scalar(select(SpecialRequest).where(SpecialRequest.loan_id == loan.id,
                                                               SpecialRequest.kind == kind,
                                                               SpecialRequest.status.in_(OPEN)))
    if existing is not None:
        raise errors.already_open(kind, existing.id)
    request = SpecialRequest(
        loan_id=loan.id, kind=kind, status="pending", effective_date=on, amount=quantize(amount), reason=reason,
        payload=payload, preview=preview, approval_permission=permission, approvals_needed=needed, approvals=[],
        department_id=loan.department_id, owner_id=loan.owner_id, applicant_id=actor.user_id,
        applicant_name=actor.username[:64], decision_comment="", idempotency_key=idempotency_key)
    uow.session.add(request)
    uow.flush()
    audit.record(uow, actor, f"servicing.special.{kind}.apply", "special_request", request.id,
                 after={"loan_id": loan.id, "kind": kind, "amount": _m(request.amount), "effective_date": on,
                        "payload": payload, "approval": {"permission": permission, "needed": needed}})
    return request


def _start(uow: UnitOfWork, actor: Actor, loan_id: int, kind: str, idempotency_key: str | None,
           loan_version: int | None) -> tuple[LoanAccount, SpecialRequest | None]:
    """Permission, visibility, a replayed idempotency key (the first request comes back), the loan version."""
    actor.require(SPECIAL_APPLY)
    loan = servicing.get_loan(uow, actor, loan_id)
    if idempotency_key:
        first = uow.session.scalar(select(SpecialRequest).where(SpecialRequest.idempotency_key == idempotency_key))
        if first is not None:
            if first.loan_id != loan.id or first.kind != kind:
                raise errors.idempotency_reused()
            return loan, first
    ensure_version(loan, loan_version, "贷款账户 loan account")
    return loan, None


def review_request(uow: UnitOfWork, actor: Actor, request_id: int, cmd: ReviewCommand) -> SpecialRequest:
    """审核: approve (one level; approved when enough distinct approvers with the permission) or reject."""
    actor.require(SPECIAL_REVIEW)
    request = get_request(uow, actor, request_id)
    ensure_version(request, cmd.version, "特殊业务申请 special business request")
    if request.status != "pending":
        raise errors.wrong_status(request.id, request.status, "pending")
    if request.applicant_id is not None and request.applicant_id == actor.user_id:
        raise errors.same_person()
    before = {"status": request.status, "approvals": len(request.approvals)}
    if cmd.decision == "reject":
        if len(cmd.comment) < 2:
            raise invalid("comment", "say why the request is rejected (at least 2 characters)",
                          "驳回须填写原因（至少 2 个字）", code=CODE)
        request.status = "rejected"
        request.decided_by, request.decided_at, request.decision_comment = actor.user_id, utcnow(), cmd.comment
    else:
        actor.require(request.approval_permission)
        if any(a.get("user_id") == actor.user_id for a in request.approvals):
            raise errors.already_approved()
        request.approvals = [*request.approvals, {"user_id": actor.user_id, "username": actor.username,
                                                  "at": utcnow().isoformat(), "comment": cmd.comment}]
        if len(request.approvals) >= request.approvals_needed:
            request.status = "approved"
            request.decided_by, request.decided_at, request.decision_comment = actor.user_id, utcnow(), cmd.comment
    uow.flush()
    audit.record(uow, actor, f"servicing.special.{request.kind}.review", "special_request", request.id,
                 before=before, after={"status": request.status, "decision": cmd.decision, "comment": cmd.comment,
                                       "approvals": len(request.approvals)})
    return request


def cancel_request(uow: UnitOfWork, actor: Actor, request_id: int, reason: str,
                   version: int | None = None) -> SpecialRequest:
    actor.require(SPECIAL_APPLY)
    request = get_request(uow, actor, request_id)
    ensure_version(request, version, "特殊业务申请 special business request")
    if request.status not in OPEN:
        raise errors.wrong_status(request.id, request.status, "pending or approved")
    before = request.status
    request.status = "cancelled"
    request.decision_comment = reason[:500]
    uow.flush()
    audit.record(uow, actor, f"servicing.special.{request.kind}.cancel", "special_request", request.id,
                 before={"status": before}, after={"status": "cancelled", "reason": reason})
    return request


def execute_request(uow: UnitOfWork, actor: Actor, request_id: int, version: int | None = None) -> SpecialRequest:
    """执行: re-checks eligibility on the loan as it stands, then does the business (same transaction)."""
    actor.require(SPECIAL_EXECUTE)
    request = get_request(uow, actor, request_id)
    ensure_version(request, version, "特殊业务申请 special business request")
    if request.status != "approved":
        raise errors.wrong_status(request.id, request.status, "approved")
    loan = servicing.get_loan(uow, actor, request.loan_id)
    before = {"loan_status": loan.status, "principal_outstanding": _m(loan.principal_outstanding),
              "classification": loan.classification, "customer_id": loan.customer_id}
    result = EXECUTORS[request.kind](uow, actor, loan, request)
    request.status = "executed"
    request.executed_by, request.executed_at = actor.user_id, utcnow()
    request.result = result
    uow.flush()
    audit.record(uow, actor, f"servicing.special.{request.kind}.execute", "special_request", request.id,
                 before=before, after={"loan_status": loan.status,
                                       "principal_outstanding": _m(loan.principal_outstanding),
                                       "classification": loan.classification, "customer_id": loan.customer_id,
                                       "result": {k: v for k, v in result.items() if k != "replaced"}})
    return request


# ------------------------------------------------------------------------------------------ 1. prepayment
def _prepayment_rule(uow: UnitOfWork, loan: LoanAccount) -> tuple[int, Decimal]:
    """(months after disbursement from which prepayment is allowed, fee percent): the product version's rule,
    else the contract terms (no waiting period)."""
    fee = servicing.loan_setup(loan).terms.prepayment_fee_percent
    try:
        product = products.get_product(uow, SYSTEM, loan.product_code)
        version = next((v for v in products.versions_of(uow, product) if v.number == loan.product_version), None)
    except DomainError:
        version = None
    if version is None:
        return 0, fee
    return int(version.prepayment_after_months), fee


def prepayment_quote(uow: UnitOfWork, actor: Actor, loan_id: int, on: date | None = None,
                     amount: Decimal | None = None) -> dict[str, Any]:
    """提前还款试算 as of ``on``: the payoff (full) or what ``amount`` would pay and the loan after it (partial)."""
    loan = servicing.get_loan(uow, actor, loan_id)
    _require_live(loan)
    on = _effective_date(uow, loan, on)
    after_months, fee_percent = _prepayment_rule(uow, loan)
    allowed_from = add_months(loan.disbursement_date, after_months)
    if on < allowed_from:
        raise errors.rule("prepayment_too_early",
                          f"Prepayment is allowed from {allowed_from} ({after_months} months after disbursement "
                          f"under product {loan.product_code}); choose that date or later.",
                          f"该产品（{loan.product_code}）放款满 {after_months} 个月后方可提前还款，即 {allowed_from} "
                          "起；请选择该日或之后的日期。")
    state = _state(uow, loan, on)
    payoff = state.payoff
    quote: dict[str, Any] = {
        "as_of": on, "allowed_from": allowed_from, "prepayment_fee_percent": str(fee_percent.normalize()),
        "payoff": {"principal": payoff.principal, "interest": payoff.interest, "fees": payoff.fees,
                   "penalties": payoff.penalties, "prepayment_fee": payoff.prepayment_fee, "credit": payoff.credit,
                   "total": payoff.total},
        "mode": "full", "amount": payoff.total, "allocation": None, "after": None,
    }
    if amount is None:
        return quote
    owed = _due_owed(state, on)
    due_now = sum(owed.values(), ZERO)
    if amount <= due_now:
        raise invalid("amount", f"a prepayment must be more than what is due now ({_m(due_now)}); record a repayment "
                      "for that", f"提前还款金额须大于当前应还 {_m(due_now)}；该部分请按正常还款录入", code=CODE)
    if amount >= payoff.total:
        raise invalid("amount", f"{_m(amount)} settles the loan (payoff {_m(payoff.total)}): choose mode full",
                      f"{_m(amount)} 已足以结清贷款（结清金额 {_m(payoff.total)}），请选择全部提前还款", code=CODE)
    pairs = servicing._engine_transactions(uow, loan)
    after = replay(servicing.loan_setup(loan), [p[1] for p in pairs] + [Transaction(on, "prepayment", amount)], on)
    applied = after.applied[-1]
    future = [r for r in after.rows if r.due_date > on and r.total_owed > ZERO]
    quote.update(mode="partial", amount=amount, allocation=servicing.allocation_of(applied), after={
        "principal_outstanding": _m(after.principal_outstanding), "remaining_installments": len(future),
        "next_installment": _m(future[0].total_owed) if future else "0.00",
        "maturity_date": future[-1].due_date.isoformat() if future else None,
        "advance_payment": servicing.loan_setup(loan).advance_payment})
    return quote


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _m(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def apply_prepayment(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: PrepaymentApply,
                     idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "prepayment", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    if cmd.mode == "partial" and (cmd.amount is None or cmd.amount <= ZERO):
        raise invalid("amount", "a partial prepayment needs an amount more than 0.00",
                      "部分提前还款须填写大于 0 的金额", code=CODE)
    quote = prepayment_quote(uow, actor, loan_id, cmd.effective_date, cmd.amount if cmd.mode == "partial" else None)
    return _open(uow, actor, loan, "prepayment", quote["as_of"], amount=quote["amount"],
                 payload={"mode": cmd.mode, "amount": _m(quote["amount"]), "channel": cmd.channel},
                 preview=_jsonable(quote), permission=SPECIAL_REVIEW, reason=cmd.reason,
                 idempotency_key=idempotency_key)


def _book_money_in(uow: UnitOfWork, loan: LoanAccount, tx: LoanTransaction) -> dict[str, Any]:
    """Allocate a confirmed repayment / prepayment and emit its ledger events (as ``confirm_repayment`` does)."""
    servicing._apply(uow, loan)
    allocation = tx.allocation or {}
    amounts = {k: Decimal(allocation.get(k, "0")) for k in ("principal", "interest", "penalty")}
    fee = Decimal(allocation.get("fees", "0")) + Decimal(allocation.get("prepayment_fee", "0"))
    source = f"loan:{loan.id}:tx:{tx.id}"
    uow.emit(events.PrepaymentReceived(source, tx.value_date, {"principal": amounts["principal"], "interest":
                                       amounts["interest"] + amounts["penalty"], "fee": fee}, loan.id))
    credit = Decimal(allocation.get("credit", "0"))
    if credit > ZERO:
        uow.emit(events.CreditBalanceCreated(f"{source}:credit", tx.value_date, {"amount": credit}, loan.id))
    return allocation


def _execute_prepayment(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    full = request.payload["mode"] == "full"
    quote = prepayment_quote(uow, actor, loan.id, request.effective_date,
                             None if full else Decimal(request.payload["amount"]))
    amount = quote["amount"]
    tx = LoanTransaction(loan_id=loan.id, type="prepayment", value_date=request.effective_date, amount=amount,
                         status="confirmed", channel=request.payload.get("channel", "transfer"),
                         reference=f"special:{request.id}", created_by=request.applicant_id,
                         confirmed_by=actor.user_id)
    uow.session.add(tx)
    uow.flush()
    allocation = _book_money_in(uow, loan, tx)
    return {"transaction_id": tx.id, "amount": _m(amount), "allocation": allocation, "loan_status": loan.status,
            "principal_outstanding": _m(loan.principal_outstanding)}


# ------------------------------------------------------------------------------------------ rebase (2, 3, 5)
def _months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (a part month counts as one)."""
    months = 0
    while add_months(start, months) < end:
        months += 1
    return months


def _plan(uow: UnitOfWork, loan: LoanAccount, on: date, *, start: date | None, term: int, rate: Decimal,
          first_due_date: date | None, method: str | None = None,
          capitalise: bool = False) -> dict[str, Any]:
    """New terms for the balance outstanding on ``on`` (the pure part of a rebase, also the preview)."""
    state = _state(uow, loan, on)
    if state.credit > ZERO:
        raise errors.rule("credit_balance", f"The loan has a credit balance of {_m(state.credit)}: refund it or "
                          "apply it before changing the schedule.", f"贷款有溢缴款 {_m(state.credit)}：请先退款或"
                          "冲抵后再变更还款计划。")
    future = [r for r in state.rows if r.due_date > on]
    if any(r.total_paid > ZERO or any(r.waived.values()) for r in future):
        raise errors.rule("paid_in_advance", "Installments not yet due are partly paid in advance: settle the "
                          "advance (or wait until they fall due) before changing the schedule.",
                          "尚未到期的期次已有提前支付：请先处理预收款（或待其到期）后再变更还款计划。")
    owed = _due_owed(state, on)
    arrears = {"interest": state.payoff.interest if capitalise else owed["interest"], "penalty": owed["penalty"],
               "fees": owed["fees"]}
    if not capitalise and (owed["principal"] > ZERO or sum(arrears.values(), ZERO) > ZERO):
        raise errors.rule("not_current", f"The loan owes {_m(owed['principal'] + sum(arrears.values(), ZERO))} "
                          "that is due: it must be current for this change; an overdue loan is restructured instead.",
                          f"贷款尚有到期未还 {_m(owed['principal'] + sum(arrears.values(), ZERO))}：须先结清到期款项，"
                          "逾期贷款请走重组。")
    setup = servicing.loan_setup(loan)
    due = [r for r in state.rows if r.due_date <= on]
    if start is None:  # the running period's start: the new rate and schedule take over from there
        start = max([setup.terms.disbursement_date, *(r.due_date for r in due)])
    principal = state.principal_outstanding + (sum(arrears.values(), ZERO) if capitalise else ZERO)
    if principal <= ZERO:
        raise errors.rule("nothing_outstanding", "Nothing is outstanding: there is no balance to reschedule.",
                          "贷款无未还本金，无需变更还款计划。")
    terms = {k: v for k, v in loan.setup.items() if k not in (
        "fees", "grace_on_principal", "grace_on_interest_payment", "grace_on_interest_charged", "first_due_date",
        "balloon")}
    fees = [dict(f) for f in loan.setup.get("fees") or [] if f.get("timing") == "per_installment"]
    for fee in fees:  # a percent of the original principal stays the same amount per installment
        if fee.get("percent") is not None:
            fee["amount"] = _m(loan.principal * Decimal(str(fee.pop("percent"))) / HUNDRED)
    if fees:
        terms["fees"] = fees
    balloon = Decimal(str(loan.setup.get("balloon") or "0"))
    if ZERO < balloon < principal and not capitalise:
        terms["balloon"] = _m(balloon)
    terms.update(principal=_m(principal), annual_rate=str(rate.normalize()), term=term,
                 disbursement_date=start.isoformat())
    if method:
        terms["method"] = method
    if first_due_date is not None:
        terms["first_due_date"] = first_due_date.isoformat()
    try:
        new_setup = parse_setup(terms)
        preview = replay(new_setup, [], on)
    except ValidationFailed as error:
        first = error.errors[0] if error.errors else None
        raise invalid(first.field if first else "terms", f"the new schedule cannot be built: {error.message.en}",
                      f"无法生成新的还款计划：{error.message.zh}", code=CODE) from None
    running = next((r for r in servicing.installments_of(uow, loan) if r.due_date > on), None)
    return {
        "as_of": on, "start": start, "terms": terms, "principal": principal, "capitalised": arrears if capitalise
        else {}, "carried_accrual": running.interest_accrued if running is not None and not capitalise else ZERO,
        "old_maturity": loan.maturity_date, "new_maturity": preview.rows[-1].due_date,
        "schedule": [{"number": r.number, "due_date": r.due_date, "principal": r.principal, "interest": r.interest,
                      "fees": r.fees, "total": r.total} for r in preview.rows],
        "old_next": ({"due_date": future[0].due_date, "total": future[0].total_owed} if future else None),
    }


def _rebase(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest, plan: dict[str, Any],
            marker_type: str) -> dict[str, Any]:
    """Replace the loan's terms by ``plan`` (history kept in the result), rewrite the installments."""
    replaced = {"setup": loan.setup, "maturity_date": loan.maturity_date.isoformat(),
                "annual_rate": str(loan.annual_rate.normalize()),
                "rebased_after_transaction_id": loan.rebased_after_transaction_id,
                "installments": [{"number": r.number, "due_date": r.due_date.isoformat(),
                                  "principal_due": _m(r.principal_due), "interest_due": _m(r.interest_due),
                                  "principal_paid": _m(r.principal_paid), "interest_paid": _m(r.interest_paid),
                                  "status": r.status} for r in servicing.installments_of(uow, loan)]}
    capitalised = sum(plan["capitalised"].values(), ZERO)
    marker = _marker(uow, loan, request, actor, marker_type, plan["principal"], {
        # a capitalisation raises the principal: the subledger reads it as principal "repaid" negatively
        "principal": _m(-capitalised), "capitalised": _jsonable(plan["capitalised"]),
        "rescheduled_principal": _m(plan["principal"])})
    loan.setup = plan["terms"]
    loan.rebased_after_transaction_id = marker.id
    loan.annual_rate = Decimal(plan["terms"]["annual_rate"])
    state = _state(uow, loan, plan["as_of"])
    loan.maturity_date = state.rows[-1].due_date
    servicing._write_installments(uow, loan, state, {1: plan["carried_accrual"]})
    return {"transaction_id": marker.id, "principal": _m(plan["principal"]), "start": plan["start"].isoformat(),
            "new_maturity": loan.maturity_date.isoformat(), "old_maturity": replaced["maturity_date"],
            "capitalised": _jsonable(plan["capitalised"]), "replaced": replaced}


# ------------------------------------------------------------------------------------------ 2. extension
def _original(uow: UnitOfWork, loan: LoanAccount) -> tuple[date, int]:
    """The original maturity and the original term in months (before any extension or restructure)."""
    first = uow.session.scalar(select(SpecialRequest).where(
        SpecialRequest.loan_id == loan.id, SpecialRequest.status == "executed",
        SpecialRequest.kind.in_(("extension", "restructure", "contract_change"))).order_by(SpecialRequest.id))
    maturity = loan.maturity_date
    if first is not None and first.result and first.result.get("old_maturity"):
        maturity = date.fromisoformat(first.result["old_maturity"])
    return maturity, _months_between(loan.disbursement_date, maturity)


def extension_limit(original_months: int) -> tuple[str, int]:
    """贷款通则 第十二条: short-term (≤ 1 year) total extension ≤ the original term; medium-term (1–5 years)
    ≤ half of it; long-term ≤ 3 years. Returns (category, months allowed in total)."""
    if original_months <= 12:
        return "short", original_months
    if original_months <= 60:
        return "medium", original_months // 2
    return "long", 36


def _extension_check(uow: UnitOfWork, loan: LoanAccount, on: date, extra_terms: int,
                     rate: Decimal) -> dict[str, Any]:
    _require_live(loan)
    if on >= loan.maturity_date:
        raise errors.rule("extension_after_maturity", f"An extension must be applied for before the maturity date "
                          f"{loan.maturity_date}; after it, restructure the loan.",
                          f"展期须在贷款到期日 {loan.maturity_date} 之前申请；到期后请走重组。")
    done = uow.session.scalars(select(SpecialRequest).where(
        SpecialRequest.loan_id == loan.id, SpecialRequest.kind == "extension", SpecialRequest.status == "executed"))
    used = sum(int((r.result or {}).get("extension_months", 0)) for r in done)
    count = uow.session.scalar(select(func.count()).select_from(SpecialRequest).where(
        SpecialRequest.loan_id == loan.id, SpecialRequest.kind == "extension", SpecialRequest.status == "executed"))
    allowed_count = int(parameter(uow, P_EXTENSIONS, loan))
    if (count or 0) >= allowed_count:
        raise errors.rule("extension_count", f"This loan was already extended {count} time(s); at most "
                          f"{allowed_count} extension(s) are allowed (config {P_EXTENSIONS}).",
                          f"该贷款已展期 {count} 次，最多允许展期 {allowed_count} 次（参数 {P_EXTENSIONS}）。")
    setup = servicing.loan_setup(loan)
    future = [r for r in _state(uow, loan, on).rows if r.due_date > on]
    plan = _plan(uow, loan, on, start=None, term=len(future) + extra_terms, rate=rate,
                 first_due_date=future[0].due_date if future else None)
    original_maturity, original_months = _original(uow, loan)
    months = _months_between(loan.maturity_date, plan["new_maturity"])
    category, limit = extension_limit(original_months)
    if used + months > limit:
        zh_category = {"short": "短期", "medium": "中期", "long": "长期"}[category]
        raise invalid("extra_terms", f"the extension would total {used + months} months but a {category}-term loan "
                      f"of {original_months} months may be extended by at most {limit} months in total "
                      f"(贷款通则 art. 12; {used} already used)",
                      f"展期累计将达 {used + months} 个月，超过{zh_category}贷款（原期限 {original_months} 个月）"
                      f"展期上限 {limit} 个月（《贷款通则》第十二条；已展期 {used} 个月）", code=CODE)
    plan["limits"] = {"original_maturity": original_maturity, "original_months": original_months,
                      "category": category, "limit_months": limit, "used_months": used, "requested_months": months,
                      "frequency": setup.terms.frequency}
    return plan


def _rate_of(loan: LoanAccount, rate: Decimal | None) -> Decimal:
    return loan.annual_rate if rate is None else rate


def _preview(plan: dict[str, Any]) -> dict[str, Any]:
    preview: dict[str, Any] = _jsonable({k: v for k, v in plan.items() if k != "terms"})
    return preview


def apply_extension(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: ExtensionApply,
                    idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "extension", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    on = _effective_date(uow, loan, cmd.effective_date)
    rate = _rate_of(loan, cmd.annual_rate)
    plan = _extension_check(uow, loan, on, cmd.extra_terms, rate)
    return _open(uow, actor, loan, "extension", on, amount=plan["principal"],
                 payload={"extra_terms": cmd.extra_terms, "annual_rate": str(rate.normalize())},
                 preview=_preview(plan), permission=SPECIAL_APPROVE, reason=cmd.reason,
                 idempotency_key=idempotency_key)


def _execute_extension(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    plan = _extension_check(uow, loan, request.effective_date, int(request.payload["extra_terms"]),
                            Decimal(request.payload["annual_rate"]))
    result = _rebase(uow, actor, loan, request, plan, "extension")
    result["extension_months"] = plan["limits"]["requested_months"]
    return result


# ------------------------------------------------------------------------------------------ 3. restructure
def _restructure_plan(uow: UnitOfWork, loan: LoanAccount, on: date, cmd: dict[str, Any]) -> dict[str, Any]:
    _require_live(loan)
    return _plan(uow, loan, on, start=on, term=int(cmd["term"]), rate=Decimal(cmd["annual_rate"]),
                 first_due_date=None, method=cmd.get("method"), capitalise=True)


def apply_restructure(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: RestructureApply,
                      idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "restructure", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    on = _effective_date(uow, loan, cmd.effective_date)
    months = cmd.observation_months or int(parameter(uow, P_OBSERVATION, loan))
    payload = {"term": cmd.term, "annual_rate": str(_rate_of(loan, cmd.annual_rate).normalize()),
               "method": cmd.method, "observation_months": months}
    plan = _restructure_plan(uow, loan, on, payload)
    preview = _preview(plan)
    preview["restructured_until"] = add_months(on, months).isoformat()
    return _open(uow, actor, loan, "restructure", on, amount=plan["principal"], payload=payload, preview=preview,
                 permission=SPECIAL_APPROVE, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_restructure(uow: UnitOfWork, actor: Actor, loan: LoanAccount,
                         request: SpecialRequest) -> dict[str, Any]:
    on = request.effective_date
    state = _state(uow, loan, on)
    interest, penalty = _receivables(uow, loan, state)
    plan = _restructure_plan(uow, loan, on, request.payload)
    capitalised = plan["capitalised"]
    capitalised["interest"], capitalised["penalty"] = interest, penalty
    plan["principal"] = state.principal_outstanding + interest + penalty + capitalised["fees"]
    plan["terms"]["principal"] = _m(plan["principal"])
    result = _rebase(uow, actor, loan, request, plan, "restructure")
    uow.emit(events.LoanRestructured(f"loan:{loan.id}:restructure:{request.id}", on,
                                     {"interest": interest, "penalty": penalty, "fee": capitalised["fees"]}, loan.id))
    loan.restructured_until = add_months(on, int(request.payload["observation_months"]))
    _set_class(uow, loan, max(loan.classification_rank, 3), on, source="restructure",
               reason=f"restructured (request {request.id}): at least substandard until {loan.restructured_until}",
               actor=actor, request_id=request.id)
    result["restructured_until"] = loan.restructured_until.isoformat()
    return result


# ------------------------------------------------------------------------------------------ 4. transfer
def _kyc(uow: UnitOfWork, actor: Actor, customer_id: int, on: date) -> Any:
    """The new borrower exists, is active, has a valid identity document today, and is not blacklisted."""
    try:
        customer = customers.get_customer(uow, actor, customer_id)
    except DomainError:
        raise invalid("new_customer_id", f"customer {customer_id} does not exist or is not visible to you",
                      f"客户 {customer_id} 不存在或无权查看", code=CODE) from None
    if customer.status != "active":
        raise invalid("new_customer_id", f"customer {customer_id} is {customer.status}, not active",
                      f"客户 {customer_id} 状态为 {customer.status}，不是有效客户", code=CODE)
    identity = customers.reveal_fields(uow, customer, "identity")
    contact = customers.reveal_fields(uow, customer, "contact")
    number = identity.get("id_number")
    if customer.kind == "individual" and customer.id_type == "resident_id" and number:
        try:
            customers.validate_resident_id(number, today=on)
        except DomainError as exc:
            raise invalid("new_customer_id", f"the new borrower's ID is not valid: {exc.message.en}",
                          f"新借款人身份证件无效：{exc.message.zh}", code=CODE) from None
    hits = customers.check_blacklist(uow, id_number=number if customer.kind == "individual" else None,
                                     uscc=number if customer.kind == "enterprise" else None,
                                     phone=contact.get("phone"))
    if hits:
        raise customers.blacklist_refusal(hits)
    return customer


def _creditor_amounts(uow: UnitOfWork, loan: LoanAccount, on: date, consideration: Decimal) -> dict[str, Any]:
    state = _state(uow, loan, on)
    interest = state.payoff.interest + state.payoff.penalties
    book = state.principal_outstanding + interest
    return {"consideration": consideration, "principal": state.principal_outstanding, "interest": interest,
            "book_value": book, "gain": consideration - book if consideration > book else ZERO,
            "loss": book - consideration if book > consideration else ZERO}


def apply_transfer(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: TransferApply,
                   idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "transfer", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    _require_live(loan)
    on = _effective_date(uow, loan, cmd.effective_date)
    if cmd.mode == "borrower":
        if cmd.new_customer_id is None:
            raise invalid("new_customer_id", "choose the new borrower (a customer id)", "请选择新借款人（客户编号）",
                          code=CODE)
        if cmd.new_customer_id == loan.customer_id:
            raise invalid("new_customer_id", "the new borrower must be someone other than the current borrower",
                          "新借款人不能是当前借款人", code=CODE)
        customer = _kyc(uow, actor, cmd.new_customer_id, on)
        payload: dict[str, Any] = {"mode": "borrower", "new_customer_id": customer.id}
        preview: dict[str, Any] = {"from_customer": {"id": loan.customer_id, "name": loan.customer_name},
                                   "to_customer": {"id": customer.id, "name": customer.name}, "kyc": "passed",
                                   "blacklist": "clear", "principal_outstanding": _m(loan.principal_outstanding)}
        amount = loan.principal_outstanding
    else:
        if not cmd.creditor_name:
            raise invalid("creditor_name", "name the creditor the loan is assigned to", "请填写受让债权人名称",
                          code=CODE)
        if cmd.consideration is None or cmd.consideration <= ZERO:
            raise invalid("consideration", "the transfer price must be more than 0.00", "转让对价须大于 0",
                          code=CODE)
        payload = {"mode": "creditor", "creditor_name": cmd.creditor_name, "consideration": _m(cmd.consideration)}
        preview = _jsonable(_creditor_amounts(uow, loan, on, cmd.consideration))
        amount = cmd.consideration
    return _open(uow, actor, loan, "transfer", on, amount=amount, payload=payload, preview=preview,
                 permission=SPECIAL_APPROVE, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_transfer(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    _require_live(loan)
    on = request.effective_date
    if request.payload["mode"] == "borrower":
        customer = _kyc(uow, actor, int(request.payload["new_customer_id"]), on)
        before = {"customer_id": loan.customer_id, "customer_name": loan.customer_name}
        loan.customer_id, loan.customer_name = customer.id, customer.name[:100]
        loan.repayment_card_id = None  # the old borrower's card no longer applies
        return {"mode": "borrower", "from": before, "to": {"customer_id": customer.id, "customer_name": customer.name}}
    state = _state(uow, loan, on)
    interest, penalty = _receivables(uow, loan, state)
    consideration = Decimal(request.payload["consideration"])
    principal = state.principal_outstanding
    tx = _marker(uow, loan, request, actor, "transfer", consideration, {
        "principal": _m(principal), "interest": _m(interest + penalty), "consideration": _m(consideration)})
    if loan.provision > ZERO:
        uow.emit(events.ProvisionChanged(f"loan:{loan.id}:transfer:{request.id}:provision", on,
                                         {"change": -loan.provision}, loan.id))
        loan.provision = ZERO
    uow.emit(events.DebtTransferred(f"loan:{loan.id}:transfer:{request.id}", on, {
        "consideration": consideration, "principal": principal, "overdue_principal": ZERO,
        "interest": interest + penalty}, loan.id))
    loan.status = "transferred"
    loan.principal_outstanding = ZERO
    book = principal + interest + penalty
    return {"mode": "creditor", "creditor_name": request.payload["creditor_name"], "transaction_id": tx.id,
            "consideration": _m(consideration), "principal": _m(principal), "interest": _m(interest + penalty),
            "gain": _m(max(consideration - book, ZERO)), "loss": _m(max(book - consideration, ZERO))}


# ------------------------------------------------------------------------------------------ 5. contract change
def _card(uow: UnitOfWork, actor: Actor, loan: LoanAccount, card_id: int) -> Any:
    try:
        cards = customers.list_cards(uow, actor, loan.customer_id)
    except (NotFound, PermissionDenied):
        cards = []
    card = next((c for c in cards if c.id == card_id), None)
    if card is None or card.status != "active":
        raise invalid("card_id", f"card {card_id} is not an active card of the borrower", f"银行卡 {card_id} 不是借款人"
                      "名下的有效银行卡", code=CODE)
    return card


def _next_due_on_day(loan: LoanAccount, state: LoanState, on: date, day: int) -> date:
    future = [r for r in state.rows if r.due_date > on]
    if not future:
        raise errors.rule("nothing_outstanding", "No installment is left to move.", "没有可调整的剩余期次。")
    anchor = future[0].due_date
    target = anchor.replace(day=day)
    if target <= on:
        target = add_months(target, 1)
    return target


def _day_change_plan(uow: UnitOfWork, loan: LoanAccount, on: date, day: int) -> dict[str, Any]:
    _require_live(loan)
    setup = servicing.loan_setup(loan)
    if setup.terms.frequency != "monthly":
        raise errors.rule("repayment_day_monthly", "The repayment day can be changed only on monthly loans.",
                          "只有按月还款的贷款可以变更还款日。")
    state = _state(uow, loan, on)
    future = [r for r in state.rows if r.due_date > on]
    if future and future[0].due_date.day == day:
        raise invalid("repayment_day", f"the repayment day is already {day}", f"还款日已经是每月 {day} 日",
                      code=CODE)
    first_due = _next_due_on_day(loan, state, on, day)
    plan = _plan(uow, loan, on, start=None, term=len(future), rate=loan.annual_rate, first_due_date=first_due)
    old_interest = future[0].interest if future else ZERO
    plan["shifted_period"] = {"old_due_date": future[0].due_date if future else None, "new_due_date": first_due,
                              "old_interest": old_interest, "new_interest": plan["schedule"][0]["interest"],
                              "interest_adjustment": plan["schedule"][0]["interest"] - old_interest}
    return plan


def apply_contract_change(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: ContractChangeApply,
                          idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "contract_change", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    _require_live(loan)
    on = _effective_date(uow, loan, cmd.effective_date)
    payload: dict[str, Any] = {"change": cmd.change}
    preview: dict[str, Any]
    if cmd.change == "bank_card":
        if cmd.card_id is None:
            raise invalid("card_id", "choose the borrower's new repayment card", "请选择借款人新的还款银行卡",
                          code=CODE)
        card = _card(uow, actor, loan, cmd.card_id)
        payload["card_id"] = card.id
        preview = {"from_card_id": loan.repayment_card_id, "to_card": {"id": card.id, "bank_name": card.bank_name,
                                                                     "masked": f"{card.bin}******{card.last4}"}}
    elif cmd.change == "repayment_day":
        if cmd.repayment_day is None:
            raise invalid("repayment_day", "give the new repayment day (1–28)", "请填写新的还款日（1–28）", code=CODE)
        payload["repayment_day"] = cmd.repayment_day
        preview = _preview(_day_change_plan(uow, loan, on, cmd.repayment_day))
    else:
        if cmd.contact is None:
            raise invalid("contact", "give the contact's name, relation and phone", "请填写联系人姓名、关系和电话",
                          code=CODE)
        payload["contact"] = cmd.contact.model_dump()
        phone = cmd.contact.phone
        preview = {"contact": {"name": cmd.contact.name, "relation": cmd.contact.relation,
                               "phone": f"{phone[:3]}****{phone[-4:]}"}}
    return _open(uow, actor, loan, "contract_change", on, amount=ZERO, payload=payload, preview=preview,
                 permission=SPECIAL_REVIEW, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_contract_change(uow: UnitOfWork, actor: Actor, loan: LoanAccount,
                             request: SpecialRequest) -> dict[str, Any]:
    change = request.payload["change"]
    if change == "bank_card":
        card = _card(uow, actor, loan, int(request.payload["card_id"]))
        before = loan.repayment_card_id
        loan.repayment_card_id = card.id
        return {"change": change, "from_card_id": before, "to_card_id": card.id}
    if change == "repayment_day":
        plan = _day_change_plan(uow, loan, request.effective_date, int(request.payload["repayment_day"]))
        result = _rebase(uow, actor, loan, request, plan, "contract_change")
        result["change"] = change
        result["shifted_period"] = _jsonable(plan["shifted_period"])
        return result
    # customers.add_contact reads name / relation / phone / consent (our ContactIn has the same fields)
    contact = customers.add_contact(uow, actor, loan.customer_id, cast(Any, ContactIn(**request.payload["contact"])))
    return {"change": change, "contact_id": contact.id}


# ------------------------------------------------------------------------------------------ 6. waiver
def _waivable(uow: UnitOfWork, loan: LoanAccount, on: date) -> dict[str, Decimal]:
    owed = _due_owed(_state(uow, loan, on), on)
    return {"penalty": owed["penalty"], "fees": owed["fees"]}


def apply_waiver(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: WaiverApply,
                 idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "waiver", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    _require_live(loan)
    on = _effective_date(uow, loan, cmd.effective_date)
    waivable = _waivable(uow, loan, on)
    total = waivable["penalty"] + waivable["fees"]
    if cmd.amount <= ZERO or cmd.amount > total:
        raise invalid("amount", f"a waiver must be more than 0.00 and at most the penalty and fees owed "
                      f"({_m(total)})", f"减免金额须大于 0 且不超过应还罚息和费用合计 {_m(total)}", code=CODE)
    limit = Decimal(str(parameter(uow, P_WAIVER_LIMIT, loan)))
    permission = SPECIAL_REVIEW if cmd.amount <= limit else SPECIAL_APPROVE
    penalty = min(cmd.amount, waivable["penalty"])
    preview = {"waivable": _jsonable(waivable), "penalty": _m(penalty), "fees": _m(cmd.amount - penalty),
               "level": "reviewer" if permission == SPECIAL_REVIEW else "manager", "single_review_limit": _m(limit)}
    return _open(uow, actor, loan, "waiver", on, amount=cmd.amount, payload={"amount": _m(cmd.amount)},
                 preview=preview, permission=permission, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_waiver(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    _require_live(loan)
    amount = Decimal(request.payload["amount"])
    waivable = _waivable(uow, loan, request.effective_date)
    if amount > waivable["penalty"] + waivable["fees"]:
        raise errors.rule("waiver_exceeds", f"Only {_m(waivable['penalty'] + waivable['fees'])} of penalty and fees "
                          f"is owed now, less than the {_m(amount)} approved: apply again.",
                          f"当前应还罚息和费用仅 {_m(waivable['penalty'] + waivable['fees'])}，少于已批准的减免 "
                          f"{_m(amount)}，请重新申请。")
    tx = LoanTransaction(loan_id=loan.id, type="waiver", value_date=request.effective_date, amount=amount,
                         status="confirmed", reference=f"special:{request.id}", created_by=request.applicant_id,
                         confirmed_by=actor.user_id)
    uow.session.add(tx)
    uow.flush()
    servicing._apply(uow, loan)
    allocation = tx.allocation or {}
    penalty, fees = Decimal(allocation.get("penalty", "0")), Decimal(allocation.get("fees", "0"))
    interest = Decimal(allocation.get("interest", "0"))
    uow.emit(events.WaiverGranted(f"loan:{loan.id}:tx:{tx.id}", request.effective_date,
                                  {"interest": interest, "penalty": penalty}, loan.id))
    return {"transaction_id": tx.id, "penalty": _m(penalty), "fees": _m(fees), "interest": _m(interest)}


# ------------------------------------------------------------------------------------------ 7. write-off
def _write_off_check(uow: UnitOfWork, loan: LoanAccount, on: date) -> dict[str, Any]:
    _require_live(loan)
    threshold = int(parameter(uow, P_WRITE_OFF_DPD, loan))
    state = _state(uow, loan, on)
    if loan.classification_rank < 5 and state.days_past_due < threshold:
        raise errors.rule("write_off_ineligible", f"Loan {loan.contract_no} is {loan.classification} with "
                          f"{state.days_past_due} days past due: a write-off needs class loss or more than "
                          f"{threshold} days past due.", f"贷款 {loan.contract_no} 分类为 {loan.classification}，逾期 "
                          f"{state.days_past_due} 天：核销须为损失类或逾期超过 {threshold} 天。")
    interest = state.payoff.interest + state.payoff.penalties
    return {"principal": state.principal_outstanding, "interest": interest,
            "total": state.principal_outstanding + interest, "days_past_due": state.days_past_due,
            "classification": loan.classification, "provision": loan.provision, "threshold_days": threshold}


def apply_write_off(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: WriteOffApply,
                    idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "write_off", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    on = _effective_date(uow, loan, cmd.effective_date)
    check = _write_off_check(uow, loan, on)
    limit = Decimal(str(parameter(uow, P_WRITE_OFF_LIMIT, loan)))
    needed = 1 if check["total"] <= limit else 2
    preview = {**_jsonable(check), "approvals_needed": needed, "single_approval_limit": _m(limit)}
    return _open(uow, actor, loan, "write_off", on, amount=check["total"], payload={}, preview=preview,
                 permission=SPECIAL_APPROVE, needed=needed, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_write_off(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    on = request.effective_date
    _write_off_check(uow, loan, on)
    state = _state(uow, loan, on)
    interest, penalty = _receivables(uow, loan, state)
    principal = state.principal_outstanding
    total = principal + interest + penalty
    top_up = total - loan.provision
    if top_up != ZERO:  # the provision first covers the whole balance, then the write-off uses it up
        uow.emit(events.ProvisionChanged(f"loan:{loan.id}:write-off:{request.id}:provision", on,
                                         {"change": top_up}, loan.id))
    tx = _marker(uow, loan, request, actor, "write_off", total, {
        "principal": _m(principal), "interest": _m(interest), "penalty": _m(penalty)})
    uow.emit(events.LoanWrittenOff(f"loan:{loan.id}:write-off:{request.id}", on, {
        "principal": principal, "overdue_principal": ZERO, "interest": interest + penalty}, loan.id))
    loan.provision = ZERO
    loan.status = "written_off"
    return {"transaction_id": tx.id, "principal": _m(principal), "interest": _m(interest + penalty),
            "total": _m(total), "provision_top_up": _m(top_up)}


def written_off_balance(uow: UnitOfWork, loan: LoanAccount) -> tuple[Decimal, Decimal]:
    """(amount written off, recovered since) of a written-off loan."""
    rows = uow.session.execute(select(LoanTransaction.type, LoanTransaction.amount).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type.in_(("write_off", "recovery")),
        LoanTransaction.status == "confirmed")).all()
    written = sum((a for t, a in rows if t == "write_off"), ZERO)
    recovered = sum((a for t, a in rows if t == "recovery"), ZERO)
    return written, recovered


# ------------------------------------------------------------------------------------------ recovery
def apply_recovery(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: RecoveryApply,
                   idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "recovery", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    if loan.status != "written_off":
        raise errors.loan_state(loan.contract_no, loan.status, "written off (recoveries of other loans are "
                                "repayments)", "已核销（其他贷款的收款按还款处理）")
    on = _effective_date(uow, loan, cmd.effective_date)
    if cmd.amount <= ZERO:
        raise invalid("amount", "a recovery must be more than 0.00", "收回金额须大于 0", code=CODE)
    written, recovered = written_off_balance(uow, loan)
    return _open(uow, actor, loan, "recovery", on, amount=cmd.amount,
                 payload={"amount": _m(cmd.amount), "channel": cmd.channel, "reference": cmd.reference},
                 preview={"written_off": _m(written), "recovered_before": _m(recovered),
                          "recovered_after": _m(recovered + cmd.amount)},
                 permission=SPECIAL_REVIEW, reason=cmd.reason, idempotency_key=idempotency_key)


def _execute_recovery(uow: UnitOfWork, actor: Actor, loan: LoanAccount, request: SpecialRequest) -> dict[str, Any]:
    if loan.status != "written_off":
        raise errors.loan_state(loan.contract_no, loan.status, "written off", "已核销")
    amount = Decimal(request.payload["amount"])
    tx = _marker(uow, loan, request, actor, "recovery", amount, {"principal": "0.00", "recovery": _m(amount)},
                 channel=request.payload.get("channel", "transfer"), reference=request.payload.get("reference", ""))
    uow.emit(events.RecoveryReceived(f"loan:{loan.id}:tx:{tx.id}", request.effective_date, {"amount": amount},
                                     loan.id))
    written, recovered = written_off_balance(uow, loan)
    return {"transaction_id": tx.id, "amount": _m(amount), "written_off": _m(written), "recovered": _m(recovered)}


# ------------------------------------------------------------------------------------------ 8. reclassification
def _reclass_check(loan: LoanAccount, on: date, to_class: str) -> int:
    _require_live(loan)
    rank = CLASSES.index(to_class) + 1
    if rank == loan.classification_rank:
        raise invalid("to_class", f"the loan is already {to_class}", f"贷款已是该分类（{to_class}）", code=CODE)
    floor = class_floor(loan, on)
    if rank < floor:
        raise invalid("to_class", f"the loan cannot be better than {CLASSES[floor - 1]} ({loan.days_past_due} days "
                      "past due" + (f", restructured until {loan.restructured_until}" if floor == 3 and
                                    loan.restructured_until else "") + ")",
                      f"该贷款分类不能优于 {CLASSES[floor - 1]}（逾期 {loan.days_past_due} 天"
                      + (f"，重组观察期至 {loan.restructured_until}" if floor == 3 and loan.restructured_until
                         else "") + "）", code=CODE)
    return rank


def apply_reclassification(uow: UnitOfWork, actor: Actor, loan_id: int, cmd: ReclassificationApply,
                           idempotency_key: str | None = None) -> SpecialRequest:
    loan, first = _start(uow, actor, loan_id, "reclassification", idempotency_key, cmd.loan_version)
    if first is not None:
        return first
    on = _effective_date(uow, loan, cmd.effective_date)
    rank = _reclass_check(loan, on, cmd.to_class)
    upgrade = rank < loan.classification_rank
    return _open(uow, actor, loan, "reclassification", on, amount=loan.principal_outstanding,
                 payload={"to_class": cmd.to_class},
                 preview={"from_class": loan.classification, "to_class": cmd.to_class,
                          "direction": "upgrade" if upgrade else "downgrade",
                          "floor": CLASSES[class_floor(loan, on) - 1]},
                 permission=SPECIAL_APPROVE if upgrade else SPECIAL_REVIEW, reason=cmd.reason,
                 idempotency_key=idempotency_key)


def _execute_reclassification(uow: UnitOfWork, actor: Actor, loan: LoanAccount,
                              request: SpecialRequest) -> dict[str, Any]:
    rank = _reclass_check(loan, request.effective_date, request.payload["to_class"])
    before = loan.classification
    _set_class(uow, loan, rank, request.effective_date, source="manual", reason=request.reason, actor=actor,
               request_id=request.id)
    return {"from_class": before, "to_class": loan.classification}


EXECUTORS: dict[str, Callable[[UnitOfWork, Actor, LoanAccount, SpecialRequest], dict[str, Any]]] = {
    "prepayment": _execute_prepayment,
    "extension": _execute_extension,
    "restructure": _execute_restructure,
    "transfer": _execute_transfer,
    "contract_change": _execute_contract_change,
    "waiver": _execute_waiver,
    "write_off": _execute_write_off,
    "recovery": _execute_recovery,
    "reclassification": _execute_reclassification,
}

APPLY: dict[str, Callable[..., SpecialRequest]] = {
    "prepayment": apply_prepayment, "extension": apply_extension, "restructure": apply_restructure,
    "transfer": apply_transfer, "contract_change": apply_contract_change, "waiver": apply_waiver,
    "write_off": apply_write_off, "recovery": apply_recovery, "reclassification": apply_reclassification,
}


def installments_replaced(request: SpecialRequest) -> list[dict[str, Any]]:
    """The installments an executed extension / restructure / repayment-day change replaced (history)."""
    return list(((request.result or {}).get("replaced") or {}).get("installments", []))

