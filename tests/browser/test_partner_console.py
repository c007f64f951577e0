"""The partner intake console page in a real Chromium: the callback chart, the partner list, a dead callback's
attempt log, and sending it again. Screenshot: ``test-artifacts/partners-console.png``."""

from __future__ import annotations

import pytest
from tests.browser.conftest import ARTIFACTS, click_until_shown, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


@pytest.fixture()
def dead_delivery(app_ctx: App) -> int:
    """A partner with one callback that failed all its tries (rows written through the real use cases)."""
    from autofin.org import service as org
    from autofin.org.schemas import DepartmentCreate
    from autofin.origination.partners import service
    from autofin.origination.partners.models import CallbackDelivery
    from autofin.origination.partners.schemas import PartnerCreate

    with app_ctx.uow() as uow:
        dealer = org.create_department(uow, SYSTEM, DepartmentCreate(code="DEALER-UI", name="界面经销商"))
        partner, _secret = service.create_partner(uow, SYSTEM, PartnerCreate(
            code="UIPLAT", name="界面平台", department_id=dealer.id, callback_url="http://127.0.0.1:9/cb"))
        delivery = CallbackDelivery(partner_id=partner.id, application_id=42, event="approved", status="pending",
                                    payload={"status": "approved"}, attempts=0, next_attempt_at=utcnow(),
                                    created_at=utcnow())
        uow.session.add(delivery)
        uow.flush()
        for attempt in range(1, service.MAX_ATTEMPTS + 1):
            due = service.DueCallback(delivery.id, attempt, partner.callback_url or "", partner.key_id, "s", b"{}")
            service.record_attempt(uow, due, service.AttemptResult(503, "busy", "HTTP 503", 12))
        uow.commit()
        return delivery.id


def test_an_administrator_reads_a_dead_callbacks_log_and_sends_it_again(
    dead_delivery: int, console_url: str, browser_page
) -> None:
    page = browser_page
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    expect(page.locator('[data-testid=main-menu] [data-menu="/origination/partners"]')).to_be_visible()
    page.goto(f"{console_url}/origination/partners")
    expect(page.locator("[data-testid=partner-callback-chart]")).to_be_visible()
    expect(page.locator("[data-testid=partner-table]")).to_contain_text("UIPLAT")
    deliveries = page.locator("[data-testid=partner-deliveries]")
    expect(deliveries).to_contain_text("已放弃")
    attempts = page.locator("[data-testid=partner-attempts]")
    click_until_shown(deliveries.locator("button", has_text="推送日志").first, attempts)
    expect(attempts).to_contain_text("HTTP 503")
    expect(attempts.locator("tbody tr")).to_have_count(6)
    page.screenshot(path=str(ARTIFACTS / "partners-console.png"), full_page=True)
    page.keyboard.press("Escape")
    deliveries.locator("button", has_text="重新推送").first.click()
    expect(deliveries).to_contain_text("待推送")
