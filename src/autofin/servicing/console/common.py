"""What every servicing page shares: money and code formatting, query parameters, small tables and figures,
running a use case with its refusal shown in place (``attempt``), the 409 banner, and reopening the loan page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.kernel.errors import DomainError

log = logging.getLogger("autofin.console")


# ------------------------------------------------------------------------------------------------ helpers

def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def label_of(prefix: str, value: Any) -> str:
    """The translated name of a code (``servicing.status.overdue``), or the code itself when there is none."""
    if value in (None, ""):
        return "—"
    key = f"{prefix}.{value}"
    return t(key) if key in i18n.MESSAGES else str(value)


def query_int(name: str) -> int | None:
    """An integer query parameter of the current page (``/servicing/loan?id=5``)."""
    try:
        raw = ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


def query_text(name: str) -> str | None:
    try:
        return ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None


def simple_table(columns: list[tuple[str, str, str]], rows: list[dict[str, Any]], testid: str,
                 row_key: str = "id") -> ui.table:
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": a, "headerClasses": "text-weight-bold"}
                 for n, k, a in columns],
        rows=rows, row_key=row_key,
    ).props(f'flat bordered dense hide-pagination data-testid="{testid}" no-data-label="{t("common.empty")}"')
    table.pagination = {"rowsPerPage": 0}
    return table.classes("w-full")


def figure_card(title: str, value: str, testid: str, *, color: str = "primary") -> ui.label:
    with ui.card().classes("min-w-[10rem] flex-1 q-pa-sm").props("flat bordered"):
        ui.label(title).classes("text-grey-7 text-xs")
        return ui.label(value).classes(f"text-h6 text-weight-bold text-{color}").props(f'data-figure="{testid}"')


def conflict_banner(error: DomainError, on_reload: Callable[[], Any]) -> None:
    """A red box that stays: someone changed the record first; reload shows what it is now."""
    card = ui.card().classes("w-full q-pa-sm bg-red-1").props('flat bordered data-testid="conflict"')
    with card, ui.row().classes("items-center gap-2 no-wrap"):
        ui.icon("sync_problem", color="negative").classes("text-2xl")
        with ui.column().classes("gap-0"):
            ui.label(f"409 · {t('servicing.conflict_title')}").classes("text-weight-bold text-negative")
            ui.label(i18n.text(error.message)).classes("text-body2")
        ui.space()
        ui.button(t("servicing.reload"), icon="refresh", on_click=on_reload).props(
            'flat dense no-caps color=negative data-testid="conflict-reload"')


def reopen(data: dict[str, Any], tab: str) -> None:
    """Draw the loan page again (balances after the change) on the tab the user was working in."""
    ui.navigate.to(f"/servicing/loan?id={data['id']}&tab={tab}")
