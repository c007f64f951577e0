"""FastAPI dependencies shared by every router: the app, a unit of work, the signed-in actor, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from autofin.api.problems import language_of
from autofin.bootstrap import App
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import AuthenticationFailed, Text
from autofin.schemas import PageParams

MAX_PAGE_SIZE = 200


def get_app(request: Request) -> App:
    return request.app.state.autofin  # type: ignore[no-any-return]


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """The route's unit of work, opened and closed on the event loop.

    Opening does no I/O: the session takes its connection at its first statement, in the route's thread. Closing
    does none either once nothing is left in a transaction. So only the rollback of a route that failed, or only
    read, goes to the thread pool: under load every trip there waits for a free thread, and a plain generator
    here made two of a request's five.
    """
    with get_app(request).uow() as uow:
        try:
            yield uow
        finally:
            if uow.session.in_transaction():
                await run_in_threadpool(uow.rollback)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(
            "auth.token_missing",
            Text("Sign in first and send 'Authorization: Bearer <token>'.", "请先登录，并在请求头携带 Bearer 令牌。"),
        )
    return token.strip()


def current_actor(request: Request) -> Actor:
    """The signed-in user behind this request, with permissions and data scope resolved (401 otherwise).

    The check only reads, so on SQLite it does not queue for the writer as the request's own transaction may; the
    last-seen time, due at most once a minute, is written in a transaction of its own.
    """
    from autofin.org import service as org_service  # the API edge may use any domain's service

    token = bearer_token(request)
    app = get_app(request)
    with app.uow(read_only=True) as uow:
        found = org_service.signed_in(
            uow,
            token,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            request_id=getattr(request.state, "request_id", None),
            language=language_of(request),
        )
    if found.touch_due:
        with app.uow() as uow:
            org_service.touch_session(uow, found.session_id, found.seen_at)
            uow.commit()
    request.state.actor = found.actor
    return found.actor


def page_params(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> PageParams:
    return PageParams(page=page, size=size, q=q or None)


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ActorDep = Annotated[Actor, Depends(current_actor)]
PageDep = Annotated[PageParams, Depends(page_params)]
