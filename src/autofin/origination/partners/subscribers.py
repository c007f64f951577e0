"""Origination events that change an application's status queue a signed callback to the partner it came from."""

from __future__ import annotations

from typing import Any

from autofin.kernel.events import subscribe
from autofin.origination import events
from autofin.origination.partners import service

_EVENTS: dict[type[Any], str] = {
    events.ApplicationSubmitted: "submitted",
    events.ApplicationApproved: "approved",
    events.ApplicationRejected: "rejected",
    events.ApplicationReturned: "returned",
    events.ApplicationExpired: "expired",
    events.ApplicationWithdrawn: "withdrawn",
    events.ApplicationContracted: "contracted",  # disbursing hears ContractSigned and moves the application
    events.DisbursementPaid: "disbursed",
    events.DisbursementFailed: "disbursement_failed",
}


def _handler(name: str) -> Any:
    def handle(uow: Any, event: Any) -> None:
        service.on_application_event(uow, getattr(event, "application_id", None), name)

    return handle


for _event_type, _event_name in _EVENTS.items():
    subscribe(_event_type, _handler(_event_name))
