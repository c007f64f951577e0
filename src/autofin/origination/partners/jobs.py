"""Jobs of second-party intake: deliver due status callbacks (every minute), purge expired nonces (hourly).

Importing this module (origination's ``jobs.py`` does) also subscribes the callback handlers to the events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from autofin.origination.partners import delivery, service
from autofin.origination.partners import subscribers as _subscribers  # noqa: F401 - registers the event handlers
from autofin.origination.partners.config import PartnerSettings
from autofin.origination.partners.models import DeliveryStatus
from autofin.platform.service import JobRunContext, declare_job

if TYPE_CHECKING:
    from autofin.bootstrap import App

BATCH = 100


def deliver_callbacks(app: App, run: JobRunContext) -> dict[str, Any]:
    """Send every due callback, each outside any database transaction, then record how it went."""
    timeout = PartnerSettings().partner_callback_timeout_seconds
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    with httpx.Client(follow_redirects=False) as client:
        while True:
            with app.uow() as uow:
                due = service.due_deliveries(uow, limit=BATCH)
            for item in due:
                result = delivery.send(item, timeout, client)
                with app.uow() as uow:
                    row = service.record_attempt(uow, item, result)
                    outcome = row.status if row is not None else None
                    uow.commit()
                if result.succeeded:
                    counts["delivered"] += 1
                elif outcome == DeliveryStatus.DEAD:
                    counts["dead"] += 1
                else:
                    counts["failed"] += 1
            if len(due) < BATCH:
                return counts
            run.progress(f"{sum(counts.values())} callbacks tried", **counts)


def purge_nonces(app: App, run: JobRunContext) -> dict[str, Any]:
    with app.uow() as uow:
        purged = service.purge_nonces(uow)
        uow.commit()
    return {"purged": purged}


declare_job(
    "origination.partner_callbacks", deliver_callbacks, "* * * * *", "合作方状态回调推送", "Deliver partner callbacks"
)
declare_job(
    "origination.partner_nonces_purge", purge_nonces, "7 * * * *", "清理过期随机数", "Purge expired partner nonces"
)
