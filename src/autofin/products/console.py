"""Console pages of loan products (贷款产品): the list, a product with its versions, fees and LTV caps, a live quote
with its schedule and chart, and the LTV cap table.

Every page calls ``products.service`` only (through ``console.services``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import ui

from autofin.console.frame import PRIMARY, console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import (
    Column,
    DataTable,
    FormField,
    RowAction,
    confirm,
    fmt_date,
    form_dialog,
    section_title,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import invalid
from autofin.products import permissions as perm
from autofin.products.schemas import ProductCreate, QuoteRequest, VersionFields

METHODS = ("annuity", "equal_principal", "flat", "interest_only", "balloon")
TERMS = (6, 12, 18, 24, 36, 48, 60)
VERSION_FIELDS = tuple(VersionFields.model_fields)


def register_pages() -> None:
    console_page("/products", title_key="products.list", permission=perm.PRODUCT_VIEW, group="products",
                 order=10, icon="inventory_2")(products_page)
    console_page("/products/detail", title_key="products.detail", permission=perm.PRODUCT_VIEW,
                 icon="request_quote")(product_detail_page)
    console_page("/products/ltv-caps", title_key="products.ltv_caps", permission=perm.PRODUCT_VIEW,
                 group="products", order=20, icon="table_chart")(ltv_caps_page)


# ------------------------------------------------------------------------------------------------ helpers
def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{format(Decimal(str(value)).normalize(), 'f')}%"


def money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def parse_money(value: Any, field: str) -> Decimal:
    """A form's amount as a Decimal (commas and spaces allowed), or a field error naming ``field``."""
    text = str(value if value is not None else "").replace(",", "").replace("，", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise invalid(field, "Enter an amount such as 150000.00.", "请输入金额，例如 150000.00。",
                      "products.quote.amount") from None
    if not amount.is_finite():
        raise invalid(field, "Enter an amount such as 150000.00.", "请输入金额，例如 150000.00。",
                      "products.quote.amount")
    return amount


def schedule_chart_options(lines: list[dict[str, Any]], principal_label: str, interest_label: str) -> dict[str, Any]:
    """ECharts options: principal and interest of each installment as stacked bars (amounts stay decimal strings)."""
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [principal_label, interest_label], "top": 0, "right": 10},
        "grid": {"left": 60, "right": 20, "top": 36, "bottom": 30},
        "xAxis": {"type": "category", "data": [str(line["number"]) for line in lines]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": principal_label, "type": "bar", "stack": "p", "itemStyle": {"color": PRIMARY},
             "data": [str(line["principal"]) for line in lines]},
            {"name": interest_label, "type": "bar", "stack": "p", "itemStyle": {"color": "#e8a33d"},
             "data": [str(line["interest"]) for line in lines]},
        ],
    }


def _code() -> str | None:
    try:
        raw = ui.context.client.request.query_params.get("code")
    except (AttributeError, RuntimeError):
        return None
    return raw.strip().upper()[:32] if raw else None


def _version_row(v: Any) -> dict[str, Any]:
    return {
        "id": v.id, "number": v.number, "status_code": v.status, "status": t(f"products.status.{v.status}"),
        "name": v.name, "methods": "、".join(t(f"products.method.{m}") for m in v.methods),
        "terms": "、".join(str(x) for x in v.terms), "rates": f"{pct(v.rate_min)} – {pct(v.rate_max)}",
        "rate_default": pct(v.rate_default), "down": pct(v.min_down_payment_percent),
        "activated": fmt_date(v.activated_at) or "—", "retired": fmt_date(v.retired_at) or "—",
        "fees": list(v.fees or []), "method_codes": list(v.methods), "term_values": list(v.terms),
        "fields": {name: getattr(v, name) for name in VERSION_FIELDS if hasattr(v, name)},
    }


