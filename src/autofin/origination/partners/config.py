"""Settings of second-party intake (``AUTOFIN_*``), kept apart from the product-wide ``Settings``.

* ``AUTOFIN_REDIS_URL`` — when set (e.g. ``redis://127.0.0.1:6379/0``), per-partner rate limits are token buckets in
  Redis, shared by every API process; otherwise each process keeps its own buckets in memory.
* ``AUTOFIN_PARTNER_TIMESTAMP_WINDOW_SECONDS`` — how far X-Timestamp may be from our clock (default 300).
* ``AUTOFIN_PARTNER_CALLBACK_TIMEOUT_SECONDS`` — HTTP timeout of one callback delivery (default 10).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from autofin.origination.partners.signature import WINDOW_SECONDS


class PartnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOFIN_", env_file=".env", extra="ignore")

    redis_url: str = ""
    partner_timestamp_window_seconds: int = Field(WINDOW_SECONDS, ge=30, le=3600)
    partner_callback_timeout_seconds: float = Field(10.0, gt=0, le=120)
