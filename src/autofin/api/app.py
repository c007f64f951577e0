"""The app factory: one FastAPI application serving the JSON API under /api/v1 and the NiceGUI console."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from autofin import __version__
from autofin.api import idempotency, observability, problems
from autofin.bootstrap import App, bootstrap
from autofin.customers import identity
from autofin.domains import domain_modules
from autofin.settings import Settings

log = logging.getLogger("autofin.api")


def create_app(
    settings: Settings | None = None,
    *,
    with_console: bool = True,
    with_scheduler: bool | None = None,
    autofin: App | None = None,
    settle: bool = True,
) -> FastAPI:
    """Build the web application; pass ``autofin`` to reuse an already bootstrapped App (tests).

    ``settle``: prepare the process before serving (:func:`settle_before_serving`). Tests that build an app per
    test leave it out: each freeze would keep that test's objects for the rest of the run.
    """
    autofin = autofin or bootstrap(settings)
    settings = autofin.settings
    observability.configure_logging(settings.log_json)
    run_scheduler = settings.scheduler_enabled if with_scheduler is None else with_scheduler

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        # Routes and dependencies that block run on this loop's thread pool (anyio's, 40 threads by default).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        scheduler = None
        if run_scheduler:
            from autofin.platform.scheduler import start_scheduler

            scheduler = start_scheduler(autofin)
        if settle:
            settle_before_serving(served)
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="autofin API",
        version=__version__,
        description="车贷系统与后台管理 API · car-loan system and back office API",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.autofin = autofin
    problems.install(app)
    app.add_middleware(idempotency.IdempotencyMiddleware)
    observability.install(app)
    _install_health(app, autofin)
    _install_docs(app)
    for module in domain_modules("api"):
        app.include_router(module.router)
    if with_console:
        from autofin.console.app import mount_console

        mount_console(app, autofin)
    return app


def settle_before_serving(app: FastAPI) -> None:
    """Do now what the first requests would otherwise do, then take the start-up heap out of the collector's way.

    Why: the first application created after a start waited ≈ 200 ms (≈ 800 ms with 50 clients arriving together)
    while FastAPI built the routes of every router it looked through, the mappers were configured and the region
    table was read. And the collector's full passes walked every object the imports made (mapped classes, schemas,
    NiceGUI): 250–340 ms pauses under load, several a minute. Frozen objects are never collected, so a full pass
    now walks only what requests made since.
    """
    # A path no route takes: on the way through, FastAPI builds the routes of every included router.
    for route in app.router.routes:
        route.matches({"type": "http", "method": "GET", "path": "/.settle", "root_path": "", "headers": []})
    configure_mappers()
    identity.preload()
    gc.collect()
    gc.freeze()


def _install_health(app: FastAPI, autofin: App) -> None:
    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"])
    def readyz() -> JSONResponse:
        try:
            with autofin.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("database not reachable", extra={"error": str(exc)})
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "ok"})


def _install_docs(app: FastAPI) -> None:
    app.mount("/api/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="autofin API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png",
        )
