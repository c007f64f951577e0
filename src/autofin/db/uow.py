"""The unit of work: one database transaction per use case, with the events it raised handled inside it.

Usage (API route, console handler, CLI command or job)::

    with app.uow(actor) as uow:
        result = service.create_department(uow, actor, command)
        uow.commit()

A use case never commits; its caller does, once. Leaving the block without commit rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from autofin.kernel.errors import Conflict, Text
from autofin.kernel.events import Event, handlers_for

MAX_EVENT_ROUNDS = 20  # handlers may raise further events; a cycle beyond this is a bug, not a workload


class UnitOfWork:
    def __init__(
        self, session_factory: sessionmaker[Session], settings: Any = None, *, read_only: bool = False
    ) -> None:
        self._session_factory = session_factory
        self.settings = settings
        self.read_only = read_only
        self._session: Session | None = None
        self.events: list[Event] = []
        self.after_commit: list[Any] = []
        # Work that must run last, just before the commit, once per key (e.g. chaining the audit rows, which takes
        # the one lock every writer shares: holding it only for the final moments keeps writers from queueing).
        self.before_commit: dict[str, Callable[[], None]] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it as a context manager")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self.events = []
        self.after_commit = []
        self.before_commit = {}
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            # Roll back only what was left uncommitted; a plain close keeps committed objects readable.
            if self.session.in_transaction():
                self.rollback()
        finally:
            self.session.close()
            self._session = None

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise _stale() from exc
        except IntegrityError as exc:
            raise _integrity(exc) from exc

    def commit(self) -> None:
        if self.read_only:
            # Its transaction never took SQLite's writer: a write here would bypass the queue every writer keeps.
            raise RuntimeError("a read-only unit of work cannot commit; open a writing one for changes")
        self._dispatch_events()
        hooks, self.before_commit = self.before_commit, {}
        for hook in hooks.values():
            hook()
        self.flush()
        try:
            self.session.commit()
        except StaleDataError as exc:
            raise _stale() from exc
        except IntegrityError as exc:
            raise _integrity(exc) from exc
        callbacks, self.after_commit = self.after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self.events = []
        self.before_commit = {}

    def _dispatch_events(self) -> None:
        for _round in range(MAX_EVENT_ROUNDS):
            pending, self.events = self.events, []
            if not pending:
                return
            for event in pending:
                for handler in handlers_for(event):
                    handler(self, event)
        raise RuntimeError("events kept raising events: a handler cycle")


def _stale() -> Conflict:
    return Conflict(
        "db.stale_version",
        Text(
            "The record was changed by someone else meanwhile; reload it and try again.",
            "记录已被他人修改，请刷新后重试。",
        ),
    )


def _integrity(exc: IntegrityError) -> Conflict:
    return Conflict(
        "db.integrity",
        Text(
            "The change conflicts with a record that already exists (a duplicate or a missing reference).",
            "该修改与已有记录冲突（重复或引用的数据不存在）。",
        ),
    )
