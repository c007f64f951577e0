"""Contract events (past tense), for the origination flow to subscribe to when it wires signing in."""

from __future__ import annotations

from dataclasses import dataclass

from autofin.kernel.events import Event


@dataclass(frozen=True)
class ContractSigned(Event):
    """The institution signed the contract: both parties have now signed (``signed_sha256`` is the signed PDF)."""

    session_id: int
    contract_no: str
    application_id: int | None
    signed_sha256: str


@dataclass(frozen=True)
class SigningCancelled(Event):
    session_id: int
    contract_no: str
    application_id: int | None
    reason: str
