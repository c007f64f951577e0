"""Loan search with CSV export, and the loan page: balances, schedule, transactions with their allocations,
classification history, payoff quote, repayment entry, reversal and second-person confirmation dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from nicegui import ui

from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import (
    DISPLAY_ZONE,
    Column,
    DataTable,
    FormField,
    RowAction,
    confirm,
    fmt_date,
    fmt_time,
    form_dialog,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.servicing import dashboard, service
from autofin.servicing import permissions as perm
from autofin.servicing.console.common import (
    conflict_banner,
    figure_card,
    label_of,
    money,
    query_int,
    query_text,
    reopen,
    simple_table,
)
from autofin.servicing.console.operations import refund_dialog
from autofin.servicing.console.special import special_panel
from autofin.servicing.dashboard import BUCKETS, CLASSES, STATUSES, LoanFilter
from autofin.servicing.schemas import RepaymentCreate, ReversalCreate


# ------------------------------------------------------------------------------------------------ search
def loan_row(loan: Any) -> dict[str, Any]:
    return {
        "id": loan.id, "contract_no": loan.contract_no, "customer": loan.customer_name or str(loan.customer_id),
        "product": loan.product_code, "principal": money(loan.principal),
        "outstanding": money(loan.principal_outstanding), "status": label_of("servicing.status", loan.status),
        "dpd": loan.days_past_due, "bucket": loan.bucket, "class": label_of("servicing.class", loan.classification),
        "disbursed": fmt_date(loan.disbursement_date), "maturity": fmt_date(loan.maturity_date),
    }


def _options(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    return {code: label_of(prefix, code) for code in codes}


def loans_page(ctx: PageContext) -> None:
    state: dict[str, LoanFilter] = {"filter": LoanFilter()}
    with ui.row().classes("w-full items-end gap-3").props('data-testid="loan-filters"'):
        q = ui.input(t("servicing.q")).props('outlined dense clearable data-testid="loan-q"').classes("w-56")
        status = ui.select(_options("servicing.status", STATUSES), label=t("servicing.status"),
                           clearable=True).props('outlined dense data-testid="loan-status"').classes("w-36")
        dpd_min = ui.input(t("servicing.dpd_min")).props(
            'outlined dense type=number min=0 data-testid="loan-dpd-min"').classes("w-36")
        bucket = ui.select({b: b for b in BUCKETS}, label=t("servicing.bucket"), clearable=True).props(
            'outlined dense data-testid="loan-bucket"').classes("w-32")
        klass = ui.select(_options("servicing.class", CLASSES), label=t("servicing.class"), clearable=True).props(
            'outlined dense data-testid="loan-class"').classes("w-36")
        ui.button(t("servicing.query"), icon="search", on_click=lambda: run()).props(
            'unelevated data-testid="loan-search"')
        ui.button(t("servicing.export_csv"), icon="download", on_click=lambda: export()).props(
            'outline no-caps data-testid="loan-export"')
    q.on("keydown.enter", lambda: run())

    def read_filter() -> LoanFilter | None:
        raw = str(dpd_min.value or "").strip()
        dpd_min.error = None
        if raw and not raw.isdigit():
            dpd_min.error = t("servicing.bad_number")
            return None
        return LoanFilter(q=(q.value or "").strip()[:100] or None, status=status.value or None,
                          dpd_min=int(raw) if raw else None, bucket=bucket.value or None,
                          classification=klass.value or None)

    def fetch(page: int, size: int, _q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = dashboard.search_loans(uow, actor, state["filter"], page=page, size=size)
            return [loan_row(r) for r in rows], total

        return ctx.read(query, ([], 0))

    def run() -> None:
        wanted = read_filter()
        if wanted is not None:
            state["filter"] = wanted
            table.page = 1
            table.refresh()

    def export() -> None:
        wanted = read_filter()
        if wanted is None:
            return
        headers = [t(key) for key in ("servicing.contract_no", "servicing.customer", "servicing.product",
                                      "servicing.status", "servicing.dpd", "servicing.bucket", "servicing.class",
                                      "servicing.principal", "servicing.outstanding", "servicing.balance.credit",
                                      "servicing.provision", "servicing.disbursed", "servicing.maturity")]
        content = ctx.read(lambda uow, actor: dashboard.loans_csv(dashboard.export_loans(uow, actor, wanted),
                                                                  headers), None)
        if content is not None:
            ui.download(content, f"loans-{datetime.now(DISPLAY_ZONE):%Y%m%d}.csv", "text/csv")

    table = DataTable(
        columns=[Column("contract_no", "servicing.contract_no"), Column("customer", "servicing.customer"),
                 Column("product", "servicing.product"), Column("principal", "servicing.principal", "right"),
                 Column("outstanding", "servicing.outstanding", "right"), Column("status", "servicing.status"),
                 Column("dpd", "servicing.dpd", "right"), Column("bucket", "servicing.bucket"),
                 Column("class", "servicing.class"), Column("disbursed", "servicing.disbursed"),
                 Column("maturity", "servicing.maturity")],
        fetch=fetch, searchable=False, dense=True,
        actions=[RowAction("open", "servicing.open", lambda row: ui.navigate.to(f"/servicing/loan?id={row['id']}"),
                           icon="open_in_new")],
    )
    table.table.props('data-testid="loan-table"')


# ------------------------------------------------------------------------------------------------ loan page
def schedule_rows(rows: list[Any]) -> list[dict[str, Any]]:
    answer = []
    for r in rows:
        paid = r.principal_paid + r.interest_paid + r.fee_paid + r.penalty_paid
        owed = r.principal_due + r.interest_due + r.fee_due + r.penalty_due - paid - r.waived
        answer.append({
            "id": r.number, "number": r.number, "due_date": fmt_date(r.due_date), "principal": money(r.principal_due),
            "interest": money(r.interest_due), "fees": money(r.fee_due), "penalty": money(r.penalty_due),
            "paid": money(paid), "waived": money(r.waived), "owed": money(owed),
            "status": label_of("servicing.installment", r.status), "code": r.status,
        })
    return answer


def allocation_text(allocation: dict[str, Any] | None) -> str:
    """'本金 946.19；利息 120.00' — the non-zero parts a transaction paid, in the user's language."""
    if not allocation:
        return "—"
    parts = []
    for part in ("principal", "interest", "fees", "penalty", "prepayment_fee", "credit"):
        value = Decimal(str(allocation.get(part, "0") or "0"))
        if value:
            parts.append(f"{t(f'servicing.alloc.{part}')} {value:,.2f}")
    lines = allocation.get("lines") or []
    numbers = sorted({int(line["installment"]) for line in lines if line.get("installment")})
    text = "；".join(parts) or "0.00"
    return f"{text}（#{', #'.join(map(str, numbers))}）" if numbers else text


