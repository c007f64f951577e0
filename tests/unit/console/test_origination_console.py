"""What the origination console reads and prepares (``origination/console/data.py``), over the real services.

The search page's filters (status, product, dealer, Beijing dates, amount band) inside the data scope and its
refusals of bad input; the CSV / XLSX export; the wizard's live quote (principal = the amount applied for, the
product's limits named on the field); the contract prepared for an approved application only; the supervisor's
view of every open task; the disbursement page's payee cards; the page registry's permissions.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from tests.integration.origination.world import World, application_command, build_world

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError
from autofin.origination import service as origination
from autofin.origination.console import data
from autofin.origination.disbursing import contract_flow
from autofin.origination.models import Application
from autofin.origination.permissions import APPLICATION_VIEW, DISBURSEMENT_REGISTER, TASK_REASSIGN
from autofin.origination.schemas import ReviewRequest


@pytest.fixture()
def world(app_ctx: App) -> World:
    return build_world(app_ctx)


def draft(app: App, world: World, **overrides: object) -> int:
    with app.uow() as uow:
        application = origination.create_application(uow, SYSTEM, application_command(world, **overrides))
        uow.commit()
        return application.id


def viewer(*, departments: frozenset[int] | None = None, extra: tuple[str, ...] = ()) -> Actor:
    scope = DataScope.unrestricted() if departments is None else DataScope(False, departments, False)
    return Actor(user_id=4242, username="viewer", permissions=frozenset({APPLICATION_VIEW, *extra}), scope=scope)


def search(app: App, actor: Actor, **filters: object) -> list[int]:
    with app.uow() as uow:
        rows, _total = data.search_applications(uow, actor, filters)
        return [row.id for row in rows]


def test_the_search_filters_by_status_product_amount_band_and_beijing_creation_dates(app_ctx, world):
    world.customer("李四")
    world.vehicle("second")
    small = draft(app_ctx, world)  # 80,000
    large = draft(app_ctx, world, applicant="李四", vehicle="second", down_payment="50000.00")  # 150,000
    with app_ctx.uow() as uow:
        origination.submit_application(uow, SYSTEM, large)
        uow.commit()
    everyone = viewer()
    assert search(app_ctx, everyone) == [large, small]
    assert search(app_ctx, everyone, status="draft") == [small]
    assert search(app_ctx, everyone, status="in_review") == [large]
    assert search(app_ctx, everyone, product_code="USED-ANNUITY") == []
    assert search(app_ctx, everyone, amount_min="100000") == [large]
    assert search(app_ctx, everyone, amount_max="80000.00") == [small]
    assert search(app_ctx, everyone, amount_min="80000", amount_max="150000") == [large, small]

    # created at 23:30 UTC yesterday = 07:30 today in Beijing: "today" includes it, "yesterday" does not
    # (at any hour of the UTC day: from 16:00 UTC on, Beijing is already on the next date)
    beijing_today = (utcnow() + timedelta(hours=8)).date()
    late = utcnow().replace(year=beijing_today.year, month=beijing_today.month, day=beijing_today.day, hour=23,
                            minute=30, second=0, microsecond=0) - timedelta(days=1)
    assert (late + timedelta(hours=8)).date() == beijing_today
    with app_ctx.uow() as uow:
        uow.session.execute(update(Application).where(Application.id == small).values(created_at=late))
        uow.commit()
    assert search(app_ctx, everyone, date_from=beijing_today.isoformat(), date_to=beijing_today.isoformat()) == [
        large, small]
    yesterday = (beijing_today - timedelta(days=1)).isoformat()
    assert search(app_ctx, everyone, date_from=yesterday, date_to=yesterday) == []


def test_the_search_sees_only_the_actors_dealer_and_refuses_bad_filters_naming_the_field(app_ctx, world):
    dealer = world.department("DLR-A", "甲经销商")
    mine = draft(app_ctx, world, department_id=dealer)
    draft(app_ctx, world, applicant="张三")  # the head office's
    assert search(app_ctx, viewer(departments=frozenset({dealer}))) == [mine]

    for filters, field in (
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
        ({"amount_min": "abc"}, "amount_min"),
        ({"amount_min": "-1"}, "amount_min"),
        ({"amount_min": "500", "amount_max": "100"}, "amount_max"),
    ):
        with app_ctx.uow() as uow, pytest.raises(DomainError) as refused:
            data.search_applications(uow, viewer(), filters)
        assert refused.value.status == 422
        assert [e.field for e in refused.value.errors] == [field]
        assert refused.value.errors[0].message.zh and refused.value.errors[0].message.en

    nobody = Actor(user_id=1, username="nobody", permissions=frozenset())
    with app_ctx.uow() as uow, pytest.raises(DomainError) as refused:
        data.search_applications(uow, nobody, {})
    assert refused.value.status == 403


def test_the_export_writes_excel_readable_csv_and_xlsx_with_headers_in_the_users_language(app_ctx, world):
    draft(app_ctx, world)
    with app_ctx.uow() as uow:
        rows = data.all_matching_rows(uow, viewer(), {})
    content = data.export_applications(rows, "csv", "zh-CN")
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][:3] == ["申请编号", "状态", "申请人"]
    assert table[1][2] == "张三" and table[1][table[0].index("申请金额")] == "80,000.00"

    book = load_workbook(io.BytesIO(data.export_applications(rows, "xlsx", "en")))
    sheet = book.active
    assert [c.value for c in sheet[1]][:3] == ["Number", "Status", "Applicant"]
    assert sheet.max_row == 2 and sheet.cell(2, 1).value.startswith("AP-")


def test_the_live_quote_lends_the_amount_applied_for_and_names_the_field_outside_the_product(app_ctx, world):
    figures = {"price": Decimal("200000.00"), "down_payment": Decimal("120000.00"), "term": 36,
               "method": "annuity", "vehicle": {"condition": "new", "powertrain": "ice", "use": "self"}}
    with app_ctx.uow() as uow:
        quote = data.live_quote(uow, SYSTEM, "NEW-ANNUITY", figures)
        lower = data.live_quote(uow, SYSTEM, "NEW-ANNUITY", {**figures, "amount": Decimal("70000.00")})
        assert quote.principal == Decimal("80000.00") and len(quote.schedule) == 36
        assert quote.annualized_rate_simple > 0
        assert lower.principal == Decimal("70000.00")
        assert sum(line["principal"] for line in lower.schedule) == Decimal("70000.00")
        with pytest.raises(DomainError) as refused:
            data.live_quote(uow, SYSTEM, "NEW-ANNUITY", {**figures, "term": 7})
        assert [e.field for e in refused.value.errors] == ["term"]


def test_the_contract_page_lists_the_signing_session_of_the_prepared_contract(app_ctx, world):
    application_id = draft(app_ctx, world)
    with app_ctx.uow() as uow:
        origination.submit_application(uow, SYSTEM, application_id)
        for _stage in range(2):
            origination.review_application(uow, SYSTEM, application_id, ReviewRequest(
                decision="approve", approved_amount=Decimal("75000.00")))
        session = contract_flow.prepare_contract(uow, SYSTEM, application_id)
        uow.commit()
    with app_ctx.uow() as uow:
        (listed,) = data.signing_sessions(uow, SYSTEM, application_id)
        assert listed["contract_no"] == session.contract_no and listed["state"] == "created"
        assert listed["signed_sha256"] == "" and listed["consent_at"] is None


def test_the_supervisor_view_lists_every_open_task_and_needs_the_reassign_permission(app_ctx, world):
    application_id = draft(app_ctx, world)
    with app_ctx.uow() as uow:
        origination.submit_application(uow, SYSTEM, application_id)
        uow.commit()
    with app_ctx.uow() as uow:
        rows = data.all_open_tasks(uow, viewer(extra=(TASK_REASSIGN,)))
        assert [(r["application_id"], r["stage"], r["overdue"]) for r in rows] == [
            (application_id, "first_review", False)]
        assert rows[0]["seconds_left"] > 0
        with pytest.raises(DomainError) as refused:
            data.all_open_tasks(uow, viewer())
        assert refused.value.status == 403


def test_the_disbursement_page_offers_the_borrowers_cards_masked_to_a_registrar_only(app_ctx, world):
    from tests.integration.origination.disbursement_world import add_card, ready_application

    application_id = ready_application(app_ctx, world)
    add_card(app_ctx, world.customers["张三"])
    registrar = viewer(extra=("disbursement.view", DISBURSEMENT_REGISTER))
    with app_ctx.uow() as uow:
        page = data.disbursement_view(uow, registrar, application_id)
        looker = data.disbursement_view(uow, viewer(extra=("disbursement.view",)), application_id)
    assert page["all_met"] and {c["code"] for c in page["checklist"]} >= {"contract_signed", "gps_installed"}
    (label,) = page["cards"].values()
    assert "******" in label and "6222020200001234562" not in label
    assert looker["cards"] == {}
    assert page["disbursement"] is None


def test_every_origination_label_has_chinese_and_english_with_the_same_placeholders():
    import re

    from autofin.origination.console.labels import LABELS

    placeholder = re.compile(r"\{(\w+)\}")
    for key, (chinese, english) in LABELS.items():
        assert key.startswith("orig.") and chinese.strip() and english.strip(), key
        assert set(placeholder.findall(chinese)) == set(placeholder.findall(english)), key
