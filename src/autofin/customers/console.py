"""Console pages of customers (客户管理): the list, a customer's file, new individuals and enterprises, duplicates
and merge, and the blacklist with second-person removal.

Every page calls ``customers.service`` only (through ``console.services``). Personal data is shown masked; "show
full" asks for a reason and calls ``reveal_customer`` / ``reveal_card``, which check the field group's permission
and write the audit row.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.audit.permissions import VIEW_AUDIT
from autofin.console import i18n
from autofin.console.frame import console_page
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
    fmt_time,
    form_dialog,
    section_title,
)
from autofin.customers import permissions as perm
from autofin.customers.schemas import BlacklistCreate, CardCreate, ContactCreate, CustomerCreate, CustomerUpdate
from autofin.db.uow import UnitOfWork
from autofin.documents.console import documents_panel
from autofin.kernel.actor import Actor

ID_TYPES = ("resident_id", "passport", "hk_macau_permit", "taiwan_permit")
MARITAL = ("single", "married", "divorced", "widowed")
RELATIONS = ("spouse", "parent", "child", "sibling", "relative", "colleague", "friend", "other")
BLACKLIST_KINDS = ("id_number", "phone", "uscc", "vin")
GROUPS: dict[str, tuple[str, ...]] = {
    "identity": ("id_type", "id_number", "birth_date", "gender", "region_code"),
    "contact": ("phone", "address"),
    "finance": ("employer", "occupation", "monthly_income", "registered_capital", "industry"),
    "credit": ("credit_score", "credit_summary"),
}


def register_pages() -> None:
    console_page("/customers", title_key="customers.list", permission=perm.CUSTOMER_VIEW, group="customers",
                 order=10, icon="people")(customers_page)
    console_page("/customers/detail", title_key="customers.detail", permission=perm.CUSTOMER_VIEW,
                 icon="person")(customer_detail_page)
    console_page("/customers/duplicates", title_key="customers.duplicates", permission=perm.CUSTOMER_MERGE,
                 group="customers", order=20, icon="call_merge")(duplicates_page)
    console_page("/customers/blacklist", title_key="customers.blacklist", permission=perm.BLACKLIST_VIEW,
                 group="customers", order=30, icon="block")(blacklist_page)


# ------------------------------------------------------------------------------------------------ helpers
def label_of(prefix: str, value: Any) -> str:
    """The translated name of a code (``customers.kind.individual``), or the code itself when there is none."""
    if value in (None, ""):
        return "—"
    key = f"{prefix}.{value}"
    return t(key) if key in i18n.MESSAGES else str(value)


def shown(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        return "；".join(f"{k}: {v}" for k, v in value.items())
    if hasattr(value, "isoformat"):
        return fmt_date(value)
    return str(value)


def query_int(name: str) -> int | None:
    """An integer query parameter of the current page (``/customers/detail?id=5``)."""
    try:
        raw = ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None
    return int(raw) if raw and raw.isdigit() else None


def _blank(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None, [])}


def simple_table(columns: list[tuple[str, str]], rows: list[dict[str, Any]], testid: str) -> ui.table:
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns],
        rows=rows,
        row_key="id",
    ).props(f'flat bordered dense hide-pagination data-testid="{testid}" no-data-label="{t("common.empty")}"')
    table.pagination = {"rowsPerPage": 0}
    return table.classes("w-full")


# ------------------------------------------------------------------------------------------------ list
def customer_rows(uow: UnitOfWork, actor: Actor, customers: list[Any]) -> list[dict[str, Any]]:
    tags = call("customers", "tags_of", uow, [c.id for c in customers])
    return [
        {
            "id": c.id, "name": c.name, "kind": label_of("customers.kind", c.kind),
            "id_number": c.id_number_masked, "phone": c.phone_masked or "—",
            "grade": c.grade_code or "—", "tags": "、".join(tags.get(c.id, [])) or "—",
            "status": label_of("customers.status", c.status), "created": fmt_time(c.created_at),
        }
        for c in customers
    ]


def customers_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"kind": None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("customers", "list_customers", uow, actor, q=q, page=page, size=size, **filters)
            return customer_rows(uow, actor, rows), total

        return ctx.read(query, ([], 0))

    def toolbar() -> None:
        kind = ui.select(
            {"": t("common.all"), "individual": t("customers.kind.individual"),
             "enterprise": t("customers.kind.enterprise")},
            value="", label=t("customers.kind"),
        ).props("dense outlined options-dense").classes("w-32")

        def apply() -> None:
            filters["kind"] = kind.value or None
            table.page = 1
            table.refresh()

        kind.on_value_change(apply)
        if ctx.actor.can(perm.CUSTOMER_CREATE):
            ui.button(t("customers.new_individual"), icon="person_add",
                      on_click=lambda: new_individual(ctx, table.refresh)).props(
                'unelevated color=primary data-testid="customer-new-individual"')
            ui.button(t("customers.new_enterprise"), icon="domain_add",
                      on_click=lambda: new_enterprise(ctx, table.refresh)).props(
                'outline color=primary data-testid="customer-new-enterprise"')

    def open_detail(row: dict[str, Any]) -> None:
        ui.navigate.to(f"/customers/detail?id={row['id']}")

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("name", "customers.name"),
                Column("kind", "customers.kind"),
                Column("id_number", "customers.id_number"),
                Column("phone", "customers.phone"),
                Column("grade", "customers.grade"),
                Column("tags", "customers.tags"),
                Column("status", "common.status"),
                Column("created", "common.created_at"),
            ],
            fetch=fetch,
            actions=[RowAction("open", "common.details", open_detail, icon="open_in_new")],
            toolbar=toolbar,
            search_placeholder_key="customers.search_hint",
        )


def new_individual(ctx: PageContext, done: Any) -> None:
    fields = [
        FormField("name", "customers.name", required=True, max_length=100),
        FormField("id_type", "customers.id_type", kind="select", required=True, value="resident_id",
                  options={k: label_of("customers.id_type", k) for k in ID_TYPES}),
        FormField("id_number", "customers.id_number", required=True, max_length=40),
        FormField("phone", "customers.phone", required=True, max_length=24),
        FormField("address", "customers.address", max_length=300),
        FormField("marital_status", "customers.marital_status", kind="select",
                  options={k: label_of("customers.marital", k) for k in MARITAL}),
        FormField("education", "customers.education", max_length=24),
        FormField("employer", "customers.employer", max_length=200),
        FormField("occupation", "customers.occupation", max_length=100),
        FormField("monthly_income", "customers.monthly_income", hint="25000.00"),
    ]

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        body = _blank(values)
        created = ctx.call(
            lambda uow, a: call("customers", "create_customer", uow, a,
                                CustomerCreate(kind="individual", **body)).id,
            fields=inputs, success=t("common.saved"),
        )
        if created:
            done()
        return bool(created)

    form_dialog(t("customers.new_individual"), fields, submit, width="40rem")


def new_enterprise(ctx: PageContext, done: Any) -> None:
    fields = [
        FormField("name", "customers.enterprise_name", required=True, max_length=100),
        FormField("uscc", "customers.uscc", required=True, max_length=24),
        FormField("legal_rep_id", "customers.legal_rep_id", kind="number"),
        FormField("registered_capital", "customers.registered_capital", hint="5000000.00"),
        FormField("industry", "customers.industry", max_length=100),
        FormField("phone", "customers.phone", max_length=24),
        FormField("address", "customers.address", max_length=300),
    ]
    if ctx.actor.can(perm.USCC_OVERRIDE):
        fields += [
            FormField("uscc_override", "customers.uscc_override", kind="switch"),
            FormField("override_reason", "customers.override_reason", kind="textarea", max_length=500),
        ]

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        body = _blank(values)
        if body.get("legal_rep_id") is not None:
            body["legal_rep_id"] = int(body["legal_rep_id"])
        if not body.get("uscc_override"):
            body.pop("uscc_override", None)
        created = ctx.call(
            lambda uow, a: call("customers", "create_customer", uow, a,
                                CustomerCreate(kind="enterprise", **body)).id,
            fields=inputs, success=t("common.saved"),
        )
        if created:
            done()
        return bool(created)

    form_dialog(t("customers.new_enterprise"), fields, submit, width="40rem")


# ------------------------------------------------------------------------------------------------ edit
EDITABLE: dict[str, tuple[str, ...]] = {
    "individual": ("name", "phone", "address", "marital_status", "education", "employer", "occupation",
                   "monthly_income"),
    "enterprise": ("name", "phone", "address", "industry", "registered_capital"),
}
KEPT_WHEN_BLANK = frozenset({"phone", "address"})  # shown masked: the form starts empty, empty keeps the value
FINANCE_FIELDS = frozenset(GROUPS["finance"])
EDIT_MAX_LENGTH = {"name": 100, "phone": 24, "address": 300, "education": 24, "employer": 200, "occupation": 100,
                   "industry": 100}


def editable_fields(view: dict[str, Any]) -> tuple[str, ...]:
    return EDITABLE.get(str(view.get("kind")), EDITABLE["individual"])


def edit_start_value(view: dict[str, Any], name: str) -> Any:
    """What the edit form shows first: the current value, or nothing for a masked one (phone, address, finance
    figures while the finance group is masked)."""
    if name in KEPT_WHEN_BLANK or (name in FINANCE_FIELDS and "finance" in view.get("masked", [])):
        return None
    value = view.get(name)
    return None if value is None else str(value)


def edit_changes(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The ``CustomerUpdate`` body of an edit form: the version the user saw and the fields that changed. An empty
    field keeps the stored value (masked values are never pre-filled, so empty means "unchanged")."""
    body: dict[str, Any] = {"version": view["version"]}
    for name in editable_fields(view):
        value = values.get(name)
        if value in (None, ""):
            continue
        if edit_start_value(view, name) == str(value):
            continue
        body[name] = value
    return body


