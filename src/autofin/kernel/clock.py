"""Wall-clock time, always UTC-aware, and replaceable in tests.

Business dates (the date the end-of-day batch has reached) are a separate thing owned by servicing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the real one."""
    global _now
    _now = now if now is not None else (lambda: datetime.now(UTC))
