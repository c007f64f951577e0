"""The origination console's refusals in a real Chromium.

- A dealer submits a draft whose applicant is on the blacklist: the page says so in plain words, the application
  stays a draft and risk gets its alert.
- A reviewer has the review page open while a supervisor reassigns the task to someone else: sending the decision
  is refused (409) and the page shows "someone else acted" over the fresh state — the task is now with the other
  reviewer and no decision form is offered. Nothing was decided.

The applications are prepared through the services; the refusals are met through the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.fixtures.org import DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.customers import identity
from autofin.customers import service as customers
from autofin.customers.schemas import BlacklistCreate, CustomerCreate
from autofin.kernel.actor import SYSTEM, Actor
from autofin.org import service as org
from autofin.org.schemas import DepartmentCreate
from autofin.origination import service as origination
from autofin.origination.schemas import ApplicationCreate
from autofin.products import demo as product_demo
from autofin.vehicles import service as vehicles
from autofin.vehicles.schemas import VehicleCreate
from autofin.vehicles.vin import make_vin

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

BLACKLISTED_ID = identity.make_resident_id("110105", date(1985, 2, 3), 55)


@pytest.fixture()
def server_keys(app_ctx: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console server reads what the test stored: same field-encryption and look-up keys."""


@pytest.fixture()
def url(server_keys: None, console_url: str) -> str:
    return console_url


def application(app: App, dealer: Actor, name: str, id_number: str, serial: int) -> int:
    with app.uow() as uow:
        customer = customers.create_customer(uow, dealer, CustomerCreate(
            kind="individual", name=name, id_type="resident_id", id_number=id_number, phone=f"1391111{serial:04d}"))
        vehicle = vehicles.create_vehicle(uow, dealer, VehicleCreate(
            vin=make_vin("LFV2A21K", "P", "3", f"{600000 + serial:06d}"), invoice_price=Decimal("200000.00")))
        row = origination.create_application(uow, dealer, ApplicationCreate(
            applicant_id=customer.id, vehicle_id=vehicle.id, product_code="NEW-ANNUITY", price=Decimal("200000.00"),
            down_payment=Decimal("120000.00"), term=36, channel="dealer"))
        uow.commit()
        return row.id


@pytest.fixture()
def prepared(app_ctx: App, make_user: Callable[..., Any], actor_for: Callable[[Any], Actor]) -> dict[str, int]:
    with app_ctx.uow() as uow:
        product_demo.load(uow, app_ctx.settings)
        departments, _count = org.list_departments(uow, SYSTEM, size=200)
        hq = next(d.id for d in departments if d.code == "HQ")
        org.create_department(uow, SYSTEM, DepartmentCreate(code="DLR02", name="上海浦东4S店", parent_id=hq))
        customers.add_blacklist_entry(uow, SYSTEM, BlacklistCreate(id_number=BLACKLISTED_ID, reason="骗贷团伙",
                                                                   source="test"))
        uow.commit()
    dealer = actor_for(make_user("dealer2", role_codes=["dealer"], department_code="DLR02"))
    for name in ("rev1", "rev2"):
        make_user(name, role_codes=["reviewer"])
    refused = application(app_ctx, dealer, "钱七", BLACKLISTED_ID, 1)
    reviewed = application(app_ctx, dealer, "孙八", identity.make_resident_id("110105", date(1990, 6, 6), 66), 2)
    with app_ctx.uow() as uow:
        origination.submit_application(uow, dealer, reviewed)
        uow.commit()
    return {"refused": refused, "reviewed": reviewed}


def open_task(app: App, application_id: int) -> tuple[int, str, int]:
    with app.uow() as uow:
        task = next(t for t in origination.tasks_of(uow, origination.get_application(uow, SYSTEM, application_id))
                    if t.status == "open")
        assert task.assignee_id is not None
        return task.id, org.get_user(uow, SYSTEM, task.assignee_id).username, task.version


def status_of(app: App, application_id: int) -> str:
    with app.uow() as uow:
        return origination.get_application(uow, SYSTEM, application_id).status


def test_a_blacklisted_applicant_is_refused_in_words_and_a_stale_review_shows_someone_else_acted(
    prepared: dict[str, int], app_ctx: App, url: str, browser_page: Any
) -> None:
    page = browser_page
    try:
        # --- the blacklist refusal -------------------------------------------------------------------------
        sign_in(page, url, "dealer2", DEFAULT_PASSWORD)
        expect(page.locator("[data-testid=main-menu]")).to_be_visible()
        page.goto(f"{url}/origination/new?id={prepared['refused']}")
        expect(page.locator("[data-testid=chosen-applicant]")).to_contain_text("钱七")
        expect(page.locator("[data-testid=quote-apr]")).to_contain_text("%")
        page.locator("[data-testid=submit-application]").click()
        expect(page.locator("[data-testid=submit-error]")).to_contain_text("黑名单")
        expect(page.locator("[data-testid=submit-result]")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "orig-refusal-01-blacklisted.png"), full_page=True)
        assert status_of(app_ctx, prepared["refused"]) == "draft"
        with app_ctx.uow() as uow:
            alerts, _total = customers.list_alerts(uow, SYSTEM)
            assert alerts, "risk gets the blacklist alert"

        # --- the stale review ----------------------------------------------------------------------------
        task_id, reviewer, version = open_task(app_ctx, prepared["reviewed"])
        other = "rev2" if reviewer == "rev1" else "rev1"
        page.goto(f"{url}/logout")
        sign_in(page, url, reviewer, DEFAULT_PASSWORD)
        expect(page.locator("[data-testid=main-menu]")).to_be_visible()
        page.goto(f"{url}/origination/review?id={prepared['reviewed']}")
        expect(page.locator("[data-testid=review-send]")).to_be_visible()
        with app_ctx.uow() as uow:  # meanwhile a supervisor gives the task to the other reviewer
            other_id = next(u.id for u in org.list_users(uow, SYSTEM, size=50)[0] if u.username == other)
            origination.reassign_task(uow, SYSTEM, task_id, other_id, version)
            uow.commit()
        page.locator("[data-testid=review-send]").click()
        expect(page.locator("[data-testid=conflict-notice]")).to_be_visible()
        expect(page.locator("[data-testid=review-taken]")).to_be_visible()
        expect(page.locator("[data-testid=review-send]")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "orig-refusal-02-someone-else-acted.png"), full_page=True)
        assert status_of(app_ctx, prepared["reviewed"]) == "in_review"
        assert open_task(app_ctx, prepared["reviewed"])[1] == other
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "orig-refusal-failure.png"), full_page=True)
        raise
