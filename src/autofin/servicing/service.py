"""Servicing use cases: open a loan account, record → confirm repayments (maker / checker), reverse, quote.

Every balance is derived: after each confirmed transaction the engine (:mod:`autofin.servicing.engine`) replays
the loan's confirmed transactions over its terms and the installments are rewritten from the result. Money
movements are emitted as events; ``subscribers.py`` books them in the ledger in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select

from autofin.audit import service as audit
from autofin.calc import io as calc_io
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import ValidationFailed, invalid
from autofin.kernel.money import HUNDRED, ZERO, from_minor
from autofin.servicing import errors, events
from autofin.servicing.engine import Applied, LoanSetup, LoanState, Transaction, replay
from autofin.servicing.engine.io import SIMULATE_KEYS, parse_setup
from autofin.servicing.eod.steps import MAX_PRINCIPAL_MINOR
from autofin.servicing.eod.warnings import register_warning_rule  # noqa: F401 - for risk / collections
from autofin.servicing.models import EodRun, Installment, LoanAccount, LoanTransaction, day_number
from autofin.servicing.permissions import (
    EOD_RUN,
    LOAN_OPEN,
    LOAN_VIEW,
    REPAYMENT_CONFIRM,
    REPAYMENT_RECORD,
    TRANSACTION_REVERSE,
)
from autofin.servicing.schemas import LoanOpen as LoanOpen  # re-exported: other domains open loans with it
from autofin.servicing.schemas import RepaymentCreate
from autofin.servicing.special import errors as special_errors
from autofin.servicing.special.history import record_classification_change

BUCKET_LIMITS = ((0, "M0"), (30, "M1"), (60, "M2"), (90, "M3"))
CLASSES = ("pass", "special_mention", "substandard", "doubtful", "loss")
APPLIED_TYPES = ("repayment", "prepayment", "fee", "waiver")


def bucket_of(days_past_due: int) -> str:
    for limit, name in BUCKET_LIMITS:
        if days_past_due <= limit:
            return name
    return "M4+"


def classification_floor(days_past_due: int) -> int:
    """1 pass … 5 loss: overdue → ≥ special mention; > 90 → ≥ substandard; > 270 → ≥ doubtful; > 360 → loss."""
    if days_past_due > 360:
        return 5
    if days_past_due > 270:
        return 4
    if days_past_due > 90:
        return 3
    if days_past_due > 0:
        return 2
    return 1


def last_business_date(uow: UnitOfWork) -> date | None:
    return uow.session.scalar(select(func.max(EodRun.business_date)).where(EodRun.status == "succeeded"))


def business_date(uow: UnitOfWork) -> date:
    """Today's business date: the day after the last completed end of day, or the calendar date."""
    last = last_business_date(uow)
    return last + timedelta(days=1) if last is not None else utcnow().date()


def loan_setup(loan: LoanAccount) -> LoanSetup:
    return parse_setup(loan.setup)


# ------------------------------------------------------------------------------------------ open
RATE_PLACES = Decimal("0.000001")  # the batch computes in 1e-6 percent (eod.steps.RATE_UNITS_PER_PERCENT)
MAX_PRINCIPAL = from_minor(MAX_PRINCIPAL_MINOR)


def _check_batch_bounds(setup: LoanSetup) -> None:
    """What the end-of-day batch's exact 64-bit integer arithmetic can carry (see ``eod/steps.py``)."""
    if setup.terms.principal > MAX_PRINCIPAL:
        raise invalid("terms.principal", f"the principal must be at most {MAX_PRINCIPAL:,.2f}",
                      f"贷款本金不能超过 {MAX_PRINCIPAL:,.2f}", code="servicing.loan.invalid")
    rate = setup.penalty_settings.rate
    if not ZERO <= rate <= HUNDRED or rate != rate.quantize(RATE_PLACES):
        raise invalid("terms.penalty.rate", "the penalty rate must be from 0 to 100 percent with at most 6 decimal "
                      f"places, got {rate}", f"罚息利率须在 0 到 100（百分比）之间且最多 6 位小数，当前为 {rate}",
                      code="servicing.loan.invalid")


