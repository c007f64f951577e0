"""Mounts the NiceGUI console on the FastAPI application (same process, same sessions as the API).

``ui.run_with`` may run once per process; a second ``create_app`` in the same process (tests) reuses the
console already mounted: NiceGUI's app is mounted into the new FastAPI app and the pages see the newest App.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from autofin.bootstrap import App
from autofin.console import session

log = logging.getLogger("autofin.console")

FAVICON = Path(__file__).parent / "static" / "favicon.svg"
_mounted: dict[str, bool] = {}


def mount_console(fastapi_app: FastAPI, autofin_app: App) -> None:
    """Serve the console at ``/`` of ``fastapi_app`` (the API keeps ``/api``; NiceGUI's assets ship with it)."""
    from nicegui import core, ui
    from nicegui.storage import Storage

    session.set_app(autofin_app)
    if _mounted.get("done"):
        fastapi_app.mount("/", core.app)
        return
    # the server-side per-browser store (sign-in token, language) lives under the data directory, not the cwd
    Storage.path = (Path(autofin_app.settings.data_dir) / "console-storage").resolve()
    register_all_pages()
    ui.run_with(
        fastapi_app,
        mount_path="/",
        storage_secret=autofin_app.settings.secret,
        title="车贷管理系统 autofin",
        language="zh-CN",
        favicon=FAVICON if FAVICON.exists() else "🚗",
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )
    _mounted["done"] = True


def register_all_pages() -> None:
    """The console's own pages, then every domain's ``console.register_pages()``."""
    from autofin.console import pages
    from autofin.domains import domain_modules

    pages.register_pages()
    for module in domain_modules("console"):
        module.register_pages()
