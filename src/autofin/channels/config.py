"""Bank channel settings (``AUTOFIN_BANK_*``), kept apart from the product-wide ``Settings``.

* ``AUTOFIN_BANK_URL`` — base URL of the bank (the simulator by default, http://127.0.0.1:8765).
* ``AUTOFIN_BANK_CALLBACK_URL`` — where the bank posts results (this app's ``/api/v1/channels/bank/callback``).
* ``AUTOFIN_BANK_CALLBACK_SECRET`` — the HMAC-SHA256 key shared with the bank for callbacks; outside prod it
  defaults to a key derived from the product's signing secret, so the app and a local simulator agree.
* ``AUTOFIN_BANK_TIMEOUT_SECONDS`` — HTTP timeout towards the bank.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from autofin.settings import Settings


class BankSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOFIN_BANK_", env_file=".env", extra="ignore")

    url: str = "http://127.0.0.1:8765"
    callback_url: str = "http://127.0.0.1:8000/api/v1/channels/bank/callback"
    callback_secret: SecretStr | None = None
    timeout_seconds: float = 10.0


def callback_secret(settings: Settings, bank: BankSettings | None = None) -> bytes:
    """The callback HMAC key: configured, or (outside prod) derived from the product secret."""
    bank = bank or BankSettings()
    if bank.callback_secret is not None and bank.callback_secret.get_secret_value():
        return bank.callback_secret.get_secret_value().encode()
    if settings.env == "prod":
        raise ValueError("set AUTOFIN_BANK_CALLBACK_SECRET in production (the key shared with the bank)")
    return hmac.new(settings.secret.encode(), b"autofin.channels.bank-callback", hashlib.sha256).hexdigest().encode()