def open_loan_account(uow: UnitOfWork, actor: Actor, command: LoanOpen) -> LoanAccount:
    """Open the loan account of a disbursement: schedule from the terms, ``LoanDisbursed`` emitted."""
    actor.require(LOAN_OPEN)
    terms = dict(command.terms)
    unknown = sorted(set(terms) - (SIMULATE_KEYS - {"transactions", "as_of"}))
    if unknown:
        raise invalid(f"terms.{unknown[0]}", f"unknown key {unknown[0]!r} in the loan terms",
                      f"贷款条款中有未知字段 {unknown[0]!r}", code="servicing.loan.invalid")
    try:
        setup = parse_setup(terms)
    except ValidationFailed as error:
        raise invalid(f"terms.{error.errors[0].field}", error.errors[0].message.en, error.errors[0].message.zh,
                      code=error.code) from None
    _check_batch_bounds(setup)
    if uow.session.scalar(select(LoanAccount.id).where(LoanAccount.contract_no == command.contract_no)):
        raise errors.duplicate_contract(command.contract_no)
    t = setup.terms
    state = replay(setup, [], t.disbursement_date)
    loan = LoanAccount(
        contract_no=command.contract_no, customer_id=command.customer_id, customer_name=command.customer_name,
        product_code=command.product_code, product_version=command.product_version,
        department_id=command.department_id if command.department_id is not None else actor.department_id,
        owner_id=command.owner_id if command.owner_id is not None else actor.user_id,
        setup=terms, principal=t.principal, disbursement_date=t.disbursement_date, vehicle_id=command.vehicle_id,
        maturity_date=state.rows[-1].due_date, status="active", principal_outstanding=state.principal_outstanding,
        annual_rate=t.annual_rate, penalty_rate=setup.penalty_settings.rate,
        day_basis=365 if t.day_count in ("actual/365", "actual/actual") else 360,
    )
    uow.session.add(loan)
    uow.flush()
    uow.session.add(LoanTransaction(loan_id=loan.id, type="disbursement", value_date=t.disbursement_date,
                                    amount=t.principal, status="confirmed", created_by=actor.user_id,
                                    confirmed_by=actor.user_id))
    _write_installments(uow, loan, state, {})
    audit.record(uow, actor, "servicing.loan.open", "loan", loan.id,
                 after={"contract_no": loan.contract_no, "principal": str(t.principal), "term": t.term})
    uow.emit(events.LoanDisbursed(f"loan:{loan.id}:disbursement", t.disbursement_date,
                                  {"principal": state.principal_outstanding}, loan.id,
                                  vehicle_id=command.vehicle_id))
    return loan


# ------------------------------------------------------------------------------------------ read
def get_loan(uow: UnitOfWork, actor: Actor, loan_id: int) -> LoanAccount:
    actor.require(LOAN_VIEW)
    loan = uow.session.get(LoanAccount, loan_id)
    if loan is None or not visible(actor, loan.department_id, loan.owner_id):
        raise errors.loan_not_found(loan_id)
    return loan


def list_loans(uow: UnitOfWork, actor: Actor, *, q: str | None = None, status: str | None = None,
               dpd_min: int | None = None, page: int = 1, size: int = 20) -> tuple[list[LoanAccount], int]:
    actor.require(LOAN_VIEW)
    statement = restrict(select(LoanAccount), actor, department_column=LoanAccount.department_id,
                         owner_column=LoanAccount.owner_id)
    if q:
        like = f"%{q}%"
        statement = statement.where(or_(LoanAccount.contract_no.ilike(like), LoanAccount.customer_name.ilike(like)))
    if status:
        statement = statement.where(LoanAccount.status == status)
    if dpd_min is not None:
        statement = statement.where(LoanAccount.days_past_due >= dpd_min)
    return fetch_page(uow.session, statement, (LoanAccount.id.desc(),), page, size)


def installments_of(uow: UnitOfWork, loan: LoanAccount) -> list[Installment]:
    return list(uow.session.scalars(select(Installment).where(Installment.loan_id == loan.id)
                                    .order_by(Installment.number)))


def transactions_of(uow: UnitOfWork, loan: LoanAccount) -> list[LoanTransaction]:
    return list(uow.session.scalars(select(LoanTransaction).where(LoanTransaction.loan_id == loan.id)
                                    .order_by(LoanTransaction.value_date, LoanTransaction.id)))


