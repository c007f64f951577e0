from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from autofin.audit.models import AuditEvent
from autofin.bootstrap import App
from autofin.channels import service
from autofin.channels.adapter import Ack, BankUnavailable, CallbackPayload, PaymentOrder, sign
from autofin.channels.config import callback_secret
from autofin.channels.errors import BankUnavailableError
from autofin.channels.events import PaymentEvent, PaymentFailed, PaymentPosted
from autofin.channels.http_adapter import HttpBankAdapter
from autofin.channels.models import PaymentInstruction
from autofin.channels.simulator import BankSimulator, ServerThread, SimulatorConfig, free_port, serve_in_thread
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.errors import AuthenticationFailed, Conflict, PermissionDenied, RuleViolation, ValidationFailed

from .conftest import ACCOUNT, load

Reserve = Callable[..., PaymentInstruction]
Deliver = Callable[[str], PaymentInstruction]
Bank = tuple[BankSimulator, ServerThread]


def instruction_count(app: App) -> int:
    with app.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(PaymentInstruction)).scalar_one())


def audit_count(app: App, instruction_id: int) -> int:
    with app.uow() as uow:
        stmt = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == "payment_instruction", AuditEvent.entity_id == str(instruction_id))
        return int(uow.session.execute(stmt).scalar_one())


def test_a_double_click_reserves_one_instruction(app_ctx: App, reserve: Reserve) -> None:
    first, second = reserve(), reserve()
    assert first.id == second.id
    assert first.state == "reserved"
    assert instruction_count(app_ctx) == 1


def test_the_same_key_with_other_content_is_a_conflict(app_ctx: App, reserve: Reserve) -> None:
    reserve(amount="85000.00")
    with pytest.raises(Conflict) as caught:
        reserve(amount="85000.01")
    assert caught.value.code == "channels.payment.key_reused"
    assert instruction_count(app_ctx) == 1


def test_a_process_that_crashed_between_reserve_and_send_pays_once_when_retried(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, simulator: Bank
) -> None:
    instruction = reserve()  # committed; the process dies here, before sending
    retried = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    again = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    assert retried.state == again.state == "sent"
    assert simulator[0].posted_count() == 1
    assert load(app_ctx, instruction.id).bank_reference == "SIM00000001"


def test_a_process_that_crashed_after_the_bank_accepted_pays_once_when_retried(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, simulator: Bank
) -> None:
    class DiesAfterSending:
        code = "simulator"

        def send_payment(self, order: PaymentOrder) -> Ack:
            adapter.send_payment(order)
            raise KeyboardInterrupt("the process died before recording the acknowledgement")

    instruction = reserve()
    with pytest.raises(KeyboardInterrupt):
        service.send_payment(app_ctx, instruction.id, adapter=DiesAfterSending())
    assert load(app_ctx, instruction.id).state == "reserved"
    retried = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    assert retried.state == "sent"
    assert retried.send_attempts == 2
    assert simulator[0].posted_count() == 1
    assert simulator[0].requests == 2


def test_the_bank_posts_and_a_posted_event_is_emitted(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, deliver: Deliver, events: list[PaymentEvent]
) -> None:
    instruction = reserve()
    sent = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    posted = deliver(sent.end_to_end_id)
    assert posted.state == "posted"
    assert posted.settled_at is not None
    assert [type(e) for e in events] == [PaymentPosted]
    assert (events[0].reference, events[0].amount, events[0].purpose) == ("D-1", Decimal("85000.00"), "disbursement")


def test_a_duplicate_or_late_callback_changes_nothing(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, deliver: Deliver, events: list[PaymentEvent]
) -> None:
    instruction = reserve()
    sent = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    deliver(sent.end_to_end_id)
    audits = audit_count(app_ctx, instruction.id)
    version = load(app_ctx, instruction.id).version
    again = deliver(sent.end_to_end_id)
    assert again.state == "posted"
    assert load(app_ctx, instruction.id).version == version
    assert audit_count(app_ctx, instruction.id) == audits
    assert len(events) == 1


def test_a_failed_payment_is_recorded_with_the_banks_reason_and_a_failed_event(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, deliver: Deliver, events: list[PaymentEvent]
) -> None:
    instruction = reserve(amount="444.44")
    sent = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    failed = deliver(sent.end_to_end_id)
    assert failed.state == "failed"
    assert failed.failure_reason is not None and "frozen" in failed.failure_reason
    assert len(events) == 1 and isinstance(events[0], PaymentFailed)
    assert "frozen" in events[0].reason


def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, simulator: Bank, events: list[PaymentEvent]
) -> None:
    instruction = reserve()
    sent = service.send_payment(app_ctx, instruction.id, adapter=adapter)
    body, _ = simulator[0].callback(sent.end_to_end_id)
    for signature in (None, "", sign(b"wrong key", body), "zz"):
        with app_ctx.uow() as uow, pytest.raises(AuthenticationFailed) as caught:
            service.handle_callback(uow, body, signature)
        assert caught.value.code == "channels.callback.bad_signature"
    assert load(app_ctx, instruction.id).state == "sent"
    assert events == []


