"""Scheduled servicing work: the end-of-day batch as a platform job (daily at 23:30 by default)."""

from __future__ import annotations

from typing import Any

from autofin.kernel.actor import SYSTEM
from autofin.platform.service import declare_job


def _end_of_day(app: Any, context: Any) -> dict[str, Any]:
    from autofin.servicing.eod import runner

    def report(step: str, done: int, total: int) -> None:
        context.progress(f"{step} {done}/{total}", done=done, total=total)  # extends the job's lease

    result = runner.run_eod(app, SYSTEM, progress=report)
    return {"business_date": str(result.business_date), "status": result.status, "loans": result.loans}


declare_job("servicing.eod", _end_of_day, "30 23 * * *", "日终批处理", "End-of-day batch")