def balances(uow: UnitOfWork, loan: LoanAccount) -> dict[str, Decimal]:
    rows = installments_of(uow, loan)
    due = [r for r in rows if r.status in ("due", "overdue")]
    return {
        "principal": sum((r.principal_due - r.principal_paid for r in rows), ZERO),
        "overdue_principal": sum((r.principal_due - r.principal_paid for r in due), ZERO),
        "overdue_interest": sum((r.interest_due - r.interest_paid for r in due), ZERO),
        "penalty": sum((r.penalty_due - r.penalty_paid for r in rows), ZERO),
        "credit": loan.credit_balance,
    }


# ------------------------------------------------------------------------------------------ state
def _engine_transactions(uow: UnitOfWork, loan: LoanAccount) -> list[tuple[LoanTransaction, Transaction]]:
    rows = uow.session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.type.in_(APPLIED_TYPES),
        LoanTransaction.status == "confirmed",
        # an extension / restructure replaced the schedule: earlier transactions are history (special/)
        LoanTransaction.id > (loan.rebased_after_transaction_id or 0),
    ).order_by(LoanTransaction.value_date, LoanTransaction.id))
    return [(row, Transaction(row.value_date, row.type, row.amount)) for row in rows]  # type: ignore[arg-type]


def replay_loan(uow: UnitOfWork, loan: LoanAccount,
                as_of: date | None = None) -> tuple[LoanState, list[LoanTransaction]]:
    pairs = _engine_transactions(uow, loan)
    last = last_business_date(uow)
    day = max([loan.disbursement_date, *( [last] if last else []), *(p[1].on for p in pairs)])
    if as_of is not None:
        day = max(day, as_of)
    return replay(loan_setup(loan), [p[1] for p in pairs], day), [p[0] for p in pairs]


def _write_installments(uow: UnitOfWork, loan: LoanAccount, state: LoanState, accrued: dict[int, Decimal]) -> None:
    uow.session.execute(delete(Installment).where(Installment.loan_id == loan.id))
    for row in state.rows:
        owed = row.total_owed
        if owed <= ZERO:
            status = "paid"
        elif row.due_date < state.as_of:
            status = "overdue"
        elif row.due_date == state.as_of:
            status = "due"
        else:
            status = "future"
        uow.session.add(Installment(
            loan_id=loan.id, number=row.number, due_date=row.due_date, due_day=day_number(row.due_date),
            period_start_day=day_number(row.period_start), period_end_day=day_number(row.period_end),
            principal_due=row.principal, interest_due=row.interest, fee_due=row.fees, penalty_due=row.penalty,
            principal_paid=row.paid["principal"], interest_paid=row.paid["interest"], fee_paid=row.paid["fees"],
            penalty_paid=row.paid["penalty"], waived=sum(row.waived.values(), ZERO),
            interest_accrued=min(accrued.get(row.number, ZERO), row.interest), penalty_base=row.penalty,
            penalty_from_day=day_number(row.penalty_from or row.due_date), status=status))
    loan.principal_outstanding = state.principal_outstanding
    refunded = uow.session.scalar(select(func.sum(LoanTransaction.amount)).where(  # refunds.py: paid back
        LoanTransaction.loan_id == loan.id, LoanTransaction.type == "refund", LoanTransaction.status == "confirmed"))
    loan.credit_balance = state.credit - (refunded or ZERO)
    loan.days_past_due = state.days_past_due
    loan.bucket = bucket_of(state.days_past_due)
    floor = classification_floor(state.days_past_due)
    if floor > loan.classification_rank:
        record_classification_change(uow, loan.id, state.as_of, loan.classification_rank, floor,  # history (special/)
                                     source="replay", reason="days past due floor")
        loan.classification_rank, loan.classification = floor, CLASSES[floor - 1]
    was_settled = loan.status == "settled"
    if state.settled and state.principal_outstanding <= ZERO:
        loan.status = "settled"
    else:
        loan.status = "overdue" if state.days_past_due > 0 else "active"
    uow.flush()
    if loan.status == "settled" and not was_settled:
        uow.emit(events.LoanSettled(f"loan:{loan.id}:settled:{state.as_of}", state.as_of, loan_id=loan.id))
    elif was_settled and loan.status != "settled":
        uow.emit(events.LoanReopened(f"loan:{loan.id}:reopened:{state.as_of}", state.as_of, loan_id=loan.id))


