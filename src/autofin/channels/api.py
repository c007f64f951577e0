"""Channels API: the bank's signed callback, and reading payment instructions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.bootstrap import App
from autofin.channels import service
from autofin.channels.schemas import CallbackResult, PaymentPublic
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1/channels", tags=["channels 银行渠道"])


def _apply_callback(autofin: App, body: bytes, signature: str | None) -> CallbackResult:
    with autofin.uow() as uow:
        instruction = service.handle_callback(uow, body, signature)
        uow.commit()
        return CallbackResult(status="ok", instruction_state=instruction.state)


@router.post("/bank/callback", response_model=CallbackResult)
async def bank_callback(
    request: Request,
    x_bank_signature: Annotated[str | None, Header(alias="X-Bank-Signature")] = None,
) -> CallbackResult:
    """The bank posts the result of an instruction here, HMAC-SHA256 over the raw body in ``X-Bank-Signature``.
    A repeated or late callback answers 200 and changes nothing; a bad signature is 401."""
    body = await request.body()  # the signature covers the exact bytes, so read them before any parsing
    return await run_in_threadpool(_apply_callback, get_app(request), body, x_bank_signature)


@router.get("/payments", response_model=ListResponse[PaymentPublic])
def list_payments(
    uow: UowDep,
    actor: ActorDep,
    page: PageDep,
    state: Annotated[str | None, Query(pattern="^(reserved|sent|posted|failed)$")] = None,
    reference: Annotated[str | None, Query(max_length=100)] = None,
) -> ListResponse[PaymentPublic]:
    rows, count = service.list_payments(uow, actor, state=state, reference=reference, page=page.page, size=page.size)
    return ListResponse(data=[PaymentPublic.model_validate(r) for r in rows], count=count)


@router.get("/payments/{instruction_id}", response_model=PaymentPublic)
def get_payment(instruction_id: int, uow: UowDep, actor: ActorDep) -> PaymentPublic:
    return PaymentPublic.model_validate(service.get_payment(uow, actor, instruction_id))
