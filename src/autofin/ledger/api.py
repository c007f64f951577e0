"""Ledger API (thin): parse → service → commit → return. Money crosses the wire as strings."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.ledger import service, statements
from autofin.ledger.figures import Checklist
from autofin.ledger.schemas import (
    AccountDetailPublic,
    AccountPublic,
    BalanceSheetPublic,
    ChecklistItemPublic,
    ChecklistPublic,
    EntryPublic,
    IncomeStatementPublic,
    PeriodPublic,
    ReopenRequest,
    ReverseRequest,
    TrialBalancePublic,
    VoucherCreate,
    VoucherDecision,
    VoucherPublic,
    VoucherReject,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger 总账"])
PeriodQuery = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-11"])]


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
        lines=[service.VoucherLineInput(ln.account_code, ln.debit, ln.credit, ln.memo) for ln in body.lines],
        attachments=tuple(body.attachments),
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


@router.get("/trial-balance", response_model=TrialBalancePublic)
def trial_balance(period: PeriodQuery, uow: UowDep, actor: ActorDep) -> TrialBalancePublic:
    figures = statements.trial_balance(uow, actor, period)
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


@router.get("/balance-sheet", response_model=BalanceSheetPublic)
def balance_sheet(uow: UowDep, actor: ActorDep, as_of: Annotated[date, Query(alias="date")]) -> BalanceSheetPublic:
    figures = statements.balance_sheet(uow, actor, as_of)
    return BalanceSheetPublic.model_validate({**figures.__dict__, "balanced": figures.balanced})


@router.get("/income-statement", response_model=IncomeStatementPublic)
def income_statement(period: PeriodQuery, uow: UowDep, actor: ActorDep) -> IncomeStatementPublic:
    figures = statements.income_statement(uow, actor, period)
    return IncomeStatementPublic.model_validate({**figures.__dict__, "net_profit": figures.net_profit})


@router.get("/accounts/{code}/detail", response_model=AccountDetailPublic)
def account_detail(
    code: str, uow: UowDep, actor: ActorDep, start: Annotated[date, Query()], end: Annotated[date, Query()]
) -> AccountDetailPublic:
    return AccountDetailPublic.model_validate(statements.account_detail(uow, actor, code, start, end).__dict__)


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
