"""Console page of the audit trail (操作日志): filter by entity, actor, action and dates; before/after shown."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from nicegui import ui

from autofin.audit.permissions import VIEW_AUDIT
from autofin.console.frame import console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import DISPLAY_ZONE, Column, DataTable, RowAction, fmt_json, fmt_time, json_block
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor


def register_pages() -> None:
    console_page("/audit/events", title_key="audit.events", permission=VIEW_AUDIT, group="system", order=10,
                 icon="history")(events_page)


def _day_bounds(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    since = datetime.combine(date.fromisoformat(start), time.min, tzinfo=DISPLAY_ZONE) if start else None
    until = (datetime.combine(date.fromisoformat(end), time.min, tzinfo=DISPLAY_ZONE) + timedelta(days=1)
             if end else None)
    return since, until


def _summary(value: Any, limit: int = 80) -> str:
    text = fmt_json(value).replace("\n", " ")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def events_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("audit", "list_events", uow, actor, page=page, size=size, **filters)
            return [
                {
                    "id": e.id, "sequence": e.sequence, "time": fmt_time(e.occurred_at),
                    "actor": e.actor_name + (f" (#{e.actor_id})" if e.actor_id is not None else ""),
                    "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id or "",
                    "ip": e.ip or "", "request_id": e.request_id or "",
                    "change": _summary(e.after if e.after else e.before),
                    "before": e.before, "after": e.after,
                }
                for e in rows
            ], total

        return ctx.read(query, ([], 0))

    def details(row: dict[str, Any]) -> None:
        with ui.dialog() as dialog, ui.card().style("width: 56rem; max-width: 96vw").classes("gap-3"):
            ui.label(f"{t('audit.sequence')} {row['sequence']} · {row['action']}").classes("text-h6")
            with ui.grid(columns="8rem 1fr").classes("gap-y-1 text-body2"):
                for key, value in (
                    ("audit.time", row["time"]), ("audit.actor", row["actor"]),
                    ("audit.entity_type", row["entity_type"]), ("audit.entity_id", row["entity_id"]),
                    ("audit.ip", row["ip"]), ("audit.request_id", row["request_id"]),
                ):
                    ui.label(t(key)).classes("text-grey-7")
                    ui.label(str(value) or "—")
            with ui.row().classes("w-full gap-4 no-wrap items-start"):
                with ui.column().classes("flex-1 min-w-0"):
                    ui.label(t("audit.before")).classes("text-subtitle2")
                    json_block(row["before"])
                with ui.column().classes("flex-1 min-w-0"):
                    ui.label(t("audit.after")).classes("text-subtitle2")
                    json_block(row["after"])
            with ui.row().classes("w-full justify-end"):
                ui.button(t("common.close"), on_click=dialog.close).props("flat")
        dialog.open()

    def toolbar() -> None:
        entity_type = ui.input(t("audit.entity_type")).props("dense outlined clearable maxlength=64").classes("w-36")
        entity_id = ui.input(t("audit.entity_id")).props("dense outlined clearable maxlength=64").classes("w-28")
        actor_id = ui.input(t("audit.actor_id")).props("dense outlined clearable maxlength=18").classes("w-28")
        action = ui.input(t("audit.action")).props("dense outlined clearable maxlength=100").classes("w-40")
        start = ui.input(t("common.from")).props("dense outlined type=date stack-label").classes("w-40")
        end = ui.input(t("common.to")).props("dense outlined type=date stack-label").classes("w-40")

        def apply() -> None:
            filters.clear()
            actor_id.error = None
            if entity_type.value:
                filters["entity_type"] = entity_type.value.strip()
            if entity_id.value:
                filters["entity_id"] = entity_id.value.strip()
            if actor_id.value:
                if not actor_id.value.strip().isdigit():
                    actor_id.error = t("common.required")
                    return
                filters["actor_id"] = int(actor_id.value.strip())
            if action.value:
                filters["action"] = action.value.strip()
            since, until = _day_bounds(start.value or None, end.value or None)
            if since:
                filters["since"] = since
            if until:
                filters["until"] = until
            table.page = 1
            table.refresh()

        ui.button(t("common.filter"), icon="filter_alt", on_click=apply).props("unelevated color=primary")

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("sequence", "audit.sequence", align="right"),
                Column("time", "audit.time"),
                Column("actor", "audit.actor"),
                Column("action", "audit.action"),
                Column("entity_type", "audit.entity_type"),
                Column("entity_id", "audit.entity_id"),
                Column("change", "audit.after", classes="text-grey-8 text-xs ellipsis",
                       style="max-width: 24rem"),
            ],
            fetch=fetch,
            actions=[RowAction("details", "common.details", details, icon="visibility")],
            toolbar=toolbar,
            searchable=False,
        )