# ------------------------------------------------------------------------------------------------ list
def products_page(ctx: PageContext) -> None:
    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("products", "list_products", uow, a, q=q, page=page, size=size)
            shown = []
            for product in rows:
                active = call("products", "active_version", uow, product)
                versions = call("products", "versions_of", uow, product)
                shown.append({
                    "id": product.id, "code": product.code, "name": product.name,
                    "active": f"v{active.number}" if active else t("products.no_active"),
                    "versions": len(versions),
                    "rate": pct(active.rate_default) if active else "—",
                    "terms": "、".join(str(x) for x in active.terms) if active else "—",
                })
            return shown, total

        return ctx.read(query, ([], 0))

    def create() -> None:
        fields = [
            FormField("code", "products.code", required=True, max_length=32, hint="NEW_CAR_2026"),
            FormField("product_name", "products.name", required=True, max_length=100),
            FormField("conditions", "products.conditions", kind="multiselect", value=["new"],
                      options={c: t(f"products.condition.{c}") for c in ("new", "used")}),
            FormField("methods", "products.methods", kind="multiselect", value=["annuity"],
                      options={m: t(f"products.method.{m}") for m in METHODS}),
            FormField("terms", "products.terms", kind="multiselect", value=[12, 24, 36],
                      options={n: str(n) for n in TERMS}),
            FormField("max_term", "products.max_term", kind="number", value=36),
            FormField("rate_min", "products.rate_min", value="3"),
            FormField("rate_max", "products.rate_max", value="12"),
            FormField("rate_default", "products.rate_default", value="6"),
            FormField("min_down_payment_percent", "products.min_down", value="20"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            body = {k: v for k, v in values.items() if v not in ("", None, [])}
            if "max_term" in body:
                body["max_term"] = int(body["max_term"])
            done = ctx.call(lambda uow, a: call("products", "create_product", uow, a, ProductCreate(**body)).code,
                            fields=inputs, success=t("common.saved"))
            if done:
                ui.navigate.to(f"/products/detail?code={done}")
            return bool(done)

        form_dialog(t("products.new"), fields, submit, width="40rem")

    def toolbar() -> None:
        if ctx.actor.can(perm.PRODUCT_MANAGE):
            ui.button(t("products.new"), icon="add", on_click=create).props("unelevated color=primary")

    with ui.card().classes("w-full").props("flat bordered"):
        DataTable(
            columns=[
                Column("code", "products.code"),
                Column("name", "products.name"),
                Column("active", "products.active_version"),
                Column("versions", "products.version_count", align="right"),
                Column("rate", "products.rate_default", align="right"),
                Column("terms", "products.terms"),
            ],
            fetch=fetch,
            actions=[RowAction("open", "common.details", lambda r: ui.navigate.to(f"/products/detail?code={r['code']}"),
                               icon="open_in_new")],
            toolbar=toolbar,
        )


# ------------------------------------------------------------------------------------------------ detail
def _load(uow: UnitOfWork, a: Actor, code: str) -> dict[str, Any]:
    product = call("products", "get_product", uow, a, code)
    versions = [_version_row(v) for v in call("products", "versions_of", uow, product)]
    return {"code": product.code, "name": product.name, "versions": versions}


def product_detail_page(ctx: PageContext) -> None:
    requested = _code()
    data = ctx.read(lambda uow, a: _load(uow, a, requested), None) if requested else None
    if data is None or requested is None:
        ui.label(t("products.not_found")).classes("text-negative")
        ui.link(t("products.back_to_list"), "/products")
        return
    code: str = requested
    state: dict[str, Any] = {"data": data}

    def active() -> dict[str, Any] | None:
        return next((v for v in state["data"]["versions"] if v["status_code"] == "active"), None)

    def reload() -> None:
        fresh = ctx.read(lambda uow, a: _load(uow, a, code), None)
        if fresh is not None:
            state["data"] = fresh
            versions.refresh()
            fees.refresh()
            quote_form.refresh()

    with ui.row().classes("w-full items-center gap-3"):
        ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/products")).props("flat round dense")
        ui.label(f"{data['name']}（{data['code']}）").classes("text-h6").props('data-testid="product-title"')

    @ui.refreshable
    def versions() -> None:
        rows = state["data"]["versions"]
        can_publish = ctx.actor.can(perm.PRODUCT_PUBLISH)
        can_manage = ctx.actor.can(perm.PRODUCT_MANAGE)
        columns = [("number", "products.version_number"), ("status", "common.status"), ("name", "products.name"),
                   ("methods", "products.methods"), ("terms", "products.terms"), ("rates", "products.rate_range"),
                   ("rate_default", "products.rate_default"), ("down", "products.min_down"),
                   ("activated", "products.activated"), ("retired", "products.retired")]
        table = ui.table(
            columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns]
            + [{"name": "_actions", "label": t("common.actions"), "field": "_actions", "align": "left"}],
            rows=rows, row_key="id",
        ).props('flat bordered dense hide-pagination data-testid="product-versions"').classes("w-full")
        table.pagination = {"rowsPerPage": 0}
        buttons = []
        if can_publish:
            buttons.append(
                '<q-btn v-if="props.row.status_code === \'draft\'" flat dense no-caps size="sm" color="positive" '
                f'label="{t("products.activate")}" @click="() => $parent.$emit(\'activate\', props.row.number)" />'
            )
            buttons.append(
                '<q-btn v-if="props.row.status_code === \'active\'" flat dense no-caps size="sm" color="negative" '
                f'label="{t("products.retire")}" @click="() => $parent.$emit(\'retire\', props.row.number)" />'
            )
        if can_manage:
            buttons.append(
                f'<q-btn flat dense no-caps size="sm" color="primary" label="{t("products.new_draft")}" '
                "@click=\"() => $parent.$emit('draft', props.row.number)\" />"
            )
        table.add_slot("body-cell-_actions", '<q-td :props="props">' + "".join(buttons) + "</q-td>")
        table.on("activate", lambda e: step("activate_version", int(e.args)))
        table.on("retire", lambda e: step("retire_version", int(e.args)))
        table.on("draft", lambda e: draft(int(e.args)))

    def step(function: str, number: int) -> None:
        def go() -> None:
            if ctx.call(lambda uow, a: call("products", function, uow, a, code, number).number,
                        success=t("common.done")):
                reload()

        key = "products.activate_q" if function == "activate_version" else "products.retire_q"
        confirm(t(key, number=number), go, danger=function == "retire_version")

    def draft(number: int) -> None:
        source = next(v for v in state["data"]["versions"] if v["number"] == number)
        fields = {k: v for k, v in source["fields"].items() if v is not None}

        def go() -> None:
            if ctx.call(lambda uow, a: call("products", "create_version", uow, a, code,
                                            VersionFields(**fields)).number,
                        success=t("products.draft_created")):
                reload()

        confirm(t("products.new_draft_q", number=number), go)

    @ui.refreshable
    def fees() -> None:
        current = active()
        rows = [
            {"id": i, "name": f.get("name"),
             "amount": money(f["amount"]) if f.get("amount") is not None else pct(f.get("percent")),
             "timing": t(f"products.fee.timing.{f.get('timing', 'upfront')}"),
             "treatment": t(f"products.fee.treatment.{f.get('treatment', 'paid')}")}
            for i, f in enumerate((current or {}).get("fees", []), start=1)
        ]
        table = ui.table(
            columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in (
                ("name", "products.fee.name"), ("amount", "products.fee.amount"),
                ("timing", "products.fee.timing"), ("treatment", "products.fee.treatment"))],
            rows=rows, row_key="id",
        ).props(f'flat bordered dense hide-pagination no-data-label="{t("products.no_fees")}"').classes("w-full")
        table.pagination = {"rowsPerPage": 0}

    with ui.card().classes("w-full").props("flat bordered"):
        section_title(t("products.versions"))
        versions()
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("flex-1 min-w-[22rem]").props("flat bordered"):
            section_title(t("products.fees"))
            fees()
        with ui.card().classes("flex-1 min-w-[22rem]").props("flat bordered"):
            section_title(t("products.ltv_caps"))
            ltv_table(ctx, dense=True)

    @ui.refreshable
    def quote_form() -> None:
        if not ctx.actor.can(perm.PRODUCT_QUOTE):
            return
        current = active()
        with ui.card().classes("w-full").props('flat bordered data-testid="quote-card"'):
            section_title(t("products.quote"))
            if current is None:
                ui.label(t("products.no_active_quote")).classes("text-grey-7")
                return
            quote_panel(ctx, code, current)

    quote_form()


