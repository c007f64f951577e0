"""One application through the origination console in a real Chromium, from a dealer's intake to an active loan.

The dealer finds the applicant by ID number and the car by VIN, fills the figures and sees the live quote, and
submits (the checks pass); the first and the final review are done by two different reviewers from their task
queues; an officer prepares the contract, confirms the identity, uploads the recording, records the consent and
signs for the institution; one finance clerk records the down payment and registers the disbursement, another
reviews it; the bank simulator posts the payment and the loan account opens.

Users, the product, the customer with a bank card, the vehicle with its mortgage, GPS and insurance are prepared
through the services (they are not what this test is about). Screenshots go to ``test-artifacts/orig-*.png``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.channels.config import callback_secret
from autofin.channels.simulator import BankSimulator, SimulatorConfig, serve_in_thread
from autofin.customers import identity
from autofin.customers import service as customers
from autofin.customers.schemas import CardCreate, CustomerCreate
from autofin.kernel.actor import SYSTEM, Actor
from autofin.org import service as org
from autofin.org.schemas import DepartmentCreate
from autofin.origination import service as origination
from autofin.platform import service as platform
from autofin.products import demo as product_demo
from autofin.servicing import service as servicing
from autofin.vehicles import service as vehicles
from autofin.vehicles.schemas import GpsDeviceCreate, GpsInstall, LienCreate, LienRegister, PolicyCreate, VehicleCreate
from autofin.vehicles.vin import make_vin

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

ID_NUMBER = identity.make_resident_id("110105", date(1989, 4, 21), 77)
VIN = make_vin("LFV2A21K", "P", "3", "512345")
CARD = "6222020200001234562"  # Luhn-valid
CALLBACK = "/api/v1/channels/bank/callback"
PAID_TIMEOUT_MS = 30_000


@pytest.fixture()
def bank(app_ctx: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[BankSimulator]:
    """The bank simulator on a free port; the console server (started after this fixture) pays through it."""
    simulator = BankSimulator(SimulatorConfig(callback_secret(app_ctx.settings), delay_seconds=0.2))
    server = serve_in_thread(simulator)
    monkeypatch.setenv("AUTOFIN_BANK_URL", server.url)
    yield simulator
    server.stop()


@pytest.fixture()
def flow_url(bank: BankSimulator, console_url: str) -> str:
    bank.config.callback_url = f"{console_url}{CALLBACK}"  # the bank answers the server it was sent from
    return console_url


@pytest.fixture()
def world(app_ctx: App, make_user: Callable[..., Any], actor_for: Callable[[Any], Actor]) -> dict[str, Any]:
    """The people and the things the flow needs, made through the services and committed."""
    with app_ctx.uow() as uow:
        product_demo.load(uow, app_ctx.settings)
        departments, _count = org.list_departments(uow, SYSTEM, size=200)
        hq = next(d.id for d in departments if d.code == "HQ")
        org.create_department(uow, SYSTEM, DepartmentCreate(code="DLR01", name="北京朝阳4S店", parent_id=hq))
        uow.commit()
    dealer = make_user("dealer1", role_codes=["dealer"], department_code="DLR01", display_name="经销商小王")
    for name in ("rev1", "rev2"):
        make_user(name, role_codes=["reviewer"], display_name=f"审核员{name[-1]}")
    for name in ("fin1", "fin2"):
        make_user(name, role_codes=["finance"], display_name=f"财务{name[-1]}")
    as_dealer = actor_for(dealer)
    with app_ctx.uow() as uow:
        customer = customers.create_customer(uow, as_dealer, CustomerCreate(
            kind="individual", name="赵六", id_type="resident_id", id_number=ID_NUMBER, phone="13911112222",
            monthly_income=Decimal("25000.00")))
        customers.add_card(uow, SYSTEM, customer.id, CardCreate(card_number=CARD, holder_name="赵六"))
        vehicle = vehicles.create_vehicle(uow, as_dealer, VehicleCreate(
            vin=VIN, condition="new", powertrain="ice", use="self", invoice_price=Decimal("200000.00")))
        lien = vehicles.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=vehicle.id, kind="mortgage"))
        vehicles.register_lien(uow, SYSTEM, lien.id, LienRegister(certificate_number="DY-2026-7701"))
        device = vehicles.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial="GPS-7701", kind="wired"))
        vehicles.install_gps(uow, SYSTEM, device.id, GpsInstall(vehicle_id=vehicle.id, installer="安装员老李"))
        today = platform.business_today()
        vehicles.add_policy(uow, SYSTEM, vehicle.id, PolicyCreate(
            insurer="人保财险", policy_number="PICC-7701", kind="vehicle_damage", cover=Decimal("200000.00"),
            starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=364), beneficiary="autofin"))
        uow.commit()
    return {"customer_id": customer.id, "vehicle_id": vehicle.id, "dealer": as_dealer}


def box(page: Any, kind: str, name: str, tag: str = "input") -> Any:
    """The native text box of an input marked ``data-testid`` / ``data-field`` (the mark may sit on either)."""
    return page.locator(f"[data-{kind}={name}] {tag}, {tag}[data-{kind}={name}]").first


def switch_user(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/logout")
    sign_in(page, url, username, DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=main-menu]")).to_be_visible()


def choose(page: Any, field: str, option: str) -> None:
    """Pick ``option`` in the Quasar select carrying ``data-field``."""
    page.locator(f"[data-field={field}]").first.click()
    page.locator(".q-menu .q-item", has_text=option).first.click()


def the_application(app: App) -> tuple[int, str]:
    with app.uow() as uow:
        rows, _total = origination.list_applications(uow, SYSTEM, q=None)
        assert len(rows) == 1, "exactly one application was entered"
        return rows[0].id, rows[0].number or ""


def assignee_of_open_task(app: App, application_id: int) -> str:
    with app.uow() as uow:
        application = origination.get_application(uow, SYSTEM, application_id)
        task = next(t for t in origination.tasks_of(uow, application) if t.status == "open")
        assert task.assignee_id is not None, "dispatch assigned the stage to a reviewer"
        return org.get_user(uow, SYSTEM, task.assignee_id).username


def review_from_my_tasks(page: Any, url: str, username: str, number: str, stage_label: str) -> None:
    switch_user(page, url, username)
    page.locator('[data-menu="/origination/tasks"]').click()
    row = page.locator("[data-testid=task-table] tbody tr", has_text=number)
    expect(row).to_contain_text(stage_label)
    expect(row.locator("[data-overdue=false]")).to_be_visible()  # an SLA timer runs, not yet overdue
    row.locator("[data-action=review]").click()
    expect(page.locator("[data-testid=decision-area]")).to_contain_text(stage_label)
    expect(page.locator("[data-testid=check-results]")).to_contain_text("kyc")
    expect(page.locator("[data-testid=customer-id-number]")).not_to_have_text(ID_NUMBER)  # masked
    box(page, "field", "comment", "textarea").fill(f"{stage_label}：资料齐全，同意")
    page.locator("[data-testid=review-send]").click()


def test_an_application_walks_from_dealer_intake_through_two_reviews_signing_and_disbursement_to_a_loan(
    world: dict[str, Any], app_ctx: App, flow_url: str, browser_page: Any
) -> None:
    try:
        walk(browser_page, flow_url, world, app_ctx)
    except Exception:
        browser_page.screenshot(path=str(ARTIFACTS / "orig-failure.png"), full_page=True)
        raise


def walk(page: Any, url: str, world: dict[str, Any], app_ctx: App) -> None:
    # --- the dealer enters the application with a live quote and submits it ----------------------------------
    sign_in(page, url, "dealer1", DEFAULT_PASSWORD)
    menu = page.locator("[data-testid=main-menu]")
    expect(menu.locator('[data-menu="/origination/new"]')).to_be_visible()
    expect(menu.locator('[data-menu="/origination/disbursements"]')).to_have_count(0)
    menu.locator('[data-menu="/origination/new"]').click()
    box(page, "testid", "customer-search").fill(ID_NUMBER)
    page.locator("[data-testid=customer-find]").click()
    page.locator(f'[data-customer="{world["customer_id"]}"] [data-pick=applicant]').click()
    expect(page.locator("[data-testid=chosen-applicant]")).to_contain_text("赵六")
    box(page, "testid", "vehicle-search").fill(VIN)
    page.locator("[data-testid=vehicle-find]").click()
    page.locator(f'[data-vehicle="{world["vehicle_id"]}"] [data-pick=vehicle]').click()
    expect(page.locator("[data-testid=chosen-vehicle]")).to_contain_text(VIN)
    choose(page, "product_code", "NEW-ANNUITY")
    expect(box(page, "field", "price")).to_have_value("200000.00")  # from the invoice price
    box(page, "field", "down_payment").fill("120000.00")
    choose(page, "term", "36")
    expect(page.locator("[data-testid=quote-principal]")).to_have_text("80,000.00")
    expect(page.locator("[data-testid=quote-schedule] tbody tr")).to_have_count(36)
    apr = page.locator("[data-testid=quote-apr]")
    expect(apr).to_contain_text("%")
    first_apr = apr.inner_text()
    box(page, "field", "down_payment").fill("110000.00")  # the quote follows the figures
    expect(page.locator("[data-testid=quote-principal]")).to_have_text("90,000.00")
    expect(page.locator("[data-testid=required-documents]")).to_contain_text("身份证")
    assert first_apr.endswith("%")
    page.screenshot(path=str(ARTIFACTS / "orig-01-wizard-live-quote.png"), full_page=True)
    page.locator("[data-testid=submit-application]").click()
    expect(page.locator("[data-testid=submit-outcome]")).to_have_attribute("data-outcome", "pass")
    expect(page.locator("[data-testid=submit-status]")).to_have_attribute("data-status", "in_review")
    page.screenshot(path=str(ARTIFACTS / "orig-02-submitted-checks.png"), full_page=True)
    application_id, number = the_application(app_ctx)

    # --- two reviewers, each from their own queue -------------------------------------------------------------
    first = assignee_of_open_task(app_ctx, application_id)
    review_from_my_tasks(page, url, first, number, "初审")
    expect(page.locator("[data-testid=application-stage]")).to_have_text("终审")
    second = assignee_of_open_task(app_ctx, application_id)
    assert second != first, "one person acts on one stage only"
    review_from_my_tasks(page, url, second, number, "终审")
    expect(page.locator("[data-testid=application-status]")).to_have_attribute("data-status", "approved")
    expect(page.locator("[data-testid=approved-amount]")).to_have_text("90,000.00")
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text(first)
    expect(timeline).to_contain_text(second)
    page.screenshot(path=str(ARTIFACTS / "orig-03-approved-timeline.png"), full_page=True)

    # --- contract and video signing ------------------------------------------------------------------------
    switch_user(page, url, ADMIN_USERNAME)
    page.goto(f"{url}/origination/contract?id={application_id}")
    page.locator("[data-testid=start-signing]").click()
    session = page.locator("[data-testid=signing-session]")
    expect(session).to_have_attribute("data-state", "created")
    expect(page.locator("[data-testid=contract-no]")).to_contain_text("HT-")
    page.locator("[data-testid=confirm-identity]").click()
    page.locator("[data-testid=dialog-submit]").click()
    expect(session).to_have_attribute("data-state", "identity_confirmed")
    page.locator("[data-testid=recording-upload] input[type=file]").set_input_files(
        files=[{"name": "session.webm", "mimeType": "video/webm", "buffer": b"\x1aE\xdf\xa3 recorded session"}])
    expect(page.locator("[data-testid=recording-sha]")).not_to_have_text("—")
    expect(page.locator("[data-testid=record-consent]")).to_be_visible()
    page.locator("[data-testid=record-consent]").click()
    expect(session).to_have_attribute("data-state", "borrower_signed")
    page.locator("[data-testid=institution-sign]").click()
    expect(session).to_have_attribute("data-state", "institution_signed")
    with page.expect_download() as download_info:
        page.locator("[data-testid=download-signed]").click()
    signed = download_info.value
    assert signed.suggested_filename.endswith("-signed.pdf")
    with open(signed.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.screenshot(path=str(ARTIFACTS / "orig-04-contract-signed.png"), full_page=True)
    expect(page.locator("[data-testid=application-status]")).to_have_attribute("data-status", "contracted")

    # --- disbursement: one clerk registers, another reviews, the bank pays --------------------------------
    switch_user(page, url, "fin1")
    page.locator('[data-menu="/origination/disbursements"]').click()
    page.locator("[data-testid=disbursement-ready] tbody tr", has_text=number).locator("[data-action=open]").click()
    expect(page.locator('[data-condition=down_payment_received]')).to_have_attribute("data-met", "false")
    page.locator("[data-testid=record-down-payment]").click()
    dialog_field(page, "reference").fill("SK-20261124-01")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator("[data-testid=conditions-met]")).to_be_visible()
    for code in ("contract_signed", "mortgage_registered", "gps_installed", "insurance_beneficiary"):
        expect(page.locator(f"[data-condition={code}]")).to_have_attribute("data-met", "true")
    page.locator("[data-testid=register-disbursement]").click()
    status = page.locator("[data-testid=disbursement-status]")
    expect(status).to_have_attribute("data-status", "registered")
    expect(page.locator("[data-testid=awaiting-second-person]")).to_be_visible()
    expect(page.locator("[data-testid=approve-disbursement]")).to_have_count(0)  # not by the registrar
    page.screenshot(path=str(ARTIFACTS / "orig-05-disbursement-registered.png"), full_page=True)

    switch_user(page, url, "fin2")
    page.goto(f"{url}/origination/disbursement?id={application_id}")
    box(page, "field", "comment").fill("复核无误")
    page.locator("[data-testid=approve-disbursement]").click()
    expect(status).to_have_attribute("data-status", "paid", timeout=PAID_TIMEOUT_MS)
    expect(page.locator("[data-testid=application-status]")).to_have_attribute("data-status", "disbursed")
    page.screenshot(path=str(ARTIFACTS / "orig-06-disbursed.png"), full_page=True)
    page.locator("[data-testid=loan-link]").click()
    expect(page.locator("[data-testid=loan-status]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "orig-07-loan.png"), full_page=True)

    # --- the loan account is active with the approved terms ------------------------------------------------
    with app_ctx.uow() as uow:
        loans, total = servicing.list_loans(uow, SYSTEM)
        assert total == 1
        loan = loans[0]
        assert loan.status == "active"
        assert loan.principal == Decimal("90000.00")
        assert loan.contract_no.startswith("HT-") and loan.customer_name == "赵六"
        assert len(servicing.installments_of(uow, loan)) == 36
