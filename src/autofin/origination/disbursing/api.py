"""HTTP routes of disbursement (放款) and credit lines (授信), included by ``origination/api.py``.

Approving a disbursement commits first and then hands the payment to the bank (its own short transactions, no
database transaction open while the bank answers); the bank's result arrives later on the channels callback.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.db.uow import UnitOfWork
from autofin.origination.contracts.api import router as signing_router
from autofin.origination.disbursing import credit_lines
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.models import Disbursement
from autofin.origination.disbursing.schemas import (
    ChecklistPublic,
    ConditionPublic,
    CreditLinePublic,
    CreditLineRequest,
    CreditLineStatusChange,
    DisbursementDetail,
    DisbursementPublic,
    DisbursementRegister,
    DisbursementReview,
    DownPaymentCreate,
    DownPaymentPublic,
    DrawdownCreate,
)
from autofin.origination.permissions import DISBURSEMENT_REVIEW
from autofin.origination.schemas import ApplicationPublic
from autofin.schemas import ListResponse

router = APIRouter(tags=["origination 放款与授信"])
router.include_router(signing_router)  # contract preparation and the signing session (合同与面签)
PathId = Annotated[int, Path(ge=1, le=2**62)]
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
STATUS_PATTERN = "^(registered|rejected|paying|paid|failed)$"


def _detail(uow: UnitOfWork, d: Disbursement) -> DisbursementDetail:
    view = DisbursementDetail.model_validate(d)
    view.payment_state, view.payment_error = disbursement.payment_state(uow, d)
    return view


@router.get("/applications/{application_id}/disbursement-checklist", response_model=ChecklistPublic)
def checklist(application_id: PathId, uow: UowDep, actor: ActorDep) -> ChecklistPublic:
    conditions = disbursement.disbursement_checklist(uow, actor, application_id)
    return ChecklistPublic(application_id=application_id, all_met=disbursement.disbursement_conditions_met(conditions),
                           conditions=[ConditionPublic.model_validate(c, from_attributes=True) for c in conditions])


@router.get("/applications/{application_id}/down-payments", response_model=ListResponse[DownPaymentPublic])
def list_down_payments(application_id: PathId, uow: UowDep, actor: ActorDep) -> ListResponse[DownPaymentPublic]:
    rows = disbursement.list_down_payments(uow, actor, application_id)
    return ListResponse[DownPaymentPublic](data=[DownPaymentPublic.model_validate(r) for r in rows], count=len(rows))


@router.post("/applications/{application_id}/down-payments", status_code=201, response_model=DownPaymentPublic)
def record_down_payment(application_id: PathId, body: DownPaymentCreate, uow: UowDep,
                        actor: ActorDep) -> DownPaymentPublic:
    receipt = disbursement.record_down_payment(uow, actor, application_id, body)
    uow.commit()
    return DownPaymentPublic.model_validate(receipt)


@router.post("/applications/{application_id}/disbursement", status_code=201, response_model=DisbursementDetail)
def register_disbursement(application_id: PathId, body: DisbursementRegister, uow: UowDep, actor: ActorDep,
                          idempotency_key: KeyHeader = None) -> DisbursementDetail:
    """放款登记: all conditions must hold; a second person reviews (``POST /disbursements/{id}/review``)."""
    d = disbursement.register_disbursement(uow, actor, application_id, body, idempotency_key)
    uow.commit()
    return _detail(uow, d)


@router.get("/applications/{application_id}/disbursement", response_model=DisbursementDetail)
def application_disbursement(application_id: PathId, uow: UowDep, actor: ActorDep) -> DisbursementDetail:
    d = disbursement.disbursement_for_application(uow, actor, application_id)
    if d is None:
        from autofin.origination import errors

        raise errors.disbursement_not_found(f"of application {application_id}")
    return _detail(uow, d)


@router.post("/disbursements/{disbursement_id}/review", response_model=DisbursementDetail)
def review_disbursement(disbursement_id: PathId, body: DisbursementReview, request: Request, uow: UowDep,
                        actor: ActorDep) -> DisbursementDetail:
    """放款复核 by another person; approve sends the payment to the bank after the approval is committed."""
    d = disbursement.review_disbursement(uow, actor, disbursement_id, body)
    uow.commit()
    if body.decision == "approve":
        disbursement.send_disbursement_payment(get_app(request), disbursement_id)
        uow.session.refresh(d)
    return _detail(uow, d)


@router.post("/disbursements/{disbursement_id}/send", response_model=DisbursementDetail)
def resend_disbursement(disbursement_id: PathId, request: Request, uow: UowDep,
                        actor: ActorDep) -> DisbursementDetail:
    """Send an approved disbursement's payment again (after the bank was unreachable); the bank deduplicates."""
    d = disbursement.get_disbursement(uow, actor, disbursement_id)
    actor.require(DISBURSEMENT_REVIEW)
    uow.rollback()
    disbursement.send_disbursement_payment(get_app(request), disbursement_id)
    return _detail(uow, disbursement.get_disbursement(uow, actor, d.id))