def transaction_rows(transactions: list[Any]) -> list[dict[str, Any]]:
    return [{
        "id": x.id, "type": label_of("servicing.tx", x.type), "type_code": x.type,
        "value_date": fmt_date(x.value_date), "amount": money(x.amount),
        "status": label_of("servicing.tx_status", x.status), "status_code": x.status,
        "channel": label_of("servicing.channel", x.channel), "reference": x.reference or "—",
        "allocation": allocation_text(x.allocation), "created_by": x.created_by or "—",
        "confirmed_by": x.confirmed_by or "—",
        "reversible": x.status == "confirmed" and x.type in service.APPLIED_TYPES,
        "pending": x.status == "pending", "created": fmt_time(x.created_at),
    } for x in transactions]


def history_rows(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": h["id"], "at": fmt_date(h["date"]), "from": label_of("servicing.class", h["from"]),
             "to": label_of("servicing.class", h["to"]), "reason": h["reason"] or label_of("servicing.source",
                                                                                         h["source"]),
             "by": h["by"] or "—"} for h in history]


def read_loan(uow: UnitOfWork, actor: Actor, loan_id: int) -> dict[str, Any]:
    loan = service.get_loan(uow, actor, loan_id)
    installments = service.installments_of(uow, loan)
    return {
        "loan": loan_row(loan), "id": loan.id, "version": loan.version, "status": loan.status,
        "contract_no": loan.contract_no, "classification": loan.classification,
        "balances": dashboard.balance_summary(installments, loan.credit_balance),
        "schedule": schedule_rows(installments),
        "transactions": transaction_rows(service.transactions_of(uow, loan)),
        "history": history_rows(dashboard.classification_history(uow, loan.id)),
        "business_date": service.business_date(uow),
    }


