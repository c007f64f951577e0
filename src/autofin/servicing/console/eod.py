"""The end-of-day batch (日终批处理): run it with progress, its steps' status and the history of runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from nicegui import run, ui

from autofin.console.i18n import t
from autofin.console.session import (
    PageContext,
    SessionEnded,
    end_session,
    show_domain_error,
)
from autofin.console.widgets import (
    Column,
    DataTable,
    RowAction,
    confirm,
    fmt_date,
    fmt_time,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.servicing import dashboard, service
from autofin.servicing import permissions as perm
from autofin.servicing.console.common import label_of, simple_table
from autofin.servicing.eod import runner
from autofin.servicing.eod.steps import STEP_JOINER


# ------------------------------------------------------------------------------------------------ end of day
def run_rows(runs: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r.id, "business_date": fmt_date(r.business_date), "status": label_of("servicing.run", r.status),
             "code": r.status, "loans": r.loans,
             "partitions": dashboard.partition_count(r), "started": fmt_time(r.created_at),
             "finished": fmt_time(r.finished_at), "error": r.error or "—"} for r in runs]


def step_rows(steps: list[dashboard.StepStatus]) -> list[dict[str, Any]]:
    return [{"id": s.step, "step": label_of("servicing.step", s.step),
             "status": label_of("servicing.step_state", s.status), "code": s.status,
             "progress": f"{s.partitions_done}/{s.partitions}", "rows": s.rows, "ms": s.milliseconds}
            for s in steps]


async def eod_page(ctx: PageContext) -> None:
    actor = ctx.actor
    next_day = ctx.read(lambda uow, a: service.business_date(uow), None)
    state: dict[str, Any] = {"running": False, "done": 0, "total": 0, "step": "", "run_id": None}
    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("w-full items-end gap-4"):
            ui.label(t("servicing.next_date", date=fmt_date(next_day))).classes("text-subtitle1").props(
                'data-testid="next-business-date"')
            ui.space()
            if actor.can(perm.EOD_RUN):
                day_input = ui.input(t("servicing.business_date"), value=fmt_date(next_day)).props(
                    'outlined dense type=date stack-label data-testid="eod-date"').classes("w-44")
                run_button = ui.button(t("servicing.run_eod"), icon="play_arrow", on_click=lambda: ask()).props(
                    'unelevated data-testid="eod-run"')
        progress_row = ui.row().classes("w-full items-center gap-3")
        with progress_row:
            bar = ui.linear_progress(value=0, show_value=False).classes("flex-1").props(
                'instant-feedback data-testid="eod-progress"')
            progress_label = ui.label("").classes("text-grey-8 text-sm").props('data-testid="eod-progress-label"')
        progress_row.set_visibility(False)

    ui.label(t("servicing.runs")).classes("text-subtitle1 text-weight-medium")

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = dashboard.eod_runs(uow, a, page=page, size=size)
            return run_rows(rows), total

        return ctx.read(query, ([], 0))

    runs = DataTable(
        columns=[Column("business_date", "servicing.business_date"), Column("status", "servicing.status"),
                 Column("loans", "servicing.loans_count", "right"),
                 Column("partitions", "servicing.partitions", "right"),
                 Column("started", "servicing.started"), Column("finished", "servicing.finished"),
                 Column("error", "servicing.error")],
        fetch=fetch, searchable=False, dense=True,
        actions=[RowAction("steps", "servicing.steps", lambda row: show_detail(int(row["id"])), icon="list")],
    )
    runs.table.props('data-testid="eod-runs"')
    runs.table.add_slot("body-cell-status", '<q-td :props="props"><q-badge :color="props.row.code == '
                        "'succeeded' ? 'positive' : (props.row.code == 'failed' ? 'negative' : 'warning')\" "
                        ':label="props.value" /></q-td>')
    detail = ui.column().classes("w-full gap-2").props('data-testid="eod-detail"')

    def show_detail(run_id: int | None) -> None:
        state["run_id"] = run_id
        detail.clear()
        if run_id is None:
            with detail:
                ui.label(t("servicing.no_runs")).classes("text-grey-7")
            return
        found = ctx.read(lambda uow, a: dashboard.eod_run_detail(uow, a, run_id), None)
        if found is None:
            return
        with detail:
            ui.label(f"{t('servicing.steps')} · {fmt_date(found.run.business_date)} · "
                     f"{label_of('servicing.run', found.run.status)}").classes("text-subtitle1 text-weight-medium")
            table = simple_table([("step", "servicing.step", "left"), ("status", "servicing.status", "left"),
                                  ("progress", "servicing.partitions", "right"), ("rows", "servicing.rows", "right"),
                                  ("ms", "servicing.duration", "right")], step_rows(found.steps), "eod-steps")
            table.add_slot("body-cell-status", '<q-td :props="props"><q-badge :color="props.row.code == '
                           "'done' ? 'positive' : (props.row.code == 'failed' ? 'negative' : "
                           "(props.row.code == 'running' ? 'warning' : 'grey-6'))\" :label=\"props.value\" /></q-td>")
            if found.run.error:
                ui.label(f"{t('servicing.error')}: {found.run.error}").classes("text-negative").props(
                    'data-testid="eod-error"')
            if found.failed_range is not None and found.failed_step is not None:
                lo, hi = found.failed_range
                ui.label(t("servicing.failed_loans", step=label_of("servicing.step", found.failed_step), lo=lo,
                           hi=hi, count=found.failed_count)).classes("text-negative")
                with ui.row().classes("gap-2").props('data-testid="eod-failed-loans"'):
                    for loan_id, contract_no in found.failed_loans:
                        ui.link(contract_no, f"/servicing/loan?id={loan_id}")

    def latest_run() -> int | None:
        rows = runs.table.rows
        return int(rows[0]["id"]) if rows else None

    show_detail(latest_run())

    def tick() -> None:
        if not state["running"]:
            return
        total = state["total"] or 1
        bar.value = state["done"] / total
        names = str(state["step"]).split(STEP_JOINER)  # a pass may run several steps at once
        steps = STEP_JOINER.join(label_of("servicing.step", name) for name in names)
        progress_label.text = f"{steps} · {state['done']}/{state['total']}"

    ui.timer(0.5, tick)

    def ask() -> None:
        raw = str(day_input.value or "").strip()
        day_input.error = None
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            day_input.error = t("servicing.bad_date")
            return
        confirm(t("servicing.run_ask", date=day.isoformat()), lambda: start(day))

    def on_progress(step: str, done: int, total: int) -> None:  # called in the worker thread: data only
        state.update(step=step, done=done, total=total)

    def start(day: date) -> None:  # the confirm dialog calls back synchronously: run the batch from a timer
        with progress_row:
            ui.timer(0.01, lambda: execute(day), once=True)

    async def execute(day: date) -> None:
        if state["running"]:
            return
        current = ctx.read(lambda uow, a: a, None)
        if current is None:
            return
        state.update(running=True, done=0, total=0, step="")
        run_button.disable()
        progress_row.set_visibility(True)
        progress_label.text = t("servicing.running")
        try:
            result = await run.io_bound(runner.run_eod, ctx.autofin, current, day, progress=on_progress)
        except SessionEnded:
            end_session()
            return
        except DomainError as exc:
            show_domain_error(exc, None)
            result = None
        except Exception as exc:  # the run is recorded as failed; say so and show its steps
            ui.notify(t("servicing.run_failed", error=f"{type(exc).__name__}: {exc}"[:300]), type="negative",
                      multi_line=True, close_button=t("common.close"))
            result = None
        finally:
            state["running"] = False
            run_button.enable()
        if result is not None:
            bar.value = 1
            message = "servicing.run_skipped" if result.skipped else "servicing.run_done"
            progress_label.text = t(message, date=result.business_date.isoformat(), loans=result.loans)
            ui.notify(progress_label.text, type="positive")
        runs.refresh()
        show_detail(latest_run())
