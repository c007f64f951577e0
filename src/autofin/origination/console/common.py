"""What every origination page shares: code labels, query parameters, small tables, facts and banners, the
outcome of a check, and running a use case in one short transaction (``run``, ``run_in_thread``)."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import run as background
from nicegui import ui
from pydantic import ValidationError

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.console.session import PageContext, SessionEnded, end_session, show_domain_error, validation_failed
from autofin.kernel.errors import DomainError, Text

log = logging.getLogger("autofin.console")
METHODS = ("annuity", "equal_principal", "flat", "interest_only", "balloon")


# ------------------------------------------------------------------------------------------------ small helpers
def label(prefix: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    key = f"orig.{prefix}.{value}"
    return t(key) if key in i18n.MESSAGES else str(value)


def vehicle_condition(value: str) -> str:
    key = f"vehicles.condition.{value}"
    return t(key) if key in i18n.MESSAGES else value


def query_int(name: str) -> int | None:
    try:
        raw = ui.context.client.request.query_params.get(name)
    except (AttributeError, RuntimeError):
        return None
    return int(raw) if raw and raw.isdigit() else None


def decimal_or_none(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def simple_table(columns: list[tuple[str, str]], rows: list[dict[str, Any]], testid: str) -> ui.table:
    table = ui.table(
        columns=[{"name": n, "label": t(k), "field": n, "align": "left"} for n, k in columns], rows=rows,
        row_key="_key",
    ).props(f'flat bordered dense hide-pagination data-testid="{testid}" no-data-label="{t("common.empty")}"')
    for index, row in enumerate(rows):
        row.setdefault("_key", index)
    table.classes("w-full").pagination = {"rowsPerPage": 0}
    return table


def fact(name_key: str, value: Any, testid: str | None = None) -> None:
    with ui.column().classes("gap-0 min-w-[9rem]"):
        ui.label(t(name_key)).classes("text-caption text-grey-7")
        element = ui.label("—" if value in (None, "") else str(value)).classes("text-body1")
        if testid:
            element.props(f'data-testid="{testid}"')


def banner(text: str, kind: str, testid: str) -> None:
    colours = {"error": "bg-red-1 text-negative", "info": "bg-blue-1 text-primary", "ok": "bg-green-1 text-positive",
               "warn": "bg-orange-1 text-orange-10"}
    ui.label(text).classes(f"w-full q-pa-sm rounded-borders text-body2 {colours[kind]}").props(
        f'data-testid="{testid}" role="alert"')


def outcome_chip(outcome: str) -> None:
    colour = {"pass": "positive", "refer": "warning", "decline": "negative"}.get(outcome, "grey")
    ui.badge(label("outcome", outcome), color=colour).props(f'data-outcome="{outcome}"')


def duration(seconds: int) -> str:
    minutes = abs(seconds) // 60
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if i18n.current_language() == "en":
        parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m"]
    else:
        parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分"]
    return "".join(p for p in parts if p) if i18n.current_language() != "en" else " ".join(p for p in parts if p)


def _transaction(ctx: PageContext, use_case: Any) -> tuple[Any, BaseException | None]:
    """One use case in its own transaction: ``(result, None)`` committed, or ``(None, what went wrong)``."""
    try:
        with ctx.autofin.uow() as uow:
            actor = ctx.resolve(uow)
            result = use_case(uow, actor)
            uow.commit()
            return result, None
    except (SessionEnded, DomainError, ValidationError) as exc:
        return None, exc
    except Exception as exc:
        log.exception("console action failed")
        return None, exc


def _settle(outcome: tuple[Any, BaseException | None], fields: dict[str, Any] | None) -> tuple[Any, DomainError | None]:
    result, problem = outcome
    if problem is None:
        return result, None
    if isinstance(problem, SessionEnded):
        end_session()
        return None, DomainError("session.ended", Text("The session ended.", "会话已结束。"))
    if isinstance(problem, DomainError):
        refusal = problem
    elif isinstance(problem, ValidationError):
        refusal = validation_failed(problem)
    else:
        ui.notify(t("common.unexpected_error"), type="negative")
        return None, DomainError("console.unexpected", Text("The action failed.", "操作失败。"))
    show_domain_error(refusal, fields)
    return None, refusal


def _clear(fields: dict[str, Any] | None) -> None:
    for element in (fields or {}).values():
        if hasattr(element, "error"):
            element.error = None


def run(ctx: PageContext, use_case: Any, fields: dict[str, Any] | None = None) -> tuple[Any, DomainError | None]:
    """Run a use case in its own transaction; answer ``(result, None)`` or ``(None, the refusal)`` — the refusal
    is shown (field errors under ``fields``) and nothing is committed."""
    outcome = ctx.attempt(use_case, fields=fields)
    return outcome.result, outcome.error


async def run_in_thread(
    ctx: PageContext, use_case: Any, fields: dict[str, Any] | None = None
) -> tuple[Any, DomainError | None]:
    """:func:`run` on a worker thread, for use cases that run an event loop of their own (pyHanko's signer) or
    take long; the page stays responsive. The refusal is shown back on the page's own task (:func:`_settle`), since
    a notification cannot be raised from the worker thread."""
    _clear(fields)
    outcome = await background.io_bound(_transaction, ctx, use_case)
    if outcome is None:  # the server is shutting down
        return None, DomainError("console.unexpected", Text("The action failed.", "操作失败。"))
    return _settle(outcome, fields)


def checks_table(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["outcome_label"] = label("outcome", row["outcome"])
    table = simple_table([("name", "orig.detail.check"), ("outcome", "orig.detail.outcome"),
                          ("reason", "orig.detail.reason")], rows, "check-results")
    table.add_slot("body-cell-outcome", """
        <q-td :props="props">
          <q-badge :color="props.value === 'pass' ? 'positive' : (props.value === 'refer' ? 'warning' : 'negative')"
                   :label="props.row.outcome_label" :data-outcome="props.value" />
        </q-td>""")
