"""The bank adapter protocol and the signed callback format every adapter shares.

An adapter sends a :class:`PaymentOrder` and returns an :class:`Ack` (the bank accepted or refused the
instruction, synchronously); the final result arrives later as a callback (posted / failed), a JSON body signed with
HMAC-SHA256 over the raw bytes, hex in the ``X-Bank-Signature`` header. Sending the same ``instruction_id`` again
must never make a second payment: the bank answers with the first acknowledgement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

SIGNATURE_HEADER = "X-Bank-Signature"


@dataclass(frozen=True)
class PaymentOrder:
    instruction_id: str  # unique per instruction for ever (the end-to-end id); the bank dedupes on it
    account: str
    account_name: str
    amount: Decimal
    purpose: str
    reference: str
    callback_url: str
    direction: str = "pay"  # pay: money out to the account; collect: a direct debit (代扣) from it


@dataclass(frozen=True)
class Ack:
    accepted: bool
    bank_reference: str = ""
    message: str = ""
    duplicate: bool = False  # the bank had this instruction already


@dataclass(frozen=True)
class CallbackPayload:
    instruction_id: str
    status: str  # posted | failed
    bank_reference: str
    amount: Decimal
    reason: str = ""

    def to_json(self) -> bytes:
        body = {
            "instruction_id": self.instruction_id,
            "status": self.status,
            "bank_reference": self.bank_reference,
            "amount": str(self.amount),
            "reason": self.reason,
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> CallbackPayload:
        data: dict[str, Any] = json.loads(raw)
        status = str(data["status"])
        if status not in ("posted", "failed"):
            raise ValueError(f"unknown status {status!r}")
        return cls(
            instruction_id=str(data["instruction_id"]),
            status=status,
            bank_reference=str(data.get("bank_reference", "")),
            amount=Decimal(str(data["amount"])),
            reason=str(data.get("reason", "")),
        )


def sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, body: bytes, signature: str | None) -> bool:
    return bool(signature) and hmac.compare_digest(sign(secret, body), (signature or "").strip().lower())


class BankAdapter(Protocol):
    """A bank channel. ``send_payment`` may raise ``BankUnavailable`` (nothing is known; sending again is safe)."""

    code: str

    def send_payment(self, order: PaymentOrder) -> Ack: ...


class BankUnavailable(Exception):
    """The bank could not be reached or answered nonsense; the instruction may be sent again (it dedupes)."""
