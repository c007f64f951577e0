"""新建申请 ``/origination/new`` (``?id=`` edits a draft or a returned application): parties, vehicle, product
and figures with a live quote, the documents the product requires; save the draft, submit and see the checks."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from pydantic import ValidationError

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.console.session import PageContext, SessionEnded, end_session, show_domain_error
from autofin.console.widgets import FormField, form_dialog
from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.documents.console import documents_panel
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.org import service as org
from autofin.origination import service
from autofin.origination.console import data
from autofin.origination.console.common import (
    METHODS,
    banner,
    checks_table,
    decimal_or_none,
    fact,
    label,
    query_int,
    run,
    simple_table,
    vehicle_condition,
)
from autofin.origination.errors import ApplicantBlacklisted
from autofin.origination.models import EDITABLE
from autofin.origination.permissions import APPLICATION_SUBMIT
from autofin.origination.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
)


# ================================================================================================ wizard
def wizard_page(ctx: PageContext) -> None:
    application_id = query_int("id")
    state: dict[str, Any] = {
        "application_id": None, "version": None, "number": None, "applicant": None, "co_borrower": None,
        "guarantors": [], "vehicle": None, "quote": None, "quote_error": None, "dirty": False, "documents": [],
    }
    products = ctx.read(lambda uow, a: data.product_choices(uow, a), {})
    existing: dict[str, Any] | None = None
    if application_id:
        existing = ctx.read(lambda uow, a: _load_draft(uow, a, application_id), None)
        if existing is None:
            return
        if existing["status"] not in EDITABLE:
            banner(t("orig.wizard.not_editable", status=label("status", existing["status"])), "warn", "not-editable")
            ui.link(t("orig.wizard.go_detail"), f"/origination/application?id={application_id}")
            return
        state.update({k: existing[k] for k in ("applicant", "co_borrower", "guarantors", "vehicle")})
        state.update(application_id=application_id, version=existing["version"], number=existing["number"])
    inputs: dict[str, Any] = {}

    with ui.row().classes("w-full gap-4 items-start no-wrap"):
        with ui.column().classes("gap-4").style("flex: 3; min-width: 0"):
            # ---- ① parties
            with ui.card().classes("w-full").props('flat bordered data-testid="wizard-parties"'):
                ui.label(t("orig.wizard.customer")).classes("text-subtitle1 text-weight-medium")
                chosen_view = ui.column().classes("w-full gap-1")
                with ui.row().classes("w-full items-center gap-2"):
                    customer_q = ui.input(t("orig.wizard.customer_search")).props(
                        'outlined dense clearable data-testid="customer-search"').classes("w-72")
                    inputs["applicant_id"] = customer_q
                    ui.button(t("orig.wizard.search"), icon="search", on_click=lambda: find_customers()).props(
                        'unelevated dense data-testid="customer-find"')
                    ui.button(t("orig.wizard.new_customer"), icon="person_add",
                              on_click=lambda: new_customer()).props('flat dense data-testid="customer-new"')
                customer_results = ui.column().classes("w-full gap-1").props('data-testid="customer-results"')
                customer_q.on("keydown.enter", lambda: find_customers())
            # ---- ② vehicle
            with ui.card().classes("w-full").props('flat bordered data-testid="wizard-vehicle"'):
                ui.label(t("orig.wizard.vehicle")).classes("text-subtitle1 text-weight-medium")
                vehicle_view = ui.column().classes("w-full gap-1")
                with ui.row().classes("w-full items-center gap-2"):
                    vin_q = ui.input(t("orig.wizard.vin_search")).props(
                        'outlined dense clearable data-testid="vehicle-search"').classes("w-72")
                    inputs["vehicle_id"] = vin_q
                    ui.button(t("orig.wizard.search"), icon="search", on_click=lambda: find_vehicles()).props(
                        'unelevated dense data-testid="vehicle-find"')
                    ui.link(t("vehicles.new") if "vehicles.new" in i18n.MESSAGES else "+", "/vehicles").classes(
                        "text-sm")
                vehicle_results = ui.column().classes("w-full gap-1").props('data-testid="vehicle-results"')
                vin_q.on("keydown.enter", lambda: find_vehicles())
            # ---- ③ loan
            with ui.card().classes("w-full").props('flat bordered data-testid="wizard-loan"'):
                ui.label(t("orig.wizard.loan")).classes("text-subtitle1 text-weight-medium")
                with ui.grid(columns=3).classes("w-full gap-3"):
                    product = ui.select({code: f"{code} · {p['name']}" for code, p in products.items()},
                                        label=t("orig.product") + " *",
                                        value=existing["product_code"] if existing else None,
                                        on_change=lambda: product_changed()).props(
                        'outlined dense data-field="product_code"')
                    if existing:
                        product.props("readonly")
                    inputs["product_code"] = product
                    for name, key in (("price", "orig.price"), ("down_payment", "orig.down_payment"),
                                      ("amount", "orig.amount")):
                        inputs[name] = ui.input(t(key) + (" *" if name != "amount" else ""),
                                                value=str(existing[name]) if existing else "",
                                                on_change=lambda: mark_dirty()).props(
                            f'outlined dense inputmode=decimal data-field="{name}"')
                    inputs["term"] = ui.select({}, label=t("orig.term") + " *", on_change=lambda: mark_dirty()).props(
                        'outlined dense data-field="term"')
                    inputs["method"] = ui.select({m: label("method", m) for m in METHODS}, label=t("orig.method"),
                                                 value=existing["method"] if existing else "annuity",
                                                 on_change=lambda: method_changed()).props(
                        'outlined dense data-field="method"')
                    inputs["rate"] = ui.input(t("orig.rate"), value=str(existing["rate"]) if existing else "",
                                              on_change=lambda: mark_dirty()).props(
                        f'outlined dense inputmode=decimal data-field="rate" hint="{t("orig.rate_hint")}"')
                    inputs["balloon"] = ui.input(t("orig.balloon"),
                                                 value=str(existing["balloon"]) if existing and existing["balloon"]
                                                 else "", on_change=lambda: mark_dirty()).props(
                        'outlined dense inputmode=decimal data-field="balloon"')
                    inputs["purpose"] = ui.input(t("orig.purpose"), value=existing["purpose"] if existing else "购车"
                                                 ).props('outlined dense maxlength=200 data-field="purpose"')
            # ---- ④ documents
            with ui.card().classes("w-full").props('flat bordered data-testid="wizard-documents"'):
                ui.label(t("orig.wizard.documents")).classes("text-subtitle1 text-weight-medium")
                required_view = ui.row().classes("w-full gap-2").props('data-testid="required-documents"')
                if state["application_id"]:
                    documents_panel(ctx, "application", state["application_id"], default_kind="other")
                else:
                    ui.label(t("orig.wizard.docs_after_save")).classes("text-grey-6 text-sm")
            result_box = ui.column().classes("w-full gap-2")
            with ui.row().classes("w-full gap-2 justify-end"):
                ui.button(t("orig.wizard.save_draft"), icon="save", on_click=lambda: save(navigate=True)).props(
                    'outline color=primary data-testid="save-draft"')
                if ctx.actor.can(APPLICATION_SUBMIT):
                    ui.button(t("orig.wizard.submit"), icon="send", on_click=lambda: submit()).props(
                        'unelevated color=primary data-testid="submit-application"')
        # ---- live quote
        with ui.card().classes("gap-2").style("flex: 2; min-width: 24rem; position: sticky; top: 72px").props(
                'flat bordered data-testid="live-quote"'):
            ui.label(t("orig.wizard.quote")).classes("text-subtitle1 text-weight-medium")
            quote_box = ui.column().classes("w-full gap-2")

    # ---------------------------------------------------------------- behaviour
    def mark_dirty() -> None:
        state["dirty"] = True

    def draw_parties() -> None:
        chosen_view.clear()
        with chosen_view:
            for role_key, person, testid in (
                ("orig.applicant", state["applicant"], "chosen-applicant"),
                ("orig.co_borrower", state["co_borrower"], "chosen-co-borrower"),
            ):
                with ui.row().classes("items-center gap-2"):
                    ui.label(t(role_key) + "：").classes("text-grey-7 w-24")
                    text = f"{person['name']} · {person['id_number']} · {person['phone']}" if person else t(
                        "orig.wizard.none_chosen")
                    ui.label(text).props(f'data-testid="{testid}"')
                    if person and role_key == "orig.co_borrower":
                        ui.button(icon="close", on_click=lambda: drop_co_borrower()).props("flat dense round size=sm")
            with ui.row().classes("items-center gap-2"):
                ui.label(t("orig.guarantors") + "：").classes("text-grey-7 w-24")
                if not state["guarantors"]:
                    ui.label(t("common.none")).classes("text-grey-6")
                for person in state["guarantors"]:
                    ui.chip(person["name"], removable=True,
                            on_value_change=lambda _e, p=person: remove_guarantor(p)).props(
                        f'dense data-guarantor="{person["id"]}"')

    def drop_co_borrower() -> None:
        state["co_borrower"] = None
        draw_parties()

    def remove_guarantor(person: dict[str, Any]) -> None:
        state["guarantors"] = [g for g in state["guarantors"] if g["id"] != person["id"]]
        draw_parties()

    def pick(role: str, person: dict[str, Any]) -> None:
        if role == "applicant":
            state["applicant"] = person
        elif role == "co_borrower":
            state["co_borrower"] = person
        elif all(g["id"] != person["id"] for g in state["guarantors"]):
            state["guarantors"] = [*state["guarantors"], person]
        customer_results.clear()
        customer_q.value = ""
        draw_parties()

    def show_customers(rows: list[dict[str, Any]]) -> None:
        customer_results.clear()
        with customer_results:
            if not rows:
                ui.label(t("orig.wizard.no_match")).classes("text-grey-6").props('data-testid="customer-none"')
            for person in rows:
                with ui.row().classes("w-full items-center gap-2 q-pa-xs rounded-borders bg-grey-1").props(
                        f'data-customer="{person["id"]}"'):
                    ui.label(f"{person['name']} · {person['id_number']} · {person['phone']}").classes("flex-1")
                    ui.button(t("orig.wizard.as_applicant"), on_click=lambda _e, p=person: pick("applicant", p)
                              ).props('flat dense no-caps color=primary data-pick="applicant"')
                    ui.button(t("orig.wizard.as_co_borrower"), on_click=lambda _e, p=person: pick("co_borrower", p)
                              ).props('flat dense no-caps data-pick="co_borrower"')
                    ui.button(t("orig.wizard.as_guarantor"), on_click=lambda _e, p=person: pick("guarantor", p)
                              ).props('flat dense no-caps data-pick="guarantor"')

    def find_customers() -> None:
        q = (customer_q.value or "").strip()
        if q:
            show_customers(ctx.read(lambda uow, a: data.customer_choices(uow, a, q), []))

    def new_customer() -> None:
        fields = [
            FormField("name", "orig.wizard.name", required=True, max_length=100),
            FormField("id_number", "orig.wizard.id_number", required=True, max_length=18),
            FormField("phone", "orig.wizard.phone", required=True, max_length=11),
        ]

        def create(values: dict[str, Any], fields_in: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> dict[str, Any]:
                command = customers.CustomerCreate(kind="individual", **values)
                row = customers.create_customer(uow, a, command)
                return {"id": row.id, "name": row.name, "id_number": row.id_number_masked or "",
                        "phone": row.phone_masked or "", "status": row.status}

            created, _refusal = run(ctx, use_case, fields_in)
            if created:
                show_customers([created])
            return bool(created)

        form_dialog(t("orig.wizard.new_customer"), fields, create)

    def draw_vehicle() -> None:
        vehicle_view.clear()
        with vehicle_view:
            v = state["vehicle"]
            text = (f"{v['vin']} · {v['maker'] or ''} {v['plate'] or ''} · {vehicle_condition(v['condition'])} · "
                    f"{data.money(v['price'])}" if v else t("orig.wizard.none_chosen"))
            ui.label(text).props('data-testid="chosen-vehicle"')

    def choose_vehicle(vehicle: dict[str, Any]) -> None:
        state["vehicle"] = vehicle
        vehicle_results.clear()
        vin_q.value = ""
        if not (inputs["price"].value or "").strip() and vehicle.get("price"):
            inputs["price"].value = f"{vehicle['price']:.2f}"
        draw_vehicle()
        draw_required()
        mark_dirty()

    def find_vehicles() -> None:
        q = (vin_q.value or "").strip()
        if not q:
            return
        rows = ctx.read(lambda uow, a: data.vehicle_choices(uow, a, q), [])
        vehicle_results.clear()
        with vehicle_results:
            if not rows:
                ui.label(t("orig.wizard.no_match")).classes("text-grey-6").props('data-testid="vehicle-none"')
            for v in rows:
                with ui.row().classes("w-full items-center gap-2 q-pa-xs rounded-borders bg-grey-1").props(
                        f'data-vehicle="{v["id"]}"'):
                    ui.label(f"{v['vin']} · {v['maker']} {v['plate']} · {data.money(v['price'])}").classes("flex-1")
                    ui.button(t("orig.wizard.choose_vehicle"), on_click=lambda _e, x=v: choose_vehicle(x)).props(
                        'flat dense no-caps color=primary data-pick="vehicle"')

    def product_changed() -> None:
        spec = products.get(product.value or "")
        terms = spec["terms"] if spec else []
        inputs["term"].options = {n: str(n) for n in terms}
        if inputs["term"].value not in terms:
            inputs["term"].value = terms[-1] if terms else None
        inputs["term"].update()
        if spec:
            inputs["method"].options = {m: label("method", m) for m in spec["methods"]}
            if inputs["method"].value not in spec["methods"]:
                inputs["method"].value = spec["methods"][0]
            inputs["method"].update()
            inputs["rate"].props(f'placeholder="{spec["rate_default"]}"')
        draw_required()
        mark_dirty()

    def method_changed() -> None:
        inputs["balloon"].set_visibility(inputs["method"].value == "balloon")
        mark_dirty()

    def draw_required() -> None:
        required_view.clear()
        code = product.value
        if not code:
            return
        condition = (state["vehicle"] or {}).get("condition", "new")
        kinds = ctx.read(lambda uow, a: data.required_documents(uow, code, condition), [])
        with required_view:
            for kind in kinds:
                ui.chip(label("doc", kind), icon="description").props(f'outline dense data-document-kind="{kind}"')

    def figures() -> dict[str, Any] | None:
        price = decimal_or_none(inputs["price"].value)
        down = decimal_or_none(inputs["down_payment"].value)
        if price is None or down is None or not inputs["term"].value or not product.value:
            return None
        return {"price": price, "down_payment": down, "amount": decimal_or_none(inputs["amount"].value),
                "term": inputs["term"].value, "method": inputs["method"].value,
                "rate": decimal_or_none(inputs["rate"].value), "balloon": decimal_or_none(inputs["balloon"].value),
                "vehicle": state["vehicle"]}

    def refresh_quote() -> None:
        if not state["dirty"]:
            return
        state["dirty"] = False
        wanted = figures()
        state["quote"], state["quote_error"] = None, None
        if wanted is None:
            draw_quote()
            return
        try:
            with ctx.autofin.uow() as uow:
                actor = ctx.resolve(uow)
                state["quote"] = data.live_quote(uow, actor, product.value, wanted)
        except SessionEnded:
            end_session()
            return
        except DomainError as exc:
            details = [i18n.text(e.message) for e in exc.errors]
            state["quote_error"] = "；".join(details) if details else i18n.text(exc.message)
        except (ValidationError, ArithmeticError, ValueError, KeyError):
            state["quote_error"] = t("orig.wizard.fill_figures")
        draw_quote()

    def draw_quote() -> None:
        quote_box.clear()
        with quote_box:
            quote = state["quote"]
            if state["quote_error"]:
                banner(state["quote_error"], "error", "quote-error")
                return
            if quote is None:
                ui.label(t("orig.wizard.fill_figures")).classes("text-grey-6")
                return
            with ui.row().classes("w-full items-end gap-4"):
                with ui.column().classes("gap-0"):
                    ui.label(t("orig.quote.apr")).classes("text-caption text-grey-7")
                    ui.label(f"{quote.annualized_rate_simple:.2f}%").classes(
                        "text-h4 text-weight-bold text-primary").props('data-testid="quote-apr"')
                fact("orig.quote.nominal", f"{quote.annual_rate:.2f}%")
                first = quote.schedule[0]["total"] if quote.schedule else None
                fact("orig.quote.first", data.money(first), "quote-first")
            with ui.row().classes("w-full gap-4"):
                fact("orig.quote.principal", data.money(quote.principal), "quote-principal")
                fact("orig.quote.net", data.money(quote.net_disbursed))
                fact("orig.quote.ltv", f"{quote.ltv_percent:.2f}% / {quote.ltv_cap_percent:.2f}%")
            with ui.row().classes("w-full gap-4"):
                fact("orig.quote.interest", data.money(quote.total_interest))
                fact("orig.quote.fees", data.money(quote.total_fees))
                fact("orig.quote.total", data.money(quote.total_repayment), "quote-total")
            rows = [{"number": r["number"], "due_date": str(r["due_date"]), "principal": data.money(r["principal"]),
                     "interest": data.money(r["interest"]), "fees": data.money(r["fees"]),
                     "total": data.money(r["total"]), "balance": data.money(r["balance"])} for r in quote.schedule]
            table = simple_table([("number", "orig.quote.no"), ("due_date", "orig.quote.due"),
                                  ("principal", "orig.quote.p"), ("interest", "orig.quote.i"),
                                  ("fees", "orig.quote.f"), ("total", "orig.quote.sum"),
                                  ("balance", "orig.quote.balance")], rows, "quote-schedule")
            table.style("max-height: 24rem; overflow: auto")

    def command_values() -> dict[str, Any]:
        values = {
            "price": decimal_or_none(inputs["price"].value) if inputs["price"].value else None,
            "down_payment": decimal_or_none(inputs["down_payment"].value) if inputs["down_payment"].value else None,
            "amount": decimal_or_none(inputs["amount"].value),
            "term": inputs["term"].value,
            "method": inputs["method"].value or "annuity",
            "rate": decimal_or_none(inputs["rate"].value),
            "balloon": decimal_or_none(inputs["balloon"].value),
            "purpose": (inputs["purpose"].value or "").strip(),
            "co_borrower_id": state["co_borrower"]["id"] if state["co_borrower"] else None,
            "guarantor_ids": [g["id"] for g in state["guarantors"]],
        }
        for name in ("price", "down_payment"):
            if inputs[name].value and values[name] is None:
                values[name] = str(inputs[name].value)  # let the schema name the bad number
        return values

    def save(*, navigate: bool) -> bool:
        missing = False
        for name, key, ok in (("applicant_id", "orig.wizard.need_applicant", state["applicant"]),
                              ("vehicle_id", "orig.wizard.need_vehicle", state["vehicle"]),
                              ("product_code", "orig.wizard.need_product", product.value)):
            inputs[name].error = None if ok else t(key)
            missing = missing or not ok
        if missing:
            return False
        values = command_values()

        def use_case(uow: UnitOfWork, a: Actor) -> tuple[int, int, str]:
            if state["application_id"]:
                body = {k: v for k, v in values.items() if v is not None or k in ("co_borrower_id", "balloon")}
                body["vehicle_id"] = state["vehicle"]["id"]
                row = service.update_application(
                    uow, a, state["application_id"], ApplicationUpdate(version=state["version"], **body))
            else:
                body = {k: v for k, v in values.items() if v is not None}
                row = service.create_application(uow, a, ApplicationCreate(
                    applicant_id=state["applicant"]["id"], vehicle_id=state["vehicle"]["id"],
                    product_code=product.value, channel="dealer" if _is_dealer(uow, a) else "console", **body))
            return row.id, row.version, row.number or ""

        saved, _refusal = run(ctx, use_case, inputs)
        if not saved:
            return False
        first_save = state["application_id"] is None
        state.update(application_id=saved[0], version=saved[1], number=saved[2])
        ui.notify(t("orig.wizard.saved", number=saved[2]), type="positive")
        if navigate and first_save:
            ui.navigate.to(f"/origination/new?id={saved[0]}")
        return True

    def submit() -> None:
        if not save(navigate=False):
            return
        result_box.clear()
        application_id_now = state["application_id"]
        try:
            with ctx.autofin.uow() as uow:
                actor = ctx.resolve(uow)
                application, checks = service.submit_application(uow, actor, application_id_now, state["version"])
                outcome = application.check_outcome or "pass"
                status = application.status
                rows = [{"name": c.name, "outcome": c.outcome,
                         "reason": i18n.pick(c.reason_zh, c.reason_en)} for c in checks]
                uow.commit()
        except SessionEnded:
            end_session()
            return
        except ApplicantBlacklisted as refusal:
            blocked = refusal  # nothing of the submission is kept; only the alert for risk
            run(ctx, lambda uow, a: service.record_blacklist_refusal(uow, a, blocked))
            show_domain_error(blocked, None)
            with result_box:
                banner(f"{t('orig.wizard.refused')}：{i18n.text(blocked.message)}", "error", "submit-error")
            return
        except DomainError as exc:
            show_domain_error(exc, inputs)
            with result_box:
                banner(f"{t('orig.wizard.refused')}：{i18n.text(exc.message)}", "error", "submit-error")
            return
        with result_box, ui.card().classes("w-full").props('flat bordered data-testid="submit-result"'):
            with ui.row().classes("items-center gap-3"):
                ui.icon({"pass": "check_circle", "refer": "help", "decline": "cancel"}.get(outcome, "info"),
                         color={"pass": "positive", "refer": "warning", "decline": "negative"}.get(outcome, "grey")
                         ).classes("text-3xl")
                ui.label(t("orig.wizard.submitted", outcome=label("outcome", outcome))).classes("text-h6").props(
                    f'data-testid="submit-outcome" data-outcome="{outcome}"')
                ui.badge(label("status", status)).props(f'data-testid="submit-status" data-status="{status}"')
            checks_table(rows)
            ui.link(t("orig.wizard.go_detail"), f"/origination/application?id={application_id_now}").props(
                'data-testid="submit-detail-link"')

    if existing:
        product_changed()
        inputs["term"].value = existing["term"]
        if existing["amount"] != existing["price"] - existing["down_payment"]:
            inputs["amount"].value = str(existing["amount"])
    draw_parties()
    draw_vehicle()
    method_changed()
    draw_quote()
    state["dirty"] = bool(existing)
    ui.timer(0.6, refresh_quote)


def _is_dealer(uow: UnitOfWork, actor: Actor) -> bool:
    """A dealer user's intake goes down as the dealer channel (the role decides, not a form field)."""
    try:
        return any(r.code == "dealer" for r in org.describe_me(uow, actor).roles)
    except DomainError:
        return False


def _load_draft(uow: UnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    application = service.get_application(uow, actor, application_id)

    def person(customer_id: int | None) -> dict[str, Any] | None:
        if customer_id is None:
            return None
        c = customers.get_customer(uow, actor, customer_id)
        return {"id": c.id, "name": c.name, "id_number": c.id_number_masked or "", "phone": c.phone_masked or ""}

    vehicle = next((v for v in data.vehicle_choices(uow, actor, application.vin) if v["id"] == application.vehicle_id),
                   {"id": application.vehicle_id, "vin": application.vin, "condition": "new", "powertrain": "ice",
                    "use": "self", "price": None, "maker": "", "plate": ""})
    return {
        "status": application.status, "version": application.version, "number": application.number,
        "applicant": person(application.applicant_id), "co_borrower": person(application.co_borrower_id),
        "guarantors": [p for p in (person(g) for g in application.guarantor_ids or []) if p],
        "vehicle": vehicle, "product_code": application.product_code, "price": application.price,
        "down_payment": application.down_payment, "amount": application.amount, "term": application.term,
        "method": application.method, "rate": application.rate, "balloon": application.balloon,
        "purpose": application.purpose,
    }
