"""The end-of-day partitions fanned out: on threads of this process (PostgreSQL), and on a real Celery worker on
Redis; either way the loans end exactly as after the one-at-a-time run, and a failed partition is named."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.servicing.loans_support import open_loan, wipe_loans

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict
from autofin.platform import workers
from autofin.servicing.eod import runner
from autofin.servicing.models import DailyAccrual, EodRun, EodStepProgress, LoanAccount

REDIS = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def loan_state(app: App) -> list[tuple[Any, ...]]:
    """Each loan's batch-computed columns and the sum of its accruals by kind, keyed by contract (ids differ)."""
    with app.uow() as uow:
        loans = uow.session.execute(select(
            LoanAccount.id, LoanAccount.contract_no, LoanAccount.status, LoanAccount.days_past_due,
            LoanAccount.bucket, LoanAccount.classification, LoanAccount.provision)).all()
        accruals = uow.session.execute(select(DailyAccrual.loan_id, DailyAccrual.kind, DailyAccrual.amount)).all()
    totals: dict[tuple[int, str], int] = {}
    for loan_id, kind, amount in accruals:
        totals[(loan_id, kind)] = totals.get((loan_id, kind), 0) + int(amount)
    return sorted((contract, status, dpd, bucket, cls, int(provision),
                   sorted((kind, value) for (owner, kind), value in totals.items() if owner == loan_id))
                  for loan_id, contract, status, dpd, bucket, cls, provision in loans)


def overdue_book(app: App, count: int) -> None:
    """Loans opened on 2025-01-15 whose first installment (15 Feb) is unpaid by the batch dates used here."""
    for n in range(count):
        open_loan(app, f"HT-W{n:02d}")


def run_two_days(app: App, **options: Any) -> None:
    for day in (date(2025, 2, 16), date(2025, 3, 20)):
        assert runner.run_eod(app, SYSTEM, day, partitions=4, **options).status == "succeeded"


def test_threads_give_the_same_loans_as_one_partition_at_a_time(app_ctx: App) -> None:
    overdue_book(app_ctx, 9)
    run_two_days(app_ctx, threads=3)  # on SQLite the units still go one at a time (one writer)
    threaded = loan_state(app_ctx)
    with app_ctx.uow() as uow:
        units = uow.session.execute(select(EodStepProgress.step, EodStepProgress.partition)).all()
    assert {step for step, _partition in units} == set(runner.STEPS)
    assert max(partition for _step, partition in units) >= 2  # 9 loans in 4 ranges of 3 ids: 3 partitions
    assert {bucket for _c, _s, _d, bucket, *_rest in threaded} == {"M2"}

    wipe_loans(app_ctx)
    overdue_book(app_ctx, 9)
    run_two_days(app_ctx, threads=1, steps=[step for step in runner.STEPS if step != "subledger_check"])
    assert loan_state(app_ctx) == threaded


def test_every_partition_runs_and_the_failed_ones_are_named(app_ctx: App) -> None:
    overdue_book(app_ctx, 8)

    def crash(step: str, partition: int) -> None:
        if step == "penalty" and partition in (1, 3):
            raise RuntimeError(f"disk full in partition {partition}")

    runner.FAIL_HOOK = crash
    try:
        with pytest.raises(RuntimeError, match="partition 1"):
            runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 16), partitions=4, threads=2)
    finally:
        runner.FAIL_HOOK = None
    with app_ctx.uow() as uow:
        status, error = uow.session.execute(select(EodRun.status, EodRun.error)).one()
        done = set(uow.session.scalars(select(EodStepProgress.partition).where(
            EodStepProgress.step == "penalty")).all())
    assert status == "failed"
    assert "2 unit(s)" in error and "'partition': 1" in error and "'partition': 3" in error
    assert done == {0, 2}  # the healthy partitions finished and stay finished
    assert runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 16), partitions=4, threads=2).status == "succeeded"


def test_the_units_fail_together_in_the_order_given(app_ctx: App) -> None:
    calls: list[int] = []

    @workers.unit("tests.flaky")
    def flaky(_app: App, *, n: int) -> int:
        calls.append(n)
        if n % 2:
            raise ValueError(f"odd {n}")
        return n * 10

    try:
        assert workers.run_units(app_ctx, "tests.flaky", [{"n": 0}, {"n": 2}], threads=2) == [0, 20]
        with pytest.raises(workers.UnitsFailed) as caught:
            workers.run_units(app_ctx, "tests.flaky", [{"n": n} for n in range(5)], threads=2)
    finally:
        workers.UNITS.pop("tests.flaky")
    assert [f.index for f in caught.value.failures] == [1, 3]
    assert [str(f.exception) for f in caught.value.failures] == ["odd 1", "odd 3"]
    assert sorted(calls) == [0, 0, 1, 2, 2, 3, 4]
    with pytest.raises(KeyError):
        workers.run_units(app_ctx, "tests.no_such_unit", [{}])


@pytest.fixture()
def celery_app_ctx(app_ctx: App) -> Iterator[App]:
    """The test application sending its units to a real Celery worker (a thread of this process) through Redis,
    on a queue of its own so that concurrent test runs never take each other's units."""
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from celery.contrib.testing.worker import start_worker

    settings = app_ctx.settings.model_copy(update={
        "celery_broker_url": REDIS, "celery_queue": f"autofin-test-{uuid.uuid4().hex[:12]}",
        "celery_ping_seconds": 1.0, "celery_unit_timeout_seconds": 120})
    sending = dataclasses.replace(app_ctx, settings=settings)
    workers.bind_worker_app(app_ctx)
    celery = workers.celery_app(settings.celery_broker_url, settings.celery_result_url, settings.celery_queue)
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, queues=[settings.celery_queue]):
            yield sending
    finally:
        workers.bind_worker_app(None)


def test_a_celery_worker_on_redis_runs_the_partitions_to_the_same_loans(celery_app_ctx: App, app_ctx: App) -> None:
    overdue_book(app_ctx, 6)
    seen: list[tuple[str, int, int]] = []
    result = runner.run_eod(celery_app_ctx, SYSTEM, date(2025, 2, 16), partitions=3,
                            progress=lambda step, done, total: seen.append((step, done, total)))
    assert result.status == "succeeded" and result.loans == 6
    assert seen[-1][1] == seen[-1][2]  # the progress bar reached the end
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(EodRun.status)) == "succeeded"
        penalties = uow.session.scalars(select(DailyAccrual.amount).where(DailyAccrual.kind == "penalty")).all()
    assert len(penalties) == 6 and all(amount > 0 for amount in penalties)


def test_without_a_worker_the_batch_says_how_to_start_one(app_ctx: App) -> None:
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    overdue_book(app_ctx, 1)
    settings = app_ctx.settings.model_copy(update={
        "celery_broker_url": REDIS, "celery_queue": f"autofin-nobody-{uuid.uuid4().hex[:12]}",
        "celery_ping_seconds": 0.5})
    with pytest.raises(Conflict) as caught:
        runner.run_eod(dataclasses.replace(app_ctx, settings=settings), SYSTEM, date(2025, 2, 16))
    assert caught.value.code == "platform.workers.none_running" and "autofin worker" in caught.value.message.en
