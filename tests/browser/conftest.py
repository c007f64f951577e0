"""Fixtures shared by the browser tests: the real console server over the test database, and a Chromium page.

``console_url`` runs ``autofin serve`` in a subprocess on a free port (admin seeded in-process first through the
org fixtures); ``browser_page`` opens a Chromium page with the house viewport, locale and timeouts. Both skip when
Debian's ``chromium`` or the ``playwright`` package is missing. (``test_console.py`` still carries its own copy of
``console_url``; a module's own fixture wins, so its behaviour is unchanged.)
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from autofin.bootstrap import App
from autofin.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_START_SECONDS = 60
TIMEOUT_MS = 15_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the console server exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling the health endpoint while the server starts, not a timing assumption
    pytest.fail(f"the console server did not answer within {SERVER_START_SECONDS}s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture()
def console_url(app_ctx: App, admin_user: object, test_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``autofin serve`` on a free port over the test database (admin already seeded), stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not at /usr/bin/chromium (CI installs it: apt-get install chromium)")
    port = free_port()
    env = {
        **os.environ,
        "AUTOFIN_DATABASE_URL": test_settings.database_url,
        "AUTOFIN_DATA_DIR": str(tmp_path / "server-data"),
        "AUTOFIN_SECRET_KEY": test_settings.secret_key,
        # the tests' own keys, so the server reads (and finds by ID number) what the tests stored through services
        "AUTOFIN_FIELD_ENCRYPTION_KEY": base64.b64encode(test_settings.encryption_key).decode(),
        "AUTOFIN_LOOKUP_HASH_KEY": base64.b64encode(test_settings.lookup_key).decode(),
        "AUTOFIN_ENV": "test",
        "AUTOFIN_FORCE_PASSWORD_CHANGE": "false",
        "AUTOFIN_SCHEDULER_ENABLED": "false",
        "AUTOFIN_LOG_JSON": "false",
        "AUTOFIN_CONFIG_CACHE_SECONDS": "0",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", "from autofin.cli import main; main()", "serve", "--no-scheduler",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(url, server, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


@pytest.fixture()
def browser_page(console_url: str) -> Iterator[Page]:
    """A Chromium page (1400×900, zh-CN) with the house timeouts; screenshots go to ``ARTIFACTS``."""
    sync_api: Any = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.set_default_timeout(TIMEOUT_MS)
            sync_api.expect.set_options(timeout=TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.locator("[data-testid=username] input, input[data-testid=username]").first.fill(username)
    page.locator("[data-testid=password] input, input[data-testid=password]").first.fill(password)
    page.locator("[data-testid=login-submit]").click()


def click_until_shown(button: Any, shown: Any, tries: int = 3) -> None:
    """Click ``button`` until ``shown`` is visible: a click that lands while a table re-renders its rows is lost
    (seen under load on a 2-core machine), and the user would simply click again."""
    timeout_error: Any = pytest.importorskip("playwright.sync_api").TimeoutError
    for attempt in range(1, tries + 1):
        button.click()
        try:
            shown.wait_for(state="visible", timeout=TIMEOUT_MS // tries)
            return
        except timeout_error:
            if attempt == tries:
                raise


def dialog_field(page: Page, name: str) -> Any:
    """The text box of a form-dialog field (fields carry ``data-field``)."""
    return page.locator(
        f".q-dialog [data-field={name}] input, .q-dialog input[data-field={name}], "
        f".q-dialog [data-field={name}] textarea, .q-dialog textarea[data-field={name}]"
    ).first
