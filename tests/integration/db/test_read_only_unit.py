"""A read-only unit of work (the API's sign-in check) reads beside an open writer and can never write."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from autofin.org.models import Department


def _codes(app) -> set[str]:
    with app.uow(read_only=True) as reader:
        return set(reader.session.scalars(select(Department.code)))


def test_a_read_only_unit_reads_the_committed_state_while_a_writer_is_open(app_ctx):
    seen: dict[str, set[str]] = {}
    with app_ctx.uow() as writer:
        writer.session.add(Department(code="RO-1", name="只读测试"))
        writer.flush()  # the writer's transaction is open: on SQLite it holds the one writer
        reader = threading.Thread(target=lambda: seen.update(codes=_codes(app_ctx)))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "the read-only unit queued behind the writer"
        assert "HQ" in seen["codes"] and "RO-1" not in seen["codes"]  # the last committed state, nothing half-done
        writer.commit()
    assert "RO-1" in _codes(app_ctx)


def test_a_read_only_unit_refuses_to_commit_and_keeps_nothing(app_ctx):
    with app_ctx.uow(read_only=True) as reader:
        reader.session.add(Department(code="RO-2", name="只读测试"))
        with pytest.raises(RuntimeError, match="read-only"):
            reader.commit()
    assert "RO-2" not in _codes(app_ctx)
