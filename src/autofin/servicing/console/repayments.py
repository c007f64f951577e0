"""The repayment desk: record a repayment and the 待确认 queue awaiting a second person's confirmation."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import (
    Column,
    DataTable,
    RowAction,
    fmt_date,
    fmt_time,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.servicing import dashboard, service
from autofin.servicing import permissions as perm
from autofin.servicing.console.common import label_of, money
from autofin.servicing.console.loans import confirm_dialog, record_dialog
from autofin.servicing.dashboard import LoanFilter


# ------------------------------------------------------------------------------------------------ repayments
def repayments_page(ctx: PageContext) -> None:
    actor = ctx.actor
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label(t("servicing.find_loan")).classes("text-subtitle1 text-weight-medium")
        with ui.row().classes("items-end gap-3"):
            contract = ui.input(t("servicing.contract_no")).props(
                'outlined dense data-testid="find-contract"').classes("w-64")
            ui.button(t("servicing.record"), icon="add_card", on_click=lambda: find_and_record()).props(
                'unelevated data-testid="find-record"')
        contract.on("keydown.enter", lambda: find_and_record())

    def find_and_record() -> None:
        wanted = (contract.value or "").strip()
        contract.error = None
        if not wanted:
            contract.error = t("common.required")
            return

        def query(uow: UnitOfWork, a: Actor) -> dict[str, Any] | None:
            rows, _total = dashboard.search_loans(uow, a, LoanFilter(q=wanted), size=50)
            loan = next((r for r in rows if r.contract_no == wanted), None)
            if loan is None:
                return None
            return {"id": loan.id, "version": loan.version, "contract_no": loan.contract_no,
                    "business_date": service.business_date(uow)}

        data = ctx.read(query, None)
        if data is None:
            contract.error = t("servicing.not_found")
            return
        record_dialog(ctx, data, queue.refresh)

    ui.label(t("servicing.pending_queue")).classes("text-subtitle1 text-weight-medium q-mt-md")

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = dashboard.pending_repayments(uow, a, page=page, size=size)
            return [{
                "id": tx.id, "loan_id": loan.id, "contract_no": loan.contract_no,
                "customer": loan.customer_name or str(loan.customer_id), "type": label_of("servicing.tx", tx.type),
                "value_date": fmt_date(tx.value_date), "amount": money(tx.amount),
                "channel": label_of("servicing.channel", tx.channel), "reference": tx.reference or "—",
                "created_by": tx.created_by or "—", "created": fmt_time(tx.created_at),
                "mine": tx.created_by is not None and tx.created_by == a.user_id,
            } for tx, loan in rows], total

        return ctx.read(query, ([], 0))

    actions = [RowAction("open", "servicing.open",
                         lambda row: ui.navigate.to(f"/servicing/loan?id={row['loan_id']}"), icon="open_in_new")]
    if actor.can(perm.REPAYMENT_CONFIRM):
        actions.insert(0, RowAction("confirm", "servicing.confirm",
                                    lambda row: confirm_dialog(ctx, row, queue.refresh),
                                    icon="task_alt", color="positive", when="!row.mine"))
    queue = DataTable(
        columns=[Column("id", "common.id", "right"), Column("contract_no", "servicing.contract_no"),
                 Column("customer", "servicing.customer"), Column("type", "servicing.tx_type"),
                 Column("value_date", "servicing.value_date"), Column("amount", "servicing.amount", "right"),
                 Column("channel", "servicing.channel"), Column("reference", "servicing.reference"),
                 Column("created_by", "servicing.recorded_by", "right"), Column("created", "common.created_at")],
        fetch=fetch, actions=actions, searchable=False, dense=True,
    )
    queue.table.props('data-testid="pending-queue"')
