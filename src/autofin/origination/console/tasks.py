"""我的任务 ``/origination/tasks`` (my queue and the pool with SLA timers, claim / release, reassignment for
supervisors) and 贷审会 ``/origination/committee`` (tasks awaiting my vote)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import Column, DataTable, FormField, RowAction, form_dialog
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.origination import service
from autofin.origination.console import data
from autofin.origination.console.common import banner, duration, label, run
from autofin.origination.permissions import (
    STAGE_PERMISSIONS,
    TASK_REASSIGN,
)

# ================================================================================================ tasks
SLA_TEMPLATE = """
<q-td :props="props">
  <q-badge :color="props.row.overdue ? 'negative' : (props.row.seconds_left < 4 * 3600 ? 'warning' : 'positive')"
           :label="props.value" :data-overdue="props.row.overdue ? 'true' : 'false'" />
</q-td>"""


def tasks_page(ctx: PageContext, *, committee_only: bool = False) -> None:
    actor = ctx.actor
    stages = [s for s, p in STAGE_PERMISSIONS.items() if actor.can(p)]
    if not stages:
        banner(t("orig.tasks.no_rights"), "info", "no-review-rights")
        return
    options = {"": t("orig.tasks.all_stages"), **{s: label("stage", s) for s in stages}}
    supervisor = actor.can(TASK_REASSIGN) and not committee_only
    with ui.row().classes("w-full items-center gap-3"):
        stage = ui.select(options, value="committee" if committee_only else "", label=t("orig.stage"),
                          on_change=lambda: table.refresh()).props('outlined dense data-testid="task-stage"').classes(
            "w-40")
        if committee_only:
            stage.set_visibility(False)
        everyone = ui.switch(t("orig.tasks.supervisor"), on_change=lambda: table.refresh()).props(
            'data-testid="all-tasks"')
        everyone.set_visibility(supervisor)
        ui.label(t("orig.tasks.updated")).classes("text-grey-6 text-xs")

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> list[dict[str, Any]]:
            if supervisor and everyone.value:
                return data.all_open_tasks(uow, a, stage=stage.value or None)
            return data.queue(uow, a, stage=stage.value or None)

        rows = ctx.read(query, [])
        for row in rows:
            row["stage_label"] = label("stage", row["stage"])
            row["sla"] = (t("orig.tasks.overdue", time=duration(row["seconds_left"])) if row["seconds_left"] < 0
                          else t("orig.tasks.left", time=duration(row["seconds_left"])))
            row["queue"] = (t("orig.tasks.mine") if row["mine"] else
                            row["assignee"] or t("orig.tasks.pool"))
        return rows[(page - 1) * size: page * size], len(rows)

    def claim(row: dict[str, Any]) -> None:
        done, _refusal = run(ctx, lambda uow, a: service.claim_task(uow, a, row["id"], row["version"]))
        if done:
            ui.notify(t("orig.tasks.claimed"), type="positive")
        table.refresh()

    def release(row: dict[str, Any]) -> None:
        done, _ = run(ctx, lambda uow, a: service.release_task(uow, a, row["id"], row["version"]))
        if done:
            ui.notify(t("orig.tasks.released"), type="positive")
        table.refresh()

    def reassign(row: dict[str, Any]) -> None:
        choices = ctx.read(lambda uow, a: data.reviewers_for(uow, a, STAGE_PERMISSIONS[row["stage"]]), {})

        def submit(values: dict[str, Any], fields: dict[str, Any]) -> bool:
            done, _ = run(ctx, lambda uow, a: service.reassign_task(
                uow, a, row["id"], int(values["assignee_id"]), row["version"]), {"assignee_id": fields["assignee_id"]})
            if done:
                ui.notify(t("orig.tasks.reassigned"), type="positive")
                table.refresh()
            return bool(done)

        form_dialog(f"{t('orig.review.reassign')} · {row['number']}",
                    [FormField("assignee_id", "orig.review.reassign_to", kind="select", options=choices,
                               required=True)], submit)

    actions = [RowAction("review", "orig.review", lambda r: ui.navigate.to(
        f"/origination/review?id={r['application_id']}"), icon="fact_check")]
    if not committee_only:
        actions += [
            RowAction("claim", "orig.review.claim", claim, icon="pan_tool", when="!row.assignee_id"),
            RowAction("release", "orig.review.release", release, icon="back_hand", color="grey-8", when="row.mine"),
        ]
        if supervisor:
            actions.append(RowAction("reassign", "orig.review.reassign", reassign, icon="swap_horiz",
                                     color="grey-8"))
    table: DataTable = DataTable(
        columns=[Column("number", "orig.number"), Column("applicant_name", "orig.applicant"),
                 Column("amount", "orig.amount", align="right"), Column("product_code", "orig.product"),
                 Column("stage_label", "orig.stage"), Column("queue", "orig.tasks.owner"),
                 Column("sla", "orig.tasks.sla"), Column("due_at", "orig.detail.due")],
        fetch=fetch, actions=actions, searchable=False,
    )
    table.table.add_slot("body-cell-sla", SLA_TEMPLATE)
    table.table.props('data-testid="task-table" :table-row-class-fn="row => row.overdue ? \'bg-red-1\' : \'\'"')
    ui.timer(30.0, table.refresh)


def committee_page(ctx: PageContext) -> None:
    tasks_page(ctx, committee_only=True)