def loan_page(ctx: PageContext) -> None:
    loan_id = query_int("id")
    data = ctx.read(lambda uow, actor: read_loan(uow, actor, loan_id), None) if loan_id else None
    if data is None:
        ui.label(t("servicing.not_found")).classes("text-negative").props('data-testid="loan-missing"')
        ui.link(t("servicing.loans"), "/servicing/loans")
        return
    actor = ctx.actor
    info = data["loan"]
    with ui.card().classes("w-full").props('flat bordered data-testid="loan-header"'):
        with ui.row().classes("w-full items-center gap-4"):
            ui.label(info["contract_no"]).classes("text-h6").props('data-testid="loan-contract"')
            ui.label(info["customer"]).classes("text-subtitle1")
            ui.badge(info["status"], color="negative" if data["status"] == "overdue" else "primary").props(
                'data-testid="loan-status"')
            ui.label(f"{t('servicing.dpd')}: {info['dpd']}").props('data-testid="loan-dpd"')
            ui.label(f"{t('servicing.bucket')}: {info['bucket']}").props('data-testid="loan-bucket"')
            ui.label(f"{t('servicing.class')}: {info['class']}").props('data-testid="loan-class"')
            ui.space()
            if actor.can(perm.REFUND_REQUEST) and data["balances"]["credit"] > 0:
                ui.button(t("servicing.refund.request"), icon="currency_exchange",
                          on_click=lambda: refund_dialog(ctx, data, lambda: reopen(data, "transactions"))).props(
                    'outline data-testid="refund-request"')
            if actor.can(perm.REPAYMENT_RECORD) and data["status"] in ("active", "overdue"):
                ui.button(t("servicing.record"), icon="add_card",
                          on_click=lambda: record_dialog(ctx, data, lambda: reopen(data, "transactions"))).props(
                    'unelevated data-testid="record-repayment"')
        with ui.row().classes("text-grey-8 text-sm gap-6"):
            ui.label(f"{t('servicing.product')}: {info['product']}")
            ui.label(f"{t('servicing.principal')}: {info['principal']}")
            ui.label(f"{t('servicing.disbursed')}: {info['disbursed']}")
            ui.label(f"{t('servicing.maturity')}: {info['maturity']}")
    balances = data["balances"]
    with ui.row().classes("w-full gap-3").props('data-testid="loan-balances"'):
        for key in ("principal", "interest", "fees", "penalty", "overdue", "credit"):
            figure_card(t(f"servicing.balance.{key}"), money(balances[key]), key,
                        color="negative" if key == "overdue" and balances[key] else "primary")

    with ui.tabs().classes("w-full").props("align=left dense") as tabs:
        schedule_tab = ui.tab(t("servicing.tab.schedule")).props('data-testid="tab-schedule"')
        tx_tab = ui.tab(t("servicing.tab.transactions")).props('data-testid="tab-transactions"')
        history_tab = ui.tab(t("servicing.tab.classification")).props('data-testid="tab-classification"')
        payoff_tab = ui.tab(t("servicing.tab.payoff")).props('data-testid="tab-payoff"')
        special_tab = ui.tab(t("servicing.special")).props('data-testid="tab-special"')
    chosen = {"transactions": tx_tab, "classification": history_tab, "payoff": payoff_tab, "special": special_tab}
    with ui.tab_panels(tabs, value=chosen.get(query_text("tab") or "", schedule_tab)).classes("w-full bg-transparent"):
        with ui.tab_panel(schedule_tab).style("padding: 8px 0 0 0"):
            schedule = simple_table(
                [("number", "servicing.no", "right"), ("due_date", "servicing.due_date", "left"),
                 ("principal", "servicing.principal", "right"), ("interest", "servicing.interest", "right"),
                 ("fees", "servicing.fees", "right"), ("penalty", "servicing.penalty", "right"),
                 ("paid", "servicing.paid", "right"), ("waived", "servicing.waived", "right"),
                 ("owed", "servicing.owed", "right"), ("status", "servicing.status", "left")],
                data["schedule"], "schedule")
            schedule.add_slot("body-cell-status", '<q-td :props="props"><q-badge :color="props.row.code == '
                              "'overdue' ? 'negative' : (props.row.code == 'paid' ? 'positive' : 'grey-6')\" "
                              ':label="props.value" /></q-td>')
        with ui.tab_panel(tx_tab).style("padding: 8px 0 0 0"):
            transactions_panel(ctx, data)
        with ui.tab_panel(history_tab).style("padding: 8px 0 0 0"):
            simple_table([("at", "servicing.changed_at", "left"), ("from", "servicing.from_class", "left"),
                          ("to", "servicing.to_class", "left"), ("reason", "servicing.reason", "left"),
                          ("by", "servicing.changed_by", "left")], data["history"], "classification-history")
        with ui.tab_panel(payoff_tab).style("padding: 8px 0 0 0"):
            payoff_panel(ctx, data)
        with ui.tab_panel(special_tab).style("padding: 8px 0 0 0"):
            special_panel(ctx, data)