# ------------------------------------------------------------------------------------------------ detail
def _load(uow: UnitOfWork, actor: Actor, customer_id: int) -> dict[str, Any]:
    customer = call("customers", "get_customer", uow, actor, customer_id)
    tags = call("customers", "tags_of", uow, [customer.id]).get(customer.id, [])
    view: dict[str, Any] = call("customers", "customer_view", uow, customer, tags=tags)
    return view


def customer_detail_page(ctx: PageContext) -> None:
    requested = query_int("id")
    view = ctx.read(lambda uow, a: _load(uow, a, requested), None) if requested else None
    if view is None or requested is None:
        ui.label(t("customers.not_found")).classes("text-negative")
        ui.link(t("customers.back_to_list"), "/customers")
        return
    customer_id: int = requested
    state: dict[str, Any] = {"view": view}

    with ui.row().classes("w-full items-center gap-3"):
        ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/customers")).props("flat round dense")
        name_label = ui.label(view["name"]).classes("text-h6").props('data-testid="customer-name"')
        ui.badge(label_of("customers.kind", view["kind"]), color="primary").props("outline")
        ui.badge(label_of("customers.status", view["status"]), color="positive" if view["status"] == "active"
                 else "grey")
        ui.space()
        if ctx.actor.can(perm.CUSTOMER_UPDATE) and view["status"] == "active":
            ui.button(t("customers.edit"), icon="edit", on_click=lambda: edit()).props(
                'flat dense no-caps data-testid="customer-edit"')

    @ui.refreshable
    def profile() -> None:
        current = state["view"]
        with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-2 gap-4"):
            for group, names in GROUPS.items():
                masked = group in current.get("masked", [])
                with ui.card().classes("w-full").props(f'flat bordered data-group="{group}"'):
                    with ui.row().classes("w-full items-center no-wrap gap-2"):
                        section_title(t(f"customers.group.{group}"))
                        ui.space()
                        if masked:
                            ui.badge(t("customers.masked"), color="grey-6").props("outline")
                            if ctx.actor.can(perm.PII_GROUPS[group]):
                                ui.button(t("customers.show_full"), icon="visibility",
                                          on_click=lambda g=group: reveal(g)).props(
                                    f'flat dense no-caps size=sm color=primary data-testid="reveal-{group}"')
                        else:
                            ui.badge(t("customers.revealed"), color="accent")
                    with ui.grid(columns="8rem 1fr").classes("gap-y-1 gap-x-2 w-full"):
                        for name in names:
                            if name not in current and name != "id_type":
                                continue
                            value = current.get(name)
                            if name == "id_type":
                                value = label_of("customers.id_type", value)
                            elif name == "gender":
                                value = label_of("customers.gender", value)
                            ui.label(t(f"customers.{name}")).classes("text-grey-7")
                            ui.label(shown(value)).classes("break-all").props(f'data-testid="field-{name}"')

    def reveal(group: str) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            result = ctx.call(
                lambda uow, a: call("customers", "reveal_customer", uow, a, customer_id, [group], values["reason"]),
                fields=inputs,
            )
            if result:
                merged = dict(state["view"])
                merged.update({k: v for k, v in result.items() if k in GROUPS[group]})
                merged["masked"] = [g for g in state["view"]["masked"] if g != group]
                state["view"] = merged
                profile.refresh()
            return bool(result)

        form_dialog(
            t("customers.reveal_title", group=t(f"customers.group.{group}")),
            [FormField("reason", "customers.reason", kind="textarea", required=True, max_length=500,
                       hint_key="customers.reason_hint")],
            submit, submit_key="customers.show_full",
            intro=t("customers.reveal_intro"),
        )

    def edit() -> None:
        current = state["view"]
        fields = []
        for name in editable_fields(current):
            start = edit_start_value(current, name)
            hint = None
            if start is None and current.get(name) not in (None, ""):
                hint = t("customers.edit_keep_hint", current=shown(current.get(name)))
            elif start is None and (name in KEPT_WHEN_BLANK or name in FINANCE_FIELDS):
                hint = t("customers.edit_blank_hint")
            if name == "marital_status":
                fields.append(FormField(name, "customers.marital_status", kind="select", value=start,
                                        options={k: label_of("customers.marital", k) for k in MARITAL}))
                continue
            label_key = "customers.enterprise_name" if name == "name" and current["kind"] == "enterprise" else (
                f"customers.{name}")
            fields.append(FormField(name, label_key, value=start, hint=hint, required=name == "name",
                                    max_length=EDIT_MAX_LENGTH.get(name)))

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            body = edit_changes(state["view"], values)
            if len(body) == 1:  # nothing changed
                return True
            fresh = ctx.call(
                lambda uow, a: (call("customers", "update_customer", uow, a, customer_id, CustomerUpdate(**body)),
                                _load(uow, a, customer_id))[1],
                fields=inputs, success=t("common.saved"),
            )
            if fresh is None:
                return False
            state["view"] = fresh  # masked again: revealing is per look, with its reason
            name_label.text = fresh["name"]
            profile.refresh()
            return True

        form_dialog(t("customers.edit_title"), fields, submit, width="40rem",
                    intro=t("customers.edit_intro"))

    profile()
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.column().classes("flex-1 min-w-[24rem] gap-4"):
            contacts_card(ctx, customer_id)
            if ctx.actor.can(perm.CARD_VIEW):
                cards_card(ctx, customer_id)
        with ui.column().classes("flex-1 min-w-[24rem] gap-4"):
            tags_card(ctx, customer_id, state)
    documents_panel(ctx, "customer", customer_id, default_kind="id_photo")
    if ctx.actor.can(VIEW_AUDIT):
        history_card(ctx, customer_id)


