"""APScheduler 3 in the serving process: one cron trigger per non-paused job, kept in step with the database.

Pause, resume and cron edits are made in the database (console, API, CLI, any process); a small sync every
``SYNC_SECONDS`` adds, removes or reschedules triggers and stores each job's next run time. Running two serving
processes is safe: both fire, the database lease lets one run and logs the other as skipped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import ValidationFailed
from autofin.platform.config_center import BUSINESS_TZ
from autofin.platform.job_runner import declared_jobs, parse_cron, run_job, sync_job_definitions
from autofin.platform.models import JobDefinition

if TYPE_CHECKING:
    from autofin.bootstrap import App

log = logging.getLogger("autofin.platform.scheduler")
SYNC_SECONDS = 30
SYNC_JOB_ID = "__platform.sync_schedule__"


def _fire(app: App, name: str) -> None:
    try:
        run_job(app, name, trigger="scheduled", actor=SYSTEM)
    except Exception:
        log.exception("scheduled job could not run", extra={"job": name})


def sync_schedule(app: App, scheduler: BackgroundScheduler, crons: dict[str, str]) -> None:
    """Bring the scheduler's triggers in line with the job rows (``crons`` remembers what is scheduled)."""
    declared = {spec.name for spec in declared_jobs()}
    with app.uow() as uow:
        sync_job_definitions(uow)
        rows = [(r.name, r.cron, r.paused, r.next_run_at)
                for r in uow.session.execute(select(JobDefinition)).scalars().all()]
        uow.commit()
    wanted = {name: cron for name, cron, paused, _ in rows if not paused and name in declared}
    for name in list(crons):
        if name not in wanted:
            if scheduler.get_job(name) is not None:
                scheduler.remove_job(name)
            del crons[name]
            log.info("job unscheduled", extra={"job": name})
    for name, cron in wanted.items():
        if crons.get(name) == cron:
            continue
        try:
            trigger = parse_cron(cron)
        except ValidationFailed:
            log.error("job has an invalid cron; not scheduled", extra={"job": name, "cron": cron})
            continue
        scheduler.add_job(_fire, trigger, args=[app, name], id=name, name=name, replace_existing=True,
                          max_instances=1, coalesce=True, misfire_grace_time=300)
        crons[name] = cron
        log.info("job scheduled", extra={"job": name, "cron": cron})
    changes = {}
    for name, _cron, paused, stored in rows:
        job = scheduler.get_job(name)
        upcoming = job.next_run_time if job is not None and not paused else None
        if upcoming != stored:
            changes[name] = upcoming
    if changes:
        with app.uow() as uow:
            for name, upcoming in changes.items():
                uow.session.execute(update(JobDefinition).where(JobDefinition.name == name)
                                    .values(next_run_at=upcoming).execution_options(synchronize_session=False))
            uow.commit()


def start_scheduler(app: App) -> BackgroundScheduler:
    """Start the in-process scheduler for ``app`` (called by the API's lifespan when the scheduler is on)."""
    scheduler = BackgroundScheduler(timezone=BUSINESS_TZ)
    crons: dict[str, str] = {}
    scheduler.start()
    sync_schedule(app, scheduler, crons)
    scheduler.add_job(sync_schedule, "interval", seconds=SYNC_SECONDS, args=[app, scheduler, crons],
                      id=SYNC_JOB_ID, max_instances=1, coalesce=True)
    return scheduler
