"""The platform's own housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from autofin.kernel.clock import utcnow
from autofin.platform import notifications
from autofin.platform.config_center import get_parameter
from autofin.platform.idempotency import KEEP_FOR, IdempotencyRecord
from autofin.platform.job_runner import JobRunContext, declare_job
from autofin.platform.models import JobRun, RunStatus

if TYPE_CHECKING:
    from autofin.bootstrap import App

DELIVERY_BATCH = 500
MAX_DELIVERY_BATCHES = 100


def purge_idempotency_keys(app: App, run: JobRunContext) -> dict[str, Any]:
    """Forget idempotency keys older than 24 hours (a retry after that is a new request)."""
    with app.uow() as uow:
        result = uow.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR)
        )
        uow.commit()
    return {"deleted": int(getattr(result, "rowcount", 0) or 0)}


def deliver_notifications(app: App, run: JobRunContext) -> dict[str, Any]:
    """Deliver pending outbox messages in batches (in-app: mark sent; other channels: their adapter)."""
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    after_id = 0
    for _batch in range(MAX_DELIVERY_BATCHES):
        with app.uow() as uow:
            counts, last_id = notifications.deliver_pending(uow, batch_size=DELIVERY_BATCH, after_id=after_id)
            uow.commit()
        for key, value in counts.items():
            totals[key] += value
        if last_id == 0 or sum(counts.values()) < DELIVERY_BATCH:
            break
        after_id = last_id
        run.progress(f"{totals['sent']} sent so far", **totals)
    return totals


def purge_old_notifications(app: App, run: JobRunContext) -> dict[str, Any]:
    """Delete read inbox messages and finished outbox rows past their retention (config center days)."""
    with app.uow() as uow:
        inbox_days = int(get_parameter(uow, "notification.inbox_retention_days", default=180))
        outbox_days = int(get_parameter(uow, "notification.outbox_retention_days", default=90))
        counts = notifications.purge_old(uow, inbox_days=inbox_days, outbox_days=outbox_days)
        uow.commit()
    return counts


def purge_old_job_runs(app: App, run: JobRunContext) -> dict[str, Any]:
    """Delete finished run-log rows older than ``platform.job_run_retention_days`` (default 90)."""
    with app.uow() as uow:
        days = int(get_parameter(uow, "platform.job_run_retention_days", default=90))
        result = uow.session.execute(
            delete(JobRun).where(JobRun.status != RunStatus.RUNNING.value,
                                 JobRun.started_at < utcnow() - timedelta(days=days))
        )
        uow.commit()
    return {"deleted": int(getattr(result, "rowcount", 0) or 0)}


declare_job("platform.purge_idempotency_keys", purge_idempotency_keys, "17 * * * *",
            "清理过期幂等键", "Purge expired idempotency keys")
declare_job("platform.deliver_notifications", deliver_notifications, "* * * * *",
            "投递通知", "Deliver notifications", lease=timedelta(minutes=10))
declare_job("platform.purge_notifications", purge_old_notifications, "40 3 * * *",
            "清理过期通知", "Purge old notifications")
declare_job("platform.purge_job_runs", purge_old_job_runs, "50 3 * * *",
            "清理任务运行日志", "Purge old job run logs")
