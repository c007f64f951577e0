"""The borrower's status page ``/status`` (贷款申请进度查询): public, no sign-in, no frame or menu.

The borrower types the application number, the applicant's ID number and phone; the page asks
:func:`autofin.origination.borrower_status.borrower_status` (after a token of the per-IP limiter the API route
uses too) and draws the answer: the figures, the status and stage in words, a timeline of the milestones and what
happens next. Every refusal shows the same message; nothing personal is ever drawn.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from nicegui import ui

from autofin.console import session
from autofin.console.frame import PRIMARY, apply_theme, language_switch
from autofin.console.i18n import pick, t, text
from autofin.kernel.errors import DomainError
from autofin.origination import borrower_status as status_module
from autofin.origination.borrower_status import BorrowerStatus, StatusStep

log = logging.getLogger("autofin.console")
ROUTE = "/status"
STATE_STYLE = {  # state -> (icon, colour)
    "done": ("check_circle", "positive"),
    "current": ("pending", "primary"),
    "pending": ("radio_button_unchecked", "grey-5"),
    "failed": ("cancel", "negative"),
}


def register_pages() -> None:
    ui.page(ROUTE, title="进度查询 · autofin")(status_page)


def _look_up(number: str, id_number: str, phone: str, client_ip: str | None) -> BorrowerStatus:
    """The limiter first (the same buckets as the API route), then the use case in a read-only transaction."""
    from autofin.origination.partners.api import limiter_of

    app = session.get_app()
    status_module.check_rate(limiter_of(app, "status"), client_ip)
    with app.uow() as uow:
        return status_module.borrower_status(uow, number, id_number, phone)


def _money(value: Any) -> str:
    return f"¥{value:,.2f}"


def _draw_step(step: StatusStep) -> None:
    icon, colour = STATE_STYLE.get(step.state, STATE_STYLE["pending"])
    when = step.on.isoformat() if step.on else t(f"orig.status_page.{step.state}") if step.state in (
        "pending", "current") else ""
    entry = ui.timeline_entry(
        title=pick(step.label_zh, step.label_en), subtitle=when, icon=icon, color=colour,
    ).props(f'data-testid="status-step" data-step="{step.code}" data-state="{step.state}"')
    with entry:
        if step.reason_zh:
            reason = pick(step.reason_zh, step.reason_en or step.reason_zh)
            ui.label(t("orig.status_page.reason", reason=reason)).classes("text-body2 text-grey-8").props(
                'data-testid="status-step-reason"')


def _draw_result(answer: BorrowerStatus) -> None:
    with ui.card().classes("w-full q-pa-lg gap-3").props('bordered data-testid="status-result"'):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(answer.application_number).classes("text-h6").props('data-testid="status-number"')
            colour = {"closed": "negative", "repayment": "positive"}.get(answer.stage, "primary")
            ui.badge(pick(answer.status_zh, answer.status_en), color=colour).classes("text-body2 q-pa-sm").props(
                'data-testid="status-status"')
        with ui.row().classes("w-full gap-8"):
            for key, value, testid in (
                ("orig.status_page.product", answer.product_name, "status-product"),
                ("orig.status_page.amount", _money(answer.amount), "status-amount"),
                ("orig.status_page.term", t("orig.status_page.months", n=answer.term), "status-term"),
                ("orig.status_page.stage", pick(answer.stage_zh, answer.stage_en), "status-stage"),
            ):
                with ui.column().classes("gap-0"):
                    ui.label(t(key)).classes("text-caption text-grey-7")
                    ui.label(value).classes("text-body1").props(f'data-testid="{testid}"')
        ui.separator()
        ui.label(t("orig.status_page.progress")).classes("text-subtitle1 text-weight-medium")
        with ui.timeline(side="right").props('data-testid="status-steps"').classes("w-full"):
            for step in answer.steps:
                _draw_step(step)
        with ui.column().classes("w-full gap-1 q-pa-md rounded-borders bg-blue-1"):
            ui.label(t("orig.status_page.next")).classes("text-caption text-grey-8")
            ui.label(pick(answer.next_zh, answer.next_en)).classes("text-body1 text-primary").props(
                'data-testid="status-next"')


def status_page(request: Request) -> None:
    apply_theme()
    ui.page_title(f"{t('orig.status_page.title')} · autofin")
    client_ip = request.client.host if request.client else None  # not X-Forwarded-For: it could be forged

    with ui.header(elevated=True).classes("items-center gap-3 q-px-md").style(f"background:{PRIMARY}"):
        ui.icon("directions_car").classes("text-2xl text-white")
        ui.label(t("app.name")).classes("text-h6 text-weight-medium text-white")
        ui.space()
        language_switch()
        ui.link(t("orig.status_page.sign_in"), "/login").classes("text-white text-body2")

    outer = ui.column().classes("w-full items-center q-pa-lg gap-4")
    with outer, ui.column().classes("gap-4").style("width: 44rem; max-width: 96vw"):
        with ui.card().classes("w-full q-pa-lg gap-3").props("bordered"):
            ui.label(t("orig.status_page.title")).classes("text-h6").props('data-testid="status-title"')
            ui.label(t("orig.status_page.subtitle")).classes("text-grey-8")
            number = ui.input(t("orig.status_page.number"), placeholder=t("orig.status_page.number_hint")).props(
                'outlined autofocus maxlength=32 data-testid="status-input-number"').classes("w-full")
            id_number = ui.input(t("orig.status_page.id_number")).props(
                'outlined maxlength=32 autocomplete=off data-testid="status-input-id"').classes("w-full")
            phone = ui.input(t("orig.status_page.phone")).props(
                'outlined maxlength=20 inputmode=tel autocomplete=off data-testid="status-input-phone"'
            ).classes("w-full")
            message = ui.label("").classes(
                "w-full q-pa-sm rounded-borders text-body2 bg-red-1 text-negative"
            ).props('data-testid="status-message" role="alert"')
            message.set_visibility(False)
            submit_button = ui.button(t("orig.status_page.submit")).props(
                'unelevated color=primary data-testid="status-submit"').classes("w-full")
            ui.label(t("orig.status_page.privacy")).classes("text-caption text-grey-7")
        result = ui.column().classes("w-full")

    def show(problem: str) -> None:
        message.text = problem
        message.set_visibility(True)
        result.clear()

    def submit() -> None:
        values = [(element.value or "").strip() for element in (number, id_number, phone)]
        if not all(values):
            show(t("orig.status_page.fill_all"))
            return
        try:
            answer = _look_up(values[0], values[1], values[2], client_ip)
        except DomainError as exc:
            show(text(exc.message))
            return
        except Exception:
            log.exception("borrower status look-up failed")
            show(pick("系统繁忙，请稍后重试。", "Something went wrong on our side; try again shortly."))
            return
        message.set_visibility(False)
        result.clear()
        with result:
            _draw_result(answer)

    submit_button.on_click(submit)
    for element in (number, id_number, phone):
        element.on("keydown.enter", submit)
