"""Engines for the embedded SQLite default and for PostgreSQL, configured the same way everywhere."""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option of a unit of work that only reads (see ``App.uow(read_only=True)``).
READ_ONLY = "autofin_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20, future=True)


def _sqlite_engine(url: str, database: str | None, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None hands transaction control to us, so every transaction can begin IMMEDIATE: a writer
    # takes the lock at BEGIN instead of failing half-way when a read lock cannot be upgraded.
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        isolation_level=None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    writers = WriterQueue(SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A reader: in WAL mode it reads its snapshot beside the writer, so it neither queues nor locks.
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        writers.enter(connection.connection.dbapi_connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.leave(connection.connection.dbapi_connection)
            raise

    # The queue is left only once the driver has committed or rolled back: SQLAlchemy's commit/rollback events
    # fire before the driver call, so the dialect's own calls are wrapped instead.
    dialect: Any = engine.dialect
    driver_commit, driver_rollback = dialect.do_commit, dialect.do_rollback

    def _commit(connection: Any) -> None:
        try:
            driver_commit(connection)
        finally:
            writers.leave(getattr(connection, "dbapi_connection", connection))

    def _rollback(connection: Any) -> None:
        try:
            driver_rollback(connection)
        finally:
            writers.leave(getattr(connection, "dbapi_connection", connection))

    dialect.do_commit, dialect.do_rollback = _commit, _rollback

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        writers.leave(dbapi_connection)  # a connection returned or discarded mid-transaction never keeps the queue

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        writers.leave(dbapi_connection)

    return engine


class WriterQueue:
    """SQLite's single writer, handed out in arrival order among this process's threads.

    SQLite lets one transaction write at a time; the others wait in its busy handler, which sleeps in growing steps
    (up to 100 ms) and lets late arrivals overtake: under fifty concurrent requests a few waited seconds. Queueing
    inside the process makes waiting fair and wakes the next writer the moment the previous one commits; other
    processes (a CLI run beside the server) still meet the busy handler. A connection that already holds the queue
    re-enters freely; a wait longer than the busy timeout fails like a locked database would.

    Each waiter sleeps on its own event and :meth:`leave` hands the writer straight to the first in line, waking
    that thread alone: waking every waiter to compare tickets (one condition for all) cost a context switch per
    waiting thread per transaction, a large share of the server's CPU under fifty concurrent requests.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._waiting: deque[_Turn] = deque()  # arrival order
        self._holder: Any = None

    def enter(self, dbapi_connection: Any) -> None:
        with self._lock:
            if self._holder is dbapi_connection:
                return
            if self._holder is None and not self._waiting:
                self._holder = dbapi_connection
                return
            turn = _Turn(dbapi_connection)
            self._waiting.append(turn)
        if turn.granted.wait(self._timeout):
            return
        with self._lock:
            if turn.granted.is_set():  # handed over just as the wait timed out: the writer is ours after all
                return
            self._waiting.remove(turn)  # abandoned: the queue goes on without this turn
        raise sqlite3.OperationalError("database is locked (waited for the writer queue)")

    def leave(self, dbapi_connection: Any) -> None:
        with self._lock:
            if self._holder is not dbapi_connection or dbapi_connection is None:
                return
            if not self._waiting:
                self._holder = None
                return
            turn = self._waiting.popleft()
            self._holder = turn.connection
            turn.granted.set()


class _Turn:
    """One connection waiting for the writer; ``granted`` is set when :meth:`WriterQueue.leave` hands it over."""

    __slots__ = ("connection", "granted")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.granted = threading.Event()


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    if read_only:
        return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False)
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