def contacts_card(ctx: PageContext, customer_id: int) -> None:
    @ui.refreshable
    def body() -> None:
        rows = ctx.read(
            lambda uow, a: [
                {**call("customers", "contact_view", c), "relation": label_of("customers.relation", c.relation),
                 "consent": t("common.yes") if c.consent else t("common.no")}
                for c in call("customers", "list_contacts", uow, a, customer_id)
            ],
            [],
        )
        simple_table([("name", "customers.contact_name"), ("relation", "customers.relation"),
                      ("phone", "customers.phone"), ("consent", "customers.consent")], rows, "contacts")

    def add() -> None:
        fields = [
            FormField("name", "customers.contact_name", required=True, max_length=100),
            FormField("relation", "customers.relation", kind="select", required=True,
                      options={r: label_of("customers.relation", r) for r in RELATIONS}),
            FormField("phone", "customers.phone", required=True, max_length=24),
            FormField("consent", "customers.consent", kind="switch"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, a: call("customers", "add_contact", uow, a, customer_id,
                                                ContactCreate(**values)).id,
                            fields=inputs, success=t("common.saved"))
            if done:
                body.refresh()
            return bool(done)

        form_dialog(t("customers.add_contact"), fields, submit)

    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("w-full items-center"):
            section_title(t("customers.contacts"))
            ui.space()
            if ctx.actor.can(perm.CUSTOMER_UPDATE):
                ui.button(t("customers.add_contact"), icon="add", on_click=add).props("flat dense no-caps")
        body()


def cards_card(ctx: PageContext, customer_id: int) -> None:
    can_reveal = ctx.actor.can(perm.CARD_REVEAL)

    @ui.refreshable
    def body() -> None:
        rows = ctx.read(
            lambda uow, a: [call("customers", "card_view", c)
                            for c in call("customers", "list_cards", uow, a, customer_id)],
            [],
        )
        with ui.column().classes("w-full gap-1"):
            if not rows:
                ui.label(t("common.empty")).classes("text-grey-6")
            for row in rows:
                with ui.row().classes("w-full items-center gap-3 no-wrap"):
                    ui.icon("credit_card", color="primary")
                    number = ui.label(row["masked_number"]).classes("text-mono").props(
                        f'data-testid="card-{row["id"]}"')
                    ui.label(f"{row['bank_name'] or '—'} · {row['holder_name']}").classes("text-grey-7")
                    ui.space()
                    if can_reveal:
                        ui.button(t("customers.show_full"), icon="visibility",
                                  on_click=lambda r=row, n=number: reveal(r, n)).props(
                            "flat dense no-caps size=sm")

    def reveal(row: dict[str, Any], target: ui.label) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            number = ctx.call(lambda uow, a: call("customers", "reveal_card", uow, a, row["id"], values["reason"]),
                              fields=inputs)
            if number:
                target.text = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
            return bool(number)

        form_dialog(t("customers.reveal_card"),
                    [FormField("reason", "customers.reason", kind="textarea", required=True, max_length=500,
                               hint_key="customers.reason_hint")],
                    submit, submit_key="customers.show_full")

    def add() -> None:
        fields = [FormField("card_number", "customers.card_number", required=True, max_length=30),
                  FormField("holder_name", "customers.holder_name", required=True, max_length=100)]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, a: call("customers", "add_card", uow, a, customer_id,
                                                CardCreate(**values)).id,
                            fields=inputs, success=t("common.saved"))
            if done:
                body.refresh()
            return bool(done)

        form_dialog(t("customers.add_card"), fields, submit)

    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("w-full items-center"):
            section_title(t("customers.cards"))
            ui.space()
            if ctx.actor.can(perm.CARD_MANAGE):
                ui.button(t("customers.add_card"), icon="add", on_click=add).props("flat dense no-caps")
        body()


