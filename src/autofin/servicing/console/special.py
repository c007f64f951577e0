"""Special business (特殊业务): requests by kind and status, apply / review / cancel / execute, and the loan
page's special-business tab."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, get_args

from nicegui import ui

from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import (
    Column,
    DataTable,
    FormField,
    RowAction,
    confirm,
    fmt_date,
    fmt_time,
    form_dialog,
    json_block,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.servicing import permissions as perm
from autofin.servicing import service
from autofin.servicing.console.common import conflict_banner, label_of, money, query_int, reopen
from autofin.servicing.dashboard import CLASSES
from autofin.servicing.special import schemas as special_schemas
from autofin.servicing.special import service as special_service

# ------------------------------------------------------------------------------------------------ special business
SPECIAL_STATUSES = ("pending", "approved", "executed", "rejected", "cancelled")
CONTACT_RELATIONS: tuple[str, ...] = get_args(special_schemas.ContactIn.model_fields["relation"].annotation)
APPLY_MODELS: dict[str, type[Any]] = {
    "prepayment": special_schemas.PrepaymentApply, "extension": special_schemas.ExtensionApply,
    "restructure": special_schemas.RestructureApply, "transfer": special_schemas.TransferApply,
    "contract_change": special_schemas.ContractChangeApply, "waiver": special_schemas.WaiverApply,
    "write_off": special_schemas.WriteOffApply, "recovery": special_schemas.RecoveryApply,
    "reclassification": special_schemas.ReclassificationApply,
}


def command_values(values: dict[str, Any]) -> dict[str, Any]:
    """Filled-in values only; the ``contact.*`` inputs become the nested ``contact`` of a contact change (their
    dotted names are also where a refusal of ``contact.phone`` etc. is shown)."""
    filled = {k: v for k, v in values.items() if v not in ("", None) and not k.startswith("contact.")}
    if filled.get("change") == "contact":
        filled["contact"] = {k.removeprefix("contact."): v for k, v in values.items()
                             if k.startswith("contact.") and v not in ("", None)}
    return filled


def special_fields(kind: str, business_date: date) -> list[FormField]:
    """The application form of one kind of special business (the service checks every value again)."""
    on = FormField("effective_date", "servicing.special.effective_date", "date", business_date.isoformat())
    reason = FormField("reason", "servicing.reason", "textarea", max_length=500)
    channels = {c: t(f"servicing.channel.{c}") for c in ("transfer", "counter")}
    fields: dict[str, list[FormField]] = {
        "prepayment": [
            FormField("mode", "servicing.special.mode", "select", "partial",
                      {"partial": t("servicing.special.partial"), "full": t("servicing.special.full")}, required=True),
            FormField("amount", "servicing.amount", max_length=20, hint_key="servicing.special.amount_hint"),
            FormField("channel", "servicing.channel", "select", "transfer", channels, required=True)],
        "extension": [FormField("extra_terms", "servicing.special.extra_terms", required=True, max_length=3),
                      FormField("annual_rate", "servicing.special.new_rate", max_length=12)],
        "restructure": [
            FormField("term", "servicing.special.term", required=True, max_length=3),
            FormField("annual_rate", "servicing.special.new_rate", max_length=12),
            FormField("method", "servicing.special.method", "select", None,
                      {m: t(f"servicing.method.{m}") for m in ("annuity", "equal_principal", "interest_only")}),
            FormField("observation_months", "servicing.special.observation", max_length=2)],
        "transfer": [
            FormField("mode", "servicing.special.mode", "select", "borrower",
                      {"borrower": t("servicing.special.to_borrower"), "creditor": t("servicing.special.to_creditor")},
                      required=True),
            FormField("new_customer_id", "servicing.special.new_customer", max_length=19),
            FormField("creditor_name", "servicing.special.creditor", max_length=100),
            FormField("consideration", "servicing.special.price", max_length=20)],
        "contract_change": [
            FormField("change", "servicing.special.change", "select", "repayment_day",
                      {"repayment_day": t("servicing.special.repayment_day"),
                       "bank_card": t("servicing.special.bank_card"),
                       "contact": t("servicing.special.contact")}, required=True),
            FormField("repayment_day", "servicing.special.repayment_day", max_length=2),
            FormField("card_id", "servicing.special.card_id", max_length=19),
            FormField("contact.name", "customers.contact_name", max_length=100),
            FormField("contact.relation", "customers.relation", "select", None,
                      {r: label_of("customers.relation", r) for r in CONTACT_RELATIONS}),
            FormField("contact.phone", "customers.phone", max_length=24),
            FormField("contact.consent", "customers.consent", "switch", False)],
        "waiver": [FormField("amount", "servicing.amount", required=True, max_length=20)],
        "write_off": [],
        "recovery": [FormField("amount", "servicing.amount", required=True, max_length=20),
                     FormField("channel", "servicing.channel", "select", "transfer", channels, required=True),
                     FormField("reference", "servicing.reference", max_length=64)],
        "reclassification": [FormField("to_class", "servicing.special.to_class", "select", None,
                                       {c: label_of("servicing.class", c) for c in CLASSES}, required=True)],
    }
    if kind == "reclassification":
        reason = FormField("reason", "servicing.reason", "textarea", required=True, max_length=500)
    return [*fields[kind], on, reason]


def apply_dialog(ctx: PageContext, data: dict[str, Any], kind: str, after: Callable[[], Any]) -> None:
    """申请特殊业务 on the loan as the clerk saw it (its version: a change since then is a 409 in the dialog). One
    idempotency key per dialog: a second click on 提交 gets the request the first one opened, not a second one."""
    holder: dict[str, Any] = {}
    key = f"console:{uuid.uuid4().hex}"

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            command = APPLY_MODELS[kind](**command_values(values), loan_version=data["version"])
            return special_service.APPLY[kind](uow, actor, data["id"], command, idempotency_key=key)

        outcome = ctx.attempt(use_case, fields=inputs, success=t("servicing.special.applied"))
        if outcome.conflict and outcome.error is not None:
            holder["box"].clear()
            with holder["box"]:
                conflict_banner(outcome.error, ui.navigate.reload)
        if outcome.ok:
            after()
        return outcome.ok

    dialog = form_dialog(t("servicing.special.apply_title", kind=label_of("servicing.kind", kind),
                           contract=data["contract_no"]), special_fields(kind, data["business_date"]), submit,
                         submit_key="servicing.special.apply", intro=t("servicing.special.apply_intro"))
    card = dialog.default_slot.children[0]
    with card:
        holder["box"] = ui.column().classes("w-full gap-0").props('data-testid="apply-conflict"')
    holder["box"].move(card, target_index=2)


def request_row(r: Any, actor: Actor, contracts: dict[int, str]) -> dict[str, Any]:
    approved_by = {a.get("user_id") for a in (r.approvals or [])}
    return {
        "id": r.id, "loan_id": r.loan_id, "contract_no": contracts.get(r.loan_id, str(r.loan_id)),
        "kind": label_of("servicing.kind", r.kind), "kind_code": r.kind,
        "status": label_of("servicing.special_status", r.status), "code": r.status, "amount": money(r.amount),
        "effective_date": fmt_date(r.effective_date), "applicant": r.applicant_name or r.applicant_id or "—",
        "approvals": f"{len(r.approvals or [])}/{r.approvals_needed}", "created": fmt_time(r.created_at),
        "version": r.version, "reason": r.reason or "—",
        "can_review": r.status == "pending" and actor.can(r.approval_permission)
        and r.applicant_id != actor.user_id and actor.user_id not in approved_by,
        "can_execute": r.status == "approved" and actor.can(perm.SPECIAL_EXECUTE),
        "can_cancel": r.status in ("pending", "approved") and actor.can(perm.SPECIAL_APPLY),
    }


def read_requests(uow: UnitOfWork, actor: Actor, *, status: str | None, kind: str | None, loan_id: int | None,
                  page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    rows, total = special_service.list_requests(uow, actor, status=status, kind=kind, loan_id=loan_id, page=page,
                                                size=size)
    contracts = {loan.id: loan.contract_no for loan in (service.get_loan(uow, actor, i)
                                                        for i in {r.loan_id for r in rows})}
    return [request_row(r, actor, contracts) for r in rows], total


def review_dialog(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    """审核 / 审批: approve (one level) or reject, with a comment (a rejection says why)."""

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        decision = values["decision"] or "approve"
        if decision == "reject" and not values["comment"]:
            inputs["comment"].error = t("common.required")
            return False

        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            command = special_schemas.ReviewCommand(decision=decision, comment=values["comment"] or "",
                                                    version=row["version"])
            return special_service.review_request(uow, actor, int(row["id"]), command)

        outcome = ctx.attempt(use_case, fields=inputs, success=t(f"servicing.special.{decision}d"))
        if outcome.ok or outcome.conflict:
            after()
        return outcome.ok or outcome.conflict

    form_dialog(t("servicing.special.review_title", id=row["id"], kind=row["kind"], contract=row["contract_no"]),
                [FormField("decision", "servicing.special.decision", "select", "approve",
                           {"approve": t("servicing.special.approve"), "reject": t("servicing.special.reject")},
                           required=True),
                 FormField("comment", "servicing.special.comment", "textarea", max_length=500)], submit,
                submit_key="servicing.special.review", intro=t("servicing.special.review_intro",
                                                               amount=row["amount"], reason=row["reason"]))


def cancel_special_dialog(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            command = special_schemas.CancelCommand(reason=values["reason"] or "", version=row["version"])
            return special_service.cancel_request(uow, actor, int(row["id"]), command.reason, command.version)

        outcome = ctx.attempt(use_case, fields=inputs, success=t("servicing.special.cancelled"))
        if outcome.ok or outcome.conflict:
            after()
        return outcome.ok or outcome.conflict

    form_dialog(t("servicing.special.cancel_title", id=row["id"]),
                [FormField("reason", "servicing.reason", "textarea", required=True, max_length=500)], submit,
                submit_key="servicing.special.cancel")


def execute_special(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    def yes() -> None:
        outcome = ctx.attempt(lambda uow, actor: special_service.execute_request(uow, actor, int(row["id"]),
                                                                                  row["version"]),
                          success=t("servicing.special.executed"))
        if outcome.ok or outcome.conflict:
            after()

    confirm(t("servicing.special.execute_ask", id=row["id"], kind=row["kind"], contract=row["contract_no"]), yes)


def request_detail_dialog(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    found = ctx.read(lambda uow, actor: special_service.get_request(uow, actor, int(row["id"])), None)
    if found is None:
        return
    with ui.dialog() as dialog, ui.card().style("width: 48rem; max-width: 95vw").props(
            'data-testid="request-detail"'):
        ui.label(f"#{found.id} · {row['kind']} · {row['contract_no']} · {row['status']}").classes("text-h6")
        with ui.row().classes("gap-6 text-body2"):
            ui.label(f"{t('servicing.amount')}: {money(found.amount)}")
            ui.label(f"{t('servicing.special.effective_date')}: {fmt_date(found.effective_date)}")
            ui.label(f"{t('servicing.special.applicant')}: {found.applicant_name or '—'}")
            ui.label(f"{t('servicing.special.approvals')}: {row['approvals']}")
        if found.reason:
            ui.label(f"{t('servicing.reason')}: {found.reason}")
        for approval in found.approvals or []:
            ui.label(f"✔ {approval.get('username', '')} · {approval.get('at', '')} · {approval.get('comment', '')}"
                     ).classes("text-positive text-sm")
        if found.decision_comment:
            ui.label(f"{t('servicing.special.comment')}: {found.decision_comment}").classes("text-sm")
        for key, value in (("payload", found.payload), ("preview", found.preview), ("result", found.result)):
            if value:
                ui.label(t(f"servicing.special.{key}")).classes("text-subtitle2 q-mt-sm")
                json_block(value)
        with ui.row().classes("w-full justify-end"):
            if row["can_cancel"]:
                def cancel() -> None:
                    dialog.close()
                    cancel_special_dialog(ctx, row, after)

                ui.button(t("servicing.special.cancel"), icon="undo", on_click=cancel).props(
                    'flat color=negative data-testid="special-cancel"')
            ui.button(t("common.close"), on_click=dialog.close).props("flat")
    dialog.open()


def special_table(ctx: PageContext, filters: dict[str, Any], *, testid: str) -> DataTable:
    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        return ctx.read(lambda uow, actor: read_requests(uow, actor, status=filters.get("status"),
                                                         kind=filters.get("kind"), loan_id=filters.get("loan_id"),
                                                         page=page, size=size), ([], 0))

    table: DataTable

    def refresh() -> None:
        table.refresh()

    table = DataTable(
        columns=[Column("id", "common.id", "right"), Column("contract_no", "servicing.contract_no"),
                 Column("kind", "servicing.special.kind"), Column("status", "servicing.status"),
                 Column("amount", "servicing.amount", "right"),
                 Column("effective_date", "servicing.special.effective_date"),
                 Column("applicant", "servicing.special.applicant"),
                 Column("approvals", "servicing.special.approvals", "right"), Column("created", "common.created_at")],
        fetch=fetch, searchable=False, dense=True,
        actions=[RowAction("detail", "common.details", lambda row: request_detail_dialog(ctx, row, refresh),
                           icon="info"),
                 RowAction("review", "servicing.special.review", lambda row: review_dialog(ctx, row, refresh),
                           icon="fact_check", color="positive", when="row.can_review"),
                 RowAction("execute", "servicing.special.execute", lambda row: execute_special(ctx, row, refresh),
                           icon="play_arrow", when="row.can_execute")],
    )
    table.table.props(f'data-testid="{testid}"')
    return table


def special_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"status": "pending", "kind": None, "loan_id": query_int("loan")}
    with ui.row().classes("w-full items-end gap-3"):
        status = ui.select({s: label_of("servicing.special_status", s) for s in SPECIAL_STATUSES},
                           label=t("servicing.status"), value="pending", clearable=True).props(
            'outlined dense data-testid="special-status"').classes("w-40")
        kind = ui.select({k: label_of("servicing.kind", k) for k in special_service.KINDS},
                         label=t("servicing.special.kind"), clearable=True).props(
            'outlined dense data-testid="special-kind"').classes("w-44")
        ui.button(t("servicing.query"), icon="search", on_click=lambda: run_filter()).props("unelevated")

    def run_filter() -> None:
        filters.update(status=status.value or None, kind=kind.value or None)
        table.page = 1
        table.refresh()

    table = special_table(ctx, filters, testid="special-requests")


def special_panel(ctx: PageContext, data: dict[str, Any]) -> None:
    """The loan page's tab: apply for a kind of special business, and this loan's requests."""
    if ctx.actor.can(perm.SPECIAL_APPLY) and data["status"] in ("active", "overdue", "written_off"):
        with ui.button(t("servicing.special.apply"), icon="add").props(
                'unelevated data-testid="special-apply"'), ui.menu().props("auto-close"):
            for kind in special_service.KINDS:
                ui.menu_item(label_of("servicing.kind", kind),
                             on_click=lambda _e, k=kind: apply_dialog(ctx, data, k,
                                                                       lambda: reopen(data, "special"))).props(
                    f'data-kind="{kind}"')
    special_table(ctx, {"loan_id": data["id"]}, testid="loan-special-requests")