def quote_panel(ctx: PageContext, code: str, version: dict[str, Any]) -> None:
    methods = {m: t(f"products.method.{m}") for m in version["method_codes"]}
    terms = {n: t("products.months", count=n) for n in version["term_values"]}
    with ui.row().classes("w-full gap-3 items-start"):
        price = ui.input(t("products.price"), value="150000.00").props(
            'outlined dense data-field="price"').classes("w-40")
        down = ui.input(t("products.down_payment"), value="45000.00").props(
            'outlined dense data-field="down_payment"').classes("w-40")
        term = ui.select(terms, value=version["term_values"][-1], label=t("products.term")).props(
            'outlined dense data-field="term"').classes("w-32")
        method = ui.select(methods, value=version["method_codes"][0], label=t("products.method")).props(
            'outlined dense data-field="method"').classes("w-40")
        rate = ui.input(t("products.rate"), placeholder=pct(version["fields"].get("rate_default"))).props(
            'outlined dense data-field="rate"').classes("w-28")
        balloon = ui.input(t("products.balloon")).props('outlined dense data-field="balloon"').classes("w-36")
        balloon.bind_visibility_from(method, "value", backward=lambda m: m == "balloon")
        ui.button(t("products.calculate"), icon="calculate", on_click=lambda: run()).props(
            'unelevated color=primary data-testid="quote-submit"').classes("q-mt-xs")
    inputs = {"price": price, "down_payment": down, "term": term, "method": method, "rate": rate, "balloon": balloon}
    result = ui.column().classes("w-full gap-3").props('data-testid="quote-result"')

    def run() -> None:
        def use_case(uow: UnitOfWork, a: Actor) -> Any:
            body: dict[str, Any] = {
                "price": parse_money(price.value, "price"),
                "down_payment": parse_money(down.value, "down_payment"),
                "term": int(term.value), "method": method.value,
            }
            if (rate.value or "").strip():
                body["rate"] = parse_money(rate.value, "rate")
            if method.value == "balloon" and (balloon.value or "").strip():
                body["balloon"] = parse_money(balloon.value, "balloon")
            return call("products", "quote", uow, a, code, QuoteRequest(**body))

        quote = ctx.call(use_case, fields=inputs)
        result.clear()
        if quote is None:
            return
        with result:
            show_quote(quote)

    run()


