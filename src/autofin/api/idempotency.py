"""``Idempotency-Key`` on every POST of the API: replay, refuse a reused key, or 409 while the first is running."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from autofin.api.problems import problem
from autofin.kernel.errors import Text
from autofin.platform import idempotency

HEADER = "idempotency-key"
PARTNER_API = "/api/v1/partner/"  # second-party intake: origination/partners/api.py handles the key itself


class IdempotencyMiddleware:
    """Only a POST carrying an ``Idempotency-Key`` goes through the keyed handling below; every other request passes
    straight on, without the extra task and memory streams a ``BaseHTTPMiddleware`` costs on each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.keyed = _KeyedIdempotency(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and HEADER in Headers(scope=scope):
            await self.keyed(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _KeyedIdempotency(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.url.path.startswith("/api/"):
            return await call_next(request)
        if request.url.path.startswith(PARTNER_API):  # keys kept per partner, after the signature is verified
            return await call_next(request)
        if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH or not key.isprintable():
            return problem(
                request, 422, "idempotency.key_invalid", Text("Invalid input", "输入无效"),
                Text("Idempotency-Key must be 1 to 128 printable characters, e.g. a UUID.",
                     "Idempotency-Key 须为 1 至 128 个可打印字符，例如 UUID。"),
                [{"field": "Idempotency-Key", "message": "1-128 printable characters"}],
            )
        body = await request.body()
        principal = hashlib.sha256(request.headers.get("authorization", "anonymous").encode()).hexdigest()
        request_fingerprint = idempotency.fingerprint(
            request.method.encode(), request.url.path.encode(), request.url.query.encode(), body
        )
        factory = request.app.state.autofin.session_factory
        claim = await run_in_threadpool(idempotency.claim, factory, principal, key, request_fingerprint)
        if claim.outcome == "mismatch":
            return problem(
                request, 422, "idempotency.key_reused", Text("Idempotency key reused", "幂等键被重复使用"),
                Text("This Idempotency-Key was already used for a different request; use a new key.",
                     "该 Idempotency-Key 已用于另一个不同的请求，请使用新的键。"),
            )
        if claim.outcome == "in_progress":
            return problem(
                request, 409, "idempotency.in_progress", Text("Conflict", "冲突"),
                Text("A request with this Idempotency-Key is still being processed; retry shortly.",
                     "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。"),
            )
        if claim.outcome == "replay":
            return Response(
                content=claim.body or b"", status_code=claim.status_code or 200,
                media_type=claim.content_type, headers={"Idempotent-Replayed": "true"},
            )
        assert claim.record_id is not None  # noqa: S101 - a claimed key always has its record
        try:
            response = await call_next(request)
        except BaseException:  # an unhandled error (answered 500 further out): the client may retry with the key
            await run_in_threadpool(idempotency.release, factory, claim.record_id)
            raise
        chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
        content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        if response.status_code >= 500:
            await run_in_threadpool(idempotency.release, factory, claim.record_id)
        else:
            await run_in_threadpool(
                idempotency.complete, factory, claim.record_id, response.status_code,
                response.headers.get("content-type", "application/json"), content,
            )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content=content, status_code=response.status_code, headers=headers)
