"""Demo ledger data: the opening capital (idempotent: the same source posts once).

Loan activity in the demo comes from servicing's demo loans through the posting rules, so the loan subledger and
the ledger agree; posting loan events here directly would put principal in 1303 that no loan stands behind.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.ledger.service import PostingRequest, post_events

DEMO_EVENTS: tuple[tuple[str, str, date, dict[str, str]], ...] = (
    ("capital.contributed", "capital-1", date(2026, 1, 1), {"amount": "50000000.00"}),
)


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    requests = [
        PostingRequest(event_type, "demo", source_id, day, {k: Decimal(v) for k, v in amounts.items()})
        for event_type, source_id, day, amounts in DEMO_EVENTS
    ]
    posted = post_events(uow, SYSTEM, requests)
    new = [entry for entry in posted if entry is not None and not entry.already_posted]
    return [f"ledger: opening capital posted ({len(new)} voucher)"] if new else []
