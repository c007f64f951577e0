"""申请查询 ``/origination/applications``: filters (status, product, dealer/branch, dates, amount band), CSV/XLSX."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import Column, DataTable, RowAction
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.org import service as org
from autofin.origination.console import data
from autofin.origination.console.common import label, run
from autofin.origination.permissions import APPLICATION_UPDATE

STATUSES = ("draft", "in_review", "returned", "approved", "rejected", "withdrawn", "expired", "contracted", "disbursed")


# ================================================================================================ search and list
def list_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {}
    product_options = ctx.read(lambda uow, a: {p: p for p in data.product_choices(uow, a)}, {})
    departments = ctx.read(
        lambda uow, a: {d.id: d.name for d in org.list_departments(uow, a, size=200)[0]}, {})
    with ui.card().classes("w-full").props('flat bordered data-testid="application-filters"'), ui.row().classes(
            "w-full items-center gap-2"):
            controls: dict[str, Any] = {
                "q": ui.input(t("orig.keyword")).props('outlined dense clearable data-field="q"').classes("w-56"),
                "status": ui.select({s: label("status", s) for s in STATUSES}, label=t("orig.status"),
                                    clearable=True).props('outlined dense data-field="status"').classes("w-36"),
                "product_code": ui.select(product_options, label=t("orig.product"), clearable=True).props(
                    'outlined dense data-field="product_code"').classes("w-40"),
                "department_id": ui.select(departments, label=t("orig.dealer"), clearable=True).props(
                    'outlined dense data-field="department_id"').classes("w-44"),
                "date_from": ui.input(t("orig.date_from")).props(
                    'outlined dense type=date stack-label data-field="date_from"').classes("w-40"),
                "date_to": ui.input(t("orig.date_to")).props(
                    'outlined dense type=date stack-label data-field="date_to"').classes("w-40"),
                "amount_min": ui.input(t("orig.amount_min")).props(
                    'outlined dense inputmode=decimal data-field="amount_min"').classes("w-32"),
                "amount_max": ui.input(t("orig.amount_max")).props(
                    'outlined dense inputmode=decimal data-field="amount_max"').classes("w-32"),
            }
            ui.button(t("orig.query"), icon="search", on_click=lambda: apply()).props(
                'unelevated color=primary data-testid="application-search"')
            ui.button(t("common.reset"), on_click=lambda: reset()).props("flat")
            ui.space()
            ui.button(t("orig.export_csv"), icon="download", on_click=lambda: export("csv")).props(
                'outline dense data-testid="export-csv"')
            ui.button(t("orig.export_xlsx"), icon="grid_on", on_click=lambda: export("xlsx")).props(
                'outline dense data-testid="export-xlsx"')

    def current() -> dict[str, Any]:
        return {k: (c.value.strip() if isinstance(c.value, str) else c.value) for k, c in controls.items()}

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = data.search_applications(uow, a, filters, page=page, size=size)
            found = [data.application_row(r) for r in rows]
            for row in found:
                row["status_label"] = label("status", row["status"])
                row["stage_label"] = label("stage", row["current_stage"])
                row["dealer"] = departments.get(row["department_id"], row["department_id"] or "—")
            return found, total

        return ctx.read(query, ([], 0))

    def apply() -> None:
        candidate = current()
        _probe, refusal = run(ctx, lambda uow, a: data.search_applications(uow, a, candidate, page=1, size=1),
                             controls)
        if refusal is not None:
            return
        filters.clear()
        filters.update(candidate)
        table.page = 1
        table.refresh()

    def reset() -> None:
        for control in controls.values():
            control.value = None if isinstance(control, ui.select) else ""
        filters.clear()
        table.refresh()

    def export(fmt: str) -> None:
        rows = ctx.read(lambda uow, a: data.all_matching_rows(uow, a, filters), None)
        if rows is None:
            return
        for row in rows:
            row["status"] = label("status", row["status"])
            row["current_stage"] = label("stage", row["current_stage"])
            row["method"] = label("method", row["method"])
        content = data.export_applications(rows, "xlsx" if fmt == "xlsx" else "csv", i18n.current_language())
        media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                 else "text/csv")
        ui.download(content, f"applications.{fmt}", media)

    actions = [RowAction("open", "orig.open", lambda r: ui.navigate.to(f"/origination/application?id={r['id']}"),
                         icon="visibility")]
    if ctx.actor.can(APPLICATION_UPDATE):
        actions.append(RowAction("edit", "orig.edit", lambda r: ui.navigate.to(f"/origination/new?id={r['id']}"),
                                 icon="edit", when="row.status === 'draft' || row.status === 'returned'"))
    table: DataTable = DataTable(
        columns=[Column("number", "orig.number"), Column("status_label", "orig.status"),
                 Column("applicant_name", "orig.applicant"), Column("vin", "orig.vin"),
                 Column("product_code", "orig.product"), Column("dealer", "orig.dealer"),
                 Column("amount", "orig.amount", align="right"), Column("term", "orig.term", align="right"),
                 Column("stage_label", "orig.stage"), Column("created_at", "orig.created_at")],
        fetch=fetch, actions=actions, searchable=False,
    )
    table.table.props('data-testid="application-table"')
