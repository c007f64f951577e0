"""The customer console in a real Chromium: an administrator registers an individual with a valid resident ID,
sees it masked in the list, reveals the ID for a stated reason, uploads a PNG ID photo and previews it, then opens
a product and gets a quote with its annualised rate.

Screenshots of each step go to ``test-artifacts/`` (``cpv-*.png``).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD
from tests.unit.documents import samples

from autofin.bootstrap import App
from autofin.customers.identity import make_resident_id
from autofin.kernel.actor import SYSTEM
from autofin.products import service as products
from autofin.products.schemas import ProductCreate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

ID_NUMBER = make_resident_id("110105", date(1991, 7, 12), 88)
MASKED_ID = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
PRODUCT = "NEWCAR_UI"


@pytest.fixture()
def active_product(app_ctx: App) -> str:
    """A product with an active version (annuity, 12–36 months), committed before the browser looks."""
    with app_ctx.uow() as uow:
        products.create_product(
            uow, SYSTEM,
            ProductCreate(code=PRODUCT, product_name="新车等额本息", methods=["annuity", "equal_principal"],
                          terms=[12, 24, 36], max_term=36),
        )
        products.activate_version(uow, SYSTEM, PRODUCT, 1)
        uow.commit()
    return PRODUCT


def test_admin_registers_a_customer_sees_it_masked_reveals_the_id_uploads_a_photo_and_quotes_a_product(
    active_product: str, console_url: str, browser_page
) -> None:
    page = browser_page
    menu = page.locator("[data-testid=main-menu]")

    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    expect(menu.locator('[data-menu="/customers"]')).to_be_visible()
    expect(menu.locator('[data-menu="/products"]')).to_be_visible()
    expect(menu.locator('[data-menu="/vehicles/liens"]')).to_be_visible()

    # --- registers an individual; the list shows the ID and the phone masked ------------------------------
    menu.locator('[data-menu="/customers"]').click()
    page.locator("[data-testid=customer-new-individual]").click()
    dialog_field(page, "name").fill("李四")
    dialog_field(page, "id_number").fill(ID_NUMBER)
    dialog_field(page, "phone").fill("13912345678")
    dialog_field(page, "address").fill("北京市朝阳区建国路88号")
    page.screenshot(path=str(ARTIFACTS / "cpv-01-new-customer-form.png"))
    page.locator("[data-testid=dialog-submit]").click()
    row = page.locator(".q-table tbody tr", has_text="李四")
    expect(row).to_contain_text(MASKED_ID)
    expect(row).to_contain_text("139****5678")
    expect(page.locator(".q-table")).not_to_contain_text(ID_NUMBER)
    page.screenshot(path=str(ARTIFACTS / "cpv-02-customer-list-masked.png"), full_page=True)

    # --- opens the file; the ID is masked until shown in full for a reason -----------------------------
    row.locator("[data-action=open]").click()
    expect(page.locator("[data-testid=customer-name]")).to_have_text("李四")
    id_field = page.locator("[data-testid=field-id_number]")
    expect(id_field).to_have_text(MASKED_ID)
    page.locator("[data-testid=reveal-identity]").click()
    dialog_field(page, "reason").fill("核实贷款申请人身份")
    page.locator("[data-testid=dialog-submit]").click()
    expect(id_field).to_have_text(ID_NUMBER)
    expect(page.locator("[data-testid=field-phone]")).to_have_text("139****5678")  # other groups stay masked

    # --- edits the phone; the new one shows masked ------------------------------------------------------
    page.locator("[data-testid=customer-edit]").click()
    dialog_field(page, "phone").fill("13812340000")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator("[data-testid=field-phone]")).to_have_text("138****0000")

    # --- uploads a PNG ID photo and previews it -------------------------------------------------------
    page.locator("[data-testid=document-upload] input[type=file]").set_input_files(
        files=[{"name": "身份证正面.png", "mimeType": "image/png", "buffer": samples.png(240, 150)}]
    )
    thumbnail = page.locator("[data-testid=document-thumbnail] img").first
    expect(thumbnail).to_be_visible()
    expect(page.locator("[data-testid=documents-panel]")).to_contain_text("身份证正面.png")
    page.wait_for_function("img => img.complete && img.naturalWidth === 240", arg=thumbnail.element_handle())
    page.screenshot(path=str(ARTIFACTS / "cpv-03-customer-detail.png"), full_page=True)
    page.locator("[data-testid=documents-panel] [data-action=preview]").first.click()
    preview = page.locator("[data-testid=document-preview-image] img").first
    expect(preview).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 240", arg=preview.element_handle())
    page.wait_for_function(  # the dialog's fade-in has finished (for a clean screenshot)
        "el => getComputedStyle(el).opacity === '1'", arg=page.locator(".q-dialog .q-card").first.element_handle()
    )
    page.screenshot(path=str(ARTIFACTS / "cpv-04-document-preview.png"))
    page.keyboard.press("Escape")

    # --- opens the product and gets a quote with the annualised rate ---------------------------------
    page.goto(f"{console_url}/products")
    product_row = page.locator(".q-table tbody tr", has_text=PRODUCT)
    expect(product_row).to_contain_text("v1")
    product_row.locator("[data-action=open]").click()
    expect(page.locator("[data-testid=product-title]")).to_contain_text(PRODUCT)
    page.locator("[data-field=price] input, input[data-field=price]").first.fill("200000.00")
    page.locator("[data-field=down_payment] input, input[data-field=down_payment]").first.fill("60000.00")
    page.locator("[data-testid=quote-submit]").click()
    expect(page.locator("[data-quote=principal]")).to_have_text("140,000.00")
    expect(page.locator("[data-quote=apr]")).to_have_text(re.compile(r"^\d+(\.\d+)?%$"))
    expect(page.locator("[data-testid=quote-schedule] tbody tr").first).to_be_visible()
    expect(page.locator("[data-testid=quote-chart] canvas").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "cpv-05-product-quote.png"), full_page=True)


@pytest.fixture()
def mortgaged_vehicle(app_ctx: App) -> str:
    """A vehicle whose mortgage is already registered, committed before the browser looks."""
    from autofin.vehicles import service as vehicles
    from autofin.vehicles.schemas import LienCreate, LienRegister, VehicleCreate
    from autofin.vehicles.vin import make_vin

    vin = make_vin("LGXC16DF", "R", "1", "000123")
    with app_ctx.uow() as uow:
        vehicle = vehicles.create_vehicle(uow, SYSTEM, VehicleCreate(vin=vin, powertrain="bev",
                                                                      invoice_price="180000.00"))
        lien = vehicles.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=vehicle.id))
        vehicles.register_lien(uow, SYSTEM, lien.id, LienRegister(certificate_number="京A-2026-001"))
        uow.commit()
    return vin


def test_the_registry_refuses_a_second_lien_in_plain_words_and_its_chain_verifies(
    mortgaged_vehicle: str, console_url: str, browser_page
) -> None:
    page = browser_page
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=main-menu]")).to_be_visible()

    # --- the vehicle's file shows the decoded VIN ---------------------------------------------------------
    page.goto(f"{console_url}/vehicles")
    row = page.locator(".q-table tbody tr", has_text=mortgaged_vehicle)
    expect(row).to_be_visible()
    row.locator("[data-action=open]").click()
    expect(page.locator("[data-testid=vehicle-vin]")).to_have_text(mortgaged_vehicle)
    expect(page.locator("[data-testid=vehicle-model_year]")).to_have_text(re.compile(r"^\d{4}$"))
    expect(page.locator("[data-testid=documents-panel]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "cpv-06-vehicle-detail.png"), full_page=True)

    # --- a second mortgage on the same VIN is refused, clearly -----------------------------------------------
    page.goto(f"{console_url}/vehicles/liens")
    expect(page.locator(".q-table tbody tr", has_text=mortgaged_vehicle)).to_contain_text("已登记")
    page.locator("[data-testid=lien-apply]").click()
    page.locator(".q-dialog [data-field=vehicle_id]").first.click()
    page.locator(".q-menu .q-item", has_text=mortgaged_vehicle).first.click()
    page.locator("[data-testid=dialog-submit]").click()
    banner = page.locator("[data-testid=lien-refused]")
    expect(banner).to_contain_text(mortgaged_vehicle)
    expect(banner).to_contain_text("已存在有效的抵押")
    page.keyboard.press("Escape")

    # --- the hash chain verifies ------------------------------------------------------------------------
    page.locator("[data-testid=registry-verify]").click()
    expect(page.locator("[data-testid=registry-verify-result]")).to_contain_text("完整")
    page.screenshot(path=str(ARTIFACTS / "cpv-07-lien-registry.png"), full_page=True)

    # --- the other pages open without errors -------------------------------------------------------------
    for route, marker in (("/customers/blacklist", "[data-testid=blacklist-add]"),
                          ("/customers/duplicates", ".q-table"),
                          ("/products/ltv-caps", "[data-testid=ltv-caps]")):
        page.goto(f"{console_url}{route}")
        expect(page.locator(marker).first).to_be_visible()
        expect(page.locator(".q-notification")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "cpv-08-ltv-caps.png"), full_page=True)
