"""Console page of second-party intake (合作方进件): partners and their keys' state, the callback delivery log with
each attempt, a retry for dead deliveries, and a chart of deliveries per partner and status.

Registered by ``origination/console/__init__.py`` (one line); every action calls ``partners.service``.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.frame import console_page
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import Column, DataTable, RowAction, fmt_time
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.origination.partners import service
from autofin.origination.partners.permissions import PARTNER_MANAGE, PARTNER_VIEW
from autofin.origination.permissions import GROUP

STATUSES = ("pending", "delivered", "dead")
COLOURS = {"pending": "#f2a541", "delivered": "#3ba272", "dead": "#ee6666"}

i18n.MESSAGES.update(
    {
        "partners.page": ("合作方进件", "Partner intake"),
        "partners.list": ("合作方", "Partners"),
        "partners.code": ("代码", "Code"),
        "partners.name": ("名称", "Name"),
        "partners.status": ("状态", "Status"),
        "partners.key_id": ("密钥编号", "Key id"),
        "partners.rate": ("限流（次/分）", "Limit (per min)"),
        "partners.callback_url": ("回调地址", "Callback URL"),
        "partners.deliveries": ("回调推送记录", "Callback deliveries"),
        "partners.chart": ("各合作方回调状态", "Callbacks per partner and status"),
        "partners.application": ("申请", "Application"),
        "partners.event": ("事件", "Event"),
        "partners.attempts": ("尝试次数", "Attempts"),
        "partners.next": ("下次推送", "Next try"),
        "partners.last_code": ("最近响应码", "Last code"),
        "partners.last_error": ("最近错误", "Last error"),
        "partners.created": ("生成时间", "Created"),
        "partners.log": ("推送日志", "Attempt log"),
        "partners.id": ("编号", "No."),
        "partners.retry": ("重新推送", "Send again"),
        "partners.retried": ("已重新排队推送", "Queued to send again"),
        "partners.all": ("全部", "All"),
        "partners.at": ("时间", "Time"),
        "partners.http": ("HTTP 状态", "HTTP status"),
        "partners.excerpt": ("响应摘要", "Answer (start)"),
        "partners.ms": ("耗时(ms)", "ms"),
        "partners.st.active": ("启用", "Active"),
        "partners.st.suspended": ("停用", "Suspended"),
        "partners.st.pending": ("待推送", "Pending"),
        "partners.st.delivered": ("已送达", "Delivered"),
        "partners.st.dead": ("已放弃", "Dead"),
    }
)


def register_pages() -> None:
    console_page("/origination/partners", title_key="partners.page", permission=PARTNER_VIEW, group=GROUP,
                 order=70, icon="hub")(partners_page)


def _status(value: str) -> str:
    key = f"partners.st.{value}"
    return t(key) if key in i18n.MESSAGES else value


def partners_page(ctx: PageContext) -> None:
    summary = ctx.read(lambda uow, a: service.delivery_summary(uow, a), {})
    if summary:
        codes = sorted(summary)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label(t("partners.chart")).classes("text-subtitle1 text-weight-medium")
            ui.echart({
                "tooltip": {"trigger": "axis"},
                "legend": {"data": [_status(s) for s in STATUSES]},
                "xAxis": {"type": "category", "data": codes},
                "yAxis": {"type": "value", "minInterval": 1},
                "series": [
                    {"name": _status(s), "type": "bar", "stack": "all", "itemStyle": {"color": COLOURS[s]},
                     "data": [summary[c].get(s, 0) for c in codes]}
                    for s in STATUSES
                ],
            }).classes("w-full h-56").props('data-testid="partner-callback-chart"')

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("partners.list")).classes("text-subtitle1 text-weight-medium")

        def fetch_partners(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
            def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
                rows = [
                    {"id": p.id, "code": p.code, "name": p.name, "status": _status(p.status), "key_id": p.key_id,
                     "rate": p.rate_limit_per_minute, "callback_url": p.callback_url or "—"}
                    for p in service.list_partners(uow, a)
                    if not q or q.lower() in (p.code + p.name).lower()
                ]
                return rows[(page - 1) * size: page * size], len(rows)

            return ctx.read(query, ([], 0))

        partners = DataTable(
            columns=[Column("code", "partners.code"), Column("name", "partners.name"),
                     Column("status", "partners.status"), Column("key_id", "partners.key_id"),
                     Column("rate", "partners.rate", align="right"), Column("callback_url", "partners.callback_url")],
            fetch=fetch_partners, page_size=10,
        )
        partners.table.props('data-testid="partner-table"')

    status = {"value": ""}
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("partners.deliveries")).classes("text-subtitle1 text-weight-medium")

        def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
            def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
                application_id = int(q) if q and q.isdigit() else None
                rows, total = service.list_deliveries(
                    uow, a, status=status["value"] or None, application_id=application_id, page=page, size=size
                )
                return [
                    {"id": d.id, "application_id": d.application_id, "event": d.event, "raw_status": d.status,
                     "status": _status(d.status), "attempts": d.attempts,
                     "next": fmt_time(d.next_attempt_at) if d.next_attempt_at else "—",
                     "last_code": d.last_status_code or "—", "last_error": d.last_error or "—",
                     "created": fmt_time(d.created_at)}
                    for d in rows
                ], total

            return ctx.read(query, ([], 0))

        def show_log(row: dict[str, Any]) -> None:
            found = ctx.read(lambda uow, a: service.delivery_detail(uow, a, int(row["id"])), None)
            if found is None:
                return
            _delivery, attempts = found
            with ui.dialog() as dialog, ui.card().classes("w-[56rem] max-w-full"):
                ui.label(f"{t('partners.log')} #{row['id']}").classes("text-subtitle1 text-weight-medium")
                ui.table(
                    columns=[
                        {"name": "attempt", "label": "#", "field": "attempt"},
                        {"name": "at", "label": t("partners.at"), "field": "at"},
                        {"name": "code", "label": t("partners.http"), "field": "code"},
                        {"name": "error", "label": t("partners.last_error"), "field": "error"},
                        {"name": "excerpt", "label": t("partners.excerpt"), "field": "excerpt"},
                        {"name": "ms", "label": t("partners.ms"), "field": "ms"},
                    ],
                    rows=[{"attempt": x.attempt, "at": fmt_time(x.at), "code": x.status_code or "—",
                           "error": x.error or "", "excerpt": (x.response_excerpt or "")[:120], "ms": x.duration_ms}
                          for x in attempts],
                ).classes("w-full").props('dense flat data-testid="partner-attempts"')
                ui.button(t("common.close") if "common.close" in i18n.MESSAGES else "OK", on_click=dialog.close)
            dialog.open()

        def retry(row: dict[str, Any]) -> None:
            done = ctx.call(
                lambda uow, a: service.retry_delivery(uow, a, int(row["id"])), success=t("partners.retried")
            )
            if done is not None:
                table.refresh()

        def choose(value: str | None) -> None:
            status["value"] = value or ""
            table.refresh()

        def toolbar() -> None:
            ui.select({"": t("partners.all"), **{s: _status(s) for s in STATUSES}}, value="",
                      on_change=lambda e: choose(e.value)).props(
                'outlined dense data-testid="partner-delivery-status"').classes("w-36")

        actions = [RowAction("log", "partners.log", show_log, icon="receipt_long")]
        if ctx.actor.can(PARTNER_MANAGE):
            actions.append(RowAction("retry", "partners.retry", retry, icon="replay", color="warning",
                                     when="row.raw_status !== 'delivered'"))
        table = DataTable(
            columns=[Column("id", "partners.id"), Column("application_id", "partners.application"),
                     Column("event", "partners.event"), Column("status", "partners.status"),
                     Column("attempts", "partners.attempts", align="right"), Column("next", "partners.next"),
                     Column("last_code", "partners.last_code"), Column("last_error", "partners.last_error"),
                     Column("created", "partners.created")],
            fetch=fetch, actions=actions, toolbar=toolbar, page_size=20,
        )
        table.table.props('data-testid="partner-deliveries"')