def tags_card(ctx: PageContext, customer_id: int, state: dict[str, Any]) -> None:
    can_tag = ctx.actor.can(perm.CUSTOMER_UPDATE)
    all_tags: dict[str, str] = ctx.read(
        lambda uow, a: {tag.code: tag.name for tag in call("customers", "list_tags", uow, a)}, {}
    )
    grades: dict[str, str] = ctx.read(
        lambda uow, a: {g.code: i18n.pick(g.name_zh, g.name_en) for g in call("customers", "list_grades", uow, a)},
        {},
    )

    @ui.refreshable
    def body() -> None:
        view = state["view"]
        with ui.row().classes("items-center gap-2"):
            ui.label(t("customers.grade")).classes("text-grey-7")
            grade = view.get("grade_code")
            ui.badge(grades.get(grade, grade) if grade else t("customers.no_grade"),
                     color="accent" if grade else "grey").props('data-testid="customer-grade"')
            if ctx.actor.can(perm.GRADE_MANAGE):
                ui.button(t("customers.evaluate_grade"), icon="auto_awesome", on_click=evaluate).props(
                    "flat dense no-caps size=sm")
        with ui.row().classes("items-center gap-1"):
            ui.label(t("customers.tags")).classes("text-grey-7 q-mr-sm")
            for code in view.get("tags", []):
                chip = ui.chip(all_tags.get(code, code), removable=can_tag, color="blue-1")
                chip.on("remove", lambda _e, c=code: untag(c))
            if not view.get("tags"):
                ui.label("—").classes("text-grey-6")
        if can_tag and all_tags:
            choice = ui.select({c: n for c, n in all_tags.items() if c not in view.get("tags", [])},
                               label=t("customers.add_tag")).props("dense outlined options-dense").classes("w-48")
            choice.on_value_change(lambda e: tag(e.value) if e.value else None)

    def _apply(tags: list[str] | None) -> None:
        if tags is not None:
            state["view"] = {**state["view"], "tags": tags}
            body.refresh()

    def tag(code: str) -> None:
        _apply(ctx.call(lambda uow, a: call("customers", "tag_customer", uow, a, customer_id, code)))

    def untag(code: str) -> None:
        _apply(ctx.call(lambda uow, a: call("customers", "untag_customer", uow, a, customer_id, code)))

    def evaluate() -> None:
        code = ctx.call(lambda uow, a: call("customers", "assign_grade", uow, a, customer_id).grade_code or "",
                        success=t("common.done"))
        if code is not None:
            state["view"] = {**state["view"], "grade_code": code or None}
            body.refresh()

    with ui.card().classes("w-full").props("flat bordered"):
        section_title(t("customers.tags_and_grade"))
        body()


