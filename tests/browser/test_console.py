"""The console in a real Chromium: an administrator sets up a department and a finance user, the finance user
sees only the menus their role permits, and five wrong passwords lock the account.

The real server (``autofin serve``) runs in a subprocess over the test database (``console_url`` in conftest); the
administrator is seeded in-process through the org fixtures before it starts. Screenshots of the key steps go to
``test-artifacts/``. Needs Debian's ``chromium`` (CI installs it); without it the test is skipped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

NEW_USER = "fin9"
NEW_USER_PASSWORD = "Ledger-Strong-2026"


def _field(page: Page, name: str) -> Locator:
    """The text box of a form-dialog field (fields carry ``data-field``)."""
    return page.locator(f".q-dialog [data-field={name}] input, .q-dialog input[data-field={name}]").first


def _choose(page: Page, name: str, option: str) -> None:
    """Pick ``option`` in a form-dialog select (typing filters the options)."""
    page.locator(f".q-dialog [data-field={name}]").first.click()
    page.locator(".q-menu .q-item", has_text=option).first.click()
    page.locator(".q-dialog .text-h6").first.click()  # closes a multiple select's menu (Escape would close the dialog)
    expect(page.locator(".q-menu")).to_have_count(0)


def _sign_out(page: Page) -> None:
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=sign-out]").click()


def test_admin_sets_up_a_finance_user_who_sees_only_permitted_menus_and_is_locked_out_after_five_wrong_passwords(
    console_url: str, browser_page: Page
) -> None:
    page = browser_page
    menu = page.locator("[data-testid=main-menu]")

    # --- the administrator signs in and sees the whole menu ------------------------------------------
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
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
    sign_in(page, console_url, NEW_USER, NEW_USER_PASSWORD)
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
