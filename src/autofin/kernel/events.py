"""Domain events: past-tense facts a use case records, handled in the same database transaction.

A service appends events to the unit of work (``uow.emit(event)``); before commit the unit of work calls every
handler subscribed to the event's type (ledger posting rules, notifications, audit extras). Handlers take
``(uow, event)`` and must not commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base of all events; subclasses are frozen dataclasses named in the past tense."""


Handler = Callable[[Any, Any], None]
_HANDLERS: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[Event], handler: Handler) -> None:
    if handler not in _HANDLERS[event_type]:
        _HANDLERS[event_type].append(handler)


def handlers_for(event: Event) -> list[Handler]:
    found: list[Handler] = []
    for event_type in type(event).__mro__:
        found.extend(_HANDLERS.get(event_type, ()))
    return found
