"""SQLite's one writer is handed out in arrival order inside the process, and nobody loses an update."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from autofin.db.engine import WriterQueue, make_engine


def test_concurrent_read_modify_write_transactions_lose_no_update(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))

    def add_ten() -> None:
        for _ in range(10):
            with engine.begin() as connection:
                value = connection.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                connection.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})

    threads = [threading.Thread(target=add_ten) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar_one() == 80
    engine.dispose()


def test_a_rolled_back_transaction_hands_the_writer_on(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        raise RuntimeError("the use case failed")
    done = threading.Event()

    def write() -> None:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE u (x INTEGER)"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(5), "the next writer was left waiting after a rollback"
    engine.dispose()


def test_waiting_writers_are_served_in_arrival_order():
    queue = WriterQueue(timeout_seconds=5)
    holder, first, second = object(), object(), object()
    queue.enter(holder)
    served: list[str] = []

    def wait_for(connection: object, name: str) -> None:
        queue.enter(connection)
        served.append(name)
        queue.leave(connection)

    early = threading.Thread(target=wait_for, args=(first, "first"))
    early.start()
    time.sleep(0.05)
    late = threading.Thread(target=wait_for, args=(second, "second"))
    late.start()
    time.sleep(0.05)
    queue.enter(holder)  # the holder re-enters freely instead of waiting behind the others
    queue.leave(holder)
    early.join(5)
    late.join(5)
    assert served == ["first", "second"]


def test_a_writer_that_waits_too_long_fails_like_a_locked_database_and_does_not_block_the_queue():
    queue = WriterQueue(timeout_seconds=0.1)
    holder, impatient, patient = object(), object(), object()
    queue.enter(holder)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        queue.enter(impatient)
    queue.leave(holder)
    queue.enter(patient)  # the abandoned turn is skipped, not waited for
    queue.leave(patient)
