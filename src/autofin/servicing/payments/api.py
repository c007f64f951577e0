"""HTTP routes of direct debit (mandates, runs, failures, sending), bank statement import (upload, unmatched queue,
manual match) and refunds (request → review → send). Included by ``api.py``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, UploadFile

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.bootstrap import App
from autofin.kernel.errors import FieldError, Text, ValidationFailed
from autofin.schemas import ListResponse
from autofin.servicing.payments import debit, refunds, statements
from autofin.servicing.payments.schemas import (
    DebitAttemptPublic,
    DebitRunPublic,
    DebitSend,
    DebitSendResult,
    LineIgnore,
    LineMatch,
    MandateCreate,
    MandatePublic,
    MandateRevoke,
    RefundCreate,
    RefundPublic,
    RefundReview,
    StatementImportPublic,
    StatementLinePublic,
)

router = APIRouter()
AppDep = Annotated[App, Depends(get_app)]
PathId = Annotated[int, Path(ge=1, le=2**62)]


# ------------------------------------------------------------------------------------------ mandates
@router.get("/loans/{loan_id}/mandates", response_model=list[MandatePublic])
def list_mandates(loan_id: PathId, uow: UowDep, actor: ActorDep) -> list[MandatePublic]:
    return [MandatePublic.model_validate(m) for m in debit.list_mandates(uow, actor, loan_id)]


@router.post("/loans/{loan_id}/mandates", status_code=201, response_model=MandatePublic)
def authorise_mandate(loan_id: PathId, body: MandateCreate, uow: UowDep, actor: ActorDep) -> MandatePublic:
    mandate = debit.authorise_mandate(uow, actor, loan_id, body.card_id, body.authorised_on, body.authorisation_ref)
    uow.commit()
    return MandatePublic.model_validate(mandate)


@router.post("/mandates/{mandate_id}/revoke", response_model=MandatePublic)
def revoke_mandate(mandate_id: PathId, body: MandateRevoke, uow: UowDep, actor: ActorDep) -> MandatePublic:
    mandate = debit.revoke_mandate(uow, actor, mandate_id, body.reason, body.version)
    uow.commit()
    return MandatePublic.model_validate(mandate)


# ------------------------------------------------------------------------------------------ debits
@router.get("/direct-debits/runs", response_model=list[DebitRunPublic])
def debit_runs(uow: UowDep, actor: ActorDep) -> list[DebitRunPublic]:
    return [DebitRunPublic.model_validate(r) for r in debit.debit_runs(uow, actor)]


@router.get("/direct-debits", response_model=ListResponse[DebitAttemptPublic])
def list_debits(uow: UowDep, actor: ActorDep, paging: PageDep,
                status: Annotated[str | None, Query(max_length=10)] = None,
                on: Annotated[date | None, Query(alias="date")] = None,
                loan_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> ListResponse[DebitAttemptPublic]:
    rows, total = debit.list_attempts(uow, actor, status=status, on=on, loan_id=loan_id, page=paging.page,
                                      size=paging.size)
    return ListResponse[DebitAttemptPublic](data=[DebitAttemptPublic.model_validate(r) for r in rows], count=total)


@router.post("/direct-debits/send", response_model=DebitSendResult)
def send_debits(body: DebitSend, app: AppDep, actor: ActorDep) -> DebitSendResult:
    result = debit.send_due_debits(app, actor, body.date)
    return DebitSendResult(date=result.on, submitted=result.submitted, skipped=result.skipped,
                           cancelled=result.cancelled, unavailable=result.unavailable, failed=result.failed)


# ------------------------------------------------------------------------------------------ statements
@router.post("/statements", status_code=201, response_model=StatementImportPublic)
async def import_statement(file: UploadFile, uow: UowDep, actor: ActorDep) -> StatementImportPublic:
    content = await file.read(statements.MAX_BYTES + 1)
    if len(content) > statements.MAX_BYTES:
        text = Text("The file is larger than 10 MB: split the statement.", "文件超过 10 MB，请分段导出。")
        raise ValidationFailed("servicing.statement.invalid", text, [FieldError("file", text)])
    result = statements.import_statement(uow, actor, file.filename or "statement.csv", content)
    uow.commit()
    return StatementImportPublic.model_validate(result.statement).model_copy(
        update={"duplicate_file": result.duplicate_file, "skipped": result.skipped})


@router.get("/statements", response_model=ListResponse[StatementImportPublic])
def list_statements(uow: UowDep, actor: ActorDep, paging: PageDep) -> ListResponse[StatementImportPublic]:
    rows, total = statements.list_imports(uow, actor, page=paging.page, size=paging.size)
    return ListResponse[StatementImportPublic](data=[StatementImportPublic.model_validate(r) for r in rows],
                                               count=total)


@router.get("/statement-lines", response_model=ListResponse[StatementLinePublic])
def list_statement_lines(uow: UowDep, actor: ActorDep, paging: PageDep,
                         status: Annotated[str | None, Query(max_length=10)] = None,
                         import_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                         ) -> ListResponse[StatementLinePublic]:
    rows, total = statements.list_lines(uow, actor, status=status, import_id=import_id, page=paging.page,
                                        size=paging.size)
    return ListResponse[StatementLinePublic](
        data=[StatementLinePublic.model_validate(statements.line_view(r)) for r in rows], count=total)


@router.post("/statement-lines/{line_id}/match", response_model=StatementLinePublic)
def match_line(line_id: PathId, body: LineMatch, uow: UowDep, actor: ActorDep) -> StatementLinePublic:
    line = statements.match_line(uow, actor, line_id, body.loan_id, body.version)
    uow.commit()
    return StatementLinePublic.model_validate(statements.line_view(line))


@router.post("/statement-lines/{line_id}/ignore", response_model=StatementLinePublic)
def ignore_line(line_id: PathId, body: LineIgnore, uow: UowDep, actor: ActorDep) -> StatementLinePublic:
    line = statements.ignore_line(uow, actor, line_id, body.note, body.version)
    uow.commit()
    return StatementLinePublic.model_validate(statements.line_view(line))


# ------------------------------------------------------------------------------------------ refunds
@router.post("/loans/{loan_id}/refunds", status_code=201, response_model=RefundPublic)
def request_refund(loan_id: PathId, body: RefundCreate, uow: UowDep, actor: ActorDep) -> RefundPublic:
    refund = refunds.request_refund(uow, actor, loan_id, body.amount, body.card_id, body.reason)
    uow.commit()
    return RefundPublic.model_validate(refund)


@router.get("/refunds", response_model=ListResponse[RefundPublic])
def list_refunds(uow: UowDep, actor: ActorDep, paging: PageDep,
                 status: Annotated[str | None, Query(max_length=10)] = None,
                 loan_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> ListResponse[RefundPublic]:
    rows, total = refunds.list_refunds(uow, actor, status=status, loan_id=loan_id, page=paging.page,
                                       size=paging.size)
    return ListResponse[RefundPublic](data=[RefundPublic.model_validate(r) for r in rows], count=total)


@router.post("/refunds/{refund_id}/review", response_model=RefundPublic)
def review_refund(refund_id: PathId, body: RefundReview, uow: UowDep, actor: ActorDep) -> RefundPublic:
    refund = refunds.review_refund(uow, actor, refund_id, body.approve, body.note, body.version)
    uow.commit()
    return RefundPublic.model_validate(refund)


@router.post("/refunds/{refund_id}/send", response_model=RefundPublic)
def send_refund(refund_id: PathId, app: AppDep, actor: ActorDep) -> RefundPublic:
    return RefundPublic.model_validate(refunds.send_refund(app, actor, refund_id))
