"""Console pages of loan products (贷款产品): the list, a product with its versions, fees and LTV caps, a live quote
with its schedule and chart, and the LTV cap table.

Every page calls ``products.service`` only (through ``console.services``).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.frame import PRIMARY, console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import (
    Column,
    DataTable,
    FormField,
    RowAction,
    build_input,
    confirm,
    fmt_date,
    form_dialog,
    form_values,
    missing_required,
    section_title,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import invalid
from autofin.products import permissions as perm
from autofin.products.schemas import LtvCapCreate, ProductCreate, QuoteRequest, VersionFields, VersionUpdate

METHODS = ("annuity", "equal_principal", "flat", "interest_only", "balloon")
TERMS = (6, 12, 18, 24, 36, 48, 60)
VERSION_FIELDS = tuple(VersionFields.model_fields)
ALLOCATION_ORDERS = ("default", "principal_first", "interest_first", "penalty_first")
FEE_TIMINGS = ("upfront", "at_disbursement", "per_installment")
FEE_TREATMENTS = ("paid", "financed")
INTEGER_FIELDS = ("max_term", "grace_days", "prepayment_after_months", "min_age", "max_age")
DECIMAL_FIELDS = ("rate_min", "rate_max", "rate_default", "penalty_rate", "prepayment_fee_percent",
                  "min_down_payment_percent", "max_ltv_percent", "max_balloon_percent")

# labels of the draft editor and the LTV cap editor (zh-CN, en), added to the console's table on import
i18n.MESSAGES.update({
    "products.edit_draft": ("编辑草稿", "Edit draft"),
    "products.edit_draft_title": ("编辑 {code} 草稿版本 v{number}", "Edit draft v{number} of {code}"),
    "products.read_only_hint": ("已生效或已停用的版本不可修改，如需调整请“新建草稿”。",
                                "Active and retired versions are read-only: create a new draft to change them."),
    "products.version_name": ("版本名称", "Version name"),
    "products.powertrains": ("动力类型", "Powertrains"),
    "products.uses": ("车辆用途", "Uses"),
    "products.penalty_rate": ("罚息年利率（%）", "Penalty rate (% p.a.)"),
    "products.grace_days": ("宽限期（天）", "Grace days"),
    "products.allocation_order": ("还款冲销顺序", "Allocation order"),
    "products.allocation.default": ("默认（费用-罚息-利息-本金）", "Default (fees, penalty, interest, principal)"),
    "products.allocation.principal_first": ("先本后息", "Principal first"),
    "products.allocation.interest_first": ("先息后本", "Interest first"),
    "products.allocation.penalty_first": ("先罚息", "Penalty first"),
    "products.prepayment_after": ("满N个月可提前还款", "Prepayment allowed after (months)"),
    "products.prepayment_fee": ("提前还款手续费（%）", "Prepayment fee (%)"),
    "products.max_ltv": ("本产品LTV上限（%）", "Product LTV cap (%)"),
    "products.max_balloon": ("最高尾款比例（%）", "Maximum balloon (%)"),
    "products.min_age": ("最低申请年龄", "Minimum age"),
    "products.max_age": ("最高申请年龄", "Maximum age"),
    "products.fee.basis": ("计费方式", "Basis"),
    "products.fee.basis.amount": ("固定金额", "Fixed amount"),
    "products.fee.basis.percent": ("本金百分比", "% of principal"),
    "products.fee.value": ("金额/比例", "Amount / percent"),
    "products.fee.add": ("添加费用", "Add fee"),
    "products.fee.remove": ("删除", "Remove"),
    "products.ltv_add": ("新增LTV上限", "Add LTV cap"),
    "products.ltv_cap_percent": ("上限（%）", "Cap (%)"),
    "products.lender_set": ("由本机构自定", "Set by the lender"),
    "products.ltv_reason": ("原因（补录历史日期时必填）", "Reason (required for a past date)"),
    "products.ltv_chart": ("LTV上限变化", "LTV caps over time"),
    "products.number_invalid": ("请输入数字", "Enter a number"),
})


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
        "version": v.version,
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
                '<q-btn v-if="props.row.status_code === \'draft\'" flat dense no-caps size="sm" color="primary" '
                f'icon="edit" label="{t("products.edit_draft")}" data-action="edit-draft" '
                "@click=\"() => $parent.$emit('edit', props.row.number)\" />"
            )
            buttons.append(
                f'<q-btn flat dense no-caps size="sm" color="primary" label="{t("products.new_draft")}" '
                "@click=\"() => $parent.$emit('draft', props.row.number)\" />"
            )
        table.add_slot("body-cell-_actions", '<q-td :props="props">' + "".join(buttons) + "</q-td>")
        table.on("activate", lambda e: step("activate_version", int(e.args)))
        table.on("retire", lambda e: step("retire_version", int(e.args)))
        table.on("draft", lambda e: draft(int(e.args)))
        table.on("edit", lambda e: edit_draft_dialog(
            ctx, code, next(v for v in state["data"]["versions"] if v["number"] == int(e.args)), reload))
        ui.label(t("products.read_only_hint")).classes("text-caption text-grey-6")

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


# ------------------------------------------------------------------------------------------------ draft editor
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return value


def draft_fields(fields: dict[str, Any]) -> list[FormField]:
    """The editable fields of a version, filled with its values."""
    def v(name: str) -> Any:
        value = fields.get(name)
        return "" if value is None else _plain(value)

    def choices(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
        return {c: t(f"{prefix}.{c}") for c in codes}

    return [
        FormField("name", "products.version_name", value=v("name"), max_length=100),
        FormField("conditions", "products.conditions", kind="multiselect", value=list(fields["conditions"]),
                  options=choices("products.condition", ("new", "used")), required=True),
        FormField("powertrains", "products.powertrains", kind="multiselect", value=list(fields["powertrains"]),
                  options=choices("products.powertrain", ("conventional", "nev")), required=True),
        FormField("uses", "products.uses", kind="multiselect", value=list(fields["uses"]),
                  options=choices("products.use", ("self", "commercial")), required=True),
        FormField("methods", "products.methods", kind="multiselect", value=list(fields["methods"]),
                  options=choices("products.method", METHODS), required=True),
        FormField("terms", "products.terms", kind="multiselect", value=list(fields["terms"]),
                  options={n: str(n) for n in sorted(set(TERMS) | set(fields["terms"]))}, required=True),
        FormField("max_term", "products.max_term", kind="number", value=fields["max_term"], required=True),
        FormField("rate_min", "products.rate_min", value=v("rate_min"), required=True),
        FormField("rate_max", "products.rate_max", value=v("rate_max"), required=True),
        FormField("rate_default", "products.rate_default", value=v("rate_default"), required=True),
        FormField("penalty_rate", "products.penalty_rate", value=v("penalty_rate"), required=True),
        FormField("grace_days", "products.grace_days", kind="number", value=fields["grace_days"], required=True),
        FormField("allocation_order", "products.allocation_order", kind="select", value=fields["allocation_order"],
                  options=choices("products.allocation", ALLOCATION_ORDERS), required=True),
        FormField("prepayment_after_months", "products.prepayment_after", kind="number",
                  value=fields["prepayment_after_months"], required=True),
        FormField("prepayment_fee_percent", "products.prepayment_fee", value=v("prepayment_fee_percent"),
                  required=True),
        FormField("min_down_payment_percent", "products.min_down", value=v("min_down_payment_percent"),
                  required=True),
        FormField("max_ltv_percent", "products.max_ltv", value=v("max_ltv_percent")),
        FormField("max_balloon_percent", "products.max_balloon", value=v("max_balloon_percent")),
        FormField("min_age", "products.min_age", kind="number", value=fields["min_age"], required=True),
        FormField("max_age", "products.max_age", kind="number", value=fields["max_age"], required=True),
    ]


def _number(value: Any, field: str, integer: bool = False) -> Any:
    text = str(value if value is not None else "").replace(",", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise invalid(field, "Enter a number.", "请输入数字。", "products.version.number") from None
    if not number.is_finite() or (integer and number != number.to_integral_value()):
        raise invalid(field, "Enter a whole number." if integer else "Enter a number.",
                      "请输入整数。" if integer else "请输入数字。", "products.version.number")
    return int(number) if integer else number


def version_update(values: dict[str, Any], fees: list[dict[str, Any]], version: int) -> VersionUpdate:
    """The form's values as a VersionUpdate (numbers parsed; a bad one is a field error naming it)."""
    body: dict[str, Any] = {"version": version}
    for name, value in values.items():
        if name in INTEGER_FIELDS:
            body[name] = _number(value, name, integer=True)
        elif name in DECIMAL_FIELDS:
            body[name] = None if value in ("", None) else _number(value, name)
        elif name == "terms":
            body[name] = [int(x) for x in value or []]
        else:
            body[name] = value if value != "" else None
    body["fees"] = []
    for index, fee in enumerate(fees):
        amount = _number(fee["value"], f"fees.{index}") if str(fee.get("value") or "").strip() else None
        body["fees"].append({
            "name": (fee.get("name") or "").strip(), "timing": fee["timing"], "treatment": fee["treatment"],
            "amount": amount if fee["basis"] == "amount" else None,
            "percent": amount if fee["basis"] == "percent" else None,
        })
    return VersionUpdate(**body)


