"""Run (or resume) the end-of-day batch for one business date.

A run row (``servicing_eod_runs``) fixes the date and the loan-id partitions; each (step, partition) runs in one
transaction together with its progress row, so a crash loses at most the partition in flight and a rerun
continues after the last finished one. A date whose run succeeded is never run again (EOD twice = EOD once).
The business date advances (``service.business_date``) only when every step of every partition succeeded.

The partitions of one step are independent, so they go through :func:`autofin.platform.workers.run_units`: on
threads of this process by default (one at a time on SQLite), or on Celery workers when a broker is configured.
Every partition of a step runs even if one fails; the run then fails naming each failed loan-id range, and the
next step does not start (each step needs the whole of the one before it).
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
UNIT = "servicing.eod.unit"


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


@platform.workers.unit(UNIT)
def run_unit(app: Any, *, run_id: int, step: str, partition: int, lo: int, hi: int, day: int) -> int:
    """One step over one loan-id range, in one transaction with its progress row; a unit already recorded as
    finished (a rerun, or a worker's redelivered message) does nothing. Returns the rows the step touched."""
    with app.uow() as uow:
        finished = uow.session.scalar(select(EodStepProgress.rows).where(
            EodStepProgress.run_id == run_id, EodStepProgress.step == step, EodStepProgress.partition == partition))
        if finished is not None:
            return int(finished)
        unit_start = time.perf_counter()
        rows = STEPS[step](uow, day, lo, hi)
        if FAIL_HOOK is not None:
            FAIL_HOOK(step, partition)
        uow.session.add(EodStepProgress(run_id=run_id, step=step, partition=partition, rows=rows,
                                        milliseconds=int((time.perf_counter() - unit_start) * 1000)))
        uow.commit()
        return rows


def run_eod(app: Any, actor: Actor, business_date: date | None = None, *, partitions: int = 4,
            progress: Progress | None = None, steps: list[str] | None = None,
            threads: int | None = None) -> EodResult:
    """``threads``: in-process parallel partitions on PostgreSQL (default ``AUTOFIN_BATCH_THREADS``); ignored on
    SQLite and when Celery workers run the units."""
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
            started = time.perf_counter()
            units = [{"run_id": run_id, "step": step, "partition": number, "lo": lo, "hi": hi,
                      "day": day_number(day)}
                     for number, (lo, hi) in enumerate(whole if step in GLOBAL_STEPS else ranges)]

            def report(done: int, _total: int, step: str = step, before: int = done_units) -> None:
                if progress is not None:
                    progress(step, before + done, total_units)

            try:
                platform.workers.run_units(app, UNIT, units, progress=report, threads=threads)
            except platform.workers.UnitsFailed as failed:
                first = failed.failures[0].exception
                raise (first if first is not None else failed) from failed
            done_units += len(units)
            seconds[step] = time.perf_counter() - started
    except Exception as exc:
        with app.uow() as uow:
            failed_run = _run_row(uow, run_id)
            failed_run.status = "failed"
            cause = exc.__cause__ if isinstance(exc.__cause__, platform.workers.UnitsFailed) else exc
            failed_run.error = f"{type(cause).__name__}: {cause}"[:500]
            audit.record(uow, actor, "servicing.eod.fail", "eod_run", run_id, after={"error": failed_run.error})
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
