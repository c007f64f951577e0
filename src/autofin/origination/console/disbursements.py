"""放款管理 ``/origination/disbursements`` · ``/origination/disbursement``: checklist, down payment, registration,
double review, then the payment to the bank and the loan it opens."""

from __future__ import annotations

import uuid
from typing import Any

from nicegui import run as background
from nicegui import ui

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.console.session import PageContext, show_domain_error
from autofin.console.widgets import Column, DataTable, FormField, RowAction, form_dialog
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.origination.console import data
from autofin.origination.console.common import banner, fact, label, log, query_int, run, simple_table
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.schemas import DisbursementRegister, DisbursementReview, DownPaymentCreate
from autofin.origination.permissions import (
    DISBURSEMENT_REGISTER,
    DISBURSEMENT_REVIEW,
    DOWN_PAYMENT_RECORD,
)
from autofin.platform import service as platform


# ================================================================================================ disbursement
def disbursements_page(ctx: PageContext) -> None:
    status = {"value": ""}
    with ui.card().classes("w-full").props('flat bordered'):
        ui.label(t("orig.disb.queue")).classes("text-subtitle1 text-weight-medium")

        def fetch_ready(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
            def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
                rows, total = data.search_applications(uow, a, {"status": "contracted", "q": q}, page=page,
                                                       size=size)
                return [data.application_row(r) for r in rows], total

            return ctx.read(query, ([], 0))

        ready = DataTable(
            columns=[Column("number", "orig.number"), Column("applicant_name", "orig.applicant"),
                     Column("approved_amount", "orig.review.approved_amount", align="right"),
                     Column("product_code", "orig.product"), Column("vin", "orig.vin")],
            fetch=fetch_ready, page_size=10,
            actions=[RowAction("open", "orig.page.disbursement",
                               lambda r: ui.navigate.to(f"/origination/disbursement?id={r['id']}"), icon="payments")],
        )
        ready.table.props('data-testid="disbursement-ready"')
    with ui.card().classes("w-full").props('flat bordered'):
        ui.label(t("orig.disb.list")).classes("text-subtitle1 text-weight-medium")

        def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
            def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
                rows, total = disbursement.list_disbursements(uow, a, status=status["value"] or None, q=q,
                                                              page=page, size=size)
                found = [data.disbursement_row(r) for r in rows]
                for row in found:
                    row["status_label"] = label("disb.status", row["status"])
                return found, total

            return ctx.read(query, ([], 0))

        def show(value: str | None) -> None:
            status["value"] = value or ""
            table.refresh()

        def toolbar() -> None:
            ui.select({"": t("common.all"), **{s: label("disb.status", s) for s in
                                               ("registered", "paying", "paid", "failed", "rejected")}},
                      value="", on_change=lambda e: show(e.value)).props(
                'outlined dense data-testid="disbursement-status"').classes("w-36")

        table: DataTable = DataTable(
            columns=[Column("number", "orig.disb.number"), Column("status_label", "orig.disb.status"),
                     Column("applicant_name", "orig.applicant"), Column("contract_no", "orig.contract.no"),
                     Column("amount", "orig.amount", align="right"),
                     Column("payout_amount", "orig.disb.payout", align="right"),
                     Column("registered_by_name", "orig.disb.registered_by"),
                     Column("reviewed_by_name", "orig.disb.reviewed_by"), Column("registered_at", "orig.created_at")],
            fetch=fetch, toolbar=toolbar,
            actions=[RowAction("open", "orig.open", lambda r: ui.navigate.to(
                f"/origination/disbursement?id={r['application_id']}"), icon="visibility")],
        )
        table.table.props('data-testid="disbursement-table"')


def disbursement_page(ctx: PageContext) -> None:
    application_id = query_int("id")
    if application_id is None:
        ui.label(t("frame.not_found"))
        return
    actor = ctx.actor
    state: dict[str, Any] = {"key": uuid.uuid4().hex, "notice": None, "polls": 0}

    @ui.refreshable
    def body() -> None:
        found = ctx.read(lambda uow, a: data.disbursement_view(uow, a, application_id), None)
        if found is None:
            return
        state["found"] = found
        row, raw, current = found["application"], found["raw"], found["disbursement"]
        if state["notice"]:
            banner(state["notice"], "warn", "conflict-notice")
        with ui.row().classes("w-full items-center gap-3"):
            ui.link(row["number"], f"/origination/application?id={application_id}").classes("text-h6")
            ui.badge(label("status", row["status"]), color="primary").props(
                f'data-testid="application-status" data-status="{row["status"]}"')
            ui.label(row["applicant_name"])
            ui.space()
            fact("orig.review.approved_amount", data.money(raw["approved_amount"]))
            fact("orig.review.approved_term", raw["approved_term"])
        with ui.row().classes("w-full gap-4 items-start"):
            checklist_card(found)
            down_payment_card(found)
        disbursement_card(found, current)

    def checklist_card(found: dict[str, Any]) -> None:
        with ui.card().classes("flex-1 min-w-[24rem]").props('flat bordered data-testid="disbursement-checklist"'):
            ui.label(t("orig.disb.checklist")).classes("text-subtitle1 text-weight-medium")
            for item in found["checklist"]:
                with ui.row().classes("w-full items-center gap-2 no-wrap").props(
                        f'data-condition="{item["code"]}" data-met="{str(item["met"]).lower()}"'):
                    ui.icon("check_circle" if item["met"] else "cancel",
                            color="positive" if item["met"] else "negative")
                    ui.label(i18n.pick(item["label_zh"], item["label_en"])).classes("text-body1")
                    ui.label(item["detail"]).classes("text-grey-7 text-sm")
            if found["all_met"]:
                banner(t("orig.disb.all_met"), "ok", "conditions-met")
            else:
                banner(t("orig.disb.not_all_met"), "warn", "conditions-unmet")

    def down_payment_card(found: dict[str, Any]) -> None:
        with ui.card().classes("flex-1 min-w-[20rem]").props('flat bordered data-testid="down-payments"'):
            with ui.row().classes("w-full items-center"):
                ui.label(t("orig.disb.down_payment")).classes("text-subtitle1 text-weight-medium")
                ui.space()
                if actor.can(DOWN_PAYMENT_RECORD) and found["application"]["status"] in ("approved", "contracted"):
                    ui.button(t("orig.disb.down_payment"), icon="add", on_click=lambda: record_down_payment(found)
                              ).props('outline dense data-testid="record-down-payment"')
            simple_table([("amount", "orig.amount"), ("received_on", "orig.disb.received_on"),
                          ("reference", "orig.disb.reference"), ("recorded_at", "orig.detail.at")],
                         found["down_payments"], "down-payment-table")

    def record_down_payment(found: dict[str, Any]) -> None:
        fields = [
            FormField("amount", "orig.amount", value=f"{found['raw'].get('down_payment', '')}" or "", required=True),
            FormField("received_on", "orig.disb.received_on", kind="date", value=platform.business_today().isoformat(),
                      required=True),
            FormField("reference", "orig.disb.reference", required=True, max_length=64),
        ]
        fields[0].value = found["application"]["down_payment"].replace(",", "")

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done, _ = run(ctx, lambda uow, a: disbursement.record_down_payment(
                uow, a, application_id, DownPaymentCreate(**values)), inputs)
            if done:
                body.refresh()
            return bool(done)

        form_dialog(t("orig.disb.down_payment"), fields, submit)

    def disbursement_card(found: dict[str, Any], current: dict[str, Any] | None) -> None:
        with ui.card().classes("w-full").props('flat bordered data-testid="disbursement-card"'):
            if current is not None:
                with ui.row().classes("w-full items-center gap-3"):
                    ui.label(current["number"]).classes("text-subtitle1 text-weight-medium").props(
                        'data-testid="disbursement-number"')
                    ui.badge(label("disb.status", current["status"]),
                             color={"paid": "positive", "failed": "negative", "rejected": "negative"}.get(
                                 current["status"], "primary")).props(
                        f'data-testid="disbursement-status" data-status="{current["status"]}"')
                    if current["payment_state"]:
                        ui.label(f"{current['payment_state']}").classes("text-grey-7 text-sm")
                with ui.row().classes("w-full gap-4"):
                    fact("orig.amount", current["amount"])
                    fact("orig.disb.fee", current["fee_amount"])
                    fact("orig.disb.payout", current["payout_amount"], "disbursement-payout")
                    fact("orig.disb.payee", f"{label('disb.payee', current['payee_kind'])} · "
                                            f"{current['payee_name']} · {current['payee_account']}")
                    fact("orig.disb.registered_by", f"{current['registered_by_name']} {current['registered_at']}")
                    fact("orig.disb.reviewed_by", f"{current['reviewed_by_name']} {current['reviewed_at']}".strip())
                if current["failure_reason"] or current["payment_error"]:
                    banner(f"{t('orig.disb.failure')}：{current['failure_reason'] or current['payment_error']}",
                           "error", "disbursement-failure")
                if current["loan_id"]:
                    with ui.row().classes("items-center gap-3"):
                        fact("orig.disb.loan", current["loan_id"], "loan-id")
                        ui.link(t("orig.disb.open_loan"), f"/servicing/loan?id={current['loan_id']}").props(
                            'data-testid="loan-link"')
                if current["status"] == "registered":
                    review_form(current)
                if current["status"] == "paying" and state["polls"] < 60:
                    state["polls"] += 1
                    ui.timer(2.0, body.refresh, once=True)
            live = current is not None and current["status"] in ("registered", "paying", "paid")
            if not live and found["application"]["status"] == "contracted" and actor.can(DISBURSEMENT_REGISTER):
                register_form(found)

    def register_form(found: dict[str, Any]) -> None:
        ui.label(t("orig.disb.register")).classes("text-subtitle1 text-weight-medium")
        inputs: dict[str, Any] = {}
        with ui.row().classes("w-full gap-3 items-start"):
            inputs["payee"] = ui.select({k: label("disb.payee", k) for k in ("borrower", "dealer")}, value="borrower",
                                        label=t("orig.disb.payee")).props(
                'outlined dense data-field="payee"').classes("w-32")
            cards = found["cards"]
            inputs["card_id"] = ui.select(cards, value=next(iter(cards), None), label=t("orig.disb.card")).props(
                'outlined dense data-field="card_id"').classes("w-80")
            inputs["account_number"] = ui.input(t("orig.disb.account_number")).props(
                'outlined dense maxlength=32 data-field="account_number"').classes("w-56")
            inputs["account_name"] = ui.input(t("orig.disb.account_name")).props(
                'outlined dense maxlength=100 data-field="account_name"').classes("w-48")
            inputs["bank_name"] = ui.input(t("orig.disb.bank_name")).props(
                'outlined dense maxlength=64 data-field="bank_name"').classes("w-48")
            inputs["comment"] = ui.input(t("orig.disb.comment")).props(
                'outlined dense maxlength=2000 data-field="comment"').classes("flex-1 min-w-[12rem]")

        def payee_changed() -> None:
            dealer = inputs["payee"].value == "dealer"
            inputs["card_id"].set_visibility(not dealer)
            for name in ("account_number", "account_name", "bank_name"):
                inputs[name].set_visibility(dealer)

        inputs["payee"].on_value_change(lambda _e: payee_changed())
        payee_changed()

        def submit() -> None:
            dealer = inputs["payee"].value == "dealer"

            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                command = DisbursementRegister(
                    payee=inputs["payee"].value,
                    card_id=None if dealer else inputs["card_id"].value,
                    account_number=(inputs["account_number"].value or "").strip() or None if dealer else None,
                    account_name=(inputs["account_name"].value or "").strip() or None if dealer else None,
                    bank_name=(inputs["bank_name"].value or "").strip() or None if dealer else None,
                    comment=(inputs["comment"].value or "").strip() or None,
                    version=found["application"]["version"],
                )
                return disbursement.register_disbursement(uow, a, application_id, command, state["key"]).id

            done, refusal = run(ctx, use_case, inputs)
            if done:
                ui.notify(t("orig.disb.registered"), type="positive")
                state["notice"] = None
            elif refusal is not None and refusal.status == 409:
                state["notice"] = t("orig.review.conflict")
            if done or (refusal is not None and refusal.status == 409):
                state["key"] = uuid.uuid4().hex
                body.refresh()

        ui.button(t("orig.disb.register"), icon="app_registration", on_click=submit).props(
            f'unelevated color=primary data-testid="register-disbursement" '
            f'{"" if found["all_met"] else "disable"}')

    def review_form(current: dict[str, Any]) -> None:
        if not actor.can(DISBURSEMENT_REVIEW):
            return
        if current["registered_by"] == actor.user_id:
            banner(t("orig.disb.registered"), "info", "awaiting-second-person")
            return
        ui.label(t("orig.disb.review")).classes("text-subtitle1 text-weight-medium")
        comment = ui.input(t("orig.detail.comment")).props(
            'outlined dense maxlength=2000 data-field="comment"').classes("w-full")

        async def review(decision: str) -> None:
            done, refusal = run(ctx, lambda uow, a: disbursement.review_disbursement(
                uow, a, current["id"], DisbursementReview(decision=decision, comment=comment.value or None,
                                                          version=current["version"])).id, {"comment": comment})
            if refusal is not None and refusal.status == 409:
                state["notice"] = t("orig.review.conflict")
                body.refresh()
                return
            if not done:
                return
            state["notice"] = None
            ui.notify(t("orig.disb.reviewed"), type="positive")
            if decision == "approve":  # after the commit, off the page's event loop: the bank may be slow
                try:
                    await background.io_bound(disbursement.send_disbursement_payment, ctx.autofin, current["id"])
                except DomainError as exc:  # the approval stands; the resend job sends it later
                    show_domain_error(exc, None)
                except Exception:
                    log.exception("sending disbursement %s to the bank failed", current["id"])
            state["polls"] = 0
            body.refresh()

        with ui.row().classes("gap-2"):
            ui.button(t("orig.disb.approve"), icon="task_alt", on_click=lambda: review("approve")).props(
                'unelevated color=positive data-testid="approve-disbursement"')
            ui.button(t("orig.disb.reject"), icon="block", on_click=lambda: review("reject")).props(
                'outline color=negative data-testid="reject-disbursement"')

    body()
