"""Builds the running application once: settings → engine → session factory → domains loaded.

The API, the console, the CLI, jobs and tests all get an :class:`App` from :func:`bootstrap` instead of
reaching for globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from autofin.db.engine import make_engine, make_session_factory
from autofin.db.uow import UnitOfWork
from autofin.domains import load_domains
from autofin.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    extras: dict[str, object] = field(default_factory=dict)
    read_session_factory: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.read_session_factory = make_session_factory(self.engine, read_only=True)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work; ``read_only`` for checks that write nothing (on SQLite they skip the writer queue)."""
        if read_only:
            return UnitOfWork(self.read_session_factory, self.settings, read_only=True)
        return UnitOfWork(self.session_factory, self.settings)

    def dispose(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    load_domains()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    return App(settings=settings, engine=engine, session_factory=make_session_factory(engine))
