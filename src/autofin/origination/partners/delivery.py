"""Sends one signed status callback over HTTP (no database here: the job records the outcome afterwards)."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

import httpx

from autofin.kernel.clock import utcnow
from autofin.origination.partners import signature as sig
from autofin.origination.partners.service import EXCERPT, AttemptResult, DueCallback


def callback_headers(due: DueCallback, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """The same signature scheme partners use towards us, signed with the partner's secret."""
    parts = urlsplit(due.url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    timestamp = timestamp or str(int(utcnow().timestamp()))
    nonce = nonce or secrets.token_hex(16)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Partner-Key": due.key_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sig.sign(due.secret, "POST", path, timestamp, nonce, due.body),
        "X-Delivery-Id": str(due.delivery_id),
        "User-Agent": "autofin-callback/1",
    }


def send(due: DueCallback, timeout: float = 10.0, client: httpx.Client | None = None) -> AttemptResult:
    """POST the callback; any answer is an outcome (2xx = delivered), as is a network error or a timeout."""
    started = time.monotonic()
    try:
        if client is not None:
            response = client.post(due.url, content=due.body, headers=callback_headers(due), timeout=timeout)
        else:
            with httpx.Client(follow_redirects=False) as own:
                response = own.post(due.url, content=due.body, headers=callback_headers(due), timeout=timeout)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return AttemptResult(None, None, f"{type(exc).__name__}: {exc}"[:EXCERPT], elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    excerpt = response.text[:EXCERPT] if response.content else None
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return AttemptResult(response.status_code, excerpt, error, elapsed)
