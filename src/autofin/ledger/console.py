"""Console pages of the finance centre (财务中心): chart of accounts, journal, manual vouchers (maker → checker),
statements with drill-down and downloads, period close, cash journal with bank reconciliation, finance figures.

Every page goes through the ledger's use cases (which check the permission again); each read or action is one
short transaction through ``PageContext.read`` / ``PageContext.call``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import ui
from sqlalchemy import select

from autofin.console import i18n
from autofin.console.frame import PRIMARY, console_page
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
from autofin.kernel.money import ZERO
from autofin.ledger import cash, exports, service, statements
from autofin.ledger import permissions as perm
from autofin.ledger.models import ACTIVITIES, JournalEntry, JournalLine

GROUP = "finance"
MAX_ROWS = 500


def register_pages() -> None:
    pages: list[tuple[str, str, str, int, str, Callable[[PageContext], Any]]] = [
        ("/ledger/accounts", "ledger.accounts", perm.VIEW_ACCOUNTS, 10, "account_tree", accounts_page),
        ("/ledger/entries", "ledger.entries", perm.VIEW_ENTRIES, 20, "receipt_long", entries_page),
        ("/ledger/vouchers", "ledger.vouchers", perm.VIEW_ENTRIES, 30, "edit_note", vouchers_page),
        ("/ledger/trial-balance", "ledger.trial_balance", perm.VIEW_REPORTS, 40, "balance", trial_balance_page),
        ("/ledger/balance-sheet", "ledger.balance_sheet", perm.VIEW_REPORTS, 50, "account_balance",
         balance_sheet_page),
        ("/ledger/income-statement", "ledger.income_statement", perm.VIEW_REPORTS, 60, "trending_up",
         income_statement_page),
        ("/ledger/cash-flow", "ledger.cash_flow", perm.VIEW_REPORTS, 70, "waterfall_chart", cash_flow_page),
        ("/ledger/periods", "ledger.periods", perm.VIEW_ENTRIES, 80, "event_available", periods_page),
        ("/ledger/cash", "ledger.cash", perm.VIEW_ENTRIES, 90, "account_balance_wallet", cash_page),
        ("/ledger/figures", "ledger.figures", perm.VIEW_REPORTS, 100, "insights", figures_page),
    ]
    for route, title, permission, order, icon, build in pages:
        console_page(route, title_key=title, permission=permission, group=GROUP, order=order, icon=icon)(build)


# ------------------------------------------------------------------------------------------------ helpers
def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def this_period() -> str:
    return datetime.now(DISPLAY_ZONE).strftime("%Y-%m")


def today() -> date:
    return datetime.now(DISPLAY_ZONE).date()


def account_name(zh: str, en: str) -> str:
    return i18n.pick(zh, en)


def activity_label(value: str | None) -> str:
    return t(f"ledger.activity.{value}") if value else ""


def _columns(specs: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": t(key), "field": name, "align": align, "headerClasses": "text-weight-bold"}
        for name, key, align in specs
    ]


def simple_table(specs: list[tuple[str, str, str]], rows: list[dict[str, Any]], *, testid: str,
                 row_key: str = "id") -> ui.table:
    table = (
        ui.table(columns=_columns(specs), rows=rows, row_key=row_key, pagination=0)
        .props(f'flat bordered dense hide-pagination data-testid="{testid}"')
        .props(f'no-data-label="{t("common.empty")}"')
        .classes("w-full")
    )
    return table


def period_input(value: str) -> ui.input:
    return (
        ui.input(t("ledger.period"), value=value)
        .props('outlined dense mask="####-##" data-testid="period-input"')
        .classes("w-36")
    )


def date_input(label_key: str, value: date, testid: str) -> ui.input:
    return (
        ui.input(t(label_key), value=value.isoformat())
        .props(f'outlined dense type=date stack-label data-testid="{testid}"')
        .classes("w-44")
    )


def parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        ui.notify(t("ledger.bad_date"), type="warning")
        return None


def export_buttons(ctx: PageContext, build: Callable[[UnitOfWork, Actor], exports.Report | None]) -> None:
    """XLSX / CSV / PDF download buttons for the statement ``build`` reads now."""

    def download(fmt: str) -> None:
        report = ctx.read(build, None)
        if report is None:
            return
        content, media_type, filename = exports.render(report, fmt)
        ui.download(content, filename, media_type)

    with ui.row().classes("gap-1"):
        for fmt, icon in (("xlsx", "grid_on"), ("csv", "description"), ("pdf", "picture_as_pdf")):
            ui.button(fmt.upper(), icon=icon, on_click=lambda _e, f=fmt: download(f)).props(
                f'outline dense no-caps data-testid="export-{fmt}"'
            )


# ------------------------------------------------------------------------------------------ drill-down dialogs
def _account_label(code: str, accounts: dict[str, Any]) -> str:
    account = accounts.get(code)
    return f"{code} {account_name(account.name_zh, account.name_en)}" if account is not None else code


def entry_dialog(ctx: PageContext, entry_id: int, on_change: Callable[[], None] | None = None) -> None:
    """One journal entry with its lines; reverse it (with a reason) when permitted."""

    def query(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        entry = service.get_entry(uow, actor, entry_id)
        names = {info.id: code for code, info in service.load_accounts(uow).items()}
        accounts = {a.code: a for a in service.list_accounts(uow, actor)} if actor.can(perm.VIEW_ACCOUNTS) else {}
        reversed_by = uow.session.scalar(
            select(JournalEntry.voucher_no).where(JournalEntry.reverses_entry_id == entry.id)
        )
        return {
            "voucher_no": entry.voucher_no, "date": fmt_date(entry.business_date), "event_type": entry.event_type,
            "description": entry.description, "source": f"{entry.source_type}:{entry.source_id}",
            "posted_by": entry.posted_by, "approved_by": entry.approved_by or "",
            "posted_at": fmt_time(entry.posted_at),
            "counterparty": (entry.dimensions or {}).get("counterparty", ""), "reversed_by": reversed_by,
            "is_reversal": entry.reverses_entry_id is not None,
            "lines": [
                {
                    "id": ln.line_no,
                    "account": _account_label(names.get(ln.account_id, ""), accounts),
                    "debit": money(ln.debit) if ln.debit else "", "credit": money(ln.credit) if ln.credit else "",
                    "memo": ln.memo, "activity": activity_label(ln.activity),
                }
                for ln in entry.lines
            ],
            "total": money(entry.total_debit),
        }

    data = ctx.read(query, None)
    if data is None:
        return
    with ui.dialog() as dialog, ui.card().style("width: 56rem; max-width: 96vw").props('data-testid="entry-dialog"'):
        with ui.row().classes("w-full items-center"):
            ui.label(f"{t('ledger.entry')} {data['voucher_no']}").classes("text-h6")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        with ui.grid(columns=4).classes("w-full gap-x-6 gap-y-1 text-sm"):
            for key, value in (
                ("ledger.date", data["date"]), ("ledger.event_type", data["event_type"]),
                ("ledger.source", data["source"]), ("ledger.counterparty", data["counterparty"]),
                ("ledger.posted_by", data["posted_by"]), ("ledger.approved_by", data["approved_by"]),
                ("ledger.posted_at", data["posted_at"]), ("ledger.total", data["total"]),
            ):
                with ui.column().classes("gap-0"):
                    ui.label(t(key)).classes("text-grey-7 text-xs")
                    ui.label(str(value or "—"))
        ui.label(data["description"]).classes("text-body1")
        simple_table(
            [("account", "ledger.account", "left"), ("debit", "ledger.debit", "right"),
             ("credit", "ledger.credit", "right"), ("memo", "ledger.memo", "left"),
             ("activity", "ledger.activity", "left")],
            data["lines"], testid="entry-lines",
        )
        if data["reversed_by"]:
            ui.label(t("ledger.reversed_by", voucher=data["reversed_by"])).classes("text-negative")
        elif ctx.actor.can(perm.REVERSE_ENTRIES) and not data["is_reversal"]:

            def reverse() -> None:
                def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
                    posted = ctx.call(
                        lambda uow, actor: service.reverse_entry(uow, actor, entry_id, values["reason"]).voucher_no,
                        fields=inputs,
                    )
                    if posted:
                        ui.notify(t("ledger.reversed", voucher=posted), type="positive")
                        dialog.close()
                        if on_change:
                            on_change()
                    return bool(posted)

                form_dialog(t("ledger.reverse"), [FormField("reason", "ledger.reason", required=True, max_length=200)],
                            submit, submit_key="ledger.reverse", intro=t("ledger.reverse_intro"))

            with ui.row().classes("w-full justify-end"):
                ui.button(t("ledger.reverse"), icon="undo", on_click=reverse).props(
                    'outline color=negative data-testid="entry-reverse"'
                )
    dialog.open()


def account_detail_dialog(ctx: PageContext, code: str, start: date, end: date) -> None:
    """明细账 of an account for a date range: opening, each entry line (click → the entry), closing."""
    detail = ctx.read(lambda uow, actor: statements.account_detail(uow, actor, code, start, end), None)
    if detail is None:
        return
    rows = [
        {"id": i, "entry_id": line.entry_id, "date": fmt_date(line.business_date), "voucher_no": line.voucher_no,
         "description": line.description, "memo": line.memo, "debit": money(line.debit) if line.debit else "",
         "credit": money(line.credit) if line.credit else "", "balance": money(line.balance)}
        for i, line in enumerate(detail.lines)
    ]
    with ui.dialog() as dialog, ui.card().style("width: 64rem; max-width: 96vw").props(
        'data-testid="account-detail"'
    ):
        with ui.row().classes("w-full items-center"):
            ui.label(f"{t('ledger.account_detail')} · {detail.code} {account_name(detail.name_zh, detail.name_en)}"
                     ).classes("text-h6")
            ui.space()
            export_buttons(ctx, lambda uow, actor: exports.account_detail_report(
                statements.account_detail(uow, actor, code, start, end)))
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        ui.label(f"{start} – {end} · {t('ledger.opening')} {money(detail.opening)} · "
                 f"{t('ledger.closing')} {money(detail.closing)}").classes("text-grey-8")
        table = simple_table(
            [("date", "ledger.date", "left"), ("voucher_no", "ledger.voucher_no", "left"),
             ("description", "ledger.description", "left"), ("memo", "ledger.memo", "left"),
             ("debit", "ledger.debit", "right"), ("credit", "ledger.credit", "right"),
             ("balance", "ledger.balance", "right")],
            rows, testid="account-detail-lines",
        )
        table.classes("cursor-pointer")
        table.on("rowClick", lambda e: entry_dialog(ctx, int(e.args[1]["entry_id"])))
        ui.label(t("ledger.drill_hint_entry")).classes("text-grey-6 text-xs")
    dialog.open()


# ------------------------------------------------------------------------------------------------ chart
def accounts_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.MANAGE_ACCOUNTS)

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            accounts = service.list_accounts(uow, actor, q=q)
            rows = [
                {"id": a.id, "code": a.code, "name": account_name(a.name_zh, a.name_en), "name_zh": a.name_zh,
                 "type": t(f"ledger.type.{a.type}"), "parent": a.parent_code or "",
                 "normal": t(f"ledger.{a.normal_balance}"), "active": a.active,
                 "status": t("common.active") if a.active else t("common.inactive")}
                for a in accounts
            ]
            return rows[(page - 1) * size: page * size], len(rows)

        return ctx.read(query, ([], 0))

    def set_active(row: dict[str, Any], active: bool) -> None:
        done = ctx.call(lambda uow, actor: service.set_account_active(uow, actor, row["code"], active).id,
                        success=t("common.done"))
        if done:
            table.refresh()

    def create() -> None:
        fields = [
            FormField("code", "ledger.account_code", required=True, max_length=20),
            FormField("name_zh", "ledger.name_zh", required=True, max_length=100),
            FormField("name_en", "ledger.name_en", required=True, max_length=150),
            FormField("type", "ledger.account_type", kind="select", required=True,
                      options={k: t(f"ledger.type.{k}") for k in service.ACCOUNT_TYPES}),
            FormField("parent_code", "common.parent", max_length=20, hint_key="ledger.parent_hint"),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, actor: service.create_account(
                    uow, actor, code=values["code"], name_zh=values["name_zh"], name_en=values["name_en"],
                    type=values["type"], parent_code=values["parent_code"] or None,
                ).id,
                fields=inputs, success=t("common.saved"),
            )
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("ledger.account_new"), fields, submit)

    def toolbar() -> None:
        if can_manage:
            ui.button(t("ledger.account_new"), icon="add", on_click=create).props(
                'unelevated data-testid="account-new"')

    actions = []
    if can_manage:
        actions = [
            RowAction("disable", "common.disable", lambda r: confirm(t("ledger.account_disable_q", code=r["code"]),
                                                                   lambda: set_active(r, False), danger=True),
                      color="negative", when="row.active"),
            RowAction("enable", "common.enable", lambda r: set_active(r, True), when="!row.active"),
        ]
    table = DataTable(
        [Column("code", "ledger.account_code"), Column("name", "common.name"), Column("type", "ledger.account_type"),
         Column("parent", "common.parent"), Column("normal", "ledger.normal_balance"),
         Column("status", "common.status")],
        fetch, actions=actions, page_size=50, toolbar=toolbar, dense=True,
    )


# ------------------------------------------------------------------------------------------------ journal
def entries_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {"period": this_period(), "account": None, "source_type": None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            entries, total = service.list_entries(
                uow, actor, period=filters["period"] or None, account=filters["account"] or None,
                source_type=filters["source_type"] or None, source_id=q or None, page=page, size=size,
            )
            return [
                {"id": e.id, "voucher_no": e.voucher_no, "date": fmt_date(e.business_date),
                 "event_type": e.event_type, "description": e.description, "total": money(e.total_debit),
                 "posted_by": e.posted_by, "source": f"{e.source_type}:{e.source_id}"}
                for e in entries
            ], total

        return ctx.read(query, ([], 0))

    with ui.row().classes("items-end gap-3"):
        period = period_input(filters["period"])
        account = ui.input(t("ledger.account_code")).props('outlined dense data-testid="account-filter"').classes(
            "w-36")
        source = ui.input(t("ledger.source_type")).props("outlined dense").classes("w-40")

        def apply() -> None:
            filters.update(period=(period.value or "").strip(), account=(account.value or "").strip(),
                           source_type=(source.value or "").strip())
            table.page = 1
            table.refresh()

        ui.button(t("common.filter"), icon="filter_alt", on_click=apply).props("unelevated")
    table = DataTable(
        [Column("voucher_no", "ledger.voucher_no"), Column("date", "ledger.date"),
         Column("event_type", "ledger.event_type"), Column("description", "ledger.description"),
         Column("total", "ledger.total", align="right"), Column("source", "ledger.source"),
         Column("posted_by", "ledger.posted_by")],
        fetch,
        actions=[RowAction("detail", "common.details", lambda r: entry_dialog(ctx, r["id"], table.refresh),
                           icon="visibility")],
        search_placeholder_key="ledger.search_source",
    )


# ------------------------------------------------------------------------------------------------ vouchers
def vouchers_page(ctx: PageContext) -> None:
    can_make = ctx.actor.can(perm.CREATE_VOUCHERS)
    can_check = ctx.actor.can(perm.APPROVE_VOUCHERS)
    status_filter: dict[str, Any] = {"status": "draft" if can_check else None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            vouchers, total = service.list_vouchers(uow, actor, status=status_filter["status"], page=page, size=size)
            return [
                {"id": v.id, "date": fmt_date(v.business_date), "description": v.description,
                 "status_code": v.status, "status": t(f"ledger.voucher.{v.status}"), "maker": v.maker_name,
                 "checker": v.checker_name or "", "version": v.version, "entry_id": v.entry_id,
                 "total": money(sum((ln.debit for ln in v.lines), ZERO)), "reason": v.reject_reason or "",
                 "lines": "；".join(f"{ln.account_code} {'借' if ln.debit else '贷'} {money(ln.debit or ln.credit)}"
                                   for ln in v.lines)}
                for v in vouchers
            ], total

        return ctx.read(query, ([], 0))

    if can_make:
        maker_form(ctx, lambda: table.refresh())

    def approve(row: dict[str, Any]) -> None:
        done = ctx.call(lambda uow, actor: service.approve_voucher(uow, actor, row["id"], row["version"]).entry_id,
                        success=t("ledger.voucher.approved"))
        if done:
            table.refresh()

    def reject(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, actor: service.reject_voucher(uow, actor, row["id"], values["reason"], row["version"]).id,
                fields=inputs, success=t("ledger.voucher.rejected_note"),
            )
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("ledger.voucher.reject"), [FormField("reason", "ledger.reason", required=True, max_length=300)],
                    submit, submit_key="ledger.voucher.reject")

    with ui.row().classes("w-full items-center gap-3 q-mt-md"):
        ui.label(t("ledger.voucher.list")).classes("text-subtitle1 text-weight-medium")
        ui.space()

        def set_status(e: Any) -> None:
            status_filter["status"] = e.value or None
            table.page = 1
            table.refresh()

        ui.toggle({"draft": t("ledger.voucher.draft"), "posted": t("ledger.voucher.posted"),
                   "rejected": t("ledger.voucher.rejected"), "": t("common.all")},
                  value=status_filter["status"] or "", on_change=set_status).props(
            'dense no-caps unelevated toggle-color=primary data-testid="voucher-status"')
    actions = [
        RowAction("entry", "ledger.entry", lambda r: entry_dialog(ctx, int(r["entry_id"])), icon="receipt_long",
                  when="row.entry_id"),
    ]
    if can_check:
        actions = [
            RowAction("approve", "ledger.voucher.approve", approve, icon="check", color="positive",
                      when="row.status_code === 'draft'"),
            RowAction("reject", "ledger.voucher.reject", reject, icon="close", color="negative",
                      when="row.status_code === 'draft'"),
            *actions,
        ]
    table = DataTable(
        [Column("id", "common.id"), Column("date", "ledger.date"), Column("description", "ledger.description"),
         Column("lines", "ledger.lines"), Column("total", "ledger.total", align="right"),
         Column("status", "common.status"), Column("maker", "ledger.maker"), Column("checker", "ledger.checker"),
         Column("reason", "ledger.reason")],
        fetch, actions=actions, searchable=False,
    )


def maker_form(ctx: PageContext, on_created: Callable[[], None]) -> None:
    """制单: date, description, counterparty and lines; the debit/credit totals are checked as you type."""
    options: dict[str, str] = ctx.read(
        lambda uow, actor: {
            a.code: f"{a.code} {account_name(a.name_zh, a.name_en)}"
            for a in service.list_accounts(uow, actor, include_inactive=False)
            if not service.load_accounts(uow)[a.code].is_parent
        },
        {},
    )
    activities = {"": "—", **{a: t(f"ledger.activity.{a}") for a in ACTIVITIES}}
    lines: list[dict[str, Any]] = []

    with ui.card().classes("w-full").props('flat bordered data-testid="voucher-form"'):
        ui.label(t("ledger.voucher.new")).classes("text-subtitle1 text-weight-medium")
        with ui.row().classes("w-full items-end gap-3"):
            day = date_input("ledger.date", today(), "voucher-date")
            description = ui.input(t("ledger.description")).props(
                'outlined dense maxlength=300 data-testid="voucher-description"').classes("flex-grow")
            counterparty = ui.input(t("ledger.counterparty")).props(
                'outlined dense maxlength=100 data-testid="voucher-counterparty"').classes("w-56")
        grid = ui.column().classes("w-full gap-1")
        with ui.row().classes("w-full items-center gap-4"):
            ui.button(t("ledger.add_line"), icon="add", on_click=lambda: add_line()).props(
                'flat dense no-caps data-testid="voucher-add-line"')
            ui.space()
            totals = ui.label("").props('data-testid="voucher-totals"').classes("text-body2")
            submit_button = ui.button(t("ledger.voucher.submit"), icon="send", on_click=lambda: submit()).props(
                'unelevated data-testid="voucher-submit"')

    def amount(value: Any) -> Decimal | None:
        text = str(value or "").replace(",", "").strip()
        if not text:
            return ZERO
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() and number >= 0 and number == number.quantize(Decimal("0.01")) else None

    def recompute() -> None:
        debit = credit = ZERO
        bad = False
        for line in lines:
            d, c = amount(line["debit"].value), amount(line["credit"].value)
            line["debit"].error = None if d is not None else t("ledger.bad_amount")
            line["credit"].error = None if c is not None else t("ledger.bad_amount")
            if d is None or c is None or (d and c):
                bad = True
                continue
            debit += d
            credit += c
        balanced = not bad and debit == credit and debit > ZERO
        difference = debit - credit
        totals.text = t("ledger.voucher.totals", debit=money(debit), credit=money(credit),
                        difference=money(difference))
        totals.classes(replace="text-body2 " + ("text-positive" if balanced else "text-negative"))
        totals.props(f'data-balanced="{str(balanced).lower()}"')
        submit_button.set_enabled(balanced)

    def add_line(code: str | None = None) -> None:
        index = len(lines)
        with grid, ui.row().classes("w-full items-center gap-2 no-wrap") as row:
            account = ui.select(options, value=code, with_input=True, label=t("ledger.account")).props(
                f'outlined dense options-dense data-field="line-{index}-account"').classes("w-72")
            debit = ui.input(t("ledger.debit"), on_change=lambda: recompute()).props(
                f'outlined dense data-field="line-{index}-debit" input-class="text-right"').classes("w-36")
            credit = ui.input(t("ledger.credit"), on_change=lambda: recompute()).props(
                f'outlined dense data-field="line-{index}-credit" input-class="text-right"').classes("w-36")
            memo = ui.input(t("ledger.memo")).props(f'outlined dense maxlength=200 data-field="line-{index}-memo"'
                                                    ).classes("flex-grow")
            activity = ui.select(activities, value="", label=t("ledger.activity")).props(
                f'outlined dense data-field="line-{index}-activity"').classes("w-36")
            line = {"row": row, "account": account, "debit": debit, "credit": credit, "memo": memo,
                    "activity": activity}

            def remove() -> None:
                if len(lines) > 2:
                    lines.remove(line)
                    row.delete()
                    recompute()

            ui.button(icon="delete_outline", on_click=remove).props("flat round dense color=grey-7")
        lines.append(line)
        recompute()

    def reset() -> None:
        for line in list(lines):
            line["row"].delete()
        lines.clear()
        description.value = ""
        counterparty.value = ""
        add_line()
        add_line()

    def submit() -> None:
        day_value = parse_day(day.value)
        if day_value is None:
            return
        if not (description.value or "").strip():
            description.error = t("common.required")
            return
        description.error = None
        inputs = []
        for line in lines:
            if not line["account"].value:
                line["account"].error = t("common.required")
                return
            line["account"].error = None
            inputs.append(service.VoucherLineInput(
                line["account"].value, amount(line["debit"].value) or ZERO, amount(line["credit"].value) or ZERO,
                (line["memo"].value or "").strip(), line["activity"].value or None,
            ))
        command = service.VoucherInput(day_value, description.value.strip(), inputs,
                                       counterparty=(counterparty.value or "").strip() or None)
        created = ctx.call(lambda uow, actor: service.create_voucher(uow, actor, command).id,
                           fields={"description": description})
        if created:
            ui.notify(t("ledger.voucher.created", id=created), type="positive")
            reset()
            on_created()

    add_line()
    add_line()


# ------------------------------------------------------------------------------------------------ statements
def trial_balance_page(ctx: PageContext) -> None:
    state: dict[str, Any] = {"period": this_period()}
    with ui.row().classes("w-full items-end gap-3"):
        period = period_input(state["period"])
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props(
            'unelevated data-testid="query"')
        ui.space()
        export_buttons(ctx, lambda uow, actor: exports.trial_balance_report(
            statements.trial_balance(uow, actor, state["period"])))
    status = ui.label("").props('data-testid="tb-status"')
    table = simple_table(
        [("code", "ledger.account_code", "left"), ("name", "ledger.account", "left"),
         ("opening_debit", "ledger.opening_debit", "right"), ("opening_credit", "ledger.opening_credit", "right"),
         ("period_debit", "ledger.period_debit", "right"), ("period_credit", "ledger.period_credit", "right"),
         ("closing_debit", "ledger.closing_debit", "right"), ("closing_credit", "ledger.closing_credit", "right")],
        [], testid="trial-balance",
    ).classes("cursor-pointer")
    ui.label(t("ledger.drill_hint")).classes("text-grey-6 text-xs")

    def drill(e: Any) -> None:
        row = e.args[1]
        if row.get("code"):
            from autofin.ledger.service import parse_period

            start, end = parse_period(state["period"])
            account_detail_dialog(ctx, row["code"], start, end)

    table.on("rowClick", drill)

    def load() -> None:
        state["period"] = (period.value or "").strip()
        tb = ctx.read(lambda uow, actor: statements.trial_balance(uow, actor, state["period"]), None)
        if tb is None:
            return
        rows = [
            {"id": r.code, "code": r.code,
             "name": ("　" if len(r.code) > 4 else "") + account_name(r.name_zh, r.name_en)
             + (" Σ" if r.is_summary else ""),
             **{k: money(getattr(r, k)) for k in ("opening_debit", "opening_credit", "period_debit",
                                                    "period_credit", "closing_debit", "closing_credit")}}
            for r in tb.rows
        ]
        rows.append({"id": "_total", "code": "", "name": t("ledger.total"),
                     **{k: money(getattr(tb, k)) for k in ("opening_debit", "opening_credit", "period_debit",
                                                             "period_credit", "closing_debit", "closing_credit")}})
        table.rows = rows
        table.update()
        status.text = t("ledger.balanced") if tb.balanced else t("ledger.unbalanced")
        status.classes(replace="text-positive" if tb.balanced else "text-negative")

    load()


def _statement_table(rows: list[dict[str, Any]], testid: str, on_drill: Callable[[str], None]) -> ui.table:
    table = simple_table(
        [("code", "ledger.account_code", "left"), ("name", "ledger.item", "left"),
         ("amount", "ledger.amount", "right")],
        rows, testid=testid,
    ).classes("cursor-pointer")
    table.add_slot("body-cell-name", '<q-td :props="props" :class="props.row.bold ? \'text-weight-bold\' : \'\'">'
                                     "{{ props.value }}</q-td>")
    table.on("rowClick", lambda e: on_drill(e.args[1].get("code") or ""))
    return table


def _report_rows(report: exports.Report) -> list[dict[str, Any]]:
    return [
        {"id": i, "code": str(row[0] or ""), "name": str(row[1] or ""),
         "amount": money(row[-1]) if isinstance(row[-1], Decimal) else "", "bold": i in report.bold_rows}
        for i, row in enumerate(report.rows)
    ]


def balance_sheet_page(ctx: PageContext) -> None:
    state: dict[str, Any] = {"date": today()}
    with ui.row().classes("w-full items-end gap-3"):
        day = date_input("ledger.as_of", state["date"], "date-input")
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props('unelevated data-testid="query"')
        ui.space()
        export_buttons(ctx, lambda uow, actor: exports.balance_sheet_report(
            statements.balance_sheet(uow, actor, state["date"])))
    status = ui.label("")

    def drill(code: str) -> None:
        if code:
            as_of: date = state["date"]
            account_detail_dialog(ctx, code, as_of.replace(day=1), as_of)

    table = _statement_table([], "balance-sheet", drill)
    ui.label(t("ledger.drill_hint_month")).classes("text-grey-6 text-xs")

    def load() -> None:
        value = parse_day(day.value)
        if value is None:
            return
        state["date"] = value
        sheet = ctx.read(lambda uow, actor: statements.balance_sheet(uow, actor, value), None)
        if sheet is None:
            return
        table.rows = _report_rows(exports.balance_sheet_report(sheet))
        table.update()
        status.text = t("ledger.bs_balanced") if sheet.balanced else t("ledger.bs_unbalanced")
        status.classes(replace="text-positive" if sheet.balanced else "text-negative")

    load()


def income_statement_page(ctx: PageContext) -> None:
    state: dict[str, Any] = {"period": this_period()}
    with ui.row().classes("w-full items-end gap-3"):
        period = period_input(state["period"])
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props('unelevated data-testid="query"')
        ui.space()
        export_buttons(ctx, lambda uow, actor: exports.income_statement_report(
            statements.income_statement(uow, actor, state["period"])))

    def drill(code: str) -> None:
        if code:
            start, end = service.parse_period(state["period"])
            account_detail_dialog(ctx, code, start, end)

    table = _statement_table([], "income-statement", drill)
    ui.label(t("ledger.drill_hint")).classes("text-grey-6 text-xs")

    def load() -> None:
        state["period"] = (period.value or "").strip()
        figures = ctx.read(lambda uow, actor: statements.income_statement(uow, actor, state["period"]), None)
        if figures is not None:
            table.rows = _report_rows(exports.income_statement_report(figures))
            table.update()

    load()


def cash_flow_page(ctx: PageContext) -> None:
    state: dict[str, Any] = {"period": this_period()}
    with ui.row().classes("w-full items-end gap-3"):
        period = period_input(state["period"])
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props('unelevated data-testid="query"')
        ui.space()
        export_buttons(ctx, lambda uow, actor: exports.cash_flow_report(
            statements.cash_flow_statement(uow, actor, state["period"])))
    status = ui.label("")
    table = simple_table(
        [("code", "ledger.account_code", "left"), ("name", "ledger.item", "left"),
         ("inflow", "ledger.inflow", "right"), ("outflow", "ledger.outflow", "right"),
         ("net", "ledger.net", "right")],
        [], testid="cash-flow",
    )
    table.add_slot("body-cell-name", '<q-td :props="props" :class="props.row.bold ? \'text-weight-bold\' : \'\'">'
                                     "{{ props.value }}</q-td>")

    def load() -> None:
        state["period"] = (period.value or "").strip()
        figures = ctx.read(lambda uow, actor: statements.cash_flow_statement(uow, actor, state["period"]), None)
        if figures is None:
            return
        rows = []
        for i, row in enumerate(exports.cash_flow_report(figures).rows):
            code, name, inflow, outflow, net = row
            rows.append({"id": i, "code": code or "", "name": name or "",
                         "inflow": money(inflow) if isinstance(inflow, Decimal) else "",
                         "outflow": money(outflow) if isinstance(outflow, Decimal) else "",
                         "net": money(net) if isinstance(net, Decimal) else "", "bold": not code})
        table.rows = rows
        table.update()
        status.text = t("ledger.cash_flow_ties") if figures.ties else t("ledger.cash_flow_broken")
        status.classes(replace="text-positive" if figures.ties else "text-negative")

    load()


# ------------------------------------------------------------------------------------------------ periods
def periods_page(ctx: PageContext) -> None:
    can_close = ctx.actor.can(perm.CLOSE_PERIODS)
    can_reopen = ctx.actor.can(perm.REOPEN_PERIODS)

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows = [
                {"id": p.period, "period": p.period, "status_code": p.status, "status": t(f"ledger.period.{p.status}"),
                 "vouchers": p.last_sequence, "closed_at": fmt_time(p.closed_at), "closed_by": p.closed_by or ""}
                for p in service.list_periods(uow, actor)
                if not q or q in p.period
            ]
            return rows[(page - 1) * size: page * size], len(rows)

        return ctx.read(query, ([], 0))

    boxes: dict[str, ui.column] = {}

    def show_checklist(row: dict[str, Any]) -> None:
        found = ctx.read(lambda uow, actor: service.period_checklist(uow, actor, row["period"]), None)
        checklist_box = boxes["checklist"]
        checklist_box.clear()
        if found is None:
            return
        with checklist_box, ui.card().classes("w-full").props('flat bordered data-testid="checklist"'):
            ui.label(t("ledger.checklist_of", period=row["period"])).classes("text-subtitle1 text-weight-medium")
            for name, ok, notes in found.items:
                with ui.row().classes("items-start gap-2 no-wrap"):
                    ui.icon("check_circle" if ok else "cancel", color="positive" if ok else "negative")
                    with ui.column().classes("gap-0"):
                        base, _sep, extra = name.partition(":")
                        ui.label(t(f"ledger.check.{base}") + (f" · {extra}" if extra else ""))
                        for note in notes:
                            ui.label(note).classes("text-grey-7 text-xs")

    def close(row: dict[str, Any]) -> None:
        def go() -> None:
            done = ctx.call(lambda uow, actor: service.close_period(uow, actor, row["period"]).passed,
                            success=t("ledger.period.closed_note", period=row["period"]))
            if done:
                table.refresh()
            show_checklist(row)

        confirm(t("ledger.period.close_q", period=row["period"]), go)

    def reopen(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(lambda uow, actor: service.reopen_period(uow, actor, row["period"], values["reason"]).id,
                            fields=inputs, success=t("ledger.period.reopened", period=row["period"]))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("ledger.period.reopen"), [FormField("reason", "ledger.reason", kind="textarea", required=True,
                                                          max_length=300, hint_key="ledger.reopen_hint")],
                    submit, submit_key="ledger.period.reopen")

    actions = []
    if can_close:
        actions += [
            RowAction("checklist", "ledger.checklist", show_checklist, icon="checklist"),
            RowAction("close", "ledger.period.close", close, icon="lock", when="row.status_code === 'open'"),
        ]
    if can_reopen:
        actions.append(RowAction("reopen", "ledger.period.reopen", reopen, icon="lock_open", color="negative",
                                 when="row.status_code === 'closed'"))
    table = DataTable(
        [Column("period", "ledger.period"), Column("status", "common.status"),
         Column("vouchers", "ledger.voucher_count", align="right"), Column("closed_at", "ledger.closed_at"),
         Column("closed_by", "ledger.closed_by")],
        fetch, actions=actions,
    )
    boxes["checklist"] = ui.column().classes("w-full")


# ------------------------------------------------------------------------------------------------ cash journal
def cash_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.MANAGE_CASH)
    month_start = today().replace(day=1)
    state: dict[str, Any] = {"bank": None, "start": month_start, "end": today()}

    def banks(uow: UnitOfWork, actor: Actor) -> dict[int, str]:
        return {b.id: f"{b.name} · {b.bank_name} · {b.number_masked}（{b.account_code}）"
                for b in cash.list_bank_accounts(uow, actor)}

    options = ctx.read(banks, {})
    state["bank"] = next(iter(options), None)

    with ui.row().classes("w-full items-end gap-3"):
        bank_select = ui.select(options, value=state["bank"], label=t("ledger.bank_account")).props(
            'outlined dense data-testid="bank-select"').classes("w-96")
        start = date_input("common.from", state["start"], "cash-start")
        end = date_input("common.to", state["end"], "cash-end")
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props('unelevated data-testid="query"')
        ui.space()
        if can_manage:
            ui.button(t("ledger.bank_new"), icon="add", on_click=lambda: create_bank()).props(
                'outline data-testid="bank-new"')

    summary = ui.label("").classes("text-body2")
    with ui.tabs().classes("w-full").props("align=left dense") as tabs:
        journal_tab = ui.tab(t("ledger.cash_journal"))
        reconcile_tab = ui.tab(t("ledger.reconciliation"))
    with ui.tab_panels(tabs, value=journal_tab).classes("w-full bg-transparent"):
        with ui.tab_panel(journal_tab).style("padding: 8px 0 0 0"):
            journal_table = simple_table(
                [("date", "ledger.date", "left"), ("voucher_no", "ledger.voucher_no", "left"),
                 ("description", "ledger.description", "left"), ("counterparty", "ledger.counterparty", "left"),
                 ("receipt", "ledger.receipt", "right"), ("payment", "ledger.payment", "right"),
                 ("balance", "ledger.balance", "right"), ("activity", "ledger.activity", "left"),
                 ("matched", "ledger.matched", "left")],
                [], testid="cash-journal",
            ).classes("cursor-pointer")
            journal_table.on("rowClick", lambda e: entry_dialog(ctx, int(e.args[1]["entry_id"])))
        with ui.tab_panel(reconcile_tab).style("padding: 8px 0 0 0"):
            with ui.row().classes("w-full items-center gap-3"):
                if can_manage:
                    upload = ui.upload(label=t("ledger.upload_statement"), auto_upload=True,
                                       max_file_size=5_000_000, on_upload=lambda e: imported(e)).props(
                        'accept=".csv,text/csv" flat bordered data-testid="statement-upload"').classes("w-80")
                    window = ui.number(t("ledger.window_days"), value=cash.DEFAULT_WINDOW_DAYS, min=0, max=31,
                                       step=1).props("outlined dense").classes("w-36")
                    ui.button(t("ledger.auto_match"), icon="join_inner", on_click=lambda: auto()).props(
                        'unelevated data-testid="auto-match"')
                    ui.button(t("ledger.match_selected"), icon="link", on_click=lambda: manual()).props(
                        'outline data-testid="manual-match"')
                ui.space()
                ui.label(t("ledger.csv_layout")).classes("text-grey-7 text-xs").style("max-width: 34rem")
            with ui.row().classes("w-full gap-4 no-wrap items-start"):
                with ui.column().classes("flex-1 gap-1"):
                    ui.label(t("ledger.unmatched_bank")).classes("text-subtitle2")
                    bank_lines = ui.table(columns=_columns(
                        [("date", "ledger.date", "left"), ("amount", "ledger.amount", "right"),
                         ("counterparty", "ledger.counterparty", "left"), ("reference", "ledger.reference", "left")]),
                        rows=[], row_key="id", selection="single", pagination=0,
                    ).props('flat bordered dense hide-pagination data-testid="unmatched-bank"').classes("w-full")
                with ui.column().classes("flex-1 gap-1"):
                    ui.label(t("ledger.unmatched_book")).classes("text-subtitle2")
                    book_lines = ui.table(columns=_columns(
                        [("date", "ledger.date", "left"), ("voucher_no", "ledger.voucher_no", "left"),
                         ("amount", "ledger.amount", "right"), ("counterparty", "ledger.counterparty", "left")]),
                        rows=[], row_key="id", selection="single", pagination=0,
                    ).props('flat bordered dense hide-pagination data-testid="unmatched-book"').classes("w-full")
            ui.label(t("ledger.matched_lines")).classes("text-subtitle2 q-mt-md")
            matched_table = DataTable(
                [Column("date", "ledger.date"), Column("amount", "ledger.amount", align="right"),
                 Column("counterparty", "ledger.counterparty"), Column("reference", "ledger.reference"),
                 Column("voucher_no", "ledger.voucher_no"), Column("kind", "ledger.match_kind"),
                 Column("by", "ledger.matched_by")],
                lambda page, size, q: _matched_rows(ctx, state, page, size),
                actions=[RowAction("unmatch", "ledger.unmatch", lambda r: unmatch(r), icon="link_off",
                                   color="negative")] if can_manage else [],
                searchable=False, dense=True,
            )

    def load() -> None:
        state["bank"] = bank_select.value
        first, last = parse_day(start.value), parse_day(end.value)
        if first is None or last is None:
            return
        state["start"], state["end"] = first, last
        if state["bank"] is None:
            summary.text = t("ledger.no_bank_accounts")
            return
        bank_id = int(state["bank"])

        def query(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
            journal = cash.cash_journal(uow, actor, bank_id, first, last)
            open_items = cash.unmatched_items(uow, actor, bank_id)
            return {"journal": journal, "open": open_items,
                    "bank_rows": [{"id": x.id, "date": fmt_date(x.value_date), "amount": money(x.amount),
                                   "counterparty": x.counterparty, "reference": x.reference}
                                  for x in open_items.statement_lines],
                    "counts": cash.statement_summary(uow, actor, bank_id)}

        data = ctx.read(query, None)
        if data is None:
            return
        journal = data["journal"]
        journal_table.rows = [
            {"id": x.line_id, "entry_id": x.entry_id, "date": fmt_date(x.business_date), "voucher_no": x.voucher_no,
             "description": x.description, "counterparty": x.counterparty or x.memo,
             "receipt": money(x.receipt) if x.receipt else "", "payment": money(x.payment) if x.payment else "",
             "balance": money(x.balance), "activity": activity_label(x.activity),
             "matched": "✓" if x.statement_line_id else ""}
            for x in journal.lines
        ]
        journal_table.update()
        summary.text = t("ledger.cash_summary", opening=money(journal.opening), receipts=money(journal.total_receipts),
                         payments=money(journal.total_payments), closing=money(journal.closing),
                         matched=data["counts"]["matched"], unmatched=data["counts"]["unmatched"])
        bank_lines.rows = data["bank_rows"]
        bank_lines.selected = []
        bank_lines.update()
        book_lines.rows = [
            {"id": x.line_id, "date": fmt_date(x.business_date), "voucher_no": x.voucher_no,
             "amount": money(x.receipt - x.payment), "counterparty": x.counterparty or x.description}
            for x in data["open"].journal_lines
        ]
        book_lines.selected = []
        book_lines.update()
        matched_table.refresh()

    async def imported(event: Any) -> None:
        if state["bank"] is None:
            ui.notify(t("ledger.no_bank_accounts"), type="warning")
            return
        content = await event.file.read()
        name = event.file.name
        bank_id = int(state["bank"])
        result = ctx.call(lambda uow, actor: cash.import_statement(uow, actor, bank_id, name, content))
        upload.reset()
        if result is not None:
            ui.notify(t("ledger.imported", lines=result.line_count, matched=result.matched), type="positive")
            load()

    def auto() -> None:
        if state["bank"] is None:
            return
        bank_id = int(state["bank"])
        days = int(window.value or 0)
        pairs = ctx.call(lambda uow, actor: cash.auto_match(uow, actor, bank_id, days))
        if pairs is not None:
            ui.notify(t("ledger.auto_matched", count=len(pairs)), type="positive")
            load()

    def manual() -> None:
        if not bank_lines.selected or not book_lines.selected:
            ui.notify(t("ledger.select_both"), type="warning")
            return
        statement_id, line_id = int(bank_lines.selected[0]["id"]), int(book_lines.selected[0]["id"])
        done = ctx.call(lambda uow, actor: cash.match_manually(uow, actor, statement_id, line_id).id,
                        success=t("ledger.matched_note"))
        if done:
            load()

    def unmatch(row: dict[str, Any]) -> None:
        done = ctx.call(lambda uow, actor: cash.unmatch(uow, actor, int(row["id"])).id, success=t("common.done"))
        if done:
            load()

    def create_bank() -> None:
        fields = [
            FormField("name", "ledger.bank_name_field", required=True, max_length=100),
            FormField("bank_name", "ledger.bank", required=True, max_length=100),
            FormField("number", "ledger.bank_number", required=True, max_length=40, hint_key="ledger.number_hint"),
            FormField("account_code", "ledger.account_code", required=True, value="1002", max_length=20),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            created = ctx.call(
                lambda uow, actor: cash.create_bank_account(
                    uow, actor, name=values["name"], bank_name=values["bank_name"], number=values["number"],
                    account_code=values["account_code"]).id,
                fields=inputs, success=t("common.saved"),
            )
            if created:
                bank_select.options = ctx.read(banks, {})
                bank_select.value = created
                bank_select.update()
                load()
            return bool(created)

        form_dialog(t("ledger.bank_new"), fields, submit)

    load()


def _matched_rows(ctx: PageContext, state: dict[str, Any], page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    if state.get("bank") is None:
        return [], 0
    bank_id = int(state["bank"])

    def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
        lines = cash.list_statement_lines(uow, actor, bank_id, matched=True)
        vouchers = dict(
            uow.session.execute(
                select(JournalLine.id, JournalEntry.voucher_no)
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .where(JournalLine.id.in_([x.matched_line_id for x in lines]))
            ).tuples().all()
        ) if lines else {}
        rows = [
            {"id": x.id, "date": fmt_date(x.value_date), "amount": money(x.amount), "counterparty": x.counterparty,
             "reference": x.reference, "voucher_no": vouchers.get(x.matched_line_id or 0, ""),
             "kind": t(f"ledger.match.{x.match_kind}"), "by": x.matched_by or ""}
            for x in lines
        ]
        return rows[(page - 1) * size: page * size], len(rows)

    return ctx.read(query, ([], 0))


# ------------------------------------------------------------------------------------------------ figures
def figures_page(ctx: PageContext) -> None:
    state: dict[str, Any] = {"period": this_period()}
    with ui.row().classes("w-full items-end gap-3"):
        period = period_input(state["period"])
        account = ui.input(t("ledger.account_code"), value=statements.LOAN_ACCOUNT).props("outlined dense").classes(
            "w-32")
        ui.button(t("ledger.query"), icon="search", on_click=lambda: load()).props('unelevated data-testid="query"')
    with ui.row().classes("w-full gap-4"):
        cards: dict[str, ui.label] = {}
        for key, icon in (("average", "functions"), ("closing", "account_balance"), ("rate", "percent")):
            with ui.card().classes("min-w-[14rem] flex-1").props("flat bordered"), ui.row().classes(
                "items-center no-wrap gap-4"
            ):
                ui.icon(icon, color="primary").classes("text-4xl")
                with ui.column().classes("gap-0"):
                    ui.label(t(f"ledger.figure.{key}")).classes("text-grey-7 text-sm")
                    cards[key] = ui.label("–").classes("text-h5 text-weight-bold").props(f'data-figure="{key}"')
                    if key == "rate":
                        cards["reason"] = ui.label("").classes("text-grey-7 text-xs")
    chart = ui.echart({
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 90, "right": 24, "top": 36, "bottom": 30},
        "xAxis": {"type": "category", "data": []},
        "yAxis": {"type": "value"},
        "series": [{"name": t("ledger.figure.daily"), "type": "line", "data": [], "smooth": False,
                    "areaStyle": {"opacity": 0.08}, "itemStyle": {"color": PRIMARY}}],
        "title": {"text": t("ledger.figure.daily"), "left": 0, "textStyle": {"fontSize": 14}},
    }).classes("w-full h-80").props('data-testid="daily-chart"')

    def load() -> None:
        state["period"] = (period.value or "").strip()
        code = (account.value or statements.LOAN_ACCOUNT).strip()

        def query(uow: UnitOfWork, actor: Actor) -> Any:
            start, end = service.parse_period(state["period"])
            return statements.finance_figures(uow, actor, start, end, code)

        figures = ctx.read(query, None)
        if figures is None:
            return
        cards["average"].text = money(figures.average_daily_balance)
        cards["closing"].text = money(figures.closing_balance)
        if figures.weighted_average_rate is None:
            cards["rate"].text = t("ledger.figure.not_available")
            cards["reason"].text = i18n.pick(figures.rate_unavailable_zh or "", figures.rate_unavailable_en or "")
        else:
            cards["rate"].text = f"{figures.weighted_average_rate * 100:.4f}%"
            cards["reason"].text = t("ledger.figure.rate_source", source=figures.rate_source or "")
        chart.options["xAxis"]["data"] = [day.isoformat()[5:] for day, _balance in figures.daily]
        chart.options["series"][0]["data"] = [str(balance) for _day, balance in figures.daily]
        chart.update()

    load()
