"""TOTP second factor (动态验证码): secrets are kept encrypted with AES-256-GCM under the field encryption key."""

from __future__ import annotations

import base64
import secrets

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ISSUER = "autofin"
NONCE_BYTES = 12
_ASSOCIATED_DATA = b"autofin.org.user.totp_secret"


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt_secret(secret: str, key: bytes) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), _ASSOCIATED_DATA)
    return base64.b64encode(nonce + sealed).decode()


def decrypt_secret(stored: str, key: bytes) -> str:
    raw = base64.b64decode(stored)
    return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _ASSOCIATED_DATA).decode()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_is_valid(secret: str, code: str | None) -> bool:
    """The current code, or the one just before or after it (clock drift of ±30 s)."""
    if not code or not code.isdigit() or len(code) != 6:
        return False
    return pyotp.TOTP(secret).verify(code, valid_window=1)


def current_code(secret: str) -> str:
    """The code an authenticator would show now (tests and the demo only)."""
    return pyotp.TOTP(secret).now()
