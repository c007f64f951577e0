"""Fan-out of independent units of batch work: in-process by default, Celery workers when a broker is configured.

DESIGN.md («Beyond one machine»): the end-of-day batch runs partitioned by loan-id range on Celery workers on Redis
or RabbitMQ when one machine is not enough; the embedded default is the same code in-process. A unit of work is a
registered function ``fn(app, **arguments)`` that must be safe to run twice (each records its own completion in the
transaction that does the work), because a worker that dies mid-unit has its unit delivered again.

- ``AUTOFIN_CELERY_BROKER_URL`` unset: units run in this process — one after the other on SQLite (one writer), on
  ``AUTOFIN_BATCH_THREADS`` threads on PostgreSQL (each thread its own connection; the database does the work).
- set (``redis://…`` or ``amqp://…``): units are sent to the workers started with ``autofin worker``, which use the
  same settings (database, keys) as the API. Results come back through ``AUTOFIN_CELERY_RESULT_URL`` (default: the
  broker when it is Redis).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from autofin.kernel.errors import Conflict, Text

if TYPE_CHECKING:
    from celery import Celery

    from autofin.bootstrap import App

UnitFunction = Callable[..., Any]
Progress = Callable[[int, int], None]

#: name → function; domains register theirs at import time (their ``jobs`` module), like scheduled jobs.
UNITS: dict[str, UnitFunction] = {}
POLL_SECONDS = 0.2


def unit(name: str) -> Callable[[UnitFunction], UnitFunction]:
    """Register ``fn(app, **arguments)`` as a unit of batch work that a worker can run by name."""

    def register(function: UnitFunction) -> UnitFunction:
        UNITS[name] = function
        return function

    return register


@dataclass(frozen=True)
class UnitFailure:
    index: int
    arguments: dict[str, Any]
    error: str
    exception: BaseException | None = None  # the unit's own error when it ran in this process


class UnitsFailed(RuntimeError):
    """Some units failed (the others finished and stay finished); ``failures`` says which and why, in the order
    the units were given."""

    def __init__(self, name: str, failures: list[UnitFailure]) -> None:
        self.failures = sorted(failures, key=lambda failure: failure.index)
        failures = self.failures
        listed = "; ".join(f"{f.arguments}: {f.error}" for f in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} unit(s) of {name} failed: {listed}{more}")


def run_units(app: App, name: str, arguments: Sequence[dict[str, Any]], *, progress: Progress | None = None,
              threads: int | None = None) -> list[Any]:
    """Run ``UNITS[name]`` once per argument set and return the results in the same order; all units run even
    when some fail, then :class:`UnitsFailed` names the failed ones."""
    if name not in UNITS:
        raise KeyError(f"no unit of work named {name!r}")
    if not arguments:
        return []
    if app.settings.celery_broker_url:
        return _run_on_celery(app, name, arguments, progress)
    wanted = app.settings.batch_threads if threads is None else threads
    return _run_in_process(app, name, arguments, progress, 1 if app.settings.is_sqlite else max(1, wanted))


def _run_in_process(app: App, name: str, arguments: Sequence[dict[str, Any]], progress: Progress | None,
                    threads: int) -> list[Any]:
    function = UNITS[name]
    results: list[Any] = [None] * len(arguments)
    failures: list[UnitFailure] = []
    done = 0

    def finished() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(arguments))

    if threads == 1:
        for index, kwargs in enumerate(arguments):
            try:
                results[index] = function(app, **kwargs)
            except Exception as exc:  # every unit runs; the failures are raised together below
                failures.append(_failure(index, kwargs, exc))
            finished()
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"unit-{name}") as pool:
            futures = {pool.submit(function, app, **kwargs): index for index, kwargs in enumerate(arguments)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except Exception as exc:  # as above
                    failures.append(_failure(index, arguments[index], exc))
                finished()
    if failures:
        raise UnitsFailed(name, failures)
    return results


def _failure(index: int, arguments: dict[str, Any], exc: Exception) -> UnitFailure:
    return UnitFailure(index, dict(arguments), f"{type(exc).__name__}: {exc}", exc)


def _run_on_celery(app: App, name: str, arguments: Sequence[dict[str, Any]], progress: Progress | None) -> list[Any]:
    from celery import group

    celery = celery_app(app.settings.celery_broker_url, app.settings.celery_result_url, app.settings.celery_queue)
    queue = app.settings.celery_queue
    if not _worker_listens(celery, queue, app.settings.celery_ping_seconds):
        where = f"{_safe_url(app.settings.celery_broker_url)} (queue {queue})"
        raise Conflict("platform.workers.none_running", Text(
            f"No Celery worker takes units from {where}: start one with `autofin worker`, or unset "
            "AUTOFIN_CELERY_BROKER_URL to run the batch in-process.",
            f"{where} 上没有领取任务的 Celery 工作进程：请用 `autofin worker` 启动，"
            "或取消 AUTOFIN_CELERY_BROKER_URL 以在本进程内运行批处理。"))
    task = celery.tasks[name]
    outcome = group(task.s(**kwargs) for kwargs in arguments).apply_async()
    deadline = time.monotonic() + app.settings.celery_unit_timeout_seconds
    reported = -1
    while not outcome.ready():
        done = outcome.completed_count()
        if progress is not None and done != reported:
            progress(done, len(arguments))
            reported = done
        if time.monotonic() > deadline:
            outcome.revoke()
            raise Conflict("platform.workers.timeout", Text(
                f"The workers did not finish {name} within {app.settings.celery_unit_timeout_seconds} s; "
                "the finished units stay finished, run the batch again to resume.",
                f"工作进程未在 {app.settings.celery_unit_timeout_seconds} 秒内完成 {name}；已完成的部分保留，"
                "重新运行即可续跑。"))
        time.sleep(POLL_SECONDS)
    if progress is not None:
        progress(len(arguments), len(arguments))
    results: list[Any] = []
    failures: list[UnitFailure] = []
    for index, (kwargs, child) in enumerate(zip(arguments, outcome.results, strict=True)):
        if child.failed():
            failures.append(UnitFailure(index, dict(kwargs), f"{type(child.result).__name__}: {child.result}"))
            results.append(None)
        else:
            results.append(child.result)
    outcome.forget()
    if failures:
        raise UnitsFailed(name, failures)
    return results


#: queue → when a worker was last seen taking from it (an inspect waits its whole timeout for replies, so it is
#: asked once a minute, not once a step).
_LISTENED: dict[str, float] = {}
LISTEN_MEMORY_SECONDS = 60.0


def _worker_listens(celery: Celery, queue: str, timeout: float) -> bool:
    seen = _LISTENED.get(queue)
    if seen is not None and time.monotonic() - seen < LISTEN_MEMORY_SECONDS:
        return True
    answers = celery.control.inspect(timeout=timeout).active_queues() or {}
    if any(q.get("name") == queue for queues in answers.values() for q in queues or ()):
        _LISTENED[queue] = time.monotonic()
        return True
    return False


def _safe_url(url: str) -> str:
    """The broker address without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}" if rest else url


