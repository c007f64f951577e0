"""``autofin jobs …``: list, run, pause and resume scheduled jobs from the command line (as ``system``);
``autofin worker``: a Celery worker for batch units (:mod:`autofin.platform.workers`)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from autofin.bootstrap import bootstrap
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import DomainError
from autofin.platform import service
from autofin.platform.models import RunStatus
from autofin.settings import Settings

jobs_app = typer.Typer(help="Scheduled jobs (定时任务): list, run now, pause, resume.", no_args_is_help=True)
console = Console()


def _fail(error: DomainError) -> None:
    console.print(f"[red]{error.message.en}[/red] {error.message.zh}")
    raise typer.Exit(1)


@jobs_app.command("list")
def list_command() -> None:
    """Show every job with its schedule, pause state and last run."""
    app = bootstrap(Settings())
    with app.uow() as uow:
        jobs = service.list_jobs(uow, SYSTEM)
    table = Table("name", "title", "cron", "paused", "next run (UTC)", "last run (UTC)", "last status")
    for job in jobs:
        table.add_row(
            job.name, f"{job.title_zh} / {job.title_en}", job.cron, "yes" if job.paused else "no",
            job.next_run_at.strftime("%Y-%m-%d %H:%M") if job.next_run_at else "-",
            job.last_run_at.strftime("%Y-%m-%d %H:%M") if job.last_run_at else "-", job.last_status or "-",
        )
    (console if console.is_terminal else Console(width=200)).print(table)
    app.dispose()


@jobs_app.command("run")
def run_command(name: str = typer.Argument(..., help="Job name, e.g. platform.purge_idempotency_keys.")) -> None:
    """Run a job now (even when paused), print its counts; exit 1 when it failed or could not run."""
    app = bootstrap(Settings())
    try:
        run = service.run_job_now(app, SYSTEM, name)
    except DomainError as error:
        _fail(error)
        return
    finally:
        app.dispose()
    if run is None:
        raise typer.Exit(1)
    console.print(f"{name}: {run.status}")
    console.print(json.dumps(run.counts, ensure_ascii=False, sort_keys=True))
    if run.status != RunStatus.SUCCEEDED:
        if run.error:
            console.print(f"[red]{run.error.splitlines()[0]}[/red]")
        raise typer.Exit(1)


def _switch(name: str, pause: bool) -> None:
    app = bootstrap(Settings())
    try:
        with app.uow() as uow:
            job = service.pause_job(uow, SYSTEM, name) if pause else service.resume_job(uow, SYSTEM, name)
            uow.commit()
    except DomainError as error:
        _fail(error)
        return
    finally:
        app.dispose()
    console.print(f"{job.name}: {'paused 已暂停' if job.paused else 'resumed 已恢复'}")


@jobs_app.command("pause")
def pause_command(name: str = typer.Argument(..., help="Job name.")) -> None:
    """Stop the job's scheduled runs until resumed (run-now still works)."""
    _switch(name, True)


@jobs_app.command("resume")
def resume_command(name: str = typer.Argument(..., help="Job name.")) -> None:
    """Let the job run on its schedule again."""
    _switch(name, False)


def worker(
    concurrency: int = typer.Option(2, min=1, help="units run at once by this worker (processes)"),
    loglevel: str = typer.Option("INFO", help="Celery log level"),
) -> None:
    """A Celery worker that runs batch units (end-of-day partitions) sent by any autofin process configured with
    the same AUTOFIN_CELERY_BROKER_URL."""
    from autofin.platform import workers

    settings = Settings()
    if not settings.celery_broker_url:
        console.print("[red]AUTOFIN_CELERY_BROKER_URL is not set: there is no broker to take units from.[/red] "
                      "未设置 AUTOFIN_CELERY_BROKER_URL，无法从消息代理领取任务。")
        raise typer.Exit(2)
    workers.bind_worker_app(bootstrap(settings))
    celery = workers.celery_app(settings.celery_broker_url, settings.celery_result_url, settings.celery_queue)
    celery.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip",
                        f"--queues={settings.celery_queue}"])


def register(root: typer.Typer) -> None:
    root.add_typer(jobs_app, name="jobs")
    root.command("worker")(worker)
