"""Fixtures every test shares.

The database backend of a run is chosen by ``AUTOFIN_TEST_DATABASE`` (``sqlite``, the default, or ``postgres``
with ``AUTOFIN_TEST_POSTGRES_URL``); ``make test`` runs the suite once per configured backend. Each test gets an
empty schema: tables are emptied after every test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from autofin.bootstrap import App, bootstrap
from autofin.db.base import Base
from autofin.db.migrate import upgrade
from autofin.domains import load_domains
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import set_clock
from autofin.settings import Settings

pytest_plugins = ["tests.fixtures.api", "tests.fixtures.org", "tests.fixtures.ledger"]

BACKEND = os.environ.get("AUTOFIN_TEST_DATABASE", "sqlite")

# CI explores the same examples every run (a red build must be reproducible); developers' runs stay random.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
POSTGRES_URL = os.environ.get("AUTOFIN_TEST_POSTGRES_URL", "")


def pytest_report_header(config: pytest.Config) -> str:
    return f"autofin test database: {BACKEND}"


def _database_url(tmp_dir: Path) -> str:
    if BACKEND == "postgres":
        if not POSTGRES_URL:
            raise pytest.UsageError("AUTOFIN_TEST_DATABASE=postgres needs AUTOFIN_TEST_POSTGRES_URL")
        return POSTGRES_URL
    return f"sqlite:///{tmp_dir / 'test.db'}"


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("autofin-data")
    return Settings(
        env="test",
        data_dir=data_dir,
        database_url=_database_url(data_dir),
        secret_key="test-secret-key-not-for-production-0123456789",
        scheduler_enabled=False,
        log_json=False,
        force_password_change=False,
        config_cache_seconds=0,
    )


@pytest.fixture(scope="session")
def _schema(test_settings: Settings) -> Iterator[App]:
    load_domains()
    autofin = bootstrap(test_settings)
    if BACKEND == "postgres":
        with autofin.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(test_settings.database_url)  # the schema comes from the migrations, as in production
    yield autofin
    autofin.dispose()


def _empty_all_tables(autofin: App) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    with autofin.engine.begin() as connection:
        if autofin.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
            if connection.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture()
def app_ctx(_schema: App) -> Iterator[App]:
    """The bootstrapped application over an empty database; seeded with each domain's built-in records."""
    from autofin.domains import domain_modules

    with _schema.uow() as uow:
        for module in domain_modules("seed"):
            module.seed(uow)
        uow.commit()
    yield _schema
    set_clock(None)
    _empty_all_tables(_schema)


@pytest.fixture()
def system_actor() -> Actor:
    return SYSTEM


@pytest.fixture()
def database_url(test_settings: Settings) -> str:
    return test_settings.database_url


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
