"""Console pages of the platform: parameters (参数配置), data dictionary (数据字典), scheduled jobs (定时任务) with
their run logs, and the user's own notification inbox (站内消息). All through ``platform.service``."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import run, ui

from autofin.console import i18n
from autofin.console.frame import console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext, SessionEnded, end_session, show_domain_error
from autofin.console.widgets import Column, DataTable, FormField, RowAction, confirm, fmt_date, fmt_time, form_dialog
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.platform import permissions as perm
from autofin.platform.schemas import (
    DictionaryItemCreate,
    DictionaryItemUpdate,
    DictionaryTypeCreate,
    DictionaryTypeUpdate,
    ParameterChange,
    ParameterCreate,
)

VALUE_TYPES = ["string", "integer", "decimal", "boolean", "json", "date"]
SCOPES = {"global": ("全局", "Global"), "region": ("区域", "Region"), "product": ("产品", "Product"),
          "channel": ("渠道", "Channel")}
TRIGGERS = {"manual": ("手动", "Manual"), "scheduled": ("定时", "Scheduled")}
RUN_STATUS = {"running": ("运行中", "Running"), "succeeded": ("成功", "Succeeded"), "failed": ("失败", "Failed"),
              "skipped": ("已跳过", "Skipped")}


def register_pages() -> None:
    console_page("/platform/parameters", title_key="platform.parameters", permission=perm.VIEW_PARAMETERS,
                 group="system", order=20, icon="tune")(parameters_page)
    console_page("/platform/dictionary", title_key="platform.dictionary", permission=perm.VIEW_DICTIONARY,
                 group="system", order=30, icon="menu_book")(dictionary_page)
    console_page("/platform/jobs", title_key="platform.jobs", permission=perm.VIEW_JOBS,
                 group="system", order=40, icon="schedule")(jobs_page)
    # everyone has an inbox: no permission, reached from the bell in the header
    console_page("/platform/inbox", title_key="platform.inbox", icon="mail")(inbox_page)


def _scope_options() -> dict[str, str]:
    return {code: i18n.pick(zh, en) for code, (zh, en) in SCOPES.items()}


def _status_name(status: str | None) -> str:
    if not status:
        return "—"
    zh_en = RUN_STATUS.get(status)
    return i18n.pick(*zh_en) if zh_en else status


def _date_or_none(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


# ------------------------------------------------------------------------------------------------ parameters
def parameters_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.MANAGE_PARAMETERS)
    filters: dict[str, Any] = {}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("platform", "list_parameters", uow, actor, q=q, page=page, size=size, **filters)
            return [_parameter_row(p) for p in rows], total

        return ctx.read(query, ([], 0))

    def history(row: dict[str, Any]) -> None:
        versions = ctx.read(
            lambda uow, a: [_parameter_row(p) for p in call("platform", "parameter_history", uow, a, row["key"])], []
        )
        with ui.dialog() as dialog, ui.card().style("width: 64rem; max-width: 96vw").classes("gap-2"):
            ui.label(f"{t('platform.param.history')} · {row['key']}").classes("text-h6")
            columns = [
                ("version", "common.version"), ("value", "platform.param.value"), ("scope", "platform.param.scope"),
                ("effective_from", "platform.param.effective_from"), ("effective_to", "common.to"),
                ("changed_by", "platform.param.changed_by"), ("changed_at", "common.updated_at"),
                ("note", "common.description"),
            ]
            ui.table(
                columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns],
                rows=versions, row_key="id",
            ).props("flat bordered dense").classes("w-full")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("common.close"), on_click=dialog.close).props("flat")
        dialog.open()

    def new_version(row: dict[str, Any]) -> None:
        latest = ctx.read(
            lambda uow, a: max(p.version for p in call("platform", "parameter_history", uow, a, row["key"])),
            row["version"],
        )
        fields = [
            FormField("key", "platform.param.key", value=row["key"], readonly=True),
            FormField("value", "platform.param.value", value=row["value"], required=True,
                      kind="textarea" if row["value_type"] == "json" else "text",
                      hint=f"{t('platform.param.type')}: {row['value_type']}"),
            FormField("scope", "platform.param.scope", kind="select", options=_scope_options(),
                      value=row["scope_code"], required=True),
            FormField("scope_value", "platform.param.scope_value", value=row["scope_value"], max_length=64),
            FormField("effective_from", "platform.param.effective_from", kind="date"),
            FormField("effective_to", "common.to", kind="date"),
            FormField("note", "common.description", max_length=500),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                command = ParameterChange(
                    value=values["value"], scope=values["scope"], scope_value=values["scope_value"] or "",
                    effective_from=_date_or_none(values["effective_from"]),
                    effective_to=_date_or_none(values["effective_to"]), note=values["note"] or "",
                    expected_version=latest,
                )
                return call("platform", "change_parameter", uow, a, row["key"], command).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(f"{t('platform.param.new_version')} · {row['key']}", fields, submit, width="36rem")

    def create() -> None:
        fields = [
            FormField("key", "platform.param.key", required=True, max_length=100, hint="risk.max_dti"),
            FormField("value_type", "platform.param.type", kind="select", options=VALUE_TYPES, value="string",
                      required=True),
            FormField("value", "platform.param.value", required=True),
            FormField("scope", "platform.param.scope", kind="select", options=_scope_options(), value="global",
                      required=True),
            FormField("scope_value", "platform.param.scope_value", max_length=64),
            FormField("effective_from", "platform.param.effective_from", kind="date"),
            FormField("description_zh", "platform.dict.label_zh", max_length=500),
            FormField("description_en", "platform.dict.label_en", max_length=500),
            FormField("note", "common.description", max_length=500),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                command = ParameterCreate(
                    key=values["key"], value_type=values["value_type"], value=values["value"],
                    scope=values["scope"], scope_value=values["scope_value"] or "",
                    effective_from=_date_or_none(values["effective_from"]),
                    description_zh=values["description_zh"] or "", description_en=values["description_en"] or "",
                    note=values["note"] or "",
                )
                return call("platform", "create_parameter", uow, a, command).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("platform.param.new"), fields, submit, width="36rem")

    def toolbar() -> None:
        scope = ui.select({"": t("common.all"), **_scope_options()}, value="", label=t("platform.param.scope")).props(
            "dense outlined options-dense"
        ).classes("w-28")

        def apply() -> None:
            filters.clear()
            if scope.value:
                filters["scope"] = scope.value
            table.page = 1
            table.refresh()

        scope.on_value_change(apply)
        if can_manage:
            ui.button(t("platform.param.new"), icon="add", on_click=create).props("unelevated color=primary")

    actions = [RowAction("history", "platform.param.history", history, icon="history")]
    if can_manage:
        actions.append(RowAction("version", "platform.param.new_version", new_version, icon="edit"))
    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("key", "platform.param.key"),
                Column("value", "platform.param.value", classes="text-mono"),
                Column("value_type", "platform.param.type"),
                Column("scope", "platform.param.scope"),
                Column("effective_from", "platform.param.effective_from"),
                Column("version", "common.version", align="right"),
                Column("changed_by", "platform.param.changed_by"),
                Column("description", "common.description"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
        )


def _parameter_row(p: Any) -> dict[str, Any]:
    scope = _scope_options().get(p.scope, p.scope)
    return {
        "id": p.id, "key": p.key, "version": p.version, "value_type": p.value_type, "value": p.value,
        "scope_code": p.scope, "scope_value": p.scope_value,
        "scope": scope + (f"：{p.scope_value}" if p.scope_value else ""),
        "effective_from": fmt_date(p.effective_from), "effective_to": fmt_date(p.effective_to),
        "changed_by": p.changed_by_name, "changed_at": fmt_time(p.changed_at), "note": p.note,
        "description": i18n.pick(p.description_zh, p.description_en) or p.description_zh,
    }


# ------------------------------------------------------------------------------------------------ dictionary
def dictionary_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.MANAGE_DICTIONARY)
    state: dict[str, Any] = {"type": None}

    def fetch_types(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("platform", "list_dictionary_types", uow, actor, q=q, page=page, size=size)
            return [
                {"id": d.id, "code": d.code, "name_zh": d.name_zh, "name_en": d.name_en,
                 "name": i18n.pick(d.name_zh, d.name_en), "description": d.description, "builtin": d.builtin,
                 "version": d.version}
                for d in rows
            ], total

        return ctx.read(query, ([], 0))

    def fetch_items(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        chosen = state["type"]
        if chosen is None:
            return [], 0

        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("platform", "list_dictionary_items", uow, actor, chosen["code"], q=q, page=page,
                               size=size)
            codes = {i.id: i.code for i in rows}
            return [
                {"id": i.id, "code": i.code, "label_zh": i.label_zh, "label_en": i.label_en, "sort": i.sort,
                 "active": i.active, "parent": codes.get(i.parent_id, "") if i.parent_id else "",
                 "status": t("common.active") if i.active else t("common.inactive"), "version": i.version}
                for i in rows
            ], total

        return ctx.read(query, ([], 0))

    def choose(row: dict[str, Any]) -> None:
        state["type"] = row
        items_title.text = f"{t('platform.dict.items')} · {row['name']}（{row['code']}）"
        new_item_button.set_visibility(can_manage)
        items.page = 1
        items.refresh()

    def edit_type(row: dict[str, Any] | None) -> None:
        fields = [
            FormField("code", "common.code", value=row["code"] if row else "", required=True, readonly=bool(row),
                      max_length=64, hint="id_type"),
            FormField("name_zh", "platform.dict.label_zh", value=row["name_zh"] if row else "", required=True),
            FormField("name_en", "platform.dict.label_en", value=row["name_en"] if row else "", required=True),
            FormField("description", "common.description", value=row["description"] if row else "",
                      max_length=500),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                if row is None:
                    command = DictionaryTypeCreate(code=values["code"], name_zh=values["name_zh"],
                                                   name_en=values["name_en"], description=values["description"])
                    return call("platform", "create_dictionary_type", uow, a, command).id
                update = DictionaryTypeUpdate(name_zh=values["name_zh"], name_en=values["name_en"],
                                              description=values["description"], version=row["version"])
                return call("platform", "update_dictionary_type", uow, a, row["code"], update).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                types.refresh()
            return bool(done)

        form_dialog(t("platform.dict.type_new") if row is None else t("common.edit"), fields, submit)

    def edit_item(row: dict[str, Any] | None) -> None:
        chosen = state["type"]
        if chosen is None:
            return
        fields = [
            FormField("code", "platform.dict.value", value=row["code"] if row else "", required=True,
                      readonly=bool(row), max_length=64),
            FormField("label_zh", "platform.dict.label_zh", value=row["label_zh"] if row else "", required=True),
            FormField("label_en", "platform.dict.label_en", value=row["label_en"] if row else "", required=True),
            FormField("sort", "common.sort_order", kind="number", value=row["sort"] if row else 0),
            FormField("parent_code", "common.parent", value=row["parent"] if row else "", max_length=64),
            FormField("active", "common.active", kind="switch", value=row["active"] if row else True),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            sort = int(values["sort"] or 0)

            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                if row is None:
                    command = DictionaryItemCreate(
                        code=values["code"], label_zh=values["label_zh"], label_en=values["label_en"], sort=sort,
                        active=bool(values["active"]), parent_code=values["parent_code"] or None,
                    )
                    return call("platform", "create_dictionary_item", uow, a, chosen["code"], command).id
                update = DictionaryItemUpdate(
                    label_zh=values["label_zh"], label_en=values["label_en"], sort=sort,
                    active=bool(values["active"]), parent_code=values["parent_code"] or "", version=row["version"],
                )
                return call("platform", "update_dictionary_item", uow, a, row["id"], update).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                items.refresh()
            return bool(done)

        form_dialog(t("platform.dict.item_new") if row is None else t("common.edit"), fields, submit)

    def delete_item(row: dict[str, Any]) -> None:
        def go() -> None:
            if ctx.call(lambda uow, a: call("platform", "delete_dictionary_item", uow, a, row["id"], row["version"])
                        or True, success=t("common.done")):
                items.refresh()

        confirm(t("common.are_you_sure") + f"（{row['code']}）", go, danger=True)

    type_actions = [RowAction("items", "platform.dict.items", choose, icon="list")]
    item_actions: list[RowAction] = []
    if can_manage:
        type_actions.append(RowAction("edit", "common.edit", lambda r: edit_type(r), icon="edit"))
        item_actions = [
            RowAction("edit", "common.edit", lambda r: edit_item(r), icon="edit"),
            RowAction("delete", "common.deactivate", delete_item, icon="delete", color="negative"),
        ]

    def types_toolbar() -> None:
        if can_manage:
            ui.button(t("platform.dict.type_new"), icon="add", on_click=lambda: edit_type(None)).props(
                "unelevated color=primary"
            )

    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("flex-1 min-w-[26rem]").props("flat bordered"):
            ui.label(t("platform.dict.types")).classes("text-subtitle1 text-weight-medium")
            types = DataTable(
                columns=[Column("code", "common.code"), Column("name", "common.name")],
                fetch=fetch_types, actions=type_actions, toolbar=types_toolbar, page_size=15,
            )
        with ui.card().classes("flex-1 min-w-[30rem]").props("flat bordered"):
            items_title = ui.label(t("platform.dict.select_type")).classes("text-subtitle1 text-weight-medium")

            def items_toolbar() -> None:
                global_button = ui.button(t("platform.dict.item_new"), icon="add", on_click=lambda: edit_item(None))
                global_button.props("unelevated color=primary").set_visibility(False)
                state["button"] = global_button

            items = DataTable(
                columns=[
                    Column("code", "platform.dict.value"), Column("label_zh", "platform.dict.label_zh"),
                    Column("label_en", "platform.dict.label_en"), Column("sort", "common.sort_order", align="right"),
                    Column("status", "common.status"),
                ],
                fetch=fetch_items, actions=item_actions, toolbar=items_toolbar, page_size=15,
            )
            new_item_button = state["button"]


# ------------------------------------------------------------------------------------------------ jobs
def jobs_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.MANAGE_JOBS)
    state: dict[str, Any] = {"job": None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
            return [
                {
                    "id": j.name, "name": j.name, "title": i18n.pick(j.title_zh, j.title_en), "cron": j.cron,
                    "paused": j.paused, "running": j.running,
                    "state": t("platform.job.paused") if j.paused else (
                        t("platform.job.running") if j.running else t("common.active")),
                    "last_run": fmt_time(j.last_run_at), "last_status": _status_name(j.last_status),
                    "next_run": fmt_time(j.next_run_at), "version": j.version,
                }
                for j in call("platform", "list_jobs", uow, actor)
            ]

        rows = ctx.read(query, [])
        if q:
            rows = [r for r in rows if q.lower() in r["name"].lower() or q.lower() in r["title"].lower()]
        return rows[(page - 1) * size: page * size], len(rows)

    def fetch_runs(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        job = state["job"]

        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("platform", "list_runs", uow, actor, name=job, page=page, size=size)
            return [
                {
                    "id": r.id, "job": r.job_name,
                    "trigger": i18n.pick(*TRIGGERS[r.trigger]) if r.trigger in TRIGGERS else r.trigger,
                    "status": _status_name(r.status),
                    "started": fmt_time(r.started_at), "finished": fmt_time(r.finished_at),
                    "counts": ", ".join(f"{k}={v}" for k, v in (r.counts or {}).items()),
                    "error": (r.error or "")[:200], "by": r.triggered_by_name,
                }
                for r in rows
            ], total

        return ctx.read(query, ([], 0))

    def set_paused(row: dict[str, Any], paused: bool) -> None:
        name = "pause_job" if paused else "resume_job"
        if ctx.call(lambda uow, a: call("platform", name, uow, a, row["name"], row["version"] or None) or True,
                    success=t("common.done")):
            jobs.refresh()

    async def run_now(row: dict[str, Any]) -> None:
        actor = ctx.read(lambda uow, a: a, None)
        if actor is None:
            return
        ui.notify(f"{t('platform.job.run_now')}：{row['title']}", type="info")
        try:
            result = await run.io_bound(call, "platform", "run_job_now", ctx.autofin, actor, row["name"])
        except SessionEnded:
            end_session()
            return
        except DomainError as exc:
            show_domain_error(exc, None)
            return
        status = _status_name(getattr(result, "status", None)) if result is not None else _status_name("skipped")
        ui.notify(t("platform.job.started_ok", status=status),
                  type="positive" if getattr(result, "status", "") == "succeeded" else "warning")
        jobs.refresh()
        show_runs(row)

    def change_cron(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, a: call("platform", "update_cron", uow, a, row["name"], values["cron"],
                                    row["version"] or None) or True,
                fields=inputs, success=t("common.saved"),
            )
            if done:
                jobs.refresh()
            return bool(done)

        form_dialog(f"{t('platform.job.cron')} · {row['title']}",
                    [FormField("cron", "platform.job.cron", value=row["cron"], required=True, max_length=100,
                               hint="m h dom mon dow")], submit)

    def show_runs(row: dict[str, Any] | None) -> None:
        state["job"] = row["name"] if row else None
        runs_title.text = t("platform.job.runs_of", name=row["title"]) if row else t("platform.job.runs")
        runs.page = 1
        runs.refresh()

    actions = [RowAction("runs", "platform.job.runs", show_runs, icon="receipt_long")]
    if can_manage:
        actions += [
            RowAction("run", "platform.job.run_now", run_now, icon="play_arrow", color="positive"),
            RowAction("pause", "platform.job.pause", lambda r: set_paused(r, True), icon="pause",
                      color="warning", when="!row.paused"),
            RowAction("resume", "platform.job.resume", lambda r: set_paused(r, False), icon="play_circle",
                      when="row.paused"),
            RowAction("cron", "platform.job.cron", change_cron, icon="schedule"),
        ]
    with ui.card().classes("w-full").props("flat bordered"):
        jobs = DataTable(
            columns=[
                Column("title", "platform.job.name"),
                Column("name", "common.code", classes="text-mono text-xs"),
                Column("cron", "platform.job.cron", classes="text-mono"),
                Column("state", "common.status"),
                Column("last_run", "platform.job.last_run"),
                Column("last_status", "platform.job.last_status"),
                Column("next_run", "platform.job.next_run"),
            ],
            fetch=fetch, actions=actions,
        )
    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("items-center gap-2"):
            runs_title = ui.label(t("platform.job.runs")).classes("text-subtitle1 text-weight-medium")
            ui.button(t("common.all"), on_click=lambda: show_runs(None)).props("flat dense no-caps")
        runs = DataTable(
            columns=[
                Column("job", "platform.job.name", classes="text-mono text-xs"),
                Column("trigger", "platform.job.trigger"),
                Column("status", "common.status"),
                Column("started", "platform.job.started"),
                Column("finished", "platform.job.finished"),
                Column("counts", "platform.job.counts"),
                Column("by", "audit.actor"),
                Column("error", "platform.job.error", classes="text-negative text-xs"),
            ],
            fetch=fetch_runs, searchable=False, page_size=10,
        )


# ------------------------------------------------------------------------------------------------ inbox
def inbox_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"unread_only": False}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("platform", "list_inbox", uow, actor, page=page, size=size, **filters)
            return [
                {"id": m.id, "title": m.title, "body": m.body, "received": fmt_time(m.created_at),
                 "read": m.read_at is not None,
                 "state": t("platform.inbox.read") if m.read_at else t("platform.inbox.unread")}
                for m in rows
            ], total

        return ctx.read(query, ([], 0))

    def mark(row: dict[str, Any]) -> None:
        if ctx.call(lambda uow, a: call("platform", "mark_read", uow, a, [row["id"]]) or True):
            table.refresh()

    def mark_all() -> None:
        if ctx.call(lambda uow, a: call("platform", "mark_all_read", uow, a) or True, success=t("common.done")):
            table.refresh()

    def toolbar() -> None:
        def toggle(event: Any) -> None:
            filters["unread_only"] = bool(event.value)
            table.page = 1
            table.refresh()

        ui.switch(t("platform.inbox.only_unread"), on_change=toggle)
        ui.button(t("platform.inbox.mark_all_read"), icon="done_all", on_click=mark_all).props("outline")

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("state", "common.status"),
                Column("title", "platform.inbox.title", classes="text-weight-medium"),
                Column("body", "platform.inbox.body"),
                Column("received", "platform.inbox.received"),
            ],
            fetch=fetch,
            actions=[RowAction("read", "platform.inbox.mark_read", mark, icon="done", when="!row.read")],
            toolbar=toolbar, searchable=False,
        )
