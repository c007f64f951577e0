"""HTTP routes of contract preparation and the signing session (合同与面签), joined to origination's router by
``disbursing/api.py``: prepare → confirm identity → upload the recording → borrower consent → institution signature
(→ application ``contracted``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from autofin.api.deps import ActorDep, UowDep, get_app
from autofin.bootstrap import App
from autofin.kernel.actor import Actor
from autofin.origination.contracts import service as contracts
from autofin.origination.disbursing import contract_flow
from autofin.origination.disbursing.schemas import (
    BorrowerConsent,
    IdentityConfirm,
    SigningSessionPublic,
    SigningVersion,
)
from autofin.schemas import ListResponse

router = APIRouter(tags=["origination 合同与面签"])
PathId = Annotated[int, Path(ge=1, le=2**62)]


def _public(session: object) -> SigningSessionPublic:
    return SigningSessionPublic.model_validate(session)


@router.post("/applications/{application_id}/contract", status_code=201, response_model=SigningSessionPublic)
def prepare_contract(application_id: PathId, uow: UowDep, actor: ActorDep) -> SigningSessionPublic:
    """The contract PDF of the approved application and its signing session (the open one, if already there)."""
    session = contract_flow.prepare_contract(uow, actor, application_id)
    uow.commit()
    return _public(session)


@router.get("/applications/{application_id}/signing-sessions", response_model=ListResponse[SigningSessionPublic])
def list_sessions(application_id: PathId, uow: UowDep, actor: ActorDep) -> ListResponse[SigningSessionPublic]:
    rows = contracts.list_signing_sessions(uow, actor, application_id=application_id)
    return ListResponse[SigningSessionPublic](data=[_public(s) for s in rows], count=len(rows))


@router.get("/signing-sessions/{session_id}", response_model=SigningSessionPublic)
def get_session(session_id: PathId, uow: UowDep, actor: ActorDep) -> SigningSessionPublic:
    return _public(contracts.get_signing_session(uow, actor, session_id))


@router.post("/signing-sessions/{session_id}/identity", response_model=SigningSessionPublic)
def confirm_identity(session_id: PathId, body: IdentityConfirm, uow: UowDep, actor: ActorDep) -> SigningSessionPublic:
    """The officer compared the live video with the ID photo (a failure is recorded and the session waits)."""
    session = contracts.confirm_identity(
        uow, actor, session_id, evidence={"video_matches_id_photo": body.video_matches_id_photo, "note": body.note},
        version=body.version)
    uow.commit()
    return _public(session)


@router.post("/signing-sessions/{session_id}/recording", response_model=SigningSessionPublic)
async def upload_recording(session_id: PathId, request: Request, actor: ActorDep) -> SigningSessionPublic:
    """The session's video recording as the raw request body (its SHA-256 is kept)."""
    data = await request.body()
    return await run_in_threadpool(_upload, get_app(request), actor, session_id, data)


def _upload(autofin: App, actor: Actor, session_id: int, data: bytes) -> SigningSessionPublic:
    with autofin.uow() as uow:
        session = contracts.upload_recording(uow, actor, session_id, data)
        uow.commit()
        return _public(session)


@router.post("/signing-sessions/{session_id}/consent", response_model=SigningSessionPublic)
def borrower_consent(session_id: PathId, body: BorrowerConsent, uow: UowDep, actor: ActorDep) -> SigningSessionPublic:
    session = contracts.record_borrower_consent(uow, actor, session_id, ip=body.ip, version=body.version)
    uow.commit()
    return _public(session)


@router.post("/signing-sessions/{session_id}/institution-signature", response_model=SigningSessionPublic)
def sign_as_institution(session_id: PathId, uow: UowDep, actor: ActorDep,
                        body: SigningVersion | None = None) -> SigningSessionPublic:
    """The institution's PAdES signature; the application becomes contracted (ready for disbursement)."""
    session = contracts.sign_as_institution(uow, actor, session_id, version=body.version if body else None)
    uow.commit()
    return _public(session)


@router.get("/signing-sessions/{session_id}/contract.pdf", response_class=Response)
def contract_pdf(session_id: PathId, uow: UowDep, actor: ActorDep, signed: bool = True) -> Response:
    data = contracts.contract_pdf(uow, actor, session_id, signed=signed)
    return Response(content=data, media_type="application/pdf")
