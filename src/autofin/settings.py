"""One settings object for the whole product (pydantic-settings, prefix ``AUTOFIN_``).

Safe embedded defaults for development: SQLite under ``var/``, a secret generated into ``var/`` on first use.
Outside development a missing or weak secret is refused at start-up rather than silently accepted.
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
DEV_DEMO_PASSWORD = "Autofin-Demo-2026"  # noqa: S105 - documented dev-only default; refused in prod


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOFIN_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path("var")
    database_url: str = ""  # default: sqlite:///<data_dir>/autofin.db
    secret_key: str = ""
    field_encryption_key: str = ""  # base64 of 32 bytes (AES-256-GCM); generated into var/ in dev
    lookup_hash_key: str = ""  # base64 of 32 bytes for exact-search hashes; never rotated; generated into var/ in dev
    # comma-separated base64 keys that were current before (oldest first): values under them still decrypt
    previous_field_encryption_keys: str = ""
    demo_password: str = ""

    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    lockout_attempts: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    password_min_length: int = Field(10, ge=8)
    force_password_change: bool | None = None  # default: on outside dev

    # Threads per server process for the API's blocking work (routes, sign-in checks). Few on purpose: each one
    # competes for the one interpreter lock, so with 40 a transaction holding a lock (SQLite's writer, a
    # PostgreSQL row) waited its turn behind dozens of others; 6 gave PostgreSQL with 2 workers 75 req/s and p99
    # 1.2 s instead of 45 req/s and 4.6 s (bench/intake.py, 50 clients back to back).
    api_threads: int = Field(6, ge=1, le=200)
    scheduler_enabled: bool = True
    # batch work (platform.workers): in-process threads on PostgreSQL, or Celery workers when a broker is set
    batch_threads: int = Field(2, ge=1, le=64)
    celery_broker_url: str = ""  # e.g. redis://127.0.0.1:6379/1 or amqp://guest:guest@127.0.0.1:5672//
    celery_result_url: str = ""  # default: the broker when it is Redis
    celery_queue: str = "autofin"  # one queue per installation sharing a broker
    celery_ping_seconds: float = Field(2.0, gt=0)
    celery_unit_timeout_seconds: int = Field(3600, ge=1)
    config_cache_seconds: float = Field(2.0, ge=0)
    log_json: bool = True
    sql_echo: bool = False

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'autofin.db'}"
        if self.env == "prod":
            if len(self.secret_key) < MIN_SECRET_LENGTH or len(set(self.secret_key)) < 10:
                raise ValueError(
                    "AUTOFIN_SECRET_KEY must be set to a random string of at least 32 characters in prod"
                )
            if not self.field_encryption_key:
                raise ValueError("AUTOFIN_FIELD_ENCRYPTION_KEY must be set in prod (base64 of 32 random bytes)")
            if not self.lookup_hash_key:
                raise ValueError("AUTOFIN_LOOKUP_HASH_KEY must be set in prod (base64 of 32 random bytes)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def password_change_forced(self) -> bool:
        return self.env != "dev" if self.force_password_change is None else self.force_password_change

    @cached_property
    def secret(self) -> str:
        """The signing secret: configured, or generated once into ``data_dir`` (development only)."""
        return self.secret_key or _generated_secret(self.data_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    @cached_property
    def encryption_key(self) -> bytes:
        encoded = self.field_encryption_key or _generated_secret(
            self.data_dir / "field_encryption_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
        )
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ValueError("AUTOFIN_FIELD_ENCRYPTION_KEY must be base64 of exactly 32 bytes")
        return key

    @cached_property
    def lookup_key(self) -> bytes:
        """The key of the keyed hashes that make encrypted values searchable. It is separate from the encryption
        keys and never rotates: rotating it would need every hash recomputed, and losing it would lose search."""
        encoded = self.lookup_hash_key or _generated_secret(
            self.data_dir / "lookup_hash_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
        )
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ValueError("AUTOFIN_LOOKUP_HASH_KEY must be base64 of exactly 32 bytes")
        return key

    def demo_password_or_default(self) -> str:
        if self.demo_password:
            return self.demo_password
        if self.env == "prod":
            raise ValueError("set AUTOFIN_DEMO_PASSWORD to load demo users outside development")
        return DEV_DEMO_PASSWORD

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def _generated_secret(path: Path, make: object) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()  # type: ignore[operator]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(str(value))
    return str(value)