# ------------------------------------------------------------------------------------------ the Celery side

_worker_app: App | None = None


def bind_worker_app(app: App | None) -> None:
    """The application a worker's units run against (``autofin worker`` binds a fresh one; tests bind theirs)."""
    global _worker_app
    _worker_app = app


def worker_app() -> App:
    global _worker_app
    if _worker_app is None:
        from autofin.bootstrap import bootstrap

        _worker_app = bootstrap()
    return _worker_app


@cache
def celery_app(broker_url: str, result_url: str = "", queue: str = "autofin") -> Celery:
    """One Celery application per broker and queue, with every registered unit as a task of the same name. Late
    acknowledgement and one message at a time: a unit whose worker dies is delivered again, not lost."""
    from celery import Celery

    from autofin.domains import load_domains

    load_domains()  # the domains' jobs modules register their units
    backend = result_url or (broker_url if broker_url.startswith(("redis://", "rediss://")) else "")
    celery = Celery("autofin", broker=broker_url, backend=backend or None)
    celery.conf.update(
        task_default_queue=queue, task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        result_expires=24 * 3600, broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
    )
    for name, function in UNITS.items():
        celery.task(name=name, bind=False)(_task_body(function))
    return celery


def _task_body(function: UnitFunction) -> UnitFunction:
    def run(**arguments: Any) -> Any:
        return function(worker_app(), **arguments)

    run.__name__ = function.__name__
    run.__qualname__ = function.__qualname__
    return run