def allocation_of(applied: Applied) -> dict[str, Any]:
    """What a transaction paid, per bucket and installment line, as money strings with two places."""
    allocation: dict[str, Any] = {b: calc_money(applied.bucket_total(b)) for b in
                                  ("principal", "interest", "fees", "penalty", "prepayment_fee")}
    allocation["credit"] = calc_money(applied.credit)
    allocation["lines"] = [{"installment": line.installment, "bucket": line.bucket, "amount": calc_money(line.amount)}
                           for line in applied.lines]
    return allocation


def _apply(uow: UnitOfWork, loan: LoanAccount, as_of: date | None = None) -> LoanState:
    """Replay the loan and rewrite its installments; interest paid beyond what was accrued is accrued now."""
    before = {r.number: r.interest_accrued for r in installments_of(uow, loan)}
    state, rows = replay_loan(uow, loan, as_of)
    accrued: dict[int, Decimal] = {}
    extra = ZERO
    for row in state.rows:
        already = before.get(row.number, ZERO)
        paid = row.paid["interest"]
        accrued[row.number] = max(already, paid)
        extra += max(ZERO, paid - already)
    _write_installments(uow, loan, state, accrued)
    for tx_row, applied in zip(rows, state.applied, strict=True):
        if tx_row.allocation is None:
            tx_row.allocation = allocation_of(applied)
    if extra > ZERO:
        uow.emit(events.InterestAccrued(f"loan:{loan.id}:accrual-at-payment:{state.as_of}:{extra}", state.as_of,
                                        {"interest": extra}, loan.id))
    return state


# ------------------------------------------------------------------------------------------ repayments
def record_repayment(uow: UnitOfWork, actor: Actor, loan_id: int, command: RepaymentCreate,
                     idempotency_key: str | None = None) -> LoanTransaction:
    """制单: a repayment waiting for a second person's confirmation."""
    actor.require(REPAYMENT_RECORD)
    loan = get_loan(uow, actor, loan_id)
    ensure_version(loan, command.version, "贷款账户 loan account")
    if loan.status not in ("active", "overdue"):
        raise errors.loan_closed(loan.contract_no, loan.status)
    if command.amount <= ZERO:
        raise invalid("amount", "a repayment must be more than 0.00", "还款金额必须大于 0",
                      code="servicing.repayment.invalid")
    if command.date < loan.disbursement_date:
        raise invalid("date", f"the repayment date must be on or after the disbursement date {loan.disbursement_date}",
                      f"还款日期不能早于放款日 {loan.disbursement_date}", code="servicing.repayment.invalid")
    tx = LoanTransaction(loan_id=loan.id, type=command.type, value_date=command.date, amount=command.amount,
                         status="pending", channel=command.channel, reference=command.reference,
                         idempotency_key=idempotency_key, created_by=actor.user_id)
    uow.session.add(tx)
    uow.flush()
    audit.record(uow, actor, "servicing.repayment.record", "loan_transaction", tx.id,
                 after={"loan_id": loan.id, "type": tx.type, "amount": str(tx.amount), "date": tx.value_date})
    return tx


def confirm_repayment(uow: UnitOfWork, actor: Actor, transaction_id: int) -> LoanTransaction:
    """复核: a different person confirms; the payment is allocated and booked."""
    actor.require(REPAYMENT_CONFIRM)
    tx = uow.session.get(LoanTransaction, transaction_id)
    if tx is None:
        raise errors.transaction_not_found(transaction_id)
    loan = get_loan(uow, actor, tx.loan_id)
    if tx.status != "pending":
        raise errors.not_pending(tx.id, tx.status)
    if tx.created_by is not None and tx.created_by == actor.user_id:
        raise errors.same_person()
    tx.status = "confirmed"
    tx.confirmed_by = actor.user_id
    uow.flush()
    _apply(uow, loan)
    allocation = tx.allocation or {}
    amounts = {k: Decimal(allocation.get(k, "0")) for k in ("principal", "interest", "penalty")}
    fee = Decimal(allocation.get("fees", "0")) + Decimal(allocation.get("prepayment_fee", "0"))
    source = f"loan:{loan.id}:tx:{tx.id}"
    if tx.type == "prepayment":
        uow.emit(events.PrepaymentReceived(source, tx.value_date, {"principal": amounts["principal"],
                                           "interest": amounts["interest"] + amounts["penalty"], "fee": fee}, loan.id))
    else:
        uow.emit(events.RepaymentAllocated(source, tx.value_date, {**amounts, "overdue_principal": ZERO, "fee": fee},
                                           loan.id))
    credit = Decimal(allocation.get("credit", "0"))
    if credit > ZERO:
        uow.emit(events.CreditBalanceCreated(f"{source}:credit", tx.value_date, {"amount": credit}, loan.id))
    audit.record(uow, actor, "servicing.repayment.confirm", "loan_transaction", tx.id,
                 before={"status": "pending"}, after={"status": "confirmed", "allocation": allocation})
    return tx