@router.get("/disbursements", response_model=ListResponse[DisbursementPublic])
def list_disbursements(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
    application_id: Annotated[int | None, Query(ge=1)] = None,
) -> ListResponse[DisbursementPublic]:
    rows, total = disbursement.list_disbursements(uow, actor, status=status, application_id=application_id,
                                                  q=paging.q, page=paging.page, size=paging.size)
    return ListResponse[DisbursementPublic](data=[DisbursementPublic.model_validate(r) for r in rows], count=total)


@router.get("/disbursements/{disbursement_id}", response_model=DisbursementDetail)
def get_disbursement(disbursement_id: PathId, uow: UowDep, actor: ActorDep) -> DisbursementDetail:
    return _detail(uow, disbursement.get_disbursement(uow, actor, disbursement_id))


# ---- credit lines (授信) --------------------------------------------------------------------------------------------


def _line(view: credit_lines.CreditLineView) -> CreditLinePublic:
    public = CreditLinePublic.model_validate(view.line)
    public.reserved_amount, public.available_amount = view.reserved, view.available
    return public


@router.post("/applications/{application_id}/credit-line-request", response_model=ApplicationPublic)
def request_credit_line(application_id: PathId, body: CreditLineRequest, uow: UowDep,
                        actor: ActorDep) -> ApplicationPublic:
    """Mark a draft application as a credit-line request (授信申请); its amount is the limit asked for."""
    link = credit_lines.request_credit_line(uow, actor, application_id, body)
    uow.commit()
    from autofin.origination import service

    return ApplicationPublic.model_validate(service.get_application(uow, actor, link.application_id))


@router.get("/credit-lines", response_model=ListResponse[CreditLinePublic])
def list_credit_lines(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(pattern="^(active|frozen|closed)$")] = None,
) -> ListResponse[CreditLinePublic]:
    rows, total = credit_lines.list_credit_lines(uow, actor, customer_id=customer_id, status=status,
                                                 page=paging.page, size=paging.size)
    return ListResponse[CreditLinePublic](data=[_line(v) for v in rows], count=total)


@router.get("/credit-lines/{credit_line_id}", response_model=CreditLinePublic)
def get_credit_line(credit_line_id: PathId, uow: UowDep, actor: ActorDep) -> CreditLinePublic:
    return _line(credit_lines.get_credit_line(uow, actor, credit_line_id))


@router.post("/credit-lines/{credit_line_id}/status", response_model=CreditLinePublic)
def change_credit_line_status(credit_line_id: PathId, body: CreditLineStatusChange, uow: UowDep,
                              actor: ActorDep) -> CreditLinePublic:
    view = credit_lines.set_credit_line_status(uow, actor, credit_line_id, body.status, body.version)
    uow.commit()
    return _line(view)


@router.post("/credit-lines/{credit_line_id}/drawdowns", status_code=201, response_model=ApplicationPublic)
def create_drawdown(credit_line_id: PathId, body: DrawdownCreate, uow: UowDep, actor: ActorDep) -> ApplicationPublic:
    """A drawdown application (用信申请) on the line, refused when the line is not usable or too small."""
    application = credit_lines.create_drawdown(uow, actor, credit_line_id, body)
    uow.commit()
    return ApplicationPublic.model_validate(application)
