"""Demo ledger data: a small month of activity (idempotent: the same sources post once)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.ledger.service import PostingRequest, post_events

DEMO_EVENTS: tuple[tuple[str, str, date, dict[str, str]], ...] = (
    ("capital.contributed", "capital-1", date(2026, 10, 1), {"amount": "50000000.00"}),
    ("fee.charged", "fee-1", date(2026, 10, 8), {"fee": "2120.00"}),
    ("loan.disbursed", "loan-1", date(2026, 10, 8), {"principal": "150000.00"}),
    ("loan.disbursed", "loan-2", date(2026, 10, 15), {"principal": "98000.00"}),
    ("interest.accrued", "accrual-2026-10", date(2026, 10, 31), {"interest": "1378.00"}),
    ("repayment.allocated", "repayment-1", date(2026, 10, 31), {"principal": "4000.00", "interest": "848.00"}),
    ("provision.changed", "provision-2026-10", date(2026, 10, 31), {"change": "2480.00"}),
)


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    requests = [
        PostingRequest(event_type, "demo", source_id, day, {k: Decimal(v) for k, v in amounts.items()})
        for event_type, source_id, day, amounts in DEMO_EVENTS
    ]
    posted = post_events(uow, SYSTEM, requests)
    new = [entry for entry in posted if entry is not None and not entry.already_posted]
    return [f"ledger: {len(new)} demo vouchers posted (2026-10)"] if new else []
