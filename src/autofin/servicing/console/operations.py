"""Money operations around the loan book: direct debit runs (代扣), bank statement import and matching (对账单),
and refunds (退款) with their review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from nicegui import run, ui

from autofin.console.i18n import t
from autofin.console.session import (
    PageContext,
    show_domain_error,
)
from autofin.console.widgets import (
    Column,
    DataTable,
    FormField,
    RowAction,
    confirm,
    fmt_date,
    fmt_time,
    form_dialog,
)
from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError, invalid
from autofin.servicing import dashboard, service
from autofin.servicing import permissions as perm
from autofin.servicing.console.common import label_of, log, money, simple_table
from autofin.servicing.dashboard import LoanFilter
from autofin.servicing.payments import debit, refunds, statements
from autofin.servicing.payments.debit import debit_runs

# ------------------------------------------------------------------------------------------------ direct debit
DEBIT_STATUSES = ("scheduled", "submitted", "posted", "failed", "skipped", "cancelled")


def debit_chart_options(runs: list[dict[str, Any]]) -> dict[str, Any]:
    days = list(reversed(runs))
    return {
        "animation": False,
        "title": {"text": t("servicing.debit.by_day"), "left": 0, "top": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "right": 0},
        "grid": {"left": 50, "right": 20, "top": 48, "bottom": 30},
        "xAxis": {"type": "category", "data": [fmt_date(r["date"])[5:] for r in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": label_of("servicing.debit_status", name), "type": "bar", "stack": "n",
                    "itemStyle": {"color": colour}, "data": [r[name] for r in days]}
                   for name, colour in (("posted", "#2e7d32"), ("failed", "#c62828"), ("submitted", "#3d7cc9"),
                                        ("scheduled", "#90a4c8"), ("skipped", "#bdbdbd"))],
    }


def debits_page(ctx: PageContext) -> None:
    actor = ctx.actor
    if actor.can(perm.DEBIT_SEND):
        next_day = ctx.read(lambda uow, a: service.business_date(uow), None)
        with ui.row().classes("w-full items-end gap-3"):
            day_input = ui.input(t("servicing.business_date"), value=fmt_date(next_day)).props(
                'outlined dense type=date stack-label data-testid="debit-date"').classes("w-44")
            send_button = ui.button(t("servicing.debit.send"), icon="send", on_click=lambda: ask()).props(
                'unelevated data-testid="debit-send"')
    runs = ctx.read(lambda uow, a: debit_runs(uow, a), [])
    with ui.card().classes("w-full").props("flat bordered"):
        if runs:
            ui.echart(debit_chart_options(runs)).classes("w-full h-64").props('data-testid="debit-chart"')
        simple_table([("date", "servicing.debit.date", "left"), ("attempts", "servicing.debit.attempts", "right"),
                      ("posted", "servicing.debit_status.posted", "right"),
                      ("failed", "servicing.debit_status.failed", "right"),
                      ("submitted", "servicing.debit_status.submitted", "right"),
                      ("scheduled", "servicing.debit_status.scheduled", "right"),
                      ("skipped", "servicing.debit_status.skipped", "right"),
                      ("collected", "servicing.debit.collected", "right")],
                     [{**r, "id": str(r["date"]), "date": fmt_date(r["date"]), "collected": money(r["collected"])}
                      for r in runs], "debit-runs")
    filters: dict[str, Any] = {"status": "failed"}
    table: DataTable
    with ui.row().classes("w-full items-end gap-3 q-mt-md"):
        ui.label(t("servicing.debit.attempts_title")).classes("text-subtitle1 text-weight-medium")
        ui.space()
        status = ui.select({s: label_of("servicing.debit_status", s) for s in DEBIT_STATUSES},
                           label=t("servicing.status"), value="failed", clearable=True).props(
            'outlined dense data-testid="debit-status"').classes("w-40")
        status.on_value_change(lambda e: show_status(e.value))

    def show_status(value: str | None) -> None:
        filters["status"] = value or None
        table.refresh()

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = debit.list_attempts(uow, a, status=filters["status"], page=page, size=size)
            return [{**r, "due_date": fmt_date(r["due_date"]), "scheduled_on": fmt_date(r["scheduled_on"]),
                     "amount": money(r["amount"]), "status": label_of("servicing.debit_status", r["status"]),
                     "failure_reason": r["failure_reason"] or "—"} for r in rows], total

        return ctx.read(query, ([], 0))

    table = DataTable(
        columns=[Column("contract_no", "servicing.contract_no"), Column("customer_name", "servicing.customer"),
                 Column("installment", "servicing.no", "right"), Column("attempt", "servicing.debit.attempt", "right"),
                 Column("due_date", "servicing.due_date"), Column("scheduled_on", "servicing.debit.scheduled_on"),
                 Column("amount", "servicing.amount", "right"), Column("status", "servicing.status"),
                 Column("failure_reason", "servicing.debit.failure")],
        fetch=fetch, searchable=False, dense=True,
        actions=[RowAction("open", "servicing.open", lambda row: ui.navigate.to(f"/servicing/loan?id={row['loan_id']}"),
                           icon="open_in_new")],
    )
    table.table.props('data-testid="debit-attempts"')

    def ask() -> None:
        try:
            day = date.fromisoformat(str(day_input.value or "").strip())
        except ValueError:
            day_input.error = t("servicing.bad_date")
            return
        day_input.error = None
        confirm(t("servicing.debit.send_ask", date=day.isoformat()), lambda: start(day))

    def start(day: date) -> None:
        with send_button:
            ui.timer(0.01, lambda: send(day), once=True)

    async def send(day: date) -> None:
        current = ctx.read(lambda uow, a: a, None)
        if current is None:
            return
        send_button.disable()
        try:
            result = await run.io_bound(debit.send_due_debits, ctx.autofin, current, day)
        except DomainError as exc:
            show_domain_error(exc, None)
            return
        except Exception:
            log.exception("sending direct debits failed")
            ui.notify(t("common.unexpected_error"), type="negative")
            return
        finally:
            send_button.enable()
        if result is None:
            return
        ui.notify(t("servicing.debit.sent", submitted=result.submitted, failed=result.failed,
                    skipped=result.skipped + result.cancelled, unavailable=result.unavailable),
                  type="positive" if not (result.failed or result.unavailable) else "warning", multi_line=True)
        table.refresh()


# ------------------------------------------------------------------------------------------------ statements
def statements_page(ctx: PageContext) -> None:
    with ui.row().classes("w-full items-start gap-4"):
        upload = ui.upload(label=t("servicing.statement.upload"), auto_upload=True, max_file_size=5_000_000,
                           on_upload=lambda e: imported(e)).props(
            'accept=".csv,text/csv" flat bordered data-testid="statement-upload"').classes("w-80")
        ui.label(t("servicing.statement.layout")).classes("text-grey-7 text-xs").style("max-width: 34rem")

    async def imported(event: Any) -> None:
        content = await event.file.read()
        name = event.file.name
        result = ctx.call(lambda uow, actor: statements.import_statement(uow, actor, name, content))
        upload.reset()
        if result is None:
            return
        if result.duplicate_file:
            ui.notify(t("servicing.statement.duplicate", name=name), type="warning")
        else:
            s = result.statement
            ui.notify(t("servicing.statement.imported", lines=s.lines, new=s.new_lines, matched=s.matched,
                        unmatched=s.unmatched), type="positive", multi_line=True)
        imports.refresh()
        queue.refresh()

    ui.label(t("servicing.statement.unmatched")).classes("text-subtitle1 text-weight-medium q-mt-md")

    def fetch_lines(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = statements.list_lines(uow, actor, status="unmatched", page=page, size=size)
            return [{**(v := statements.line_view(r)), "value_date": fmt_date(v["value_date"]),
                     "amount": money(v["amount"]), "note": v["note"] or "—"} for r in rows], total

        return ctx.read(query, ([], 0))

    queue = DataTable(
        columns=[Column("id", "common.id", "right"), Column("value_date", "servicing.value_date"),
                 Column("amount", "servicing.amount", "right"), Column("payer_name", "servicing.statement.payer"),
                 Column("payer_account", "servicing.statement.account"), Column("memo", "servicing.statement.memo"),
                 Column("note", "servicing.statement.note")],
        fetch=fetch_lines, searchable=False, dense=True,
        actions=[RowAction("match", "servicing.statement.match", lambda row: match_dialog(row), icon="link"),
                 RowAction("ignore", "servicing.statement.ignore", lambda row: ignore_dialog(row), icon="block",
                           color="grey-8")],
    )
    queue.table.props('data-testid="unmatched-lines"')

    def match_dialog(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            wanted = values["contract_no"]

            def use_case(uow: UnitOfWork, actor: Actor) -> Any:
                rows, _total = dashboard.search_loans(uow, actor, LoanFilter(q=wanted), size=50)
                loan = next((r for r in rows if r.contract_no == wanted), None)
                if loan is None:
                    raise invalid("contract_no", f"No visible loan has contract number {wanted}.",
                                  f"找不到合同号为 {wanted} 的贷款（或无权查看）。", "servicing.statement.invalid")
                return statements.match_line(uow, actor, int(row["id"]), loan.id, row["version"])

            outcome = ctx.attempt(use_case, fields={"contract_no": inputs["contract_no"], "loan_id":
                                                     inputs["contract_no"]}, success=t("servicing.statement.matched"))
            if outcome.ok or outcome.conflict:
                queue.refresh()
            return outcome.ok or outcome.conflict

        form_dialog(t("servicing.statement.match_title", amount=row["amount"], payer=row["payer_name"] or "—"),
                    [FormField("contract_no", "servicing.contract_no", required=True, max_length=40)], submit,
                    submit_key="servicing.statement.match", intro=t("servicing.statement.match_intro"))

    def ignore_dialog(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            outcome = ctx.attempt(lambda uow, actor: statements.ignore_line(uow, actor, int(row["id"]),
                                                                             values["note"] or "", row["version"]),
                              fields=inputs, success=t("common.done"))
            if outcome.ok or outcome.conflict:
                queue.refresh()
            return outcome.ok or outcome.conflict

        form_dialog(t("servicing.statement.ignore_title", id=row["id"]),
                    [FormField("note", "servicing.statement.note", "textarea", required=True, max_length=200)],
                    submit, submit_key="servicing.statement.ignore")

    ui.label(t("servicing.statement.imports")).classes("text-subtitle1 text-weight-medium q-mt-md")

    def fetch_imports(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = statements.list_imports(uow, actor, page=page, size=size)
            return [{"id": r.id, "file_name": r.file_name, "lines": r.lines, "new_lines": r.new_lines,
                     "matched": r.matched, "unmatched": r.unmatched, "created": fmt_time(r.created_at)}
                    for r in rows], total

        return ctx.read(query, ([], 0))

    imports = DataTable(
        columns=[Column("id", "common.id", "right"), Column("file_name", "servicing.statement.file"),
                 Column("lines", "servicing.statement.lines", "right"),
                 Column("new_lines", "servicing.statement.new_lines", "right"),
                 Column("matched", "servicing.statement.matched_count", "right"),
                 Column("unmatched", "servicing.statement.unmatched_count", "right"),
                 Column("created", "common.created_at")],
        fetch=fetch_imports, searchable=False, dense=True,
    )
    imports.table.props('data-testid="statement-imports"')


# ------------------------------------------------------------------------------------------------ refunds
REFUND_STATUSES = ("requested", "approved", "sent", "posted", "failed", "rejected")


def borrower_cards(uow: UnitOfWork, actor: Actor, customer_id: int) -> dict[int, str]:
    """The borrower's active cards as choices, or {} when the user may not list them (then the id is typed)."""
    try:
        cards = customers.list_cards(uow, actor, customer_id)
    except DomainError:
        return {}
    return {c.id: f"{c.bank_name or ''} ****{c.last4} {c.holder_name}".strip() for c in cards if c.status == "active"}


