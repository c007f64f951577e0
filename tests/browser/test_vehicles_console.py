"""The vehicles console in a real Chromium: an administrator registers a car choosing its model from the dictionary,
adds a GPS device, uploads an installation photo and records the installation with it, binds the car's GPS to a
disbursed loan, removes the device, and finds it on the GPS devices page.

Screenshots of each step go to ``test-artifacts/`` (``veh-*.png``).
"""

from __future__ import annotations

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD
from tests.unit.documents import samples

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.vehicles.vin import make_vin

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect


def field_error(page, name: str):
    """The dialog field ``name`` shown in error (its message sits under the input)."""
    return page.locator(".q-dialog .q-field--error", has=page.locator(f"[data-field={name}]"))

VIN = make_vin("LGXC16DF", "R", "1", "000777")
SERIAL = "GT06-000123"
IMEI = "490154203237518"


@pytest.fixture()
def disbursed_loan(app_ctx: App) -> int:
    """A loan account opened without a car (bound from the console), committed before the browser looks."""
    from autofin.servicing import service as servicing
    from autofin.servicing.schemas import LoanOpen

    with app_ctx.uow() as uow:
        loan = servicing.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no="HT-UI-GPS", customer_id=1, product_code="CAR",
            terms={"principal": "120000", "annual_rate": "6", "term": 12, "disbursement_date": "2026-01-15",
                   "penalty": {"rate": "9"}}))
        uow.commit()
        return loan.id


def choose(page, field: str, text: str) -> None:
    page.locator(f".q-dialog [data-field={field}]").first.click()
    page.locator(".q-menu .q-item", has_text=text).first.click()


def test_a_car_gets_a_gps_device_installed_with_photos_bound_to_its_loan_and_removed(
    disbursed_loan: int, console_url: str, browser_page
) -> None:
    page = browser_page
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    expect(page.locator('[data-testid=main-menu] [data-menu="/vehicles/gps"]')).to_be_visible()

    # --- registers a car; the model comes from the dictionary dropdown --------------------------------------
    page.goto(f"{console_url}/vehicles")
    page.locator("[data-testid=vehicle-new]").click()
    dialog_field(page, "vin").fill(VIN)
    choose(page, "model_code", "toyota.camry")
    choose(page, "powertrain", "纯电动")
    dialog_field(page, "invoice_price").fill("180000.00")
    page.screenshot(path=str(ARTIFACTS / "veh-01-new-vehicle-model-dropdown.png"))
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator("[data-testid=vehicle-vin]")).to_have_text(VIN)
    expect(page.locator("[data-testid=vehicle-model_code]")).to_contain_text("toyota.camry")
    expect(page.locator("[data-testid=vehicle-maker]")).to_contain_text("比亚迪")

    # --- adds a device; a wrong IMEI is refused under the field first --------------------------------------
    gps = page.locator("[data-testid=gps-card]")
    gps.locator("[data-testid=gps-new]").click()
    dialog_field(page, "serial").fill(SERIAL)
    dialog_field(page, "imei").fill("490154203237519")
    dialog_field(page, "sim").fill("1440012345678")
    page.locator("[data-testid=dialog-submit]").click()
    expect(field_error(page, "imei")).to_contain_text("IMEI校验位错误")
    dialog_field(page, "imei").fill(IMEI)
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog")).to_have_count(0)

    # --- uploads an installation photo, then records the installation with it ------------------------------
    page.locator("[data-testid=document-upload] input[type=file]").set_input_files(
        files=[{"name": "GPS安装照片.png", "mimeType": "image/png", "buffer": samples.png(160, 120)}]
    )
    expect(page.locator("[data-testid=documents-panel]")).to_contain_text("GPS安装照片.png")
    gps.locator("[data-testid=gps-install]").click()
    choose(page, "device_id", SERIAL)
    dialog_field(page, "installer").fill("张师傅")
    choose(page, "photo_document_ids", "GPS安装照片.png")
    page.locator(".q-dialog .text-h6").first.click()  # closes the options menu
    page.screenshot(path=str(ARTIFACTS / "veh-02-install-dialog.png"))
    page.locator("[data-testid=dialog-submit]").click()
    row = gps.locator("[data-testid=gps-devices] tbody tr", has_text=SERIAL)
    expect(row).to_contain_text("已安装")
    expect(row).to_contain_text(IMEI)
    photo = gps.locator("[data-testid=gps-photo] img").first
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 160", arg=photo.element_handle())
    expect(gps.locator("[data-testid=gps-installations]")).to_contain_text("张师傅")

    # --- an unknown loan is refused under the field; the disbursed one binds the car's GPS -------------------
    gps.locator("[data-testid=gps-bind-loan]").click()
    dialog_field(page, "loan_id").fill("987654")
    page.locator("[data-testid=dialog-submit]").click()
    expect(field_error(page, "loan_id")).to_contain_text("无此已放款贷款")
    dialog_field(page, "loan_id").fill(str(disbursed_loan))
    page.locator("[data-testid=dialog-submit]").click()
    expect(gps.locator("[data-testid=gps-loans]")).to_contain_text(str(disbursed_loan))
    expect(row).to_contain_text(str(disbursed_loan))
    page.screenshot(path=str(ARTIFACTS / "veh-03-gps-bound-to-loan.png"), full_page=True)

    # --- removes the device: it leaves the car, the installation shows its removal date ----------------------
    row.locator("[data-action=gps-status]").click()
    choose(page, "status", "已拆除")
    dialog_field(page, "reason").fill("贷款结清拆除")
    page.locator("[data-testid=dialog-submit]").click()
    expect(gps.locator("[data-testid=gps-devices] tbody tr", has_text=SERIAL)).to_have_count(0)
    expect(gps.locator("[data-testid=gps-installations]")).to_contain_text("拆除日期")

    # --- the GPS devices page lists it as removed, filterable by status -----------------------------------
    page.goto(f"{console_url}/vehicles/gps")
    listed = page.locator(".q-table tbody tr", has_text=SERIAL)
    expect(listed).to_contain_text("已拆除")
    page.locator("[data-testid=gps-status-filter]").click()
    page.locator(".q-menu .q-item", has_text="已安装").first.click()
    expect(page.locator(".q-table tbody tr", has_text=SERIAL)).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "veh-04-gps-devices.png"), full_page=True)