def history_card(ctx: PageContext, customer_id: int) -> None:
    rows = ctx.read(
        lambda uow, a: [
            {"id": e.id, "time": fmt_time(e.occurred_at), "actor": e.actor_name, "action": e.action}
            for e in call("audit", "list_events", uow, a, entity_type="customer", entity_id=str(customer_id),
                          size=20)[0]
        ],
        [],
    )
    with ui.expansion(t("customers.audit_history"), icon="history").classes("w-full").props(
        'data-testid="customer-history"'
    ):
        simple_table([("time", "customers.when"), ("actor", "customers.who"), ("action", "customers.action")],
                     rows, "customer-history-table")
        ui.link(t("customers.all_audit"), "/audit/events").classes("text-sm")


# ------------------------------------------------------------------------------------------------ duplicates
def duplicates_page(ctx: PageContext) -> None:
    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            groups = call("customers", "possible_duplicates", uow, a)
            rows = [
                {"id": i, "reason": t(f"customers.duplicate.{g.reason}"), "ids": list(g.customer_ids),
                 "names": list(g.names),
                 "customers": "、".join(f"{n}（#{c}）" for c, n in zip(g.customer_ids, g.names, strict=False))}
                for i, g in enumerate(groups, start=1)
            ]
            return rows[(page - 1) * size: page * size], len(rows)

        return ctx.read(query, ([], 0))

    def merge(row: dict[str, Any]) -> None:
        options = {c: f"{n}（#{c}）" for c, n in zip(row["ids"], row["names"], strict=False)}
        fields = [
            FormField("keep_id", "customers.merge_keep", kind="select", options=options, required=True,
                      value=row["ids"][0]),
            FormField("duplicate_id", "customers.merge_duplicate", kind="select", options=options, required=True,
                      value=row["ids"][1] if len(row["ids"]) > 1 else None),
            FormField("reason", "customers.reason", kind="textarea", required=True, max_length=500),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, a: call("customers", "merge_customers", uow, a, int(values["keep_id"]),
                                    int(values["duplicate_id"]), values["reason"]).id,
                fields=inputs, success=t("customers.merged"),
            )
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("customers.merge"), fields, submit, submit_key="customers.merge",
                    intro=t("customers.merge_intro"))

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[Column("reason", "customers.duplicate_reason"), Column("customers", "customers.list")],
            fetch=fetch,
            actions=[RowAction("merge", "customers.merge", merge, icon="call_merge")],
            searchable=False,
        )


