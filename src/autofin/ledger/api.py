"""Ledger API (thin): parse → service → commit → return. Money crosses the wire as strings."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.kernel.errors import invalid
from autofin.ledger import bankcsv, cash, exports, service, statements
from autofin.ledger.figures import CashFlowStatement, Checklist
from autofin.ledger.schemas import (
    AccountDetailPublic,
    AccountPublic,
    AutoMatchRequest,
    AutoMatchResult,
    BalanceSheetPublic,
    BankAccountCreate,
    BankAccountPublic,
    BankStatementLinePublic,
    CashFlowItemPublic,
    CashFlowSectionPublic,
    CashFlowStatementPublic,
    CashJournalLinePublic,
    CashJournalPublic,
    ChecklistItemPublic,
    ChecklistPublic,
    DailyBalancePublic,
    EntryPublic,
    FinanceFiguresPublic,
    ImportResultPublic,
    IncomeStatementPublic,
    ManualMatchRequest,
    PeriodPublic,
    ReopenRequest,
    ReverseRequest,
    TrialBalancePublic,
    UnmatchedPublic,
    VoucherCreate,
    VoucherDecision,
    VoucherPublic,
    VoucherReject,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger 总账"])
PeriodQuery = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-11"])]
FormatQuery = Annotated[
    Literal["xlsx", "csv", "pdf"] | None, Query(description="download the statement as a file instead of JSON")
]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in exports.FORMATS.values()}}
}


def _export(report: exports.Report, fmt: str) -> Response:
    content, media_type, filename = exports.render(report, fmt)
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/accounts", response_model=ListResponse[AccountPublic])
def list_accounts(uow: UowDep, actor: ActorDep, page: PageDep) -> ListResponse[AccountPublic]:
    accounts = service.list_accounts(uow, actor, q=page.q)
    return ListResponse(data=[AccountPublic.model_validate(a) for a in accounts], count=len(accounts))


@router.get("/entries", response_model=ListResponse[EntryPublic])
def list_entries(
    uow: UowDep,
    actor: ActorDep,
    page: PageDep,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    account: Annotated[str | None, Query(max_length=20)] = None,
) -> ListResponse[EntryPublic]:
    entries, count = service.list_entries(uow, actor, period=period, account=account, page=page.page, size=page.size)
    return ListResponse(data=[EntryPublic.model_validate(e) for e in entries], count=count)


@router.get("/entries/{entry_id}", response_model=EntryPublic)
def get_entry(entry_id: int, uow: UowDep, actor: ActorDep) -> EntryPublic:
    return EntryPublic.model_validate(service.get_entry(uow, actor, entry_id))


@router.post("/entries/{entry_id}/reverse", response_model=EntryPublic, status_code=201)
def reverse_entry(entry_id: int, body: ReverseRequest, uow: UowDep, actor: ActorDep) -> EntryPublic:
    posted = service.reverse_entry(uow, actor, entry_id, body.reason, body.business_date)
    uow.commit()
    return EntryPublic.model_validate(service.get_entry(uow, actor, posted.id))


@router.get("/vouchers", response_model=ListResponse[VoucherPublic])
def list_vouchers(
    uow: UowDep,
    actor: ActorDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(draft|posted|rejected)$")] = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> ListResponse[VoucherPublic]:
    vouchers, count = service.list_vouchers(uow, actor, status=status, period=period, page=page.page, size=page.size)
    return ListResponse(data=[VoucherPublic.model_validate(v) for v in vouchers], count=count)


@router.post("/vouchers", response_model=VoucherPublic, status_code=201)
def create_voucher(body: VoucherCreate, uow: UowDep, actor: ActorDep) -> VoucherPublic:
    command = service.VoucherInput(
        business_date=body.business_date,
        description=body.description,
        lines=[
            service.VoucherLineInput(ln.account_code, ln.debit, ln.credit, ln.memo, ln.activity) for ln in body.lines
        ],
        attachments=tuple(body.attachments),
        counterparty=body.counterparty,
    )
    voucher = service.create_voucher(uow, actor, command)
    uow.commit()
    return VoucherPublic.model_validate(voucher)


@router.post("/vouchers/{voucher_id}/approve", response_model=VoucherPublic)
def approve_voucher(
    voucher_id: int, uow: UowDep, actor: ActorDep, body: VoucherDecision | None = None
) -> VoucherPublic:
    voucher = service.approve_voucher(uow, actor, voucher_id, body.version if body else None)
    uow.commit()
    return VoucherPublic.model_validate(voucher)


@router.post("/vouchers/{voucher_id}/reject", response_model=VoucherPublic)
def reject_voucher(voucher_id: int, body: VoucherReject, uow: UowDep, actor: ActorDep) -> VoucherPublic:
    voucher = service.reject_voucher(uow, actor, voucher_id, body.reason, body.version)
    uow.commit()
    return VoucherPublic.model_validate(voucher)


@router.get("/trial-balance", response_model=TrialBalancePublic, responses=EXPORT_RESPONSES)
def trial_balance(
    period: PeriodQuery, uow: UowDep, actor: ActorDep, format: FormatQuery = None
) -> TrialBalancePublic | Response:
    figures = statements.trial_balance(uow, actor, period)
    if format:
        return _export(exports.trial_balance_report(figures), format)
    return TrialBalancePublic.model_validate({**figures.__dict__, "balanced": figures.balanced})


@router.get("/trial-balance.csv", response_class=Response)
def trial_balance_csv(period: PeriodQuery, uow: UowDep, actor: ActorDep) -> Response:
    figures = statements.trial_balance(uow, actor, period)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["科目代码 code", "科目名称 name", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方"]
    )
    for row in figures.rows:
        writer.writerow(
            [
                row.code,
                row.name_zh,
                row.opening_debit,
                row.opening_credit,
                row.period_debit,
                row.period_credit,
                row.closing_debit,
                row.closing_credit,
            ]
        )
    writer.writerow(
        [
            "合计 total",
            "",
            figures.opening_debit,
            figures.opening_credit,
            figures.period_debit,
            figures.period_credit,
            figures.closing_debit,
            figures.closing_credit,
        ]
    )
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="trial-balance-{period}.csv"'},
    )


@router.get("/balance-sheet", response_model=BalanceSheetPublic, responses=EXPORT_RESPONSES)
def balance_sheet(
    uow: UowDep, actor: ActorDep, as_of: Annotated[date, Query(alias="date")], format: FormatQuery = None
) -> BalanceSheetPublic | Response:
    figures = statements.balance_sheet(uow, actor, as_of)
    if format:
        return _export(exports.balance_sheet_report(figures), format)
    return BalanceSheetPublic.model_validate({**figures.__dict__, "balanced": figures.balanced})


@router.get("/income-statement", response_model=IncomeStatementPublic, responses=EXPORT_RESPONSES)
def income_statement(
    period: PeriodQuery, uow: UowDep, actor: ActorDep, format: FormatQuery = None
) -> IncomeStatementPublic | Response:
    figures = statements.income_statement(uow, actor, period)
    if format:
        return _export(exports.income_statement_report(figures), format)
    return IncomeStatementPublic.model_validate({**figures.__dict__, "net_profit": figures.net_profit})


@router.get("/accounts/{code}/detail", response_model=AccountDetailPublic, responses=EXPORT_RESPONSES)
def account_detail(
    code: str,
    uow: UowDep,
    actor: ActorDep,
    start: Annotated[date, Query()],
    end: Annotated[date, Query()],
    format: FormatQuery = None,
) -> AccountDetailPublic | Response:
    """明细账 / general ledger of one account (with its sub-accounts) for a date range."""
    detail = statements.account_detail(uow, actor, code, start, end)
    if format:
        return _export(exports.account_detail_report(detail), format)
    return AccountDetailPublic.model_validate(detail.__dict__)


@router.get("/cash-flow", response_model=CashFlowStatementPublic, responses=EXPORT_RESPONSES)
def cash_flow(
    period: PeriodQuery, uow: UowDep, actor: ActorDep, format: FormatQuery = None
) -> CashFlowStatementPublic | Response:
    """现金流量表 (direct method): cash movements by activity and counterpart; ``ties`` = equals the change in cash."""
    figures = statements.cash_flow_statement(uow, actor, period)
    if format:
        return _export(exports.cash_flow_report(figures), format)
    return _cash_flow_public(figures)


def _cash_flow_public(figures: CashFlowStatement) -> CashFlowStatementPublic:
    return CashFlowStatementPublic(
        period=figures.period,
        start=figures.start,
        end=figures.end,
        sections=[
            CashFlowSectionPublic(
                activity=s.activity, name_zh=s.name_zh, name_en=s.name_en, inflow=s.inflow, outflow=s.outflow,
                net=s.net,
                items=[
                    CashFlowItemPublic(
                        activity=i.activity, category_code=i.category_code, name_zh=i.name_zh, name_en=i.name_en,
                        inflow=i.inflow, outflow=i.outflow, net=i.net,
                    )
                    for i in s.items
                ],
            )
            for s in figures.sections
        ],
        opening_cash=figures.opening_cash,
        closing_cash=figures.closing_cash,
        net_change=figures.net_change,
        ties=figures.ties,
    )


@router.get("/figures", response_model=FinanceFiguresPublic)
def finance_figures(
    uow: UowDep,
    actor: ActorDep,
    request: Request,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    start: date | None = None,
    end: date | None = None,
    account: Annotated[str, Query(max_length=20)] = statements.LOAN_ACCOUNT,
) -> FinanceFiguresPublic:
    """贷款日均余额 and 加权平均利率 for a period (``period=YYYY-MM``) or a date range (``start``/``end``)."""
    if period:
        start, end = service.parse_period(period)
    if start is None or end is None:
        raise invalid(
            "period", "Give a period (YYYY-MM) or both start and end dates.", "请提供期间（YYYY-MM）或起止日期。",
            "ledger.figures.range",
        )
    figures = statements.finance_figures(uow, actor, start, end, account)
    english = request.headers.get("accept-language", "").lower().startswith("en")
    reason = figures.rate_unavailable_en if english else figures.rate_unavailable_zh
    return FinanceFiguresPublic(
        account_code=figures.account_code,
        start=figures.start,
        end=figures.end,
        average_daily_balance=figures.average_daily_balance,
        closing_balance=figures.closing_balance,
        daily=[DailyBalancePublic(date=day, balance=balance) for day, balance in figures.daily],
        weighted_average_rate=figures.weighted_average_rate,
        rate_available=figures.weighted_average_rate is not None,
        rate_source=figures.rate_source,
        rate_unavailable_reason=reason,
    )


# ------------------------------------------------------------------------------------ cash journal (资金日记账)
@router.get("/bank-accounts", response_model=ListResponse[BankAccountPublic])
def list_bank_accounts(uow: UowDep, actor: ActorDep) -> ListResponse[BankAccountPublic]:
    accounts = cash.list_bank_accounts(uow, actor)
    return ListResponse(data=[BankAccountPublic.model_validate(a) for a in accounts], count=len(accounts))


@router.post("/bank-accounts", response_model=BankAccountPublic, status_code=201)
def create_bank_account(body: BankAccountCreate, uow: UowDep, actor: ActorDep) -> BankAccountPublic:
    account = cash.create_bank_account(
        uow, actor, name=body.name, bank_name=body.bank_name, number=body.number, account_code=body.account_code
    )
    uow.commit()
    return BankAccountPublic.model_validate(account)


@router.get("/bank-accounts/{bank_account_id}/journal", response_model=CashJournalPublic)
def cash_journal(
    bank_account_id: int, uow: UowDep, actor: ActorDep, start: date, end: date
) -> CashJournalPublic:
    return CashJournalPublic.model_validate(cash.cash_journal(uow, actor, bank_account_id, start, end).__dict__)


@router.post("/bank-accounts/{bank_account_id}/statements", response_model=ImportResultPublic, status_code=201)
def import_statement(
    bank_account_id: int, file: UploadFile, uow: UowDep, actor: ActorDep, auto_match: bool = True
) -> ImportResultPublic:
    """Import a bank statement CSV (multipart field ``file``; column layout in ``ledger/bankcsv.py``)."""
    content = file.file.read(bankcsv.MAX_BYTES + 1)
    result = cash.import_statement(uow, actor, bank_account_id, file.filename or "statement.csv", content,
                                   auto_match=auto_match)
    uow.commit()
    return ImportResultPublic.model_validate(result.__dict__)


@router.get("/bank-accounts/{bank_account_id}/statement-lines", response_model=ListResponse[BankStatementLinePublic])
def list_statement_lines(
    bank_account_id: int, uow: UowDep, actor: ActorDep, matched: bool | None = None
) -> ListResponse[BankStatementLinePublic]:
    lines = cash.list_statement_lines(uow, actor, bank_account_id, matched=matched)
    return ListResponse(data=[BankStatementLinePublic.model_validate(x) for x in lines], count=len(lines))


@router.post("/bank-accounts/{bank_account_id}/match", response_model=AutoMatchResult)
def auto_match(
    bank_account_id: int, uow: UowDep, actor: ActorDep, body: AutoMatchRequest | None = None
) -> AutoMatchResult:
    pairs = cash.auto_match(uow, actor, bank_account_id, body.window_days if body else cash.DEFAULT_WINDOW_DAYS)
    uow.commit()
    return AutoMatchResult(matched=len(pairs), pairs=pairs)


@router.get("/bank-accounts/{bank_account_id}/unmatched", response_model=UnmatchedPublic)
def unmatched(
    bank_account_id: int, uow: UowDep, actor: ActorDep, start: date | None = None, end: date | None = None
) -> UnmatchedPublic:
    """未达账项: statement lines and journal lines on the account that are not matched."""
    found = cash.unmatched_items(uow, actor, bank_account_id, start, end)
    return UnmatchedPublic(
        bank_account_id=found.bank_account_id,
        statement_lines=[BankStatementLinePublic.model_validate(x) for x in found.statement_lines],
        journal_lines=[CashJournalLinePublic.model_validate(x.__dict__) for x in found.journal_lines],
    )


@router.post("/statement-lines/{line_id}/match", response_model=BankStatementLinePublic)
def match_line(line_id: int, body: ManualMatchRequest, uow: UowDep, actor: ActorDep) -> BankStatementLinePublic:
    line = cash.match_manually(uow, actor, line_id, body.journal_line_id)
    uow.commit()
    return BankStatementLinePublic.model_validate(line)


@router.post("/statement-lines/{line_id}/unmatch", response_model=BankStatementLinePublic)
def unmatch_line(line_id: int, uow: UowDep, actor: ActorDep) -> BankStatementLinePublic:
    line = cash.unmatch(uow, actor, line_id)
    uow.commit()
    return BankStatementLinePublic.model_validate(line)


@router.get("/periods", response_model=ListResponse[PeriodPublic])
def list_periods(uow: UowDep, actor: ActorDep) -> ListResponse[PeriodPublic]:
    periods = service.list_periods(uow, actor)
    return ListResponse(data=[PeriodPublic.model_validate(p) for p in periods], count=len(periods))


def _checklist(checklist: Checklist) -> ChecklistPublic:
    return ChecklistPublic(
        period=checklist.period,
        passed=checklist.passed,
        items=[ChecklistItemPublic(name=n, passed=ok, notes=list(notes)) for n, ok, notes in checklist.items],
    )


@router.get("/periods/{period}/checklist", response_model=ChecklistPublic)
def period_checklist(period: str, uow: UowDep, actor: ActorDep) -> ChecklistPublic:
    return _checklist(service.period_checklist(uow, actor, period))


@router.post("/periods/{period}/close", response_model=ChecklistPublic)
def close_period(period: str, uow: UowDep, actor: ActorDep) -> ChecklistPublic:
    checklist = service.close_period(uow, actor, period)
    uow.commit()
    return _checklist(checklist)


@router.post("/periods/{period}/reopen", response_model=PeriodPublic)
def reopen_period(period: str, body: ReopenRequest, uow: UowDep, actor: ActorDep) -> PeriodPublic:
    row = service.reopen_period(uow, actor, period, body.reason)
    uow.commit()
    return PeriodPublic.model_validate(row)
