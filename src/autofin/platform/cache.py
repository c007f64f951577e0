"""An in-process cache of configuration that notices changes made by any process, without restart.

Every parameter or dictionary change bumps one counter row (``platform_config_revision``) in the same
transaction. A reader compares the counter at most every ``settings.config_cache_seconds`` and drops what it
holds when the counter moved; the process that made a change drops its cache at once (before and after commit).
One cache per database engine, so two :class:`~autofin.bootstrap.App` objects behave like two processes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from autofin.db.uow import UnitOfWork
from autofin.kernel.clock import utcnow
from autofin.platform.models import ConfigRevision

REVISION_ROW = 1
DEFAULT_CACHE_SECONDS = 2.0
DIRTY = "autofin.platform.config_changed"
T = TypeVar("T")


class ConfigCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], Any] = {}
        self._revision: int | None = None
        self._checked_at: datetime | None = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._revision = None
            self._checked_at = None

    def _refresh(self, session: Session, max_age_seconds: float) -> None:
        now = utcnow()
        with self._lock:
            fresh = (
                self._checked_at is not None
                and max_age_seconds > 0
                and (now - self._checked_at).total_seconds() < max_age_seconds
            )
        if fresh:
            return
        revision = current_revision(session)
        with self._lock:
            if revision != self._revision:
                self._values.clear()
                self._revision = revision
            self._checked_at = now

    def get(self, uow: UnitOfWork, kind: str, key: str, load: Callable[[Session], T]) -> T:
        if uow.session.info.get(DIRTY):  # this transaction changed configuration: read it, never cache it
            return load(uow.session)
        self._refresh(uow.session, _cache_seconds(uow))
        with self._lock:
            if (kind, key) in self._values:
                return self._values[(kind, key)]  # type: ignore[no-any-return]
        value = load(uow.session)
        with self._lock:
            self._values[(kind, key)] = value
        return value


_CACHES: weakref.WeakKeyDictionary[Engine, ConfigCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(session: Session) -> ConfigCache:
    engine = session.get_bind()
    assert isinstance(engine, Engine)  # noqa: S101 - sessions here are always bound to an engine
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = ConfigCache()
        return cache


def cached(uow: UnitOfWork, kind: str, key: str, load: Callable[[Session], T]) -> T:
    return cache_for(uow.session).get(uow, kind, key, load)


def current_revision(session: Session) -> int:
    revision = session.execute(
        select(ConfigRevision.revision).where(ConfigRevision.id == REVISION_ROW)
    ).scalar_one_or_none()
    return int(revision or 0)


def bump_revision(uow: UnitOfWork) -> None:
    """Record that configuration changed (in the caller's transaction) and drop this process's cache."""
    session = uow.session
    result = session.execute(
        update(ConfigRevision).where(ConfigRevision.id == REVISION_ROW).values(revision=ConfigRevision.revision + 1)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(ConfigRevision(id=REVISION_ROW, revision=1))
        session.flush()
    session.info[DIRTY] = True
    cache = cache_for(session)
    cache.clear()
    uow.after_commit.append(cache.clear)


def _cache_seconds(uow: UnitOfWork) -> float:
    settings = uow.settings
    return float(getattr(settings, "config_cache_seconds", DEFAULT_CACHE_SECONDS))