def edit_draft_dialog(ctx: PageContext, code: str, row: dict[str, Any], done: Any) -> None:
    """Edit every field of a draft version, its fees included; the service refuses anything but a draft."""
    specs = draft_fields(row["fields"])
    fees: list[dict[str, Any]] = [
        {"name": f.get("name", ""), "basis": "amount" if f.get("amount") is not None else "percent",
         "value": _plain(Decimal(str(f["amount"] if f.get("amount") is not None else f.get("percent") or "0"))),
         "timing": f.get("timing", "upfront"), "treatment": f.get("treatment", "paid")}
        for f in row["fields"].get("fees") or []
    ]
    with ui.dialog() as dialog, ui.card().style("width: 60rem; max-width: 96vw").classes("gap-3").props(
            'data-testid="draft-editor"'):
        ui.label(t("products.edit_draft_title", code=code, number=row["number"])).classes("text-h6")
        inputs: dict[str, Any] = {}
        with ui.element("div").classes("w-full grid grid-cols-3 gap-2"):
            for spec in specs:
                inputs[spec.name] = build_input(spec)
        section_title(t("products.fees"))

        @ui.refreshable
        def fee_rows() -> None:
            for index, fee in enumerate(fees):
                with ui.row().classes("w-full items-center gap-2 no-wrap").props(f'data-fee="{index}"'):
                    ui.input(t("products.fee.name"), value=fee["name"]).bind_value(fee, "name").props(
                        'outlined dense data-field="fee-name"').classes("w-40")
                    ui.select({b: t(f"products.fee.basis.{b}") for b in ("amount", "percent")},
                              label=t("products.fee.basis")).bind_value(fee, "basis").props(
                        "outlined dense").classes("w-36")
                    ui.input(t("products.fee.value"), value=str(fee["value"])).bind_value(fee, "value").props(
                        'outlined dense data-field="fee-value"').classes("w-32")
                    ui.select({x: t(f"products.fee.timing.{x}") for x in FEE_TIMINGS},
                              label=t("products.fee.timing")).bind_value(fee, "timing").props(
                        "outlined dense").classes("w-36")
                    ui.select({x: t(f"products.fee.treatment.{x}") for x in FEE_TREATMENTS},
                              label=t("products.fee.treatment")).bind_value(fee, "treatment").props(
                        "outlined dense").classes("w-28")
                    ui.button(icon="delete", on_click=lambda i=index: (fees.pop(i), fee_rows.refresh())).props(
                        'flat round dense color=negative data-action="fee-remove"').tooltip(t("products.fee.remove"))

        fee_rows()

        def add_fee() -> None:
            fees.append({"name": "", "basis": "amount", "value": "", "timing": "upfront", "treatment": "paid"})
            fee_rows.refresh()

        ui.button(t("products.fee.add"), icon="add", on_click=add_fee).props(
            'flat dense no-caps data-testid="fee-add"')

        def submit() -> None:
            for element in inputs.values():
                element.error = None
            if missing_required(specs, inputs):
                return
            values = form_values(inputs)
            saved = ctx.call(lambda uow, a: call("products", "update_version", uow, a, code, row["number"],
                                                 version_update(values, fees, row["version"])).number,
                             fields=inputs, success=t("common.saved"))
            if saved:
                dialog.close()
                done()

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("common.save"), on_click=submit).props("unelevated color=primary data-testid=dialog-submit")
    dialog.open()