def refund_dialog(ctx: PageContext, data: dict[str, Any], after: Callable[[], Any]) -> None:
    """退款申请 of the loan's credit balance (at most what is not already on its way)."""
    def query(uow: UnitOfWork, actor: Actor) -> tuple[Decimal, dict[int, str]]:
        loan = service.get_loan(uow, actor, data["id"])
        return refunds.refundable(uow, loan), borrower_cards(uow, actor, loan.customer_id)

    found = ctx.read(query, None)
    if found is None:
        return
    available, cards = found
    card_field = (FormField("card_id", "servicing.refund.card", "select", next(iter(cards), None), cards,
                            required=True) if cards else
                  FormField("card_id", "servicing.special.card_id", required=True, max_length=19))

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            try:
                amount = Decimal(str(values["amount"]).replace(",", ""))
            except ArithmeticError:
                raise invalid("amount", "Enter an amount such as 120.50.", "请输入金额，例如 120.50。",
                              "servicing.refund.invalid") from None
            card = str(values["card_id"] or "")
            if not card.isdigit():
                raise invalid("card_id", "Choose the borrower's bank card.", "请选择借款人的银行卡。",
                              "servicing.refund.invalid")
            return refunds.request_refund(uow, actor, data["id"], amount, int(card), values["reason"] or "")

        outcome = ctx.attempt(use_case, fields=inputs, success=t("servicing.refund.requested"))
        if outcome.ok:
            after()
        return outcome.ok

    form_dialog(t("servicing.refund.title", contract=data["contract_no"]),
                [FormField("amount", "servicing.amount", value=f"{available:.2f}", required=True, max_length=20),
                 card_field, FormField("reason", "servicing.reason", "textarea", required=True, max_length=200)],
                submit, submit_key="servicing.refund.request",
                intro=t("servicing.refund.intro", available=money(available)))


