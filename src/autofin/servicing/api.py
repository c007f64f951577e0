"""HTTP routes of loan accounts: list, detail, open, repayments (record → confirm), reversal, payoff quote."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.schemas import ListResponse
from autofin.servicing import service
from autofin.servicing.schemas import (
    InstallmentPublic,
    LoanDetail,
    LoanOpen,
    LoanPublic,
    PayoffPublic,
    RepaymentCreate,
    ReversalCreate,
    TransactionPublic,
)

router = APIRouter(prefix="/api/v1", tags=["servicing"])
PathId = Annotated[int, Path(ge=1, le=2**62)]


def _detail(uow: UowDep, loan: object) -> LoanDetail:
    base = LoanPublic.model_validate(loan).model_dump()
    return LoanDetail(
        **base,
        balances=service.balances(uow, loan),  # type: ignore[arg-type]
        installments=[InstallmentPublic.model_validate(r) for r in service.installments_of(uow, loan)],  # type: ignore[arg-type]
        transactions=[TransactionPublic.model_validate(t) for t in service.transactions_of(uow, loan)],  # type: ignore[arg-type]
    )


@router.get("/loans", response_model=ListResponse[LoanPublic])
def list_loans(uow: UowDep, actor: ActorDep, paging: PageDep,
               status: Annotated[str | None, Query(max_length=16)] = None,
               dpd_min: Annotated[int | None, Query(ge=0, le=100000)] = None) -> ListResponse[LoanPublic]:
    rows, total = service.list_loans(uow, actor, q=paging.q, status=status, dpd_min=dpd_min, page=paging.page,
                                     size=paging.size)
    return ListResponse[LoanPublic](data=[LoanPublic.model_validate(r) for r in rows], count=total)


@router.post("/loans", status_code=201, response_model=LoanDetail)
def open_loan(body: LoanOpen, uow: UowDep, actor: ActorDep) -> LoanDetail:
    loan = service.open_loan_account(uow, actor, body)
    uow.commit()
    return _detail(uow, loan)


@router.get("/loans/{loan_id}", response_model=LoanDetail)
def get_loan(loan_id: PathId, uow: UowDep, actor: ActorDep) -> LoanDetail:
    return _detail(uow, service.get_loan(uow, actor, loan_id))


@router.post("/loans/{loan_id}/repayments", status_code=201, response_model=TransactionPublic)
def record_repayment(loan_id: PathId, body: RepaymentCreate, uow: UowDep, actor: ActorDep) -> TransactionPublic:
    tx = service.record_repayment(uow, actor, loan_id, body)
    uow.commit()
    return TransactionPublic.model_validate(tx)


@router.post("/loans/{loan_id}/repayments/{transaction_id}/confirm", response_model=TransactionPublic)
def confirm_repayment(loan_id: PathId, transaction_id: PathId, uow: UowDep, actor: ActorDep) -> TransactionPublic:
    tx = service.confirm_repayment(uow, actor, transaction_id)
    uow.commit()
    return TransactionPublic.model_validate(tx)


@router.post("/loans/{loan_id}/transactions/{transaction_id}/reverse", response_model=TransactionPublic)
def reverse_transaction(loan_id: PathId, transaction_id: PathId, body: ReversalCreate, uow: UowDep,
                        actor: ActorDep) -> TransactionPublic:
    tx = service.reverse_transaction(uow, actor, transaction_id, body.reason)
    uow.commit()
    return TransactionPublic.model_validate(tx)


@router.get("/loans/{loan_id}/payoff-quote", response_model=PayoffPublic)
def payoff_quote(loan_id: PathId, uow: UowDep, actor: ActorDep,
                 on: Annotated[date, Query(alias="date")]) -> PayoffPublic:
    return PayoffPublic.model_validate(service.payoff_quote(uow, actor, loan_id, on))


from autofin.servicing.special.api import router as _special_router  # noqa: E402 - special business

router.include_router(_special_router)


from autofin.servicing.payments.api import router as _payment_router  # noqa: E402 - debits, statements, refunds

router.include_router(_payment_router)
