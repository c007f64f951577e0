"""Shared console widgets: a data table with paging and search, form dialogs, confirm dialogs, formatting.

Every page builds its lists and forms from these, so paging, search, field errors and confirmations look and
behave the same everywhere.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from autofin.console.i18n import t

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")  # the business's wall clock; the database keeps UTC

Fetch = Callable[[int, int, str | None], tuple[list[dict[str, Any]], int]]


# ------------------------------------------------------------------------------------------------ formatting
def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_time(value)[:10]
    return value.isoformat()


def fmt_bool(value: bool | None) -> str:
    return t("common.yes") if value else t("common.no")


def fmt_json(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def js_string(value: str) -> str:
    """A single-quoted JavaScript string literal, safe inside a double-quoted Vue template attribute."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ")
    return "'" + escaped.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;") + "'"


# ------------------------------------------------------------------------------------------------ data table
@dataclass(frozen=True)
class Column:
    name: str
    label_key: str
    align: str = "left"
    sortable: bool = False
    classes: str = ""
    style: str = ""


@dataclass(frozen=True)
class RowAction:
    """A button in each row's action cell. ``when`` is a JavaScript condition over ``row`` (e.g. ``row.active``)."""

    name: str
    label_key: str
    handler: Callable[[dict[str, Any]], Any]
    icon: str | None = None
    color: str = "primary"
    when: str | None = None


