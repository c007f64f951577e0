"""The borrower's status page ``/status`` in a real Chromium, without signing in: a wrong phone gets the one
not-found message, the right three show the status, the timeline and what happens next; English with the switch.
Screenshot: ``test-artifacts/borrower-status.png``."""

from __future__ import annotations

import pytest
from tests.browser.conftest import ARTIFACTS

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect
PHONE = "13900000001"


@pytest.fixture()
def approved(app_ctx: App) -> dict[str, str]:
    """An application approved by both stages, built through the real use cases."""
    from tests.integration.origination.disbursement_world import approved_application
    from tests.integration.origination.world import build_world

    from autofin.origination import service

    world = build_world(app_ctx)
    application_id = approved_application(app_ctx, world)
    with app_ctx.uow() as uow:
        number = service.get_application(uow, SYSTEM, application_id).number
    return {"number": number, "id_number": world.id_numbers["张三"]}


def _fill(page, number: str, id_number: str, phone: str) -> None:
    page.locator("[data-testid=status-input-number] input, input[data-testid=status-input-number]").first.fill(number)
    page.locator("[data-testid=status-input-id] input, input[data-testid=status-input-id]").first.fill(id_number)
    page.locator("[data-testid=status-input-phone] input, input[data-testid=status-input-phone]").first.fill(phone)
    page.locator("[data-testid=status-submit]").click()


def test_a_borrower_looks_up_the_application_without_signing_in(approved, console_url: str, browser_page) -> None:
    page = browser_page
    page.goto(f"{console_url}/status")
    expect(page).to_have_url(f"{console_url}/status")  # not sent to /login
    expect(page.locator("[data-testid=status-title]")).to_have_text("贷款申请进度查询")

    _fill(page, approved["number"], approved["id_number"], "13800000000")
    message = page.locator("[data-testid=status-message]")
    expect(message).to_be_visible()
    expect(message).to_contain_text("未找到与该申请编号、证件号码和手机号码相符的申请")
    expect(page.locator("[data-testid=status-result]")).to_have_count(0)

    _fill(page, approved["number"], approved["id_number"], PHONE)
    result = page.locator("[data-testid=status-result]")
    expect(result).to_be_visible()
    expect(message).to_be_hidden()
    expect(page.locator("[data-testid=status-number]")).to_have_text(approved["number"])
    expect(page.locator("[data-testid=status-status]")).to_have_text("已批准")
    expect(page.locator("[data-testid=status-amount]")).to_have_text("¥80,000.00")
    expect(page.locator("[data-testid=status-next]")).to_contain_text("到您的经销商处签署贷款合同")
    steps = page.locator("[data-testid=status-step]")
    expect(steps).to_have_count(5)
    expect(page.locator('[data-testid=status-step][data-step=approved][data-state=done]')).to_be_visible()
    expect(page.locator('[data-testid=status-step][data-step=contracted][data-state=current]')).to_be_visible()
    expect(result).not_to_contain_text("张三")
    expect(result).not_to_contain_text(approved["id_number"])
    page.screenshot(path=str(ARTIFACTS / "borrower-status.png"), full_page=True)

    page.locator("[data-testid=language-switch]").get_by_text("English").click()
    expect(page.locator("[data-testid=status-title]")).to_have_text("Loan application status")
    _fill(page, approved["number"], approved["id_number"], PHONE)
    expect(page.locator("[data-testid=status-status]")).to_have_text("Approved")
    expect(page.locator("[data-testid=status-next]")).to_contain_text("Sign the loan contract at your dealer")
