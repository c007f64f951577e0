"""Payment instruction use cases: reserve (idempotent) → send through a bank adapter → the bank's callback.

``reserve_payment`` and ``handle_callback`` work inside the caller's unit of work (the caller commits).
``send_payment`` talks to the bank, so it runs its own short transactions around the network call: it never holds
a database transaction open while waiting for the bank, and sending again is always safe because the bank
deduplicates on the instruction's ``end_to_end_id``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autofin.audit import service as audit
from autofin.bootstrap import App
from autofin.channels import errors
from autofin.channels.adapter import (
    Ack,
    BankAdapter,
    BankUnavailable,
    CallbackPayload,
    PaymentOrder,
    signature_ok,
)
from autofin.channels.config import BankSettings, callback_secret
from autofin.channels.events import PaymentFailed, PaymentPosted
from autofin.channels.models import PaymentInstruction, PaymentState
from autofin.channels.permissions import RESERVE_PAYMENTS, SEND_PAYMENTS, VIEW_PAYMENTS
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import invalid
from autofin.kernel.money import quantize
from autofin.settings import Settings

ENTITY = "payment_instruction"
BANK_ACTOR = Actor(user_id=None, username="bank", scope=DataScope())  # who speaks in a callback
_ACCOUNT = re.compile(r"^\d{8,32}$")
_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def _snapshot(p: PaymentInstruction) -> dict[str, object]:
    return {
        "idempotency_key": p.idempotency_key,
        "end_to_end_id": p.end_to_end_id,
        "account": p.account,
        "amount": p.amount,
        "purpose": p.purpose,
        "reference": p.reference,
        "direction": p.direction,
        "state": p.state,
        "bank_reference": p.bank_reference,
        "failure_reason": p.failure_reason,
        "send_attempts": p.send_attempts,
    }


def _content_hash(account: str, account_name: str, amount: Decimal, purpose: str, reference: str, channel: str) -> str:
    content = {"account": account, "account_name": account_name, "amount": f"{amount:.2f}", "purpose": purpose,
               "reference": reference, "channel": channel}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _validate(key: str, account: str, amount: Decimal, purpose: str, reference: str) -> Decimal:
    if not _KEY.match(key):
        raise invalid("key", "The idempotency key must be 1–100 letters, digits or . _ : -.",
                      "幂等键须为 1–100 位字母、数字或 . _ : -。", "channels.payment.key_invalid")
    if not _ACCOUNT.match(account):
        raise invalid("account", "The payee account must be 8–32 digits.", "收款账号须为 8–32 位数字。",
                      "channels.payment.account_invalid")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or quantize(amount) != amount:
        raise invalid("amount", "The amount must be a positive number of yuan with at most two decimals.",
                      "金额须为正数，最多两位小数。", "channels.payment.amount_invalid")
    if not purpose.strip() or len(purpose) > 40:
        raise invalid("purpose", "Give the purpose of the payment (1–40 characters, e.g. disbursement).",
                      "请填写付款用途（1–40 个字符，例如 disbursement）。", "channels.payment.purpose_invalid")
    if not reference.strip() or len(reference) > 100:
        raise invalid("reference", "Give the business reference of the payment (1–100 characters).",
                      "请填写付款对应的业务编号（1–100 个字符）。", "channels.payment.reference_invalid")
    return quantize(amount)


def reserve_payment(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    account: str,
    amount: Decimal,
    purpose: str,
    reference: str,
    *,
    account_name: str = "",
    channel: str = "simulator",
    direction: str = "pay",
) -> PaymentInstruction:
    """Phase one: record the instruction under its idempotency key (the same key and content → the same instruction;
    the same key with other content → 409). Nothing is sent to the bank yet."""
    actor.require(RESERVE_PAYMENTS)
    amount = _validate(key, account, amount, purpose, reference)
    if direction not in ("pay", "collect"):
        raise invalid("direction", "The direction must be pay or collect.", "方向须为 pay（付款）或 collect（代扣）。",
                      "channels.payment.direction_invalid")
    digest = _content_hash(account, account_name, amount, purpose, reference, channel)
    if direction != "pay":  # a collection never shares a key's content with a payment
        digest = hashlib.sha256(f"{digest}:{direction}".encode()).hexdigest()
    existing = _by_key(uow, key)
    if existing is not None:
        return _same_or_conflict(existing, digest)
    instruction = PaymentInstruction(
        idempotency_key=key,
        content_hash=digest,
        end_to_end_id=uuid.uuid4().hex,
        channel=channel,
        account=account,
        account_name=account_name[:100],
        amount=amount,
        purpose=purpose.strip(),
        reference=reference.strip(),
        direction=direction,
        state=PaymentState.RESERVED.value,
    )
    try:
        with uow.session.begin_nested():  # a concurrent double click inserting the same key loses here, not at commit
            uow.session.add(instruction)
    except IntegrityError:
        existing = _by_key(uow, key)
        if existing is None:
            raise
        return _same_or_conflict(existing, digest)
    audit.record(uow, actor, "channels.payment.reserve", ENTITY, instruction.id, after=_snapshot(instruction))
    return instruction


def _by_key(uow: UnitOfWork, key: str) -> PaymentInstruction | None:
    stmt = select(PaymentInstruction).where(PaymentInstruction.idempotency_key == key)
    return uow.session.execute(stmt).scalar_one_or_none()


def _same_or_conflict(existing: PaymentInstruction, digest: str) -> PaymentInstruction:
    if existing.content_hash != digest:
        raise errors.key_reused(existing.idempotency_key)
    return existing


def get_payment(uow: UnitOfWork, actor: Actor, instruction_id: int) -> PaymentInstruction:
    actor.require(VIEW_PAYMENTS)
    found = uow.session.get(PaymentInstruction, instruction_id)
    if found is None:
        raise errors.not_found(instruction_id)
    return found


def list_payments(
    uow: UnitOfWork, actor: Actor, *, state: str | None = None, reference: str | None = None,
    page: int = 1, size: int = 50,
) -> tuple[list[PaymentInstruction], int]:
    actor.require(VIEW_PAYMENTS)
    stmt = select(PaymentInstruction)
    if state is not None:
        stmt = stmt.where(PaymentInstruction.state == state)
    if reference is not None:
        stmt = stmt.where(PaymentInstruction.reference == reference)
    return fetch_page(uow.session, stmt, (PaymentInstruction.id.desc(),), page, size)


def default_adapter(settings: Settings | None = None) -> BankAdapter:
    from autofin.channels.http_adapter import HttpBankAdapter

    bank = BankSettings()
    return HttpBankAdapter(bank.url, timeout=bank.timeout_seconds)


def send_payment(
    app: App,
    instruction_id: int,
    *,
    actor: Actor = SYSTEM,
    adapter: BankAdapter | None = None,
    callback_url: str | None = None,
) -> PaymentInstruction:
    """Phase two: hand the instruction to the bank (state sent). Safe to call again after any crash or timeout:
    the bank sees the same ``end_to_end_id`` and answers with its first acknowledgement, never paying twice.
    A final instruction (posted / failed) is returned untouched."""
    actor.require(SEND_PAYMENTS)
    adapter = adapter or default_adapter(app.settings)
    with app.uow() as uow:
        instruction = _locked(uow, instruction_id)
        if PaymentState(instruction.state).final:
            uow.session.expunge(instruction)  # hand back a detached copy that the closing rollback cannot expire
            return instruction
        instruction.send_attempts += 1
        order = PaymentOrder(
            instruction_id=instruction.end_to_end_id,
            account=instruction.account,
            account_name=instruction.account_name,
            amount=instruction.amount,
            purpose=instruction.purpose,
            reference=instruction.reference,
            callback_url=callback_url or BankSettings().callback_url,
            direction=instruction.direction,
        )
        uow.commit()  # the attempt is counted before the network call, and no transaction waits on the bank
    try:
        ack = adapter.send_payment(order)
    except BankUnavailable as exc:
        with app.uow() as uow:
            instruction = _locked(uow, instruction_id)
            instruction.last_error = str(exc)[:500]
            audit.record(uow, actor, "channels.payment.send_failed", ENTITY, instruction.id,
                         after={"error": instruction.last_error, "send_attempts": instruction.send_attempts})
            uow.commit()
        raise errors.bank_unavailable(str(exc)) from exc
    with app.uow() as uow:
        instruction = _locked(uow, instruction_id)
        _apply_ack(uow, actor, instruction, ack)
        uow.commit()
        uow.session.expunge(instruction)
    return instruction


def _locked(uow: UnitOfWork, instruction_id: int) -> PaymentInstruction:
    stmt = select(PaymentInstruction).where(PaymentInstruction.id == instruction_id).with_for_update()
    found = uow.session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise errors.not_found(instruction_id)
    return found


def _apply_ack(uow: UnitOfWork, actor: Actor, instruction: PaymentInstruction, ack: Ack) -> None:
    before = _snapshot(instruction)
    instruction.last_error = None
    if ack.bank_reference and not instruction.bank_reference:
        instruction.bank_reference = ack.bank_reference[:64]
    if PaymentState(instruction.state).final:
        return  # the callback overtook the acknowledgement: the result stands
    if ack.accepted:
        if instruction.state == PaymentState.RESERVED.value:
            instruction.state = PaymentState.SENT.value
            instruction.sent_at = utcnow()
        audit.record(uow, actor, "channels.payment.sent", ENTITY, instruction.id, before=before,
                     after=_snapshot(instruction) | {"duplicate": ack.duplicate})
        return
    _settle(uow, actor, instruction, PaymentState.FAILED, ack.message or "refused by the bank", before)


def _settle(
    uow: UnitOfWork,
    actor: Actor,
    instruction: PaymentInstruction,
    state: PaymentState,
    reason: str,
    before: dict[str, object],
) -> None:
    instruction.state = state.value
    instruction.settled_at = utcnow()
    if state is PaymentState.FAILED:
        instruction.failure_reason = reason[:500] or "failed"
    audit.record(uow, actor, f"channels.payment.{state.value}", ENTITY, instruction.id, before=before,
                 after=_snapshot(instruction))
    common = {
        "instruction_id": instruction.id,
        "idempotency_key": instruction.idempotency_key,
        "purpose": instruction.purpose,
        "reference": instruction.reference,
        "amount": instruction.amount,
        "bank_reference": instruction.bank_reference or "",
    }
    if state is PaymentState.POSTED:
        uow.emit(PaymentPosted(**common))  # type: ignore[arg-type]
    else:
        uow.emit(PaymentFailed(**common, reason=instruction.failure_reason or ""))  # type: ignore[arg-type]


def handle_callback(uow: UnitOfWork, payload: bytes, signature: str | None) -> PaymentInstruction:
    """The bank's final answer: verify the HMAC, then posted or failed. A late or repeated callback for an
    instruction already settled changes nothing. A bad signature is refused (401) before anything is read."""
    settings = uow.settings
    if not isinstance(settings, Settings):
        raise RuntimeError("the unit of work carries no settings (the callback secret is needed)")
    if not signature_ok(callback_secret(settings), payload, signature):
        raise errors.bad_signature()
    try:
        callback = CallbackPayload.from_json(payload)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise errors.bad_callback(str(exc)) from exc
    stmt = (
        select(PaymentInstruction)
        .where(PaymentInstruction.end_to_end_id == callback.instruction_id)
        .with_for_update()
    )
    instruction = uow.session.execute(stmt).scalar_one_or_none()
    if instruction is None:
        raise errors.not_found(callback.instruction_id)
    if PaymentState(instruction.state).final:
        return instruction  # duplicate or late: the first answer stands
    if callback.amount != instruction.amount:
        raise errors.amount_mismatch(instruction.amount, callback.amount)
    before = _snapshot(instruction)
    if callback.bank_reference:
        instruction.bank_reference = callback.bank_reference[:64]
    if callback.status == "posted":
        _settle(uow, BANK_ACTOR, instruction, PaymentState.POSTED, "", before)
    else:
        _settle(uow, BANK_ACTOR, instruction, PaymentState.FAILED, callback.reason, before)
    return instruction


def settle_with_simulator(uow: UnitOfWork, actor: Actor, instruction_id: int) -> PaymentInstruction:
    """Demo data and offline use (never in prod): the bundled bank simulator takes the instruction and its signed
    callback is applied here, in the caller's unit of work, through :func:`handle_callback` — the same path as a
    real bank's answer (posted, or failed when the simulator is told to fail)."""
    from autofin.channels.simulator import BankSimulator, PaymentIn, SimulatorConfig

    actor.require(SEND_PAYMENTS)
    settings = uow.settings
    if not isinstance(settings, Settings) or settings.env == "prod":
        raise RuntimeError("the in-process bank simulator is for demo data and development, not production")
    instruction = _locked(uow, instruction_id)
    bank = BankSimulator(SimulatorConfig(callback_secret(settings), send_callbacks=False))
    bank.accept(PaymentIn(instruction_id=instruction.end_to_end_id, account=instruction.account,
                          account_name=instruction.account_name, amount=str(instruction.amount),
                          purpose=instruction.purpose, reference=instruction.reference))
    body, signature = bank.callback(instruction.end_to_end_id)
    return handle_callback(uow, body, signature)
