"""Run (or resume) the end-of-day batch for one business date.

A run row (``servicing_eod_runs``) fixes the date and the loan-id partitions; each (pass, partition) runs in one
transaction together with its progress rows (a pass is one step, or the consecutive installment steps done
together in one rewrite of the installments: :func:`autofin.servicing.eod.steps.passes`), so a crash loses at
most the partition in flight and a rerun continues after the last finished one. A date whose run succeeded is
never run again (EOD twice = EOD once). The business date advances (``service.business_date``) only when every
step of every partition succeeded.

The partitions of one pass are independent, so they go through :func:`autofin.platform.workers.run_units`: on
threads of this process by default (one at a time on SQLite), or on Celery workers when a broker is configured.
Every partition of a step runs even if one fails; the run then fails naming each failed loan-id range, and the
next pass does not start (each step needs the whole of the one before it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from autofin.audit import service as audit
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import NotFound, Text, invalid
from autofin.platform import service as platform
from autofin.servicing import service
from autofin.servicing.eod.steps import (
    GLOBAL_STEPS,
    REWRITTEN_TABLE,
    STEP_JOINER,
    STEPS,
    passes,
    run_pass,
)
from autofin.servicing.models import EodRun, EodStepProgress, LoanAccount, day_number
from autofin.servicing.permissions import EOD_RUN

#: Test hook: called after each (step, partition)'s work and before its commit; raise to simulate a crash.
FAIL_HOOK: Callable[[str, int], None] | None = None
Progress = Callable[[str, int, int], None]
UNIT = "servicing.eod.unit"
#: At most this many loans per partition, whatever was asked: on PostgreSQL a partition this size reads its
#: installments through the (loan_id, number) index instead of scanning the whole table (a quarter of a large book
#: per partition did), and a crash loses less work.
PARTITION_LOANS = 20_000
#: For the statements of one unit (SET LOCAL: this transaction only), measured on a partition of 20,000 loans.
#: JIT: each statement looks costly enough to compile, and compiling (≈0.3 s) costs more than it saves.
#: random_page_cost: a partition's installments lie together in loan order (disbursement writes them so) and in
#: memory, so reading them through the (loan_id, number) index beats scanning the whole table — 1.0 s instead
#: of 1.6 s for the installment pass — but with the default cost of 4 the planner scans the table.
POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL random_page_cost = 1.1")


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
def run_unit(app: Any, *, run_id: int, steps: list[str], partition: int, lo: int, hi: int, day: int) -> int:
    """One pass (one step, or consecutive installment steps together: :func:`steps.passes`) over one loan-id
    range, in one transaction with a progress row per step; a unit already recorded as finished (a rerun, or a
    worker's redelivered message) does nothing. Returns the rows the pass touched."""
    with app.uow() as uow:
        finished = {step: rows for step, rows in uow.session.execute(
            select(EodStepProgress.step, EodStepProgress.rows).where(
                EodStepProgress.run_id == run_id, EodStepProgress.step.in_(steps),
                EodStepProgress.partition == partition))}
        steps = [step for step in steps if step not in finished]
        if not steps:
            return int(sum(finished.values()))
        unit_start = time.perf_counter()
        if uow.session.get_bind().dialect.name == "postgresql":
            for setting in POSTGRES_SETTINGS:
                uow.session.execute(text(setting))
        rows = run_pass(uow, day, lo, hi, steps)
        for step in steps:
            if FAIL_HOOK is not None:
                FAIL_HOOK(step, partition)
        milliseconds = int((time.perf_counter() - unit_start) * 1000)
        uow.session.add_all([EodStepProgress(run_id=run_id, step=step, partition=partition, rows=rows,
                                             milliseconds=milliseconds) for step in steps])
        uow.commit()
        return rows


def _refresh_statistics(app: Any, steps: tuple[str, ...]) -> None:
    """ANALYZE the tables the pass rewrote in bulk (PostgreSQL; see :data:`steps.REWRITTEN_TABLE`)."""
    tables = sorted({REWRITTEN_TABLE[step] for step in steps if step in REWRITTEN_TABLE})
    if tables and app.engine.dialect.name == "postgresql":
        with app.engine.begin() as connection:
            for table in tables:  # names from REWRITTEN_TABLE only
                connection.execute(text(f"ANALYZE {table}"))


def run_eod(app: Any, actor: Actor, business_date: date | None = None, *, partitions: int = 4,
            progress: Progress | None = None, steps: list[str] | None = None,
            threads: int | None = None) -> EodResult:
    """``partitions``: loan-id ranges (more when a range would hold over ``PARTITION_LOANS`` loans).
    ``threads``: in-process parallel partitions on PostgreSQL (default ``AUTOFIN_BATCH_THREADS``); ignored on
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
            run = EodRun(business_date=day, status="running", loans=count,
                         partitions=max(1, partitions, -(-count // PARTITION_LOANS)),
                         id_min=bounds[0] or 0, id_max=bounds[1] if bounds[1] is not None else -1)
            uow.session.add(run)
        run.status = "running"
        uow.flush()
        audit.record(uow, actor, "servicing.eod.start", "eod_run", run.id, after={"business_date": day})
        uow.commit()
        run_id, ranges, loans = run.id, _ranges(run.id_min, run.id_max, run.partitions), run.loans
    seconds: dict[str, float] = {}
    whole = [(ranges[0][0], ranges[-1][1])]
    units_of_pass = {group: 1 if group[0] in GLOBAL_STEPS else len(ranges) for group in passes(names)}
    total_units, done_units = sum(units_of_pass.values()), 0
    try:
        for group, count in units_of_pass.items():
            started = time.perf_counter()
            units = [{"run_id": run_id, "steps": list(group), "partition": number, "lo": lo, "hi": hi,
                      "day": day_number(day)}
                     for number, (lo, hi) in enumerate(whole if group[0] in GLOBAL_STEPS else ranges)]

            name = STEP_JOINER.join(group)

            def report(done: int, _total: int, step: str = name, before: int = done_units) -> None:
                if progress is not None:
                    progress(step, before + done, total_units)

            try:
                platform.workers.run_units(app, UNIT, units, progress=report, threads=threads)
            except platform.workers.UnitsFailed as failed:
                first = failed.failures[0].exception
                raise (first if first is not None else failed) from failed
            done_units += count
            _refresh_statistics(app, group)
            seconds[name] = time.perf_counter() - started
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
