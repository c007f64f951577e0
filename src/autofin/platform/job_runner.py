"""Scheduled jobs (定时任务): the registry domains declare jobs in, the database lease, the runner and the run log.

A domain declares a job in its ``jobs.py``::

    declare_job("servicing.end_of_day", run_end_of_day, "30 0 * * *", "日终批处理", "End-of-day batch")

where ``run_end_of_day(app: App, run: JobRunContext) -> dict[str, int]`` does its work in its own units of work
and returns what it counted. :func:`run_job` takes the job's **lease** first (an atomic UPDATE of the job's row
``WHERE lease is free or expired``), so a job never runs twice at once, not even in two processes; a run that
finds the lease taken is logged as ``skipped``. Every run is logged in ``platform_job_runs``.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import or_, select, update

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import FieldError, Text, ValidationFailed
from autofin.platform import errors
from autofin.platform.config_center import BUSINESS_TZ
from autofin.platform.models import JobDefinition, JobRun, RunStatus
from autofin.platform.permissions import MANAGE_JOBS, VIEW_JOBS

if TYPE_CHECKING:
    from autofin.bootstrap import App

log = logging.getLogger("autofin.platform.jobs")
DEFAULT_LEASE = timedelta(hours=1)
ERROR_MAX = 4000


# ---- the registry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: Callable[[App, JobRunContext], dict[str, Any] | None]
    default_cron: str
    title_zh: str
    title_en: str
    lease: timedelta = DEFAULT_LEASE


_JOBS: dict[str, JobSpec] = {}


def declare_job(
    name: str,
    function: Callable[[App, JobRunContext], dict[str, Any] | None],
    default_cron: str,
    title_zh: str,
    title_en: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> JobSpec:
    """Register a job (at import time of a domain's ``jobs.py``). ``lease`` bounds how long a crashed run can
    block the next one; a run reporting progress extends it."""
    parse_cron(default_cron)
    spec = JobSpec(name, function, default_cron, title_zh, title_en, lease)
    _JOBS[name] = spec
    return spec


def declared_jobs() -> list[JobSpec]:
    return sorted(_JOBS.values(), key=lambda s: s.name)


def job_spec(name: str) -> JobSpec:
    spec = _JOBS.get(name)
    if spec is None:
        raise errors.job_not_found(name)
    return spec


def parse_cron(cron: str) -> CronTrigger:
    """A five-field crontab (minute hour day month weekday) in China time; refuses anything else."""
    try:
        return CronTrigger.from_crontab(cron.strip(), timezone=BUSINESS_TZ)
    except (ValueError, TypeError) as exc:
        text = Text(
            f"'{cron}' is not a valid crontab ({exc}); write five fields: minute hour day month weekday, "
            "e.g. '0 2 * * *' for 02:00 every day.",
            f"“{cron}”不是有效的 cron 表达式，请填写五段：分 时 日 月 周，例如“0 2 * * *”表示每天 02:00。",
        )
        raise ValidationFailed("platform.job.invalid_cron", text, [FieldError("cron", text)]) from None


def next_fire_time(cron: str, after: datetime | None = None) -> datetime | None:
    fire: datetime | None = parse_cron(cron).get_next_fire_time(None, after or utcnow())
    return fire


# ---- the run context ----------------------------------------------------------------------------------------


@dataclass
class JobRunContext:
    """What a running job gets besides the App: who triggered it, and a way to report progress."""

    app: App
    job_name: str
    run_id: int
    trigger: str
    actor: Actor
    lease_owner: str
    lease: timedelta
    counts: dict[str, Any] = field(default_factory=dict)

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] = int(self.counts.get(name, 0)) + amount

    def progress(self, message: str = "", **counts: Any) -> None:
        """Record progress on the run row and extend the lease. Call it between your own units of work (on
        SQLite an open transaction of yours would block this one)."""
        self.counts.update(counts)
        with self.app.uow() as uow:
            uow.session.execute(
                update(JobRun).where(JobRun.id == self.run_id)
                .values(progress=message[:500], counts=dict(self.counts))
            )
            uow.session.execute(
                update(JobDefinition)
                .where(JobDefinition.name == self.job_name, JobDefinition.lease_owner == self.lease_owner)
                .values(lease_until=utcnow() + self.lease)
            )
            uow.commit()


# ---- definitions and the lease ------------------------------------------------------------------------------


def sync_job_definitions(uow: UnitOfWork) -> int:
    """Give every declared job its row (default cron, not paused). Existing rows keep operators' edits."""
    known = set(uow.session.execute(select(JobDefinition.name)).scalars().all())
    added = 0
    for spec in declared_jobs():
        if spec.name not in known:
            uow.session.add(JobDefinition(name=spec.name, cron=spec.default_cron, paused=False,
                                          next_run_at=next_fire_time(spec.default_cron)))
            added += 1
    if added:
        uow.flush()
    return added


def _definition(uow: UnitOfWork, name: str) -> JobDefinition:
    row = uow.session.execute(select(JobDefinition).where(JobDefinition.name == name)).scalar_one_or_none()
    if row is None:
        spec = job_spec(name)
        row = JobDefinition(name=name, cron=spec.default_cron, paused=False,
                            next_run_at=next_fire_time(spec.default_cron))
        uow.session.add(row)
        uow.flush()
    return row


def acquire_lease(app: App, name: str, owner: str, lease: timedelta) -> bool:
    """Take the job's lease if it is free or expired: one atomic UPDATE, so only one taker wins."""
    with app.uow() as uow:
        _definition(uow, name)
        uow.commit()
    with app.uow() as uow:
        now = utcnow()
        result = uow.session.execute(
            update(JobDefinition)
            .where(JobDefinition.name == name,
                   or_(JobDefinition.lease_until.is_(None), JobDefinition.lease_until < now))
            .values(lease_owner=owner, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        uow.commit()
        return int(getattr(result, "rowcount", 0) or 0) == 1


def release_lease(uow: UnitOfWork, name: str, owner: str) -> None:
    uow.session.execute(
        update(JobDefinition).where(JobDefinition.name == name, JobDefinition.lease_owner == owner)
        .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False)
    )


def _owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


# ---- running ------------------------------------------------------------------------------------------------


def run_job(app: App, name: str, *, trigger: str = "scheduled", actor: Actor = SYSTEM) -> JobRun | None:
    """Run a declared job now under its lease and log the run. Returns the run row (``skipped`` when another
    run holds the lease), or None for a scheduled fire of a paused job."""
    spec = job_spec(name)
    with app.uow() as uow:
        definition = _definition(uow, name)
        paused = definition.paused
        uow.commit()
    if paused and trigger == "scheduled":
        return None
    owner = _owner()
    started = utcnow()
    if not acquire_lease(app, name, owner, spec.lease):
        with app.uow() as uow:
            holder = _definition(uow, name)
            skipped = JobRun(
                job_name=name, trigger=trigger, status=RunStatus.SKIPPED.value, started_at=started,
                finished_at=utcnow(), counts={},
                error=f"already running (lease held by {holder.lease_owner} until {holder.lease_until})",
                triggered_by_id=actor.user_id, triggered_by_name=actor.username,
            )
            uow.session.add(skipped)
            uow.commit()
        log.info("job skipped: lease held", extra={"job": name})
        return skipped
    run_id: int | None = None
    status, error = RunStatus.FAILED, None
    counts: dict[str, Any] = {}
    try:
        with app.uow() as uow:
            run = JobRun(job_name=name, trigger=trigger, status=RunStatus.RUNNING.value, started_at=started,
                         counts={}, triggered_by_id=actor.user_id, triggered_by_name=actor.username)
            uow.session.add(run)
            uow.session.execute(update(JobDefinition).where(JobDefinition.name == name)
                                .values(last_run_at=started, last_status=RunStatus.RUNNING.value))
            uow.commit()
            run_id = run.id
        context = JobRunContext(app, name, run_id, trigger, actor, owner, spec.lease, counts)
        try:
            counts.update(spec.function(app, context) or {})
            status = RunStatus.SUCCEEDED
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"[:ERROR_MAX]
            log.exception("job failed", extra={"job": name, "run_id": run_id})
    finally:
        with app.uow() as uow:
            if run_id is not None:
                uow.session.execute(
                    update(JobRun).where(JobRun.id == run_id).values(
                        status=status.value, finished_at=utcnow(), counts=_plain_counts(counts), error=error
                    )
                )
                uow.session.execute(update(JobDefinition).where(JobDefinition.name == name)
                                    .values(last_status=status.value))
            release_lease(uow, name, owner)
            uow.commit()
    with app.uow() as uow:
        finished = uow.session.get(JobRun, run_id)
        if finished is not None:
            uow.session.expunge(finished)  # readable after the unit of work closes
    log.info("job finished", extra={"job": name, "status": status.value, "counts": counts})
    return finished


def _plain_counts(counts: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in counts.items():
        plain[str(key)] = value if isinstance(value, int | float | str | bool) or value is None else str(value)
    return plain


# ---- use cases ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as the console and API show it: code registry plus its row."""

    name: str
    title_zh: str
    title_en: str
    cron: str
    default_cron: str
    paused: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    running: bool
    declared: bool
    version: int


def _view(spec: JobSpec | None, row: JobDefinition | None, now: datetime) -> JobView:
    name = spec.name if spec else row.name  # type: ignore[union-attr]
    cron = row.cron if row else spec.default_cron  # type: ignore[union-attr]
    paused = bool(row and row.paused)
    try:
        upcoming = None if paused or spec is None else next_fire_time(cron, now)
    except ValidationFailed:
        upcoming = None
    return JobView(
        name=name, title_zh=spec.title_zh if spec else name, title_en=spec.title_en if spec else name, cron=cron,
        default_cron=spec.default_cron if spec else cron, paused=paused, next_run_at=upcoming,
        last_run_at=row.last_run_at if row else None, last_status=row.last_status if row else None,
        running=bool(row and row.lease_until is not None and row.lease_until > now),
        declared=spec is not None, version=row.version if row else 0,
    )


def list_jobs(uow: UnitOfWork, actor: Actor) -> list[JobView]:
    """Every declared job (and any row whose code is gone, marked ``declared=False``), by name."""
    actor.require(VIEW_JOBS)
    rows = {r.name: r for r in uow.session.execute(select(JobDefinition)).scalars().all()}
    now = utcnow()
    names = sorted(set(rows) | set(_JOBS))
    return [_view(_JOBS.get(n), rows.get(n), now) for n in names]


def get_job(uow: UnitOfWork, actor: Actor, name: str) -> JobView:
    actor.require(VIEW_JOBS)
    row = uow.session.execute(select(JobDefinition).where(JobDefinition.name == name)).scalar_one_or_none()
    spec = _JOBS.get(name)
    if spec is None and row is None:
        raise errors.job_not_found(name)
    return _view(spec, row, utcnow())


def _set_paused(uow: UnitOfWork, actor: Actor, name: str, paused: bool, version: int | None) -> JobView:
    actor.require(MANAGE_JOBS)
    row = _definition(uow, name)
    ensure_version(row, version, "job")
    if row.paused != paused:
        row.paused = paused
        uow.flush()
        audit.record(uow, actor, "platform.job.pause" if paused else "platform.job.resume", "job", name,
                     before={"paused": not paused}, after={"paused": paused})
    return _view(_JOBS.get(name), row, utcnow())


def pause_job(uow: UnitOfWork, actor: Actor, name: str, version: int | None = None) -> JobView:
    """Stop scheduled runs of ``name`` (a run in progress finishes; run-now still works)."""
    return _set_paused(uow, actor, name, True, version)


def resume_job(uow: UnitOfWork, actor: Actor, name: str, version: int | None = None) -> JobView:
    return _set_paused(uow, actor, name, False, version)


def update_cron(uow: UnitOfWork, actor: Actor, name: str, cron: str, version: int | None = None) -> JobView:
    """Change when ``name`` runs (five-field crontab, China time); the scheduler picks it up within 30 s."""
    actor.require(MANAGE_JOBS)
    cron = " ".join(cron.split())
    parse_cron(cron)
    row = _definition(uow, name)
    ensure_version(row, version, "job")
    if row.cron != cron:
        before = row.cron
        row.cron = cron
        row.next_run_at = next_fire_time(cron)
        uow.flush()
        audit.record(uow, actor, "platform.job.update_cron", "job", name, before={"cron": before},
                     after={"cron": cron})
    return _view(_JOBS.get(name), row, utcnow())


def run_job_now(app: App, actor: Actor, name: str) -> JobRun | None:
    """Run ``name`` at once for ``actor`` (also when paused), logged as a manual run. Opens its own units of
    work: the audit row is committed first, then the run happens under the lease."""
    actor.require(MANAGE_JOBS)
    job_spec(name)
    with app.uow() as uow:
        audit.record(uow, actor, "platform.job.run_now", "job", name)
        uow.commit()
    return run_job(app, name, trigger="manual", actor=actor)


def list_runs(
    uow: UnitOfWork, actor: Actor, *, name: str | None = None, status: str | None = None,
    since: datetime | None = None, page: int = 1, size: int = 50,
) -> tuple[list[JobRun], int]:
    """The run log, newest first; ``since`` keeps runs started at or after that moment."""
    actor.require(VIEW_JOBS)
    statement = select(JobRun)
    if since is not None:
        statement = statement.where(JobRun.started_at >= since)
    if name:
        statement = statement.where(JobRun.job_name == name)
    if status:
        statement = statement.where(JobRun.status == status)
    return fetch_page(uow.session, statement, (JobRun.started_at.desc(), JobRun.id.desc()), page, size)