def test_a_callback_that_overtakes_the_acknowledgement_stands(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, deliver: Deliver
) -> None:
    instruction = reserve()

    class CallbackFirst:
        code = "simulator"

        def send_payment(self, order: PaymentOrder) -> Ack:
            ack = adapter.send_payment(order)
            deliver(order.instruction_id)  # the bank is faster than our bookkeeping
            return ack

    result = service.send_payment(app_ctx, instruction.id, adapter=CallbackFirst())
    assert result.state == "posted"
    assert result.bank_reference == "SIM00000001"
    assert service.send_payment(app_ctx, instruction.id, adapter=adapter).state == "posted"


def test_a_callback_with_another_amount_is_refused(app_ctx: App, reserve: Reserve) -> None:
    instruction = reserve()
    body = CallbackPayload(instruction.end_to_end_id, "posted", "SIM9", Decimal("1.00")).to_json()
    with app_ctx.uow() as uow, pytest.raises(RuleViolation) as caught:
        service.handle_callback(uow, body, sign(callback_secret(app_ctx.settings), body))
    assert caught.value.code == "channels.callback.amount_mismatch"
    assert load(app_ctx, instruction.id).state == "reserved"


def test_an_unreachable_bank_keeps_the_instruction_for_a_later_send(
    app_ctx: App, reserve: Reserve, adapter: HttpBankAdapter, simulator: Bank
) -> None:
    instruction = reserve()
    with pytest.raises(BankUnavailableError) as caught:
        service.send_payment(app_ctx, instruction.id,
                             adapter=HttpBankAdapter(f"http://127.0.0.1:{free_port()}", timeout=2))
    assert caught.value.status == 503
    kept = load(app_ctx, instruction.id)
    assert kept.state == "reserved" and kept.last_error
    assert service.send_payment(app_ctx, instruction.id, adapter=adapter).state == "sent"
    assert simulator[0].posted_count() == 1


def test_a_refusal_by_the_bank_fails_the_instruction(
    app_ctx: App, reserve: Reserve, events: list[PaymentEvent]
) -> None:
    class Refuses:
        code = "simulator"

        def send_payment(self, order: PaymentOrder) -> Ack:
            return Ack(False, "", "account closed")

    instruction = reserve()
    result = service.send_payment(app_ctx, instruction.id, adapter=Refuses())
    assert (result.state, result.failure_reason) == ("failed", "account closed")
    assert isinstance(events[0], PaymentFailed)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("key", {"key": "has spaces"}),
        ("account", {"account": "62-22"}),
        ("amount", {"amount": Decimal("0")}),
        ("amount", {"amount": Decimal("1.001")}),
        ("purpose", {"purpose": ""}),
        ("reference", {"reference": ""}),
    ],
)
def test_bad_instructions_are_refused_field_by_field(app_ctx: App, field: str, kwargs: dict[str, object]) -> None:
    values: dict[str, Any] = {"key": "k-1", "account": ACCOUNT, "amount": Decimal("10.00"),
                                 "purpose": "disbursement", "reference": "D-1"} | kwargs
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        service.reserve_payment(uow, SYSTEM, **values)
    assert caught.value.errors[0].field == field


def test_reserving_needs_the_reserve_permission(app_ctx: App) -> None:
    clerk = Actor(user_id=5, username="clerk", permissions=frozenset({"channels.payment.view"}))
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.reserve_payment(uow, clerk, "k-1", ACCOUNT, Decimal("1.00"), "disbursement", "D-1")


def test_the_whole_path_runs_over_http_with_the_bank_calling_back(app_ctx: App, events: list[PaymentEvent]) -> None:
    from autofin.api.app import create_app

    web = ServerThread(create_app(autofin=app_ctx, with_console=False, with_scheduler=False, settle=False)).start()
    bank = BankSimulator(SimulatorConfig(callback_secret(app_ctx.settings), delay_seconds=0,
                                         fail_amounts=frozenset({Decimal("444.44")})))
    bank_server = serve_in_thread(bank)
    try:
        adapter = HttpBankAdapter(bank_server.url)
        callback_url = f"{web.url}/api/v1/channels/bank/callback"
        with app_ctx.uow() as uow:
            good = service.reserve_payment(uow, SYSTEM, "live-1", ACCOUNT, Decimal("1200.00"), "disbursement", "D-7")
            bad = service.reserve_payment(uow, SYSTEM, "live-2", ACCOUNT, Decimal("444.44"), "disbursement", "D-8")
            uow.commit()
        for instruction in (good, bad):
            service.send_payment(app_ctx, instruction.id, adapter=adapter, callback_url=callback_url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = (load(app_ctx, good.id).state, load(app_ctx, bad.id).state)
            if states == ("posted", "failed"):
                break
            time.sleep(0.05)
        assert states == ("posted", "failed")
        assert {type(e) for e in events} == {PaymentPosted, PaymentFailed}
        assert bank.payments[good.end_to_end_id].deliveries == [200]
    finally:
        bank.stop()
        bank_server.stop()
        web.stop()


def test_bank_unavailable_is_the_adapters_signal_for_a_safe_retry() -> None:
    assert issubclass(BankUnavailable, Exception)