@dataclass
class DataTable:
    """A server-paged table with a search box: ``fetch(page, size, q)`` answers ``(rows, total)``.

    Rows are plain dicts (convert ORM objects inside the unit of work). Action buttons emit the row key; the
    handler receives the full row as fetched.
    """

    columns: list[Column]
    fetch: Fetch
    actions: list[RowAction] = field(default_factory=list)
    row_key: str = "id"
    page_size: int = 20
    searchable: bool = True
    search_placeholder_key: str = "common.search_hint"
    toolbar: Callable[[], None] | None = None
    selection: str | None = None
    dense: bool = False

    def __post_init__(self) -> None:
        self.page = 1
        self.query: str | None = None
        self.total = 0
        self._rows_by_key: dict[str, dict[str, Any]] = {}
        self._build()

    def _build(self) -> None:
        with ui.column().classes("w-full gap-2"):
            with ui.row().classes("w-full items-center gap-2"):
                if self.searchable:
                    self.search = (
                        ui.input(placeholder=t(self.search_placeholder_key))
                        .props("dense outlined clearable debounce=300")
                        .classes("w-64")
                        .on("keydown.enter", lambda: self.run_search())
                        .on("clear", lambda: self.run_search())
                    )
                    with self.search.add_slot("prepend"):
                        ui.icon("search")
                    ui.button(t("common.search"), on_click=lambda: self.run_search()).props("unelevated dense")
                ui.space()
                if self.toolbar is not None:
                    self.toolbar()
                ui.button(icon="refresh", on_click=lambda: self.refresh()).props("flat round dense").tooltip(
                    t("common.refresh")
                )
            columns = [
                {
                    "name": column.name,
                    "label": t(column.label_key),
                    "field": column.name,
                    "align": column.align,
                    "sortable": column.sortable,
                    "classes": column.classes,
                    "style": column.style,
                    "headerClasses": "text-weight-bold",
                }
                for column in self.columns
            ]
            if self.actions:
                columns.append({"name": "_actions", "label": t("common.actions"), "field": "_actions", "align": "left"})
            self.table = (
                ui.table(columns=columns, rows=[], row_key=self.row_key, selection=self.selection)  # type: ignore[arg-type]
                .props(f"flat bordered hide-pagination {'dense' if self.dense else ''}")
                .props(f'no-data-label="{_attr(t("common.empty"))}"')
                .classes("w-full")
            )
            self.table.pagination = {"rowsPerPage": 0}
            if self.actions:
                self.table.add_slot("body-cell-_actions", self._actions_template())
                self.table.on("row_action", self._on_action)
            with ui.row().classes("w-full items-center justify-end gap-4"):
                self.total_label = ui.label("").classes("text-grey-7 text-sm")
                self.pager = ui.pagination(1, 1, direction_links=True, on_change=lambda e: self._go(e.value)).props(
                    "max-pages=7 boundary-numbers"
                )
        self.refresh()

    INLINE_ACTIONS = 3  # more than this: the first two stay buttons, the rest go into a "more" menu

    def _emit(self, action: RowAction) -> str:
        return (
            f"@click=\"() => $parent.$emit('row_action', {{action: '{action.name}', "
            f'key: String(props.row.{self.row_key})}})"'
        )

    def _actions_template(self) -> str:
        inline = self.actions if len(self.actions) <= self.INLINE_ACTIONS else self.actions[:2]
        more = [] if len(self.actions) <= self.INLINE_ACTIONS else self.actions[2:]
        parts = []
        for action in inline:
            condition = f' v-if="{_row_condition(action.when)}"' if action.when else ""
            icon = f' icon="{action.icon}"' if action.icon else ""
            parts.append(
                f'<q-btn{condition} flat dense no-caps size="sm" color="{action.color}"{icon} '
                f':label="{js_string(t(action.label_key))}" data-action="{action.name}" {self._emit(action)} />'
            )
        if more:
            items = []
            for action in more:
                condition = f' v-if="{_row_condition(action.when)}"' if action.when else ""
                icon = (
                    f'<q-item-section avatar style="min-width:28px"><q-icon name="{action.icon}" '
                    f'color="{action.color}" size="18px" /></q-item-section>'
                    if action.icon else ""
                )
                items.append(
                    f'<q-item{condition} clickable v-close-popup dense data-action="{action.name}" '
                    f"{self._emit(action)}>{icon}<q-item-section>{_html(t(action.label_key))}</q-item-section></q-item>"
                )
            parts.append(
                f'<q-btn-dropdown flat dense no-caps size="sm" color="grey-8" :label="{js_string(t("common.more"))}" '
                f'data-action="_more"><q-list dense>{"".join(items)}</q-list></q-btn-dropdown>'
            )
        return '<q-td :props="props" class="q-gutter-x-xs">' + "".join(parts) + "</q-td>"

    async def _on_action(self, event: Any) -> None:
        args = event.args or {}
        row = self._rows_by_key.get(str(args.get("key")))
        action = next((a for a in self.actions if a.name == args.get("action")), None)
        if row is not None and action is not None:
            result = action.handler(row)
            if inspect.isawaitable(result):
                await result

    def run_search(self) -> None:
        value = (self.search.value or "").strip() if self.searchable else ""
        self.query = value[:100] or None
        self.page = 1
        self.refresh()

    def _go(self, page: int | None) -> None:
        if page and page != self.page:
            self.page = page
            self.refresh()

    def refresh(self) -> None:
        rows, total = self.fetch(self.page, self.page_size, self.query)
        pages = max(1, -(-total // self.page_size))
        if self.page > pages:
            self.page = pages
            rows, total = self.fetch(self.page, self.page_size, self.query)
        self.total = total
        self._rows_by_key = {str(row.get(self.row_key)): row for row in rows}
        self.table.rows = rows
        self.table.update()
        self.total_label.text = t("common.total", count=total)
        self.pager.max = pages
        self.pager.value = self.page
        self.pager.set_visibility(pages > 1)


def _html(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _row_condition(condition: str) -> str:
    return condition.replace("row.", "props.row.").replace('"', "&quot;")


# ------------------------------------------------------------------------------------------------ forms
@dataclass
class FormField:
    """One input of a form dialog. ``kind``: text, password, textarea, number, select, multiselect, switch, date."""

    name: str
    label_key: str
    kind: str = "text"
    value: Any = None
    options: dict[Any, str] | list[Any] | None = None
    required: bool = False
    hint_key: str | None = None
    hint: str | None = None
    readonly: bool = False
    max_length: int | None = None


def build_input(spec: FormField) -> Any:
    """Create the NiceGUI element for one field; returns the element (it has ``.value`` and ``.error``)."""
    label = t(spec.label_key) + (" *" if spec.required else "")
    hint = spec.hint or (t(spec.hint_key) if spec.hint_key else None)
    element: Any
    if spec.kind in {"select", "multiselect"}:
        element = ui.select(
            spec.options or {},
            label=label,
            value=spec.value if spec.value is not None else ([] if spec.kind == "multiselect" else None),
            multiple=spec.kind == "multiselect",
            with_input=True,
            clearable=not spec.required,
        ).props("outlined dense use-chips options-dense" if spec.kind == "multiselect" else "outlined dense")
    elif spec.kind == "switch":
        element = ui.switch(label, value=bool(spec.value))
    elif spec.kind == "number":
        element = ui.number(label, value=spec.value).props("outlined dense")
    elif spec.kind == "textarea":
        element = ui.textarea(label, value=spec.value or "").props("outlined dense autogrow")
    elif spec.kind == "date":
        element = ui.input(label, value=spec.value or "").props("outlined dense type=date stack-label")
    else:
        element = ui.input(
            label,
            value=spec.value or "",
            password=spec.kind == "password",
            password_toggle_button=spec.kind == "password",
        ).props("outlined dense")
    if spec.max_length and spec.kind in {"text", "password", "textarea"}:
        element.props(f"maxlength={spec.max_length}")
    if hint and hasattr(element, "props") and spec.kind != "switch":
        element.props(f'hint="{_attr(hint)}"')
    if spec.readonly:
        element.props("readonly")
    element.classes("w-full")
    element.props(f'data-field="{spec.name}"')
    return element


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def form_values(inputs: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, element in inputs.items():
        value = element.value
        if isinstance(value, str):
            value = value.strip()
        values[name] = value
    return values


def missing_required(fields: list[FormField], inputs: dict[str, Any]) -> bool:
    """Mark empty required fields; True when any is missing (a quick check before asking the service)."""
    missing = False
    for spec in fields:
        if not spec.required or spec.kind == "switch":
            continue
        value = inputs[spec.name].value
        if value is None or value == "" or value == []:
            inputs[spec.name].error = t("common.required")
            missing = True
    return missing


def form_dialog(
    title: str,
    fields: list[FormField],
    on_submit: Callable[[dict[str, Any], dict[str, Any]], bool],
    *,
    submit_key: str = "common.save",
    width: str = "32rem",
    intro: str | None = None,
) -> ui.dialog:
    """Open a dialog with ``fields``; ``on_submit(values, inputs)`` returns True to close it.

    ``inputs`` maps field names to elements, so the caller can pass it on to ``PageContext.call(fields=...)``
    and a DomainError's field errors appear right under the fields.
    """
    with ui.dialog() as dialog, ui.card().style(f"width: {width}; max-width: 95vw").classes("gap-3"):
        ui.label(title).classes("text-h6")
        if intro:
            ui.label(intro).classes("text-grey-8")
        inputs: dict[str, Any] = {}
        for spec in fields:
            inputs[spec.name] = build_input(spec)

        def submit() -> None:
            for element in inputs.values():
                if hasattr(element, "error"):
                    element.error = None
            if missing_required(fields, inputs):
                return
            if on_submit(form_values(inputs), inputs):
                dialog.close()

        with ui.row().classes("w-full justify-end gap-2 q-mt-sm"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t(submit_key), on_click=submit).props("unelevated color=primary data-testid=dialog-submit")
    dialog.open()
    return dialog


def confirm(message: str, on_yes: Callable[[], Any], *, danger: bool = False) -> ui.dialog:
    """Ask before doing something that cannot be taken back."""
    with ui.dialog() as dialog, ui.card().style("min-width: 22rem"):
        with ui.row().classes("items-center gap-3"):
            ui.icon("help_outline" if not danger else "warning", color="negative" if danger else "primary").classes(
                "text-3xl"
            )
            ui.label(message).classes("text-body1")

        def yes() -> None:
            dialog.close()
            on_yes()

        with ui.row().classes("w-full justify-end gap-2 q-mt-md"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("common.confirm"), on_click=yes).props(
                f"unelevated color={'negative' if danger else 'primary'} data-testid=confirm-yes"
            )
    dialog.open()
    return dialog


def section_title(text: str) -> None:
    ui.label(text).classes("text-subtitle1 text-weight-medium")


def status_chip(active: bool, on_key: str = "common.active", off_key: str = "common.inactive") -> str:
    return t(on_key) if active else t(off_key)


def stat_card(title: str, icon: str, color: str) -> tuple[ui.card, ui.label]:
    """A small figure card for the home page; returns the card and the label holding the number."""
    with ui.card().classes("min-w-[11rem] flex-1").props("flat bordered") as card, ui.row().classes(
        "items-center no-wrap gap-4"
    ):
        ui.icon(icon, color=color).classes("text-4xl")
        with ui.column().classes("gap-0"):
            ui.label(title).classes("text-grey-7 text-sm")
            number = ui.label("–").classes("text-h5 text-weight-bold")
    return card, number


def json_block(value: Any) -> None:
    text_value = fmt_json(value)
    if text_value:
        ui.code(text_value, language="json").classes("w-full text-xs")
    else:
        ui.label("—").classes("text-grey-6")
