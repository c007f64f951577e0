"""The adapter that talks to the bank simulator (and any bank speaking the same small JSON protocol) over HTTP."""

from __future__ import annotations

import httpx

from autofin.channels.adapter import Ack, BankUnavailable, PaymentOrder


class HttpBankAdapter:
    code = "simulator"

    def __init__(self, base_url: str, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._transport = transport

    def send_payment(self, order: PaymentOrder) -> Ack:
        body = {
            "instruction_id": order.instruction_id,
            "account": order.account,
            "account_name": order.account_name,
            "amount": str(order.amount),
            "purpose": order.purpose,
            "reference": order.reference,
            "callback_url": order.callback_url,
            "direction": order.direction,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(f"{self.base_url}/payments", json=body)
        except httpx.HTTPError as exc:
            raise BankUnavailable(f"bank not reachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"bank answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise BankUnavailable("bank answered something that is not JSON") from exc
        if response.status_code >= 400:
            return Ack(False, "", str(data.get("message", response.text))[:500])
        return Ack(
            accepted=bool(data.get("accepted")),
            bank_reference=str(data.get("bank_reference", "")),
            message=str(data.get("message", ""))[:500],
            duplicate=bool(data.get("duplicate", False)),
        )
