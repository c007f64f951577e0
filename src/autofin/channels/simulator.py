"""A bank simulator (银行模拟器): a small local HTTP service so the payment path runs for real in development.

``POST /payments`` accepts an instruction and answers ``accepted`` at once (the same ``instruction_id`` again gets
the first answer with ``duplicate: true`` and never a second payment); after ``delay_seconds`` it posts the result
(``posted`` or ``failed``) to the instruction's callback URL, signed with HMAC-SHA256 in ``X-Bank-Signature``.
Failures are configurable: a failure rate (seeded), specific amounts that always fail, and accounts that always fail.

Run it with ``autofin bank-simulator serve --port 8765``; tests start it in-process with :func:`serve_in_thread`.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from autofin.channels.adapter import SIGNATURE_HEADER, CallbackPayload, sign

log = logging.getLogger("autofin.channels.simulator")


@dataclass
class SimulatorConfig:
    callback_secret: bytes
    delay_seconds: float = 1.0
    failure_rate: float = 0.0  # probability a payment fails (not money: a plain float is right here)
    fail_amounts: frozenset[Decimal] = frozenset()
    fail_accounts: frozenset[str] = frozenset()
    seed: int | None = None
    callback_url: str | None = None  # overrides the URL sent with each instruction
    callback_attempts: int = 5
    send_callbacks: bool = True


@dataclass
class SimulatedPayment:
    instruction_id: str
    account: str
    amount: Decimal
    reference: str
    callback_url: str
    bank_reference: str
    outcome: str  # posted | failed, decided on acceptance
    reason: str = ""
    deliveries: list[int] = field(default_factory=list)  # HTTP status of each callback attempt


class PaymentIn(BaseModel):
    instruction_id: str = Field(min_length=1, max_length=64)
    account: str = Field(min_length=1, max_length=40)
    account_name: str = ""
    amount: str
    purpose: str = ""
    reference: str = ""
    callback_url: str = ""
    direction: str = "pay"  # pay / collect (a direct debit from the account)


class BankSimulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.payments: dict[str, SimulatedPayment] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)  # noqa: S311 - simulated failures, not security
        self._timers: list[threading.Timer] = []

    # -- the bank's behaviour -------------------------------------------------------------------------------
    def accept(self, body: PaymentIn) -> dict[str, Any]:
        try:
            amount = Decimal(body.amount)
        except InvalidOperation:
            raise HTTPException(422, detail="amount must be a decimal string") from None
        with self._lock:
            self.requests += 1
            existing = self.payments.get(body.instruction_id)
            if existing is not None:
                return self._ack(existing, duplicate=True)
            outcome, reason = self._decide(body.account, amount)
            payment = SimulatedPayment(
                instruction_id=body.instruction_id,
                account=body.account,
                amount=amount,
                reference=body.reference,
                callback_url=self.config.callback_url or body.callback_url,
                bank_reference=f"SIM{len(self.payments) + 1:08d}",
                outcome=outcome,
                reason=reason,
            )
            self.payments[body.instruction_id] = payment
        if self.config.send_callbacks and payment.callback_url:
            timer = threading.Timer(self.config.delay_seconds, self.deliver, args=(payment.instruction_id,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return self._ack(payment, duplicate=False)

    def _decide(self, account: str, amount: Decimal) -> tuple[str, str]:
        if amount in self.config.fail_amounts:
            return "failed", "收款账户状态异常 payee account frozen"
        if account in self.config.fail_accounts:
            return "failed", "收款账户不存在 payee account does not exist"
        if self.config.failure_rate > 0 and self._rng.random() < self.config.failure_rate:
            return "failed", "银行处理失败 bank processing failure"
        return "posted", ""

    @staticmethod
    def _ack(payment: SimulatedPayment, *, duplicate: bool) -> dict[str, Any]:
        return {"accepted": True, "bank_reference": payment.bank_reference, "duplicate": duplicate,
                "message": "duplicate instruction: first acknowledgement" if duplicate else "accepted"}

    def callback(self, instruction_id: str) -> tuple[bytes, str]:
        """The signed callback body of a payment (and its signature), as :meth:`deliver` sends it."""
        payment = self.payments[instruction_id]
        body = CallbackPayload(payment.instruction_id, payment.outcome, payment.bank_reference, payment.amount,
                               payment.reason).to_json()
        return body, sign(self.config.callback_secret, body)

    def deliver(self, instruction_id: str) -> int | None:
        """Post the result to the callback URL, retrying with backoff; the last HTTP status (None: no answer)."""
        payment = self.payments[instruction_id]
        body, signature = self.callback(instruction_id)
        status: int | None = None
        for attempt in range(self.config.callback_attempts):
            try:
                response = httpx.post(payment.callback_url, content=body, timeout=10,
                                      headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"})
                status = response.status_code
            except httpx.HTTPError as exc:
                log.warning("callback to %s failed: %s", payment.callback_url, exc)
                status = None
            payment.deliveries.append(status or 0)
            if status is not None and status < 500:
                return status
            time.sleep(min(0.2 * 2**attempt, 5))
        return status

    def posted_count(self) -> int:
        return len(self.payments)

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()

    # -- the HTTP face ----------------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        web = FastAPI(title="autofin bank simulator 银行模拟器", docs_url=None, redoc_url=None)

        @web.post("/payments")
        def create_payment(body: PaymentIn) -> dict[str, Any]:
            return self.accept(body)

        @web.get("/payments/{instruction_id}")
        def get_payment(instruction_id: str) -> dict[str, Any]:
            payment = self.payments.get(instruction_id)
            if payment is None:
                raise HTTPException(404, detail="unknown instruction")
            return {"instruction_id": payment.instruction_id, "amount": str(payment.amount),
                    "outcome": payment.outcome, "bank_reference": payment.bank_reference,
                    "deliveries": payment.deliveries}

        @web.get("/healthz")
        def health() -> dict[str, Any]:
            return {"status": "ok", "payments": len(self.payments)}

        return web


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread (tests, and embedding the simulator)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(simulator: BankSimulator, host: str = "127.0.0.1", port: int | None = None) -> ServerThread:
    return ServerThread(simulator.app(), host, port).start()
