"""申请详情 / 审核 ``/origination/application`` · ``/origination/review``: all the evidence and, for the reviewer
holding the current stage, the decision form or the committee vote; a 409 shows "someone else acted"."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import confirm, fmt_time
from autofin.db.uow import UnitOfWork
from autofin.documents.console import documents_panel
from autofin.kernel.actor import Actor
from autofin.origination import service
from autofin.origination.console import data
from autofin.origination.console.common import METHODS, banner, checks_table, fact, label, query_int, run, simple_table
from autofin.origination.contracts.permissions import VIEW_CONTRACTS
from autofin.origination.models import EDITABLE
from autofin.origination.permissions import (
    APPLICATION_UPDATE,
    APPLICATION_WITHDRAW,
    DISBURSEMENT_VIEW,
    STAGE_PERMISSIONS,
)
from autofin.origination.schemas import (
    ReviewRequest,
    VoteRequest,
)


# ================================================================================================ detail and review
def detail_page(ctx: PageContext) -> None:
    application_page(ctx, review=False)


def review_page(ctx: PageContext) -> None:
    application_page(ctx, review=True)


def application_page(ctx: PageContext, *, review: bool) -> None:
    application_id = query_int("id")
    if application_id is None:
        ui.label(t("frame.not_found"))
        return
    notice: dict[str, str | None] = {"text": None}

    @ui.refreshable
    def body() -> None:
        found = ctx.read(lambda uow, a: data.evidence(uow, a, application_id), None)
        if found is None:
            return
        if notice["text"]:
            banner(notice["text"], "warn", "conflict-notice")
        draw_application(ctx, found, review=review, on_change=after_action)

    def after_action(conflict: bool) -> None:
        notice["text"] = t("orig.review.conflict") if conflict else None
        body.refresh()

    body()


def draw_application(ctx: PageContext, found: dict[str, Any], *, review: bool, on_change: Any) -> None:
    row, raw = found["application"], found["raw"]
    application_id = row["id"]
    actor = ctx.actor
    with ui.row().classes("w-full items-center gap-3"):
        ui.label(row["number"]).classes("text-h6").props('data-testid="application-number"')
        ui.badge(label("status", row["status"]), color="primary").props(
            f'data-testid="application-status" data-status="{row["status"]}"')
        if row["current_stage"]:
            ui.badge(label("stage", row["current_stage"]), color="secondary").props('data-testid="application-stage"')
        ui.space()
        if row["status"] in EDITABLE and actor.can(APPLICATION_UPDATE):
            ui.button(t("orig.edit"), icon="edit",
                      on_click=lambda: ui.navigate.to(f"/origination/new?id={application_id}")).props("flat")
        if row["status"] in ("draft", "returned", "in_review", "approved") and actor.can(APPLICATION_WITHDRAW):
            def withdraw() -> None:
                done, _ = run(ctx, lambda uow, a: service.withdraw_application(uow, a, application_id, row["version"]))
                if done:
                    on_change(False)

            ui.button(t("orig.detail.withdraw"), icon="undo",
                      on_click=lambda: confirm(t("orig.detail.withdraw_q"), withdraw, danger=True)).props(
                'flat color=negative data-testid="withdraw"')
        if row["status"] in ("approved", "contracted", "disbursed") and actor.can(VIEW_CONTRACTS):
            ui.button(t("orig.detail.to_contract"), icon="draw",
                      on_click=lambda: ui.navigate.to(f"/origination/contract?id={application_id}")).props(
                'outline data-testid="to-contract"')
        if row["status"] in ("contracted", "disbursed") and actor.can(DISBURSEMENT_VIEW):
            ui.button(t("orig.detail.to_disbursement"), icon="payments",
                      on_click=lambda: ui.navigate.to(f"/origination/disbursement?id={application_id}")).props(
                'outline data-testid="to-disbursement"')

    open_task = found["open_task"]
    if review or open_task:
        decision_area(ctx, found, on_change)

    with ui.row().classes("w-full gap-4 items-stretch"):
        with ui.card().classes("flex-1 min-w-[22rem]").props('flat bordered data-testid="application-summary"'):
            ui.label(t("orig.detail.summary")).classes("text-subtitle1 text-weight-medium")
            with ui.row().classes("w-full gap-4"):
                fact("orig.applicant", row["applicant_name"])
                fact("orig.product", f"{row['product_code']} v{raw['product_version']}")
                fact("orig.channel", row["channel"])
                fact("orig.detail.risk_grade", raw["risk_grade"])
            with ui.row().classes("w-full gap-4"):
                fact("orig.price", row["price"])
                fact("orig.down_payment", row["down_payment"])
                fact("orig.amount", row["amount"], "application-amount")
                fact("orig.term", row["term"])
                fact("orig.method", label("method", row["method"]))
                fact("orig.rate", row["rate"])
            if raw["purpose"]:
                fact("orig.purpose", raw["purpose"])
            if raw["approved_amount"] is not None:
                ui.separator()
                ui.label(t("orig.detail.decision")).classes("text-subtitle2")
                with ui.row().classes("w-full gap-4").props('data-testid="approved-terms"'):
                    fact("orig.review.approved_amount", data.money(raw["approved_amount"]), "approved-amount")
                    fact("orig.review.approved_rate", raw["approved_rate"])
                    fact("orig.review.approved_term", raw["approved_term"])
                    fact("orig.review.approved_method", label("method", raw["approved_method"]))
                    fact("orig.detail.expires", fmt_time(raw["approval_expires_at"]))
                if raw["conditions_approved"]:
                    fact("orig.detail.conditions", "；".join(raw["conditions_approved"]))
            if raw["decision_reason"]:
                fact("orig.detail.reason", raw["decision_reason"])
        customer = found["customer"]
        with ui.card().classes("flex-1 min-w-[18rem]").props('flat bordered data-testid="application-customer"'):
            ui.label(t("orig.detail.customer")).classes("text-subtitle1 text-weight-medium")
            if customer:
                with ui.row().classes("w-full gap-4"):
                    fact("orig.wizard.name", customer["name"])
                    fact("orig.wizard.id_number", customer["id_number"], "customer-id-number")
                    fact("orig.wizard.phone", customer["phone"])
                    fact("customers.grade" if "customers.grade" in i18n.MESSAGES else "orig.detail.risk_grade",
                         customer.get("grade_code"))
                ui.link(t("orig.detail.customer_file"), f"/customers/detail?id={customer['id']}").classes("text-sm")
            if found["parties"]:
                ui.label(t("orig.detail.parties")).classes("text-subtitle2")
                for party in found["parties"]:
                    ui.label(f"{t('orig.' + party['role'])}：{party['name']} · {party['id_number']} · "
                             f"{party['phone']}").props(f'data-party="{party["role"]}"')
        vehicle = found["vehicle"]
        with ui.card().classes("flex-1 min-w-[18rem]").props('flat bordered data-testid="application-vehicle"'):
            ui.label(t("orig.detail.vehicle")).classes("text-subtitle1 text-weight-medium")
            if vehicle:
                with ui.row().classes("w-full gap-4"):
                    fact("orig.vin", vehicle["vin"])
                    fact("orig.vehicle", f"{vehicle['maker']} {vehicle['plate']}".strip())
                    fact("orig.price", vehicle["invoice_price"])
                if found["ltv"]:
                    with ui.row().classes("w-full gap-4"):
                        fact("orig.detail.ltv", f"{found['ltv']['ltv']}%", "application-ltv")
                        fact("orig.detail.ltv_basis", found["ltv"]["basis"])
                if found["appraisals"]:
                    simple_table([("appraised_on", "orig.detail.at"), ("method", "orig.method"),
                                  ("value", "orig.amount"), ("appraiser", "orig.detail.actor")],
                                 found["appraisals"], "appraisals")
                ui.link(t("orig.detail.vehicle"), f"/vehicles/detail?id={vehicle['id']}").classes("text-sm")

    with ui.card().classes("w-full").props('flat bordered'):
        ui.label(t("orig.detail.checks")).classes("text-subtitle1 text-weight-medium")
        checks_table([{"name": c["name"], "outcome": c["outcome"], "reason": i18n.pick(c["reason_zh"], c["reason_en"])}
                      for c in found["checks"]])
    documents_panel(ctx, "application", application_id)
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("flex-1 min-w-[24rem]").props('flat bordered'):
            ui.label(t("orig.detail.tasks")).classes("text-subtitle1 text-weight-medium")
            simple_table([("stage", "orig.stage"), ("status", "orig.status"), ("assignee", "orig.detail.assignee"),
                          ("due", "orig.detail.due"), ("outcome", "orig.detail.outcome")],
                         [{"stage": label("stage", x["stage"]), "status": label("task", x["status"]),
                           "assignee": x["completed_by"] or x["assignee"] or "—",
                           "due": fmt_time(x["due_at"]) + (" ⚠" if x["overdue"] else ""),
                           "outcome": x["outcome"]} for x in found["tasks"]], "tasks")
        if found["votes"]:
            with ui.card().classes("flex-1 min-w-[20rem]").props('flat bordered'):
                ui.label(t("orig.detail.votes")).classes("text-subtitle1 text-weight-medium")
                simple_table([("member", "orig.detail.member"), ("vote", "orig.detail.vote"),
                              ("comment", "orig.detail.comment"), ("at", "orig.detail.at")],
                             [{**v, "vote": t(f"orig.vote.{v['vote']}"), "at": fmt_time(v["at"])}
                              for v in found["votes"]], "votes")
    with ui.card().classes("w-full").props('flat bordered'):
        ui.label(t("orig.detail.timeline")).classes("text-subtitle1 text-weight-medium")
        simple_table([("at", "orig.detail.at"), ("stage", "orig.stage"), ("action", "orig.detail.action"),
                      ("outcome", "orig.detail.outcome"), ("actor", "orig.detail.actor"),
                      ("reason_code", "orig.detail.reason"), ("comment", "orig.detail.comment")],
                     [{**x, "at": fmt_time(x["at"]), "stage": label("stage", x["stage"]),
                       "action": label("action", x["action"])} for x in found["timeline"]], "timeline")


def decision_area(ctx: PageContext, found: dict[str, Any], on_change: Any) -> None:
    """The reviewer's part of the page: claim / release, the decision form or the committee vote."""
    actor, raw, task = ctx.actor, found["raw"], found["open_task"]
    application_id = found["application"]["id"]
    if task is None:
        if found["application"]["status"] == "in_review":
            banner(t("orig.review.nothing"), "info", "review-nothing")
        return
    permission = STAGE_PERMISSIONS.get(task["stage"])
    if permission is None or not actor.can(permission):
        return
    if actor.user_id in (raw["owner_id"], raw["submitted_by"]):
        banner(t("orig.review.own"), "info", "review-own")
        return

    def act(use_case: Any, success_key: str, fields: dict[str, Any] | None = None) -> None:
        _result, refusal = run(ctx, use_case, fields)
        if refusal is not None and refusal.status == 409:
            on_change(True)
        elif refusal is None:
            ui.notify(t(success_key), type="positive")
            on_change(False)

    with ui.card().classes("w-full").props('flat bordered data-testid="decision-area"').style(
            "border-left: 4px solid var(--q-primary)"):
        if task["stage"] == "committee":
            ui.label(t("orig.vote.form")).classes("text-subtitle1 text-weight-medium")
            vote = ui.toggle({"approve": t("orig.vote.approve"), "reject": t("orig.vote.reject")},
                             value="approve").props('data-testid="vote-choice"')
            comment = ui.textarea(t("orig.detail.comment")).props(
                'outlined dense autogrow maxlength=2000 data-field="comment"').classes("w-full")
            ui.button(t("orig.vote.send"), icon="how_to_vote", on_click=lambda: act(
                lambda uow, a: service.vote_committee(uow, a, application_id, VoteRequest(
                    vote=vote.value, comment=comment.value or None)),
                "orig.vote.done", {"comment": comment})).props('unelevated color=primary data-testid="vote-send"')
            return
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(f"{t('orig.review.form')} · {label('stage', task['stage'])}").classes(
                "text-subtitle1 text-weight-medium")
            ui.label(f"{t('orig.detail.due')}：{fmt_time(task['due_at'])}").classes(
                "text-negative" if task["overdue"] else "text-grey-7")
            ui.space()
            if task["assignee_id"] is None:
                ui.button(t("orig.review.claim"), icon="pan_tool", on_click=lambda: act(
                    lambda uow, a: service.claim_task(uow, a, task["id"], task["version"]), "orig.tasks.claimed")
                          ).props('outline dense data-testid="claim-task"')
            elif task["assignee_id"] == actor.user_id:
                ui.button(t("orig.review.release"), icon="back_hand", on_click=lambda: act(
                    lambda uow, a: service.release_task(uow, a, task["id"], task["version"]), "orig.tasks.released")
                          ).props('flat dense data-testid="release-task"')
        if task["assignee_id"] not in (None, actor.user_id):
            banner(t("orig.review.not_yours", name=task["assignee"] or task["assignee_id"]), "info", "review-taken")
            return
        fields: dict[str, Any] = {}
        decision = ui.toggle({"approve": t("orig.review.approve"), "reject": t("orig.review.reject"),
                              "return": t("orig.review.return")}, value="approve").props(
            'data-testid="review-decision"')
        fields["decision"] = decision
        with ui.row().classes("w-full gap-3") as terms_row:
            fields["approved_amount"] = ui.input(t("orig.review.approved_amount"), value=f"{raw['amount']:.2f}").props(
                'outlined dense data-field="approved_amount"').classes("w-40")
            fields["approved_rate"] = ui.input(t("orig.review.approved_rate"), value=f"{raw['rate']:.2f}").props(
                'outlined dense data-field="approved_rate"').classes("w-32")
            fields["approved_term"] = ui.number(t("orig.review.approved_term"), value=raw["term"], min=1, max=120,
                                                precision=0).props('outlined dense data-field="approved_term"').classes(
                "w-32")
            fields["approved_method"] = ui.select({m: label("method", m) for m in METHODS}, value=raw["method"],
                                                  label=t("orig.review.approved_method")).props(
                'outlined dense data-field="approved_method"').classes("w-40")
            fields["conditions"] = ui.textarea(t("orig.review.conditions"), value="\n".join(raw["conditions"])).props(
                'outlined dense autogrow data-field="conditions"').classes("flex-1 min-w-[16rem]")
        fields["reason_code"] = ui.select(
            {code: i18n.pick(zh, en) for code, (en, zh) in service.REASON_CODES.items()},
            label=t("orig.review.reason_code"), clearable=True).props(
            'outlined dense data-field="reason_code"').classes("w-64")
        fields["comment"] = ui.textarea(t("orig.detail.comment")).props(
            'outlined dense autogrow maxlength=2000 data-field="comment"').classes("w-full")

        def decision_changed() -> None:
            terms_row.set_visibility(decision.value == "approve")
            fields["reason_code"].set_visibility(decision.value != "approve")

        decision.on_value_change(lambda _e: decision_changed())
        decision_changed()

        def send() -> None:
            approve = decision.value == "approve"
            term_value = fields["approved_term"].value

            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                request = ReviewRequest(
                    decision=decision.value,
                    reason_code=None if approve else fields["reason_code"].value,
                    comment=(fields["comment"].value or "").strip() or None,
                    task_version=task["version"],
                    approved_amount=fields["approved_amount"].value if approve else None,
                    approved_rate=fields["approved_rate"].value if approve else None,
                    approved_term=int(term_value) if approve and term_value is not None else None,
                    approved_method=fields["approved_method"].value if approve else None,
                    conditions=[c.strip() for c in (fields["conditions"].value or "").splitlines() if c.strip()]
                    if approve else [],
                )
                return service.review_application(uow, a, application_id, request)

            act(use_case, "orig.review.done", fields)

        ui.button(t("orig.review.send"), icon="gavel", on_click=send).props(
            'unelevated color=primary data-testid="review-send"')
