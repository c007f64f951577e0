"""The console in a real Chromium: an administrator sets up a department and a finance user, the finance user
sees only the menus their role permits, and five wrong passwords lock the account.

The real server (``autofin serve``) runs in a subprocess over the test database; the administrator is seeded
in-process through the org fixtures before it starts. Screenshots of the key steps go to ``test-artifacts/``.
Needs Debian's ``chromium`` (CI installs it); without it the test is skipped.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

from autofin.bootstrap import App
from autofin.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_START_SECONDS = 60
TIMEOUT_MS = 15_000

NEW_USER = "fin9"
NEW_USER_PASSWORD = "Ledger-Strong-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def console_url(app_ctx: App, admin_user: object, test_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``autofin serve`` on a free port over the test database (admin already seeded), stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not at /usr/bin/chromium (CI installs it: apt-get install chromium)")
    port = _free_port()
    env = {
        **os.environ,
        "AUTOFIN_DATABASE_URL": test_settings.database_url,
        "AUTOFIN_DATA_DIR": str(tmp_path / "server-data"),
        "AUTOFIN_SECRET_KEY": test_settings.secret_key,
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
            _wait_until_ready(url, server, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def _wait_until_ready(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
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


def _field(page: Page, name: str) -> Locator:
    """The text box of a form-dialog field (fields carry ``data-field``)."""
    return page.locator(f".q-dialog [data-field={name}] input, .q-dialog input[data-field={name}]").first


def _choose(page: Page, name: str, option: str) -> None:
    """Pick ``option`` in a form-dialog select (typing filters the options)."""
    page.locator(f".q-dialog [data-field={name}]").first.click()
    page.locator(".q-menu .q-item", has_text=option).first.click()
    page.locator(".q-dialog .text-h6").first.click()  # closes a multiple select's menu (Escape would close the dialog)
    expect(page.locator(".q-menu")).to_have_count(0)


def _sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.locator("[data-testid=username] input, input[data-testid=username]").first.fill(username)
    password_box = page.locator("[data-testid=password] input, input[data-testid=password]").first
    password_box.fill(password)
    page.locator("[data-testid=login-submit]").click()


def _sign_out(page: Page) -> None:
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=sign-out]").click()


def test_admin_sets_up_a_finance_user_who_sees_only_permitted_menus_and_is_locked_out_after_five_wrong_passwords(
    console_url: str,
) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            menu = page.locator("[data-testid=main-menu]")

            # --- the administrator signs in and sees the whole menu ------------------------------------------
            _sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
            expect(page.locator("[data-testid=product-name]")).to_have_text("车贷管理系统 autofin")
            expect(menu.locator('[data-menu="/org/roles"]')).to_be_visible()
            expect(page.locator("[data-testid=user-menu]")).to_contain_text("总部")
            expect(page.locator("[data-stat=users]")).to_have_text(re.compile(r"^\d+$"))
            page.screenshot(path=str(ARTIFACTS / "01-admin-home.png"), full_page=True)

            # --- creates a department -------------------------------------------------------------------------
            menu.locator('[data-menu="/org/departments"]').click()
            page.locator("[data-testid=department-new]").click()
            _field(page, "name").fill("资金二部")
            _field(page, "code").fill("FUND2")
            _choose(page, "parent_id", "总部")
            page.locator("[data-testid=dialog-submit]").click()
            expect(page.locator(".q-table tbody tr", has_text="FUND2")).to_be_visible()
            expect(page.locator("[data-testid=department-tree]")).to_contain_text("资金二部")
            page.screenshot(path=str(ARTIFACTS / "02-department-created.png"), full_page=True)

            # --- creates a user in it with the finance role --------------------------------------------------
            menu.locator('[data-menu="/org/users"]').click()
            page.locator("[data-testid=user-new]").click()
            _field(page, "username").fill(NEW_USER)
            _field(page, "display_name").fill("财务九")
            _field(page, "password").fill(NEW_USER_PASSWORD)
            _choose(page, "department_id", "资金二部")
            _choose(page, "role_codes", "finance")
            page.screenshot(path=str(ARTIFACTS / "03-user-form.png"))
            page.locator("[data-testid=dialog-submit]").click()
            new_row = page.locator(".q-table tbody tr", has_text=NEW_USER)
            expect(new_row).to_contain_text("资金二部")
            expect(new_row).to_contain_text("财务")

            # --- signs out ------------------------------------------------------------------------------------
            _sign_out(page)
            expect(page.locator("[data-testid=login-message]")).to_have_text("您已安全退出")

            # --- the finance user sees only what the finance role permits ----------------------------------
            _sign_in(page, console_url, NEW_USER, NEW_USER_PASSWORD)
            expect(page.locator("[data-testid=user-menu]")).to_contain_text("财务九")
            expect(menu.locator('[data-menu="/audit/events"]')).to_have_text(re.compile("操作日志"))
            expect(menu.locator('[data-menu="/org/roles"]')).to_have_count(0)
            expect(menu.locator('[data-menu="/org/users"]')).to_have_count(0)
            expect(menu).not_to_contain_text("角色管理")
            page.screenshot(path=str(ARTIFACTS / "04-finance-user-menu.png"), full_page=True)
            page.goto(f"{console_url}/org/roles")
            expect(page.locator("[data-testid=forbidden]")).to_contain_text("403")
            expect(page.locator(".q-table")).to_have_count(0)
            _sign_out(page)
            expect(page.locator("[data-testid=login-message]")).to_be_visible()

            # --- five wrong passwords lock the account; the right one is then refused -----------------------
            message = page.locator("[data-testid=login-message]")
            password_box = page.locator("[data-testid=password] input, input[data-testid=password]").first
            page.locator("[data-testid=username] input, input[data-testid=username]").first.fill(NEW_USER)
            for attempt in range(1, 6):
                password_box.fill(f"Wrong-Password-{attempt}")
                page.locator("[data-testid=login-submit]").click()
                expect(password_box).to_have_value("")  # the attempt was answered
                if attempt < 5:
                    expect(message).to_have_text("用户名或密码错误")
            expect(message).to_contain_text("账户已锁定")
            password_box.fill(NEW_USER_PASSWORD)
            page.locator("[data-testid=login-submit]").click()
            expect(password_box).to_have_value("")
            expect(message).to_contain_text("账户已锁定")
            expect(page).to_have_url(re.compile(r"/login"))
            page.screenshot(path=str(ARTIFACTS / "05-locked-out.png"))
        finally:
            browser.close()
