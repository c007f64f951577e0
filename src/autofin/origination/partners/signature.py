"""The partner signature, pure (no database, no framework): HMAC-SHA256 over the request's canonical string.

    canonical = METHOD + "\n" + PATH + "\n" + TIMESTAMP + "\n" + NONCE + "\n" + hex(SHA-256(body))
    X-Signature = hex(HMAC-SHA256(secret, canonical))

``PATH`` is the request target as sent: the path, plus ``?`` and the raw query string when there is one, so a query
cannot be changed in transit. ``TIMESTAMP`` is unix seconds; a request more than :data:`WINDOW_SECONDS` away from our
clock (either way) is refused. The same canonical string signs our status callbacks to the partner.
"""

from __future__ import annotations

import hashlib
import hmac
import re

WINDOW_SECONDS = 300
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
SIGNATURE_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join((method.upper(), path, timestamp, nonce, body_hash(body)))


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The hex signature a partner sends in ``X-Signature`` (and we send on callbacks)."""
    message = canonical_string(method, path, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(
    secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes, signature: str
) -> bool:
    """Whether ``signature`` is right, compared in constant time (case of the hex digits does not matter)."""
    if not SIGNATURE_PATTERN.match(signature):
        return False
    expected = sign(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected.encode(), signature.lower().encode())


def parse_timestamp(value: str) -> int | None:
    """Unix seconds as sent in ``X-Timestamp``; None when it is not a plain non-negative integer."""
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def timestamp_fresh(timestamp: int, now: float, window: int = WINDOW_SECONDS) -> bool:
    """Within ``window`` seconds of ``now``, before or after (clocks drift both ways)."""
    return abs(now - timestamp) <= window


def nonce_valid(nonce: str) -> bool:
    return bool(NONCE_PATTERN.match(nonce))