# ------------------------------------------------------------------------------------------------ LTV caps
def ltv_chart_options(caps: list[Any], label: Any) -> dict[str, Any]:
    """ECharts options: one step line per (use, powertrain, new/used) key, the cap in force over time."""
    series: dict[str, list[list[str]]] = {}
    today = utcnow().date()
    horizon = max([today, *(c.effective_from for c in caps)]) + timedelta(days=180)
    for cap in sorted(caps, key=lambda c: c.effective_from):
        points = series.setdefault(label(cap), [])
        value = format(Decimal(cap.cap_percent).normalize(), "f")
        points.append([cap.effective_from.isoformat(), value])
        points.append([(cap.effective_to or horizon).isoformat(), value])
    lowest = min((Decimal(c.cap_percent) for c in caps), default=Decimal(50))
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "value", "min": int(min(Decimal(50), lowest // 10 * 10)), "max": 100,
                  "axisLabel": {"formatter": "{value}%"}},
        "series": [{"name": name, "type": "line", "step": "end", "showSymbol": True, "data": points}
                   for name, points in series.items()],
    }


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
    def key_label(cap: Any) -> str:
        return (f"{t(f'products.use.{cap.use}')}·{t(f'products.powertrain.{cap.powertrain}')}"
                f"·{t(f'products.condition.{cap.condition}')}")

    @ui.refreshable
    def content() -> None:
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center"):
                ui.label(t("products.ltv_caps_intro")).classes("text-grey-7")
                ui.space()
                if ctx.actor.can(perm.LTV_MANAGE):
                    ui.button(t("products.ltv_add"), icon="add", on_click=add).props(
                        'unelevated color=primary data-testid="ltv-add"')
            ltv_table(ctx)
        caps = ctx.read(lambda uow, a: list(call("products", "list_ltv_caps", uow, a)), [])
        if caps:
            with ui.card().classes("w-full").props("flat bordered"):
                section_title(t("products.ltv_chart"))
                ui.echart(ltv_chart_options(caps, key_label)).classes("w-full h-72").props(
                    'data-testid="ltv-chart"')

    def add() -> None:
        fields = [
            FormField("use", "products.use", kind="select", required=True, value="self",
                      options={u: t(f"products.use.{u}") for u in ("self", "commercial")}),
            FormField("powertrain", "products.powertrain", kind="select", required=True, value="conventional",
                      options={p: t(f"products.powertrain.{p}") for p in ("conventional", "nev")}),
            FormField("condition", "products.condition", kind="select", required=True, value="new",
                      options={c: t(f"products.condition.{c}") for c in ("new", "used")}),
            FormField("effective_from", "products.effective_from", kind="date", required=True),
            FormField("cap_percent", "products.ltv_cap_percent", required=True, hint="80"),
            FormField("lender_set", "products.lender_set", kind="switch"),
            FormField("source", "products.source", required=True, max_length=200),
            FormField("reason", "products.ltv_reason", kind="textarea", max_length=500),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                body = {k: v for k, v in values.items() if v not in ("", None)}
                body["cap_percent"] = _number(values.get("cap_percent"), "cap_percent")
                return call("products", "add_ltv_cap", uow, a, LtvCapCreate(**body)).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                content.refresh()
            return bool(done)

        form_dialog(t("products.ltv_add"), fields, submit, width="36rem")

    content()
