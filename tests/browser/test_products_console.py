"""The products console in a real Chromium: a product manager edits a draft version (rates, grace days, a fee),
publishes it — after which it is read-only — and adds a row to the LTV cap table (a cap above 100 % refused under
its field first), seeing the new row in the table and the chart.

Screenshots of each step go to ``test-artifacts/`` (``prd-*.png``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow
from autofin.products import service as products
from autofin.products.schemas import ProductCreate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def field_error(page, name: str):
    """The dialog field ``name`` shown in error (its message sits under the input)."""
    return page.locator(".q-dialog .q-field--error", has=page.locator(f"[data-field={name}]"))

PRODUCT = "DRAFT_UI"


@pytest.fixture()
def draft_product(app_ctx: App) -> str:
    """A product whose only version is a draft, committed before the browser looks."""
    with app_ctx.uow() as uow:
        products.create_product(uow, SYSTEM, ProductCreate(code=PRODUCT, product_name="草稿产品", terms=[12, 24, 36],
                                                           max_term=36))
        uow.commit()
    return PRODUCT


def test_a_draft_is_edited_then_published_read_only_and_an_ltv_cap_is_added(
    draft_product: str, console_url: str, browser_page
) -> None:
    page = browser_page
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=main-menu]")).to_be_visible()

    # --- edits the draft: default rate, grace days and a GPS fee ---------------------------------------------
    page.goto(f"{console_url}/products/detail?code={PRODUCT}")
    versions = page.locator("[data-testid=product-versions]")
    expect(versions).to_contain_text("草稿")
    versions.locator("[data-action=edit-draft]").click()
    editor = page.locator("[data-testid=draft-editor]")
    expect(editor).to_be_visible()
    dialog_field(page, "rate_default").fill("15")  # above the 12 % maximum: refused under the field
    page.locator("[data-testid=dialog-submit]").click()
    expect(field_error(page, "rate_default")).to_contain_text("默认利率必须介于")
    dialog_field(page, "rate_default").fill("7.5")
    dialog_field(page, "grace_days").fill("5")
    editor.locator("[data-testid=fee-add]").click()
    fee = editor.locator("[data-fee='0']")
    fee.locator("[data-field=fee-name] input, input[data-field=fee-name]").first.fill("GPS服务费")
    fee.locator("[data-field=fee-value] input, input[data-field=fee-value]").first.fill("1200")
    page.screenshot(path=str(ARTIFACTS / "prd-01-draft-editor.png"))
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog")).to_have_count(0)
    row = versions.locator("tbody tr").first
    expect(row).to_contain_text("7.5%")

    # --- publishes it; an active version has no edit button any more ----------------------------------------
    row.get_by_text("发布生效").click()
    page.locator("[data-testid=confirm-yes]").click()
    expect(row).to_contain_text("生效中")
    expect(versions.locator("[data-action=edit-draft]")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "prd-02-published.png"), full_page=True)

    # --- adds an LTV cap: 120 % is refused, 65 % from next month is added -----------------------------------
    start = (utcnow().date() + timedelta(days=31)).isoformat()
    page.goto(f"{console_url}/products/ltv-caps")
    expect(page.locator("[data-testid=ltv-chart]")).to_be_visible()
    page.locator("[data-testid=ltv-add]").click()
    page.locator(".q-dialog [data-field=use]").first.click()
    page.locator(".q-menu .q-item", has_text="商用").first.click()
    dialog_field(page, "effective_from").fill(start)
    dialog_field(page, "cap_percent").fill("120")
    dialog_field(page, "source").fill("风险委员会决议")
    page.locator("[data-testid=dialog-submit]").click()
    expect(field_error(page, "cap_percent")).to_contain_text("不超过100")
    dialog_field(page, "cap_percent").fill("65")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog")).to_have_count(0)
    table = page.locator("[data-testid=ltv-caps]")
    expect(table.locator("tbody tr", has_text="65%")).to_contain_text(start)
    expect(table.locator("tbody tr", has_text="65%")).to_contain_text("商用")
    page.screenshot(path=str(ARTIFACTS / "prd-03-ltv-cap-added.png"), full_page=True)
