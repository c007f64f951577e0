"""Scheduled servicing work: the end-of-day batch as a platform job (daily at 23:30 by default)."""

from __future__ import annotations

from typing import Any

from autofin.kernel.actor import SYSTEM
from autofin.platform.service import declare_job
from autofin.servicing.eod import runner as _runner  # noqa: F401 - registers the batch's unit for Celery workers


def _end_of_day(app: Any, context: Any) -> dict[str, Any]:
    from autofin.servicing.eod import runner

    def report(step: str, done: int, total: int) -> None:
        context.progress(f"{step} {done}/{total}", done=done, total=total)  # extends the job's lease

    result = runner.run_eod(app, SYSTEM, progress=report)
    return {"business_date": str(result.business_date), "status": result.status, "loans": result.loans}


declare_job("servicing.eod", _end_of_day, "30 23 * * *", "日终批处理", "End-of-day batch")


def _send_direct_debits(app: Any, context: Any) -> dict[str, Any]:
    from autofin.servicing.payments import debit

    def report(done: int, total: int) -> None:
        context.progress(f"direct debits {done}/{total}", done=done, total=total)

    result = debit.send_due_debits(app, SYSTEM, progress=report)
    return {"date": str(result.on), "submitted": result.submitted, "failed": result.failed,
            "skipped": result.skipped, "cancelled": result.cancelled, "unavailable": result.unavailable}


declare_job("servicing.direct_debit.send", _send_direct_debits, "0 7 * * *", "发送代扣指令", "Send direct debits")
