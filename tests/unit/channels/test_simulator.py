from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from autofin.channels.adapter import CallbackPayload, PaymentOrder, sign, signature_ok
from autofin.channels.http_adapter import HttpBankAdapter
from autofin.channels.simulator import BankSimulator, ServerThread, SimulatorConfig, serve_in_thread

SECRET = b"unit-test-callback-secret"


@pytest.fixture()
def bank() -> Iterator[tuple[BankSimulator, ServerThread]]:
    config = SimulatorConfig(SECRET, send_callbacks=False, fail_amounts=frozenset({Decimal("444.44")}))
    simulator = BankSimulator(config)
    server = serve_in_thread(simulator)
    yield simulator, server
    server.stop()


def order(instruction_id: str = "e2e-1", amount: str = "1000.00") -> PaymentOrder:
    return PaymentOrder(instruction_id, "6222020200001234567", "李四", Decimal(amount), "disbursement", "D-1",
                        "http://127.0.0.1:9/callback")


Bank = tuple[BankSimulator, ServerThread]


def test_the_bank_accepts_an_instruction_and_answers_with_its_reference(bank: Bank) -> None:
    simulator, server = bank
    ack = HttpBankAdapter(server.url).send_payment(order())
    assert ack.accepted and not ack.duplicate
    assert ack.bank_reference == "SIM00000001"
    assert simulator.posted_count() == 1


def test_sending_the_same_instruction_again_makes_no_second_payment(bank: tuple[BankSimulator, ServerThread]) -> None:
    simulator, server = bank
    adapter = HttpBankAdapter(server.url)
    first = adapter.send_payment(order())
    again = adapter.send_payment(order())
    assert again.duplicate and again.bank_reference == first.bank_reference
    assert simulator.posted_count() == 1
    assert simulator.requests == 2


def test_configured_amounts_fail_and_the_callback_says_why(bank: tuple[BankSimulator, ServerThread]) -> None:
    simulator, server = bank
    HttpBankAdapter(server.url).send_payment(order("e2e-fail", "444.44"))
    body, signature = simulator.callback("e2e-fail")
    payload = CallbackPayload.from_json(body)
    assert (payload.status, payload.amount) == ("failed", Decimal("444.44"))
    assert "frozen" in payload.reason
    assert signature_ok(SECRET, body, signature)


def test_a_failure_rate_of_one_fails_everything_and_zero_nothing() -> None:
    always = BankSimulator(SimulatorConfig(SECRET, failure_rate=1.0, seed=1, send_callbacks=False))
    never = BankSimulator(SimulatorConfig(SECRET, failure_rate=0.0, seed=1, send_callbacks=False))
    assert always._decide("6222", Decimal("1"))[0] == "failed"
    assert never._decide("6222", Decimal("1"))[0] == "posted"


def test_an_unreachable_bank_is_reported_as_unavailable() -> None:
    from autofin.channels.adapter import BankUnavailable
    from autofin.channels.simulator import free_port

    with pytest.raises(BankUnavailable):
        HttpBankAdapter(f"http://127.0.0.1:{free_port()}", timeout=2).send_payment(order())


def test_callback_signatures_are_hmac_sha256_of_the_raw_body() -> None:
    body = CallbackPayload("e2e-1", "posted", "SIM1", Decimal("10.00")).to_json()
    assert signature_ok(SECRET, body, sign(SECRET, body))
    assert not signature_ok(SECRET, body + b" ", sign(SECRET, body))
    assert not signature_ok(b"other", body, sign(SECRET, body))
    assert not signature_ok(SECRET, body, None)