def transactions_panel(ctx: PageContext, data: dict[str, Any]) -> None:
    actor = ctx.actor
    table = simple_table(
        [("id", "common.id", "right"), ("type", "servicing.tx_type", "left"),
         ("value_date", "servicing.value_date", "left"), ("amount", "servicing.amount", "right"),
         ("status", "servicing.status", "left"), ("channel", "servicing.channel", "left"),
         ("reference", "servicing.reference", "left"), ("allocation", "servicing.allocation", "left"),
         ("created_by", "servicing.recorded_by", "right"), ("confirmed_by", "servicing.confirmed_by", "right"),
         ("_actions", "common.actions", "left")],
        data["transactions"], "transactions")
    buttons = []
    if actor.can(perm.REPAYMENT_CONFIRM):
        buttons.append('<q-btn v-if="props.row.pending" flat dense no-caps size="sm" color="positive" '
                       f'label="{t("servicing.confirm")}" data-action="confirm" '
                       "@click=\"() => $parent.$emit('tx_confirm', props.row)\" />")
    if actor.can(perm.TRANSACTION_REVERSE):
        buttons.append('<q-btn v-if="props.row.reversible" flat dense no-caps size="sm" color="negative" '
                       f'label="{t("servicing.reverse")}" data-action="reverse" '
                       "@click=\"() => $parent.$emit('tx_reverse', props.row)\" />")
    table.add_slot("body-cell-_actions", '<q-td :props="props">' + "".join(buttons) + "</q-td>")
    table.on("tx_confirm", lambda e: confirm_dialog(
        ctx, {**e.args, "contract_no": data["contract_no"]}, lambda: reopen(data, "transactions")))
    table.on("tx_reverse", lambda e: reverse_dialog(ctx, e.args, lambda: reopen(data, "transactions")))


