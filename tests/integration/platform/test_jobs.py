"""Scheduled jobs: the lease keeps a job to one run at a time, every run is logged, operators steer them."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import set_clock
from autofin.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from autofin.platform import service
from autofin.platform.idempotency import IdempotencyRecord
from autofin.platform.job_runner import _JOBS, acquire_lease, declare_job
from autofin.platform.models import JobDefinition, JobRun

operator = Actor(user_id=3, username="ops", permissions=frozenset({"platform.job.view", "platform.job.manage"}))
watcher = Actor(user_id=4, username="watcher", permissions=frozenset({"platform.job.view"}))


@pytest.fixture()
def test_jobs():
    started = threading.Event()
    release = threading.Event()

    def slow(app, run):
        started.set()
        release.wait(10)
        run.progress("halfway", processed=1)
        return {"processed": 2}

    def broken(app, run):
        raise RuntimeError("the bank file was empty")

    declare_job("test.slow", slow, "0 2 * * *", "慢任务", "Slow job")
    declare_job("test.broken", broken, "0 3 * * *", "坏任务", "Broken job")
    yield started, release
    release.set()
    _JOBS.pop("test.slow", None)
    _JOBS.pop("test.broken", None)


def test_a_second_run_while_the_first_holds_the_lease_is_logged_as_skipped(app_ctx, test_jobs):
    started, release = test_jobs
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", service.run_job(app_ctx, "test.slow")))
    first.start()
    assert started.wait(10)
    second = service.run_job(app_ctx, "test.slow", trigger="manual", actor=operator)
    release.set()
    first.join(10)
    assert second.status == "skipped" and "already running" in second.error
    assert results["first"].status == "succeeded" and results["first"].counts == {"processed": 2}
    with app_ctx.uow() as uow:
        row = uow.session.execute(select(JobDefinition).where(JobDefinition.name == "test.slow")).scalar_one()
        assert row.lease_owner is None and row.lease_until is None and row.last_status == "succeeded"
        statuses = uow.session.execute(select(JobRun.status).where(JobRun.job_name == "test.slow")).scalars().all()
        assert sorted(statuses) == ["skipped", "succeeded"]


def test_only_one_of_two_takers_gets_a_free_lease_and_an_expired_one_can_be_taken_over(app_ctx, test_jobs):
    assert acquire_lease(app_ctx, "test.slow", "process-a", timedelta(minutes=5))
    assert not acquire_lease(app_ctx, "test.slow", "process-b", timedelta(minutes=5))
    set_clock(lambda: datetime.now(UTC) + timedelta(minutes=6))  # process-a crashed: its lease ran out
    assert acquire_lease(app_ctx, "test.slow", "process-b", timedelta(minutes=5))


def test_a_failed_run_is_logged_with_its_error_and_the_lease_is_released(app_ctx, test_jobs):
    run = service.run_job(app_ctx, "test.broken")
    assert run.status == "failed" and run.finished_at is not None
    assert run.error.startswith("RuntimeError: the bank file was empty")
    with app_ctx.uow() as uow:
        runs, count = service.list_runs(uow, watcher, name="test.broken")
        assert count == 1 and runs[0].status == "failed"
        row = uow.session.execute(select(JobDefinition).where(JobDefinition.name == "test.broken")).scalar_one()
        assert row.lease_owner is None and row.last_status == "failed"


def test_pause_resume_and_cron_changes_are_audited_and_run_now_works_while_paused(app_ctx):
    name = "platform.purge_idempotency_keys"
    with app_ctx.uow() as uow:
        paused = service.pause_job(uow, operator, name)
        uow.commit()
    assert paused.paused and paused.next_run_at is None
    assert service.run_job(app_ctx, name) is None  # a scheduled fire of a paused job does nothing
    run = service.run_job_now(app_ctx, operator, name)
    assert run.status == "succeeded" and run.trigger == "manual" and run.triggered_by_name == "ops"
    with app_ctx.uow() as uow:
        resumed = service.resume_job(uow, operator, name)
        changed = service.update_cron(uow, operator, name, "5  4 * * *")
        uow.commit()
    assert not resumed.paused and changed.cron == "5 4 * * *" and changed.next_run_at is not None
    with app_ctx.uow() as uow:
        actions = uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_id == name).order_by(AuditEvent.sequence)
        ).scalars().all()
        assert actions == ["platform.job.pause", "platform.job.run_now", "platform.job.resume",
                           "platform.job.update_cron"]
        job = service.get_job(uow, watcher, name)
        assert job.cron == "5 4 * * *" and job.title_zh == "清理过期幂等键"


def test_a_bad_cron_an_unknown_job_or_a_missing_permission_are_refused(app_ctx):
    with app_ctx.uow() as uow:
        with pytest.raises(ValidationFailed):
            service.update_cron(uow, operator, "platform.purge_idempotency_keys", "every night")
        with pytest.raises(NotFound):
            service.pause_job(uow, operator, "no.such_job")
        with pytest.raises(PermissionDenied):
            service.pause_job(uow, watcher, "platform.purge_idempotency_keys")
    with pytest.raises(PermissionDenied):
        service.run_job_now(app_ctx, watcher, "platform.purge_idempotency_keys")


def test_the_purge_job_deletes_only_idempotency_keys_older_than_a_day(app_ctx):
    now = datetime.now(UTC)
    with app_ctx.uow() as uow:
        for key, age in (("old-1", 30), ("old-2", 25), ("fresh", 1)):
            uow.session.add(IdempotencyRecord(principal="user:1", key=key, fingerprint="f", state="completed",
                                              created_at=now - timedelta(hours=age)))
        uow.commit()
    run = service.run_job_now(app_ctx, SYSTEM, "platform.purge_idempotency_keys")
    assert run.counts == {"deleted": 2}
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(IdempotencyRecord.key)).scalars().all() == ["fresh"]


def test_the_job_list_shows_every_declared_platform_job(app_ctx):
    with app_ctx.uow() as uow:
        jobs = {job.name: job for job in service.list_jobs(uow, watcher)}
    assert {"platform.purge_idempotency_keys", "platform.deliver_notifications", "platform.purge_notifications",
            "platform.purge_job_runs"} <= set(jobs)
    assert all(job.declared and not job.paused for name, job in jobs.items() if name.startswith("platform."))


def test_old_run_logs_and_read_notifications_are_purged_by_their_jobs(app_ctx):
    old = datetime.now(UTC) - timedelta(days=400)
    with app_ctx.uow() as uow:
        uow.session.add(JobRun(job_name="x", trigger="manual", status="succeeded", started_at=old, counts={},
                               triggered_by_name="system"))
        message = service.notify(uow, 101, "old", "body")
        uow.flush()
        message.created_at = old
        message.read_at = old
        uow.commit()
    assert service.run_job_now(app_ctx, SYSTEM, "platform.purge_job_runs").counts == {"deleted": 1}
    counts = service.run_job_now(app_ctx, SYSTEM, "platform.purge_notifications").counts
    assert counts["inbox_deleted"] == 1


# ---- the command line ---------------------------------------------------------------------------------------


@pytest.fixture()
def cli(app_ctx, database_url, monkeypatch, test_settings):
    from autofin.cli import app as root

    monkeypatch.setenv("AUTOFIN_DATABASE_URL", database_url)
    monkeypatch.setenv("AUTOFIN_DATA_DIR", str(test_settings.data_dir))
    monkeypatch.setenv("AUTOFIN_SECRET_KEY", test_settings.secret_key)
    runner = CliRunner()
    return lambda *args: runner.invoke(root, list(args))


def test_jobs_list_pause_resume_and_run_from_the_command_line(app_ctx, cli, test_jobs):
    listed = cli("jobs", "list")
    assert listed.exit_code == 0 and "platform.purge_idempotency_keys" in listed.output
    assert cli("jobs", "pause", "platform.deliver_notifications").exit_code == 0
    with app_ctx.uow() as uow:
        assert service.get_job(uow, watcher, "platform.deliver_notifications").paused
    assert cli("jobs", "resume", "platform.deliver_notifications").exit_code == 0
    with app_ctx.uow() as uow:
        assert not service.get_job(uow, watcher, "platform.deliver_notifications").paused
    ran = cli("jobs", "run", "platform.purge_idempotency_keys")
    assert ran.exit_code == 0 and "succeeded" in ran.output and '"deleted": 0' in ran.output
    failed = cli("jobs", "run", "test.broken")
    assert failed.exit_code == 1 and "the bank file was empty" in failed.output
    unknown = cli("jobs", "run", "no.such_job")
    assert unknown.exit_code == 1 and "no.such_job" in unknown.output
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(JobRun)).scalar_one() == 2


def test_the_scheduler_follows_pause_and_cron_changes_made_in_the_database(app_ctx):
    from apscheduler.schedulers.background import BackgroundScheduler

    from autofin.platform.scheduler import sync_schedule

    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    crons: dict[str, str] = {}
    try:
        sync_schedule(app_ctx, scheduler, crons)
        assert scheduler.get_job("platform.purge_idempotency_keys") is not None
        with app_ctx.uow() as uow:
            service.pause_job(uow, operator, "platform.purge_idempotency_keys")
            service.update_cron(uow, operator, "platform.purge_notifications", "0 5 * * *")
            uow.commit()
        sync_schedule(app_ctx, scheduler, crons)
        assert scheduler.get_job("platform.purge_idempotency_keys") is None
        assert crons["platform.purge_notifications"] == "0 5 * * *"
        with app_ctx.engine.begin() as connection:
            connection.execute(update(JobDefinition).where(JobDefinition.name == "platform.purge_notifications")
                               .values(next_run_at=None))
        sync_schedule(app_ctx, scheduler, crons)
    finally:
        scheduler.shutdown(wait=False)
