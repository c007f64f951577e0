"""A bank simulator in-process (uvicorn in a thread) and helpers that run each use case in its own transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from autofin.bootstrap import App
from autofin.channels import service
from autofin.channels.config import callback_secret
from autofin.channels.events import PaymentEvent
from autofin.channels.http_adapter import HttpBankAdapter
from autofin.channels.models import PaymentInstruction
from autofin.channels.simulator import BankSimulator, ServerThread, SimulatorConfig, serve_in_thread
from autofin.kernel.actor import SYSTEM
from autofin.kernel.events import subscribe

EVENTS: list[PaymentEvent] = []
subscribe(PaymentEvent, lambda uow, event: EVENTS.append(event))
ACCOUNT = "6222020200001234567"


@pytest.fixture()
def events() -> list[PaymentEvent]:
    EVENTS.clear()
    return EVENTS


@pytest.fixture()
def simulator(app_ctx: App) -> Iterator[tuple[BankSimulator, ServerThread]]:
    """A bank that answers but does not call back by itself (tests deliver callbacks when they choose)."""
    bank = BankSimulator(SimulatorConfig(callback_secret(app_ctx.settings), send_callbacks=False,
                                         fail_amounts=frozenset({Decimal("444.44")})))
    server = serve_in_thread(bank)
    yield bank, server
    server.stop()


@pytest.fixture()
def adapter(simulator: tuple[BankSimulator, ServerThread]) -> HttpBankAdapter:
    return HttpBankAdapter(simulator[1].url, timeout=5)


@pytest.fixture()
def reserve(app_ctx: App) -> Callable[..., PaymentInstruction]:
    def _reserve(key: str = "disb-1", amount: str = "85000.00", reference: str = "D-1") -> PaymentInstruction:
        with app_ctx.uow() as uow:
            instruction = service.reserve_payment(uow, SYSTEM, key, ACCOUNT, Decimal(amount), "disbursement",
                                                  reference, account_name="李四")
            uow.commit()
            return instruction

    return _reserve


@pytest.fixture()
def deliver(app_ctx: App, simulator: tuple[BankSimulator, ServerThread]) -> Callable[[str], PaymentInstruction]:
    """Hand the bank's signed callback for an end-to-end id to ``handle_callback``, in its own transaction."""

    def _deliver(end_to_end_id: str) -> PaymentInstruction:
        body, signature = simulator[0].callback(end_to_end_id)
        with app_ctx.uow() as uow:
            instruction = service.handle_callback(uow, body, signature)
            uow.commit()
            return instruction

    return _deliver


def load(app: App, instruction_id: int) -> PaymentInstruction:
    with app.uow() as uow:
        instruction = service.get_payment(uow, SYSTEM, instruction_id)
        uow.session.expunge(instruction)  # readable after the block closes
        return instruction
