"""HTTP routes of special business: apply per kind under the loan, then review / execute / cancel the request.

``POST /api/v1/loans/{id}/special/{kind}`` (kind-specific body) creates a request; ``GET /api/v1/special-requests``
is the queue (``?status=pending&kind=``); ``POST /api/v1/special-requests/{id}/review|execute|cancel``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.schemas import ListResponse, MoneyStr
from autofin.servicing.special import service
from autofin.servicing.special.schemas import (
    CancelCommand,
    ClassificationChangePublic,
    ContractChangeApply,
    ExecuteCommand,
    ExtensionApply,
    PrepaymentApply,
    PrepaymentQuotePublic,
    ReclassificationApply,
    RecoveryApply,
    RestructureApply,
    ReviewCommand,
    SpecialRequestPublic,
    TransferApply,
    WaiverApply,
    WriteOffApply,
)

router = APIRouter(tags=["servicing special business"])  # included by servicing/api.py (prefix /api/v1)
PathId = Annotated[int, Path(ge=1, le=2**62)]
Kind = Annotated[str | None, Query(max_length=24, pattern="^[a-z_]+$")]
Status = Annotated[str | None, Query(max_length=12, pattern="^(pending|approved|executed|rejected|cancelled)$")]


def _created(uow: UowDep, request: object) -> SpecialRequestPublic:
    uow.commit()
    return SpecialRequestPublic.model_validate(request)


@router.post("/loans/{loan_id}/special/prepayment", status_code=201, response_model=SpecialRequestPublic)
def apply_prepayment(loan_id: PathId, body: PrepaymentApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_prepayment(uow, actor, loan_id, body))


@router.get("/loans/{loan_id}/special/prepayment-quote", response_model=PrepaymentQuotePublic)
def prepayment_quote(loan_id: PathId, uow: UowDep, actor: ActorDep,
                     on: Annotated[date | None, Query(alias="date")] = None,
                     amount: Annotated[MoneyStr | None, Query()] = None) -> PrepaymentQuotePublic:
    return PrepaymentQuotePublic.model_validate(service.prepayment_quote(uow, actor, loan_id, on, amount))


@router.post("/loans/{loan_id}/special/extension", status_code=201, response_model=SpecialRequestPublic)
def apply_extension(loan_id: PathId, body: ExtensionApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_extension(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/restructure", status_code=201, response_model=SpecialRequestPublic)
def apply_restructure(loan_id: PathId, body: RestructureApply, uow: UowDep,
                      actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_restructure(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/transfer", status_code=201, response_model=SpecialRequestPublic)
def apply_transfer(loan_id: PathId, body: TransferApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_transfer(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/contract-change", status_code=201, response_model=SpecialRequestPublic)
def apply_contract_change(loan_id: PathId, body: ContractChangeApply, uow: UowDep,
                          actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_contract_change(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/waiver", status_code=201, response_model=SpecialRequestPublic)
def apply_waiver(loan_id: PathId, body: WaiverApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_waiver(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/write-off", status_code=201, response_model=SpecialRequestPublic)
def apply_write_off(loan_id: PathId, body: WriteOffApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_write_off(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/recovery", status_code=201, response_model=SpecialRequestPublic)
def apply_recovery(loan_id: PathId, body: RecoveryApply, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_recovery(uow, actor, loan_id, body))


@router.post("/loans/{loan_id}/special/reclassification", status_code=201, response_model=SpecialRequestPublic)
def apply_reclassification(loan_id: PathId, body: ReclassificationApply, uow: UowDep,
                           actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.apply_reclassification(uow, actor, loan_id, body))


@router.get("/loans/{loan_id}/classification-history", response_model=list[ClassificationChangePublic])
def classification_history(loan_id: PathId, uow: UowDep, actor: ActorDep) -> list[ClassificationChangePublic]:
    return [ClassificationChangePublic.model_validate(r) for r in service.classification_history(uow, actor, loan_id)]


@router.get("/special-requests", response_model=ListResponse[SpecialRequestPublic])
def list_requests(uow: UowDep, actor: ActorDep, paging: PageDep, status: Status = None, kind: Kind = None,
                  loan_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> ListResponse[SpecialRequestPublic]:
    rows, total = service.list_requests(uow, actor, status=status, kind=kind, loan_id=loan_id, page=paging.page,
                                        size=paging.size)
    return ListResponse[SpecialRequestPublic](data=[SpecialRequestPublic.model_validate(r) for r in rows],
                                              count=total)


@router.get("/special-requests/{request_id}", response_model=SpecialRequestPublic)
def get_request(request_id: PathId, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return SpecialRequestPublic.model_validate(service.get_request(uow, actor, request_id))


@router.post("/special-requests/{request_id}/review", response_model=SpecialRequestPublic)
def review_request(request_id: PathId, body: ReviewCommand, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.review_request(uow, actor, request_id, body))


@router.post("/special-requests/{request_id}/execute", response_model=SpecialRequestPublic)
def execute_request(request_id: PathId, body: ExecuteCommand, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.execute_request(uow, actor, request_id, body.version))


@router.post("/special-requests/{request_id}/cancel", response_model=SpecialRequestPublic)
def cancel_request(request_id: PathId, body: CancelCommand, uow: UowDep, actor: ActorDep) -> SpecialRequestPublic:
    return _created(uow, service.cancel_request(uow, actor, request_id, body.reason, body.version))
