"""Scheduled jobs of origination."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autofin.kernel.actor import SYSTEM
from autofin.origination import service
from autofin.platform.service import JobRunContext, declare_job

if TYPE_CHECKING:
    from autofin.bootstrap import App

BATCH = 500


def expire_approvals(app: App, run: JobRunContext) -> dict[str, Any]:
    """Approvals past their validity period without a contract become expired (批复失效), in batches."""
    total = 0
    while True:
        with app.uow() as uow:
            count = service.expire_approvals(uow, SYSTEM, limit=BATCH)
            uow.commit()
        total += count
        if count < BATCH:
            return {"expired": total}
        run.progress(f"{total} expired so far", expired=total)


declare_job("origination.expire_approvals", expire_approvals, "15 1 * * *", "批复失效处理", "Expire unused approvals")

# Disbursement: re-send approved payments the bank has not received.
from autofin.origination.disbursing import jobs as disbursement_jobs  # noqa: E402, F401

# Second-party intake: callback delivery and nonce purge jobs (importing them also subscribes the callback handlers).
from autofin.origination.partners import jobs as partner_jobs  # noqa: E402, F401