def reverse_transaction(uow: UnitOfWork, actor: Actor, transaction_id: int, reason: str) -> LoanTransaction:
    """冲正: a reversal transaction; the loan is replayed without the original (later ones re-applied)."""
    actor.require(TRANSACTION_REVERSE)
    original = uow.session.get(LoanTransaction, transaction_id)
    if original is None:
        raise errors.transaction_not_found(transaction_id)
    loan = get_loan(uow, actor, original.loan_id)
    if original.status != "confirmed" or original.type not in APPLIED_TYPES:
        raise errors.not_reversible(original.id, original.status)
    if loan.rebased_after_transaction_id and original.id <= loan.rebased_after_transaction_id:  # special/
        raise special_errors.rule("rebased", f"Transaction {original.id} belongs to a schedule an extension or "
                                  "restructure has replaced: it can no longer be reversed on its own.",
                                  f"交易 {original.id} 属于已被展期或重组替换的还款计划，不能再单独冲正。")
    day = max(business_date(uow) - timedelta(days=1), original.value_date)
    reversal = LoanTransaction(loan_id=loan.id, type="reversal", value_date=day, amount=original.amount,
                               status="confirmed", reverses_id=original.id, reference=reason[:64],
                               created_by=actor.user_id, confirmed_by=actor.user_id)
    uow.session.add(reversal)
    uow.flush()
    original.status = "reversed"
    original.reversed_by_id = reversal.id
    uow.flush()
    _apply(uow, loan)
    # later transactions were re-allocated: keep each one's allocation current
    state, rows = replay_loan(uow, loan)
    for row, applied in zip(rows, state.applied, strict=True):
        row.allocation = allocation_of(applied)
    if original.type in ("repayment", "prepayment"):
        uow.emit(events.RepaymentReversed(f"loan:{loan.id}:tx:{original.id}:reversal", day, {}, loan.id))
    audit.record(uow, actor, "servicing.transaction.reverse", "loan_transaction", original.id,
                 before={"status": "confirmed"}, after={"status": "reversed", "reason": reason,
                                                        "reversal_id": reversal.id})
    return reversal


def bring_up_to_date(uow: UnitOfWork, actor: Actor, loan_id: int, on: date) -> LoanAccount:
    """Replay a loan as of ``on`` (statuses, days past due and penalty up to that date), e.g. for loans entered
    with their history (demo, migration). Money events only for interest paid beyond what was accrued."""
    actor.require(EOD_RUN)
    loan = get_loan(uow, actor, loan_id)
    before = {"status": loan.status, "days_past_due": loan.days_past_due}
    _apply(uow, loan, on)
    audit.record(uow, actor, "servicing.loan.bring_up_to_date", "loan", loan.id, before=before,
                 after={"status": loan.status, "days_past_due": loan.days_past_due, "as_of": on})
    return loan


def payoff_quote(uow: UnitOfWork, actor: Actor, loan_id: int, on: date) -> dict[str, Any]:
    """提前结清报价 as of ``on`` (no change)."""
    loan = get_loan(uow, actor, loan_id)
    if on < loan.disbursement_date:
        raise invalid("date", f"the quote date must be on or after the disbursement date {loan.disbursement_date}",
                      f"报价日期不能早于放款日 {loan.disbursement_date}", code="servicing.payoff.invalid")
    pairs = _engine_transactions(uow, loan)
    transactions = [p[1] for p in pairs if p[1].on <= on]
    quote = replay(loan_setup(loan), transactions, on).payoff
    return {"as_of": quote.as_of, "principal": quote.principal, "interest": quote.interest, "fees": quote.fees,
            "penalties": quote.penalties, "prepayment_fee": quote.prepayment_fee, "credit": quote.credit,
            "total": quote.total}


def calc_money(value: Decimal) -> str:
    return calc_io.money(value)
