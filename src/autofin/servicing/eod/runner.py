"""Run (or resume) the end-of-day batch for one business date.

A run row (``servicing_eod_runs``) fixes the date and the loan-id partitions; each (step, partition) runs in one
transaction together with its progress row, so a crash loses at most the partition in flight and a rerun
continues after the last finished one. A date whose run succeeded is never run again (EOD twice = EOD once).
The business date advances (``service.business_date``) only when every step of every partition succeeded.
Partitions run in-process, one after the other (a worker pool can run the same (step, partition) units).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import NotFound, Text, invalid
from autofin.platform import service as platform
from autofin.servicing import service
from autofin.servicing.eod.steps import GLOBAL_STEPS, STEPS
from autofin.servicing.models import EodRun, EodStepProgress, LoanAccount, day_number
from autofin.servicing.permissions import EOD_RUN

#: Test hook: called after each (step, partition)'s work and before its commit; raise to simulate a crash.
FAIL_HOOK: Callable[[str, int], None] | None = None
Progress = Callable[[str, int, int], None]


@dataclass
class EodResult:
    business_date: date
    status: str
    loans: int
    partitions: int
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: bool = False


def _run_row(uow: UnitOfWork, run_id: int) -> EodRun:
    run = uow.session.get(EodRun, run_id)
    if run is None:  # deleted under our feet: nothing sensible to resume
        raise NotFound("servicing.eod.run_missing", Text(
            f"End-of-day run {run_id} disappeared while it was running; start the date again.",
            f"日终批处理运行记录 {run_id} 在运行中被删除，请重新执行该日期。"))
    return run


def _ranges(id_min: int, id_max: int, partitions: int) -> list[tuple[int, int]]:
    if id_max < id_min:
        return [(0, -1)]
    span = id_max - id_min + 1
    size = -(-span // partitions)
    return [(lo, min(lo + size - 1, id_max)) for lo in range(id_min, id_max + 1, size)]


STEPS_KEY = "servicing.eod.steps"


def configured_steps(uow: UnitOfWork, on: date, wanted: list[str] | None = None) -> list[str]:
    """The steps to run: ``wanted``, else config ``servicing.eod.steps`` (a JSON list of step names), else all.
    Steps may be left out but not reordered (each one needs the ones before it, e.g. postings after accruals)."""
    names = wanted if wanted is not None else platform.get_parameter(uow, STEPS_KEY, on=on, default=list(STEPS))
    order = list(STEPS)
    known = isinstance(names, list) and bool(names) and all(n in STEPS for n in names)
    positions = [order.index(n) for n in names] if known else []
    if not known or positions != sorted(set(positions)):
        raise invalid(STEPS_KEY, f"the end-of-day steps must be some of {', '.join(order)} in this order, "
                      f"got {names!r}", f"日终步骤须为 {', '.join(order)} 中的若干项且保持此顺序，当前为 {names!r}",
                      code="servicing.eod.steps_invalid")
    return list(names)


def run_eod(app: Any, actor: Actor, business_date: date | None = None, *, partitions: int = 4,
            progress: Progress | None = None, steps: list[str] | None = None) -> EodResult:
    actor.require(EOD_RUN)
    with app.uow() as uow:
        day = business_date or service.business_date(uow)
        names = configured_steps(uow, day, steps)
        run = uow.session.scalar(select(EodRun).where(EodRun.business_date == day))
        if run is not None and run.status == "succeeded":
            return EodResult(day, "succeeded", run.loans, run.partitions, skipped=True)
        if run is None:
            bounds = uow.session.execute(select(func.min(LoanAccount.id), func.max(LoanAccount.id)).where(
                LoanAccount.status.in_(("active", "overdue")))).one()
            count = uow.session.scalar(select(func.count(LoanAccount.id)).where(
                LoanAccount.status.in_(("active", "overdue")))) or 0
            run = EodRun(business_date=day, status="running", partitions=max(1, partitions), loans=count,
                         id_min=bounds[0] or 0, id_max=bounds[1] if bounds[1] is not None else -1)
            uow.session.add(run)
        run.status = "running"
        uow.flush()
        audit.record(uow, actor, "servicing.eod.start", "eod_run", run.id, after={"business_date": day})
        uow.commit()
        run_id, ranges, loans = run.id, _ranges(run.id_min, run.id_max, run.partitions), run.loans
    seconds: dict[str, float] = {}
    whole = [(ranges[0][0], ranges[-1][1])]
    total_units = sum(1 if step in GLOBAL_STEPS else len(ranges) for step in names)
    done_units = 0
    try:
        for step in names:
            function = STEPS[step]
            started = time.perf_counter()
            for number, (lo, hi) in enumerate(whole if step in GLOBAL_STEPS else ranges):
                with app.uow() as uow:
                    finished = uow.session.scalar(select(EodStepProgress.id).where(
                        EodStepProgress.run_id == run_id, EodStepProgress.step == step,
                        EodStepProgress.partition == number))
                    if finished is None:
                        unit_start = time.perf_counter()
                        rows = function(uow, day_number(day), lo, hi)
                        if FAIL_HOOK is not None:
                            FAIL_HOOK(step, number)
                        uow.session.add(EodStepProgress(run_id=run_id, step=step, partition=number, rows=rows,
                                                        milliseconds=int((time.perf_counter() - unit_start) * 1000)))
                        uow.commit()
                done_units += 1
                if progress is not None:
                    progress(step, done_units, total_units)
            seconds[step] = time.perf_counter() - started
    except Exception as exc:
        with app.uow() as uow:
            failed = _run_row(uow, run_id)
            failed.status = "failed"
            failed.error = f"{type(exc).__name__}: {exc}"[:500]
            audit.record(uow, actor, "servicing.eod.fail", "eod_run", run_id, after={"error": failed.error})
            uow.commit()
        raise
    with app.uow() as uow:
        succeeded = _run_row(uow, run_id)
        succeeded.status = "succeeded"
        succeeded.error = ""
        succeeded.finished_at = utcnow()
        audit.record(uow, actor, "servicing.eod.finish", "eod_run", run_id, after={"business_date": day,
                                                                                  "loans": loans})
        uow.commit()
    return EodResult(day, "succeeded", loans, len(ranges), seconds)