# ------------------------------------------------------------------------------------------------ blacklist
def blacklist_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"status": None}
    me = ctx.actor.username

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("customers", "list_blacklist", uow, a, page=page, size=size, **filters)
            return [
                {
                    "id": e.id, "kind": label_of("customers.blacklist.kind", e.kind), "value": e.value_masked,
                    "reason": e.reason, "source": e.source, "expires": fmt_time(e.expires_at) or "—",
                    "author": e.author_name, "status_code": e.status,
                    "status": label_of("customers.blacklist.status", e.status),
                    "removal": (f"{e.removal_requested_by_name}：{e.removal_reason}"
                                if e.removal_requested_by_name else "—"),
                    "own_request": e.removal_requested_by_name == me, "version": e.version,
                }
                for e in rows
            ], total

        return ctx.read(query, ([], 0))

    def add() -> None:
        fields = [
            FormField("kind", "customers.blacklist.kind", kind="select", required=True, value="id_number",
                      options={k: label_of("customers.blacklist.kind", k) for k in BLACKLIST_KINDS}),
            FormField("value", "customers.blacklist.value", required=True, max_length=40),
            FormField("reason", "customers.reason", kind="textarea", required=True, max_length=500),
            FormField("source", "customers.blacklist.source", value="manual", max_length=64),
            FormField("expires_at", "customers.blacklist.expires", kind="date"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            body: dict[str, Any] = {values["kind"]: values["value"], "reason": values["reason"],
                                    "source": values["source"] or "manual"}
            if values["expires_at"]:
                body["expires_at"] = f"{values['expires_at']}T23:59:59+08:00"
            mapped = {**inputs, **{k: inputs["value"] for k in BLACKLIST_KINDS}}
            done = ctx.call(lambda uow, a: call("customers", "add_blacklist_entry", uow, a,
                                                BlacklistCreate(**body)).id,
                            fields=mapped, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("customers.blacklist.add"), fields, submit, width="36rem")

    def request_removal(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, a: call("customers", "request_blacklist_removal", uow, a, row["id"],
                                                values["reason"]).id,
                            fields=inputs, success=t("customers.blacklist.requested"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("customers.blacklist.request_removal"),
                    [FormField("reason", "customers.reason", kind="textarea", required=True, max_length=500)],
                    submit, intro=t("customers.blacklist.second_person"))

    def decide(row: dict[str, Any], approve: bool) -> None:
        def go() -> None:
            if ctx.call(lambda uow, a: call("customers", "decide_blacklist_removal", uow, a, row["id"],
                                            approve=approve).id,
                        success=t("common.done")):
                table.refresh()

        key = "customers.blacklist.approve_q" if approve else "customers.blacklist.reject_q"
        confirm(t(key, value=row["value"]), go, danger=approve)

    actions: list[RowAction] = []
    if ctx.actor.can(perm.BLACKLIST_MANAGE):
        actions.append(RowAction("request", "customers.blacklist.request_removal", request_removal,
                                 icon="playlist_remove", when="row.status_code === 'active'"))
    if ctx.actor.can(perm.BLACKLIST_APPROVE):
        actions.append(RowAction("approve", "customers.blacklist.approve", lambda r: decide(r, True),
                                 icon="check", color="negative",
                                 when="row.status_code === 'removal_requested' && !row.own_request"))
        actions.append(RowAction("reject", "customers.blacklist.reject", lambda r: decide(r, False),
                                 icon="undo", when="row.status_code === 'removal_requested' && !row.own_request"))

    def toolbar() -> None:
        status = ui.select(
            {"": t("common.all"), **{s: label_of("customers.blacklist.status", s)
                                     for s in ("active", "removal_requested", "removed")}},
            value="", label=t("common.status"),
        ).props("dense outlined options-dense").classes("w-36")

        def apply() -> None:
            filters["status"] = status.value or None
            table.page = 1
            table.refresh()

        status.on_value_change(apply)
        if ctx.actor.can(perm.BLACKLIST_MANAGE):
            ui.button(t("customers.blacklist.add"), icon="add", on_click=add).props(
                'unelevated color=negative data-testid="blacklist-add"')

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("kind", "customers.blacklist.kind"),
                Column("value", "customers.blacklist.value"),
                Column("reason", "customers.reason"),
                Column("source", "customers.blacklist.source"),
                Column("expires", "customers.blacklist.expires"),
                Column("author", "customers.blacklist.author"),
                Column("status", "common.status"),
                Column("removal", "customers.blacklist.removal"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
            searchable=False,
        )