def refunds_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"status": "requested"}
    table: DataTable
    with ui.row().classes("w-full items-end gap-3"):
        status = ui.select({s: label_of("servicing.refund_status", s) for s in REFUND_STATUSES},
                           label=t("servicing.status"), value="requested", clearable=True).props(
            'outlined dense data-testid="refund-status"').classes("w-40")
        status.on_value_change(lambda e: show_status(e.value))

    def show_status(value: str | None) -> None:
        filters["status"] = value or None
        table.refresh()

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = refunds.list_refunds(uow, actor, status=filters["status"], page=page, size=size)
            contracts = {i: service.get_loan(uow, actor, i).contract_no for i in {r.loan_id for r in rows}}
            return [{"id": r.id, "loan_id": r.loan_id, "contract_no": contracts[r.loan_id], "amount": money(r.amount),
                     "card": r.card_masked, "reason": r.reason, "status": label_of("servicing.refund_status", r.status),
                     "code": r.status, "note": r.review_note or r.failure_reason or "—", "version": r.version,
                     "created": fmt_time(r.created_at),
                     "can_review": r.status == "requested" and r.requested_by != actor.user_id,
                     "can_send": r.status == "approved"} for r in rows], total

        return ctx.read(query, ([], 0))

    def review(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            approve = values["decision"] != "reject"
            if not approve and not values["note"]:
                inputs["note"].error = t("common.required")
                return False
            outcome = ctx.attempt(lambda uow, actor: refunds.review_refund(
                uow, actor, int(row["id"]), approve, values["note"] or "", row["version"]), fields=inputs,
                success=t("servicing.special.approved" if approve else "servicing.special.rejected"))
            if outcome.ok or outcome.conflict:
                table.refresh()
            return outcome.ok or outcome.conflict

        form_dialog(t("servicing.refund.review_title", id=row["id"], amount=row["amount"], card=row["card"]),
                    [FormField("decision", "servicing.special.decision", "select", "approve",
                               {"approve": t("servicing.special.approve"), "reject": t("servicing.special.reject")},
                               required=True),
                     FormField("note", "servicing.special.comment", "textarea", max_length=200)], submit,
                    submit_key="servicing.special.review")

    async def send(row: dict[str, Any]) -> None:
        current = ctx.read(lambda uow, a: a, None)
        if current is None:
            return
        try:
            sent = await run.io_bound(refunds.send_refund, ctx.autofin, current, int(row["id"]))
        except DomainError as exc:
            show_domain_error(exc, None)
            return
        except Exception:
            log.exception("sending a refund failed")
            ui.notify(t("common.unexpected_error"), type="negative")
            return
        if sent is not None:
            ui.notify(t("servicing.refund.sent", status=label_of("servicing.refund_status", sent.status)),
                      type="positive" if sent.status in ("sent", "posted") else "warning")
        table.refresh()

    table = DataTable(
        columns=[Column("id", "common.id", "right"), Column("contract_no", "servicing.contract_no"),
                 Column("amount", "servicing.amount", "right"), Column("card", "servicing.refund.card"),
                 Column("reason", "servicing.reason"), Column("status", "servicing.status"),
                 Column("note", "servicing.statement.note"), Column("created", "common.created_at")],
        fetch=fetch, searchable=False, dense=True,
        actions=[RowAction("review", "servicing.special.review", review, icon="fact_check", color="positive",
                           when="row.can_review"),
                 RowAction("send", "servicing.refund.send", send, icon="send", when="row.can_send"),
                 RowAction("open", "servicing.open", lambda row: ui.navigate.to(f"/servicing/loan?id={row['loan_id']}"),
                           icon="open_in_new")],
    )
    table.table.props('data-testid="refunds"')