def show_quote(quote: Any) -> None:
    figures = [
        ("principal", t("products.principal"), money(quote.principal)),
        ("annual_rate", t("products.annual_rate"), pct(quote.annual_rate)),
        ("apr", t("products.annualised_rate"), pct(quote.annualized_rate_compound)),
        ("apr_simple", t("products.annualised_rate_simple"), pct(quote.annualized_rate_simple)),
        ("interest", t("products.total_interest"), money(quote.total_interest)),
        ("fees", t("products.total_fees"), money(quote.total_fees)),
        ("repayment", t("products.total_repayment"), money(quote.total_repayment)),
        ("ltv", t("products.ltv"), f"{pct(quote.ltv_percent)} / {pct(quote.ltv_cap_percent)}"),
    ]
    with ui.element("div").classes("w-full grid grid-cols-2 md:grid-cols-4 gap-3"):
        for key, label, value in figures:
            with ui.card().classes("w-full q-pa-sm").props("flat bordered"):
                ui.label(label).classes("text-caption text-grey-7")
                ui.label(value).classes("text-subtitle1 text-weight-bold").props(f'data-quote="{key}"')
    principal_label, interest_label = t("products.principal"), t("products.interest")
    ui.echart(schedule_chart_options(quote.schedule, principal_label, interest_label)).classes("w-full h-64").props(
        'data-testid="quote-chart"'
    )
    rows = [
        {"id": line["number"], "number": line["number"], "due_date": fmt_date(line["due_date"]),
         "principal": money(line["principal"]), "interest": money(line["interest"]), "fees": money(line["fees"]),
         "total": money(line["total"]), "balance": money(line["balance"])}
        for line in quote.schedule
    ]
    columns = [("number", "products.installment"), ("due_date", "products.due_date"),
               ("principal", "products.principal"), ("interest", "products.interest"), ("fees", "products.fees"),
               ("total", "products.installment_total"), ("balance", "products.balance")]
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": "left" if n in ("number", "due_date") else "right"}
                 for n, k in columns],
        rows=rows, row_key="id",
    ).props('flat bordered dense hide-pagination data-testid="quote-schedule"').classes("w-full")
    table.pagination = {"rowsPerPage": 0}


# ------------------------------------------------------------------------------------------------ LTV caps
def ltv_table(ctx: PageContext, *, dense: bool = False) -> None:
    rows = ctx.read(
        lambda uow, a: [
            {"id": c.id, "use": t(f"products.use.{c.use}"), "powertrain": t(f"products.powertrain.{c.powertrain}"),
             "condition": t(f"products.condition.{c.condition}"), "from": fmt_date(c.effective_from),
             "to": fmt_date(c.effective_to) or t("products.open_ended"), "cap": pct(c.cap_percent),
             "source": c.source}
            for c in call("products", "list_ltv_caps", uow, a)
        ],
        [],
    )
    columns = [("use", "products.use"), ("powertrain", "products.powertrain"), ("condition", "products.condition"),
               ("from", "products.effective_from"), ("to", "products.effective_to"), ("cap", "products.ltv_cap")]
    if not dense:
        columns.append(("source", "products.source"))
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns], rows=rows, row_key="id",
    ).props('flat bordered dense hide-pagination data-testid="ltv-caps"').classes("w-full")
    table.pagination = {"rowsPerPage": 0}


def ltv_caps_page(ctx: PageContext) -> None:
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("products.ltv_caps_intro")).classes("text-grey-7")
        ltv_table(ctx)