def payoff_panel(ctx: PageContext, data: dict[str, Any]) -> None:
    with ui.row().classes("items-end gap-3"):
        day = ui.input(t("servicing.quote_date"), value=data["business_date"].isoformat()).props(
            'outlined dense type=date stack-label data-testid="quote-date"').classes("w-44")
        ui.button(t("servicing.quote"), icon="calculate", on_click=lambda: quote()).props(
            'unelevated data-testid="quote-run"')
    result = ui.column().classes("gap-1").props('data-testid="quote-result"')

    def quote() -> None:
        try:
            on = date.fromisoformat(str(day.value or "").strip())
        except ValueError:
            day.error = t("servicing.bad_date")
            return
        day.error = None
        answer = ctx.attempt(lambda uow, actor: service.payoff_quote(uow, actor, data["id"], on),
                         fields={"date": day})
        result.clear()
        if not answer.ok:
            return
        with result:
            simple_table([("part", "servicing.allocation", "left"), ("amount", "servicing.amount", "right")],
                         [{"id": key, "part": t(f"servicing.quote.{key}"), "amount": money(answer.result[key])}
                          for key in ("principal", "interest", "fees", "penalties", "prepayment_fee", "credit",
                                      "total")], "quote-table").classes("max-w-md")

    quote()

# ------------------------------------------------------------------------------------------------ actions in dialogs

def record_dialog(ctx: PageContext, data: dict[str, Any], after: Callable[[], Any]) -> None:
    """还款登记 on the loan as the clerk saw it (its version: a change since then is a 409 shown in the dialog)."""
    holder: dict[str, Any] = {}

    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            command = RepaymentCreate(type=values["type"] or "repayment", date=values["date"],
                                      amount=values["amount"], channel=values["channel"] or "counter",
                                      reference=values["reference"] or "", version=data["version"])
            return service.record_repayment(uow, actor, data["id"], command)

        outcome = ctx.attempt(use_case, fields=inputs, success=t("servicing.recorded"))
        if outcome.conflict and outcome.error is not None:
            box = holder["box"]
            box.clear()
            with box:
                conflict_banner(outcome.error, ui.navigate.reload)
        if outcome.ok:
            after()
        return outcome.ok

    fields = [
        FormField("type", "servicing.type", "select", "repayment",
                  {"repayment": t("servicing.tx.repayment"), "prepayment": t("servicing.tx.prepayment")},
                  required=True),
        FormField("date", "servicing.date", "date", data["business_date"].isoformat(), required=True),
        FormField("amount", "servicing.amount", required=True, max_length=20),
        FormField("channel", "servicing.channel", "select", "counter",
                  {c: t(f"servicing.channel.{c}") for c in ("counter", "transfer")}, required=True),
        FormField("reference", "servicing.reference", max_length=64),
    ]
    dialog = form_dialog(t("servicing.record_title", contract=data["contract_no"]), fields, submit,
                         intro=t("servicing.record_intro"))
    card = dialog.default_slot.children[0]  # form_dialog's card: the conflict box goes under its title
    with card:
        holder["box"] = ui.column().classes("w-full gap-0").props('data-testid="record-conflict"')
    holder["box"].move(card, target_index=2)


def reverse_dialog(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        def use_case(uow: UnitOfWork, actor: Actor) -> Any:
            command = ReversalCreate(reason=values["reason"] or "")
            return service.reverse_transaction(uow, actor, int(row["id"]), command.reason)

        outcome = ctx.attempt(use_case, fields=inputs, success=t("servicing.reversed"))
        if outcome.ok:
            after()
        return outcome.ok

    form_dialog(t("servicing.reverse_title", id=row["id"]),
                [FormField("reason", "servicing.reason", "textarea", required=True, max_length=200)], submit,
                submit_key="servicing.reverse", intro=t("servicing.reverse_intro"))


def confirm_dialog(ctx: PageContext, row: dict[str, Any], after: Callable[[], Any]) -> None:
    """复核: the second person confirms a pending repayment; it is allocated and booked."""

    def yes() -> None:
        outcome = ctx.attempt(lambda uow, actor: service.confirm_repayment(uow, actor, int(row["id"])),
                          success=t("servicing.confirmed"))
        if outcome.ok or outcome.conflict:
            after()

    confirm(t("servicing.confirm_ask", id=row["id"], contract=row.get("contract_no", ""),
              amount=row.get("amount", "")), yes)
