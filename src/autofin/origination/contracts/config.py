"""Signing settings of this package (``AUTOFIN_SIGNING_*``), kept apart from the product-wide ``Settings``.

* ``AUTOFIN_SIGNING_P12`` — path of the institution's PKCS#12 signing key and certificate (required in prod).
* ``AUTOFIN_SIGNING_P12_PASSWORD`` — its passphrase.
* ``AUTOFIN_SIGNING_TRUST_ROOTS`` — optional PEM file of CA certificates whose signatures count as trusted when
  verifying (the development CA in ``data_dir/signing`` is trusted too when present).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOFIN_SIGNING_", env_file=".env", extra="ignore")

    p12: Path | None = None
    p12_password: SecretStr | None = None
    trust_roots: Path | None = None
    reason: str = "贷款合同签署 Loan contract signed by the lender"
    location: str = ""
