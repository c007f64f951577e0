"""HTTP routes of second-party intake.

* ``/api/v1/partner/...`` — the partner's own API, signed (X-Partner-Key, X-Timestamp, X-Nonce, X-Signature),
  rate limited per partner, with ``Idempotency-Key`` kept per partner (after the signature is verified, so an
  unsigned request can never occupy a partner's key).
* ``/api/v1/origination/partners/...`` — administration: partners, secrets, mappings, callback delivery log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.api.problems import problem_of
from autofin.bootstrap import App
from autofin.kernel.errors import DomainError, FieldError, Text
from autofin.origination import service as origination
from autofin.origination.errors import ApplicantBlacklisted
from autofin.origination.partners import errors, service
from autofin.origination.partners.config import PartnerSettings
from autofin.origination.partners.models import Partner
from autofin.origination.partners.ratelimit import Limiter, make_limiter
from autofin.origination.partners.schemas import (
    AttemptPublic,
    DeliveryDetail,
    DeliveryPublic,
    PartnerApplicationIn,
    PartnerApplicationOut,
    PartnerCheck,
    PartnerCreate,
    PartnerDocumentOut,
    PartnerPublic,
    PartnerUpdate,
    PartnerWithSecret,
)
from autofin.platform.service import idempotency
from autofin.schemas import ListResponse

router = APIRouter(tags=["partners"])
PathId = Annotated[int, Path(ge=1, le=2**62)]
PARTNER_PREFIX = "/api/v1/partner/"  # under origination's /api/v1 router
SETTINGS_KEY = "origination.partner_settings"


def partner_settings(app: App) -> PartnerSettings:
    settings = app.extras.get(SETTINGS_KEY)
    if not isinstance(settings, PartnerSettings):
        settings = PartnerSettings()
        app.extras[SETTINGS_KEY] = settings
    return settings


def limiter_key(purpose: str) -> str:
    """Where :func:`limiter_of` keeps the ``purpose`` limiter in ``App.extras``."""
    return f"origination.{purpose}_limiter"


def limiter_of(app: App, purpose: str = "partner") -> Limiter:
    """One limiter per running App and purpose (``partner``: each partner's limit; ``status``: the borrower's
    status page, per address): Redis buckets when AUTOFIN_REDIS_URL is set, else this process's memory."""
    key = limiter_key(purpose)
    limiter = app.extras.get(key)
    if limiter is None:
        limiter = make_limiter(partner_settings(app).redis_url, prefix=f"autofin:{purpose}-rate:")
        app.extras[key] = limiter
    return limiter  # type: ignore[return-value]


# =================================================================================================================
# The partner's signed API
# =================================================================================================================


async def raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _authenticated(request: Request, body: bytes) -> tuple[App, Partner]:
    """Verify the signature and nonce (committed at once), then take a token of the partner's rate limit."""
    app = get_app(request)
    signed = service.SignedRequest(
        key_id=request.headers.get("x-partner-key"),
        timestamp=request.headers.get("x-timestamp"),
        nonce=request.headers.get("x-nonce"),
        signature=request.headers.get("x-signature"),
        method=request.method,
        path=_target(request),
        body=body,
        ip=request.client.host if request.client else None,
    )
    with app.uow() as uow:
        partner = service.authenticate(uow, signed, window=partner_settings(app).partner_timestamp_window_seconds)
        uow.commit()
        uow.session.expunge(partner)
    service.check_rate(limiter_of(app), partner)
    return app, partner


def _out(link: Any, application: Any, checks: list[Any]) -> PartnerApplicationOut:
    return PartnerApplicationOut(
        application_id=application.id,
        number=application.number,
        order_no=link.order_no,
        status=application.status,
        check_outcome=application.check_outcome,
        checks=[PartnerCheck.model_validate(c) for c in checks],
        approved_amount=application.approved_amount,
        approved_rate=application.approved_rate,
        approved_term=application.approved_term,
        decision_reason=application.decision_reason,
        approval_expires_at=application.approval_expires_at,
        updated_at=application.updated_at,
    )


def _json(status: int, model: PartnerApplicationOut | PartnerDocumentOut) -> JSONResponse:
    return JSONResponse(json.loads(model.model_dump_json()), status_code=status)


def _parse(body: bytes) -> PartnerApplicationIn:
    try:
        return PartnerApplicationIn.model_validate_json(body or b"null")
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            location = ".".join(str(part) for part in item.get("loc", ())) or "body"
            message = str(item.get("msg", "invalid value"))
            problems.append(FieldError(location, Text(message, f"取值无效（{message}）")))
        raise errors.payload_invalid(problems) from None


def _idempotent(
    request: Request, app: App, partner: Partner, body: bytes, handle: Callable[[], Response]
) -> Response:
    """``Idempotency-Key`` per partner: a retry (new nonce, new signature, same body) gets the first answer."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return handle()
    if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH or not key.isprintable():
        raise errors.payload_invalid(
            [FieldError("Idempotency-Key", Text("1-128 printable characters", "须为 1 至 128 个可打印字符"))]
        )
    principal = f"partner:{partner.id}:{partner.key_id}"[:64]
    fingerprint = idempotency.fingerprint(request.method.encode(), request.url.path.encode(), body)
    claim = idempotency.claim(app.session_factory, principal, key, fingerprint)
    if claim.outcome == "mismatch":
        raise errors.idempotency_key_reused()
    if claim.outcome == "in_progress":
        raise errors.idempotency_in_progress()
    if claim.outcome == "replay":
        return Response(
            content=claim.body or b"", status_code=claim.status_code or 200,
            media_type=claim.content_type, headers={"Idempotent-Replayed": "true"},
        )
    assert claim.record_id is not None  # noqa: S101 - a claimed key always has its record
    try:
        response = handle()
    except DomainError as exc:
        response = problem_of(request, exc)
    except Exception:
        idempotency.release(app.session_factory, claim.record_id)
        raise
    idempotency.complete(
        app.session_factory, claim.record_id, response.status_code,
        response.headers.get("content-type", "application/json"), bytes(response.body),
    )
    return response


def _signed(request: Request, body: bytes, handle: Callable[[App, Partner], Response], *, idem: bool) -> Response:
    try:
        app, partner = _authenticated(request, body)
        if idem:
            return _idempotent(request, app, partner, body, lambda: handle(app, partner))
        return handle(app, partner)
    except DomainError as exc:
        return problem_of(request, exc)


_SIGNED_HEADERS = [
    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("X-Partner-Key", "合作方密钥编号 partner key id"),
        ("X-Timestamp", "Unix seconds, ±300 s"),
        ("X-Nonce", "8-64 chars, new per request"),
        ("X-Signature", "hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA256(body)))"),
    )
]


@router.post(
    "/partner/applications",
    status_code=201,
    response_model=PartnerApplicationOut,
    summary="Submit an application (第二方进件)",
    openapi_extra={
        "parameters": _SIGNED_HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PartnerApplicationIn.model_json_schema()}},
        },
    },
)
def partner_submit(request: Request, body: RawBody) -> Response:
    def handle(app: App, partner: Partner) -> Response:
        cmd = _parse(body)
        actor = service.partner_actor(
            partner, ip=request.client.host if request.client else None,
            request_id=getattr(request.state, "request_id", None),
        )
        with app.uow() as uow:
            try:
                link, application, checks = service.submit_partner_application(uow, partner, actor, cmd)
                uow.commit()
            except ApplicantBlacklisted as refusal:
                uow.rollback()  # nothing of the submission is kept; only the alert for risk
                origination.record_blacklist_refusal(uow, actor, refusal)
                uow.commit()
                raise
            return _json(201, _out(link, application, checks))

    return _signed(request, body, handle, idem=True)


@router.get(
    "/partner/applications/{application_id}",
    response_model=PartnerApplicationOut,
    summary="Status of one of my applications",
    openapi_extra={"parameters": _SIGNED_HEADERS},
)
def partner_status(request: Request, application_id: PathId, body: RawBody) -> Response:
    def handle(app: App, partner: Partner) -> Response:
        with app.uow() as uow:
            return _json(200, _out(*service.partner_application(uow, partner, application_id=application_id)))

    return _signed(request, body, handle, idem=False)


@router.get(
    "/partner/orders/{order_no}",
    response_model=PartnerApplicationOut,
    summary="Status of one of my applications by my order number",
    openapi_extra={"parameters": _SIGNED_HEADERS},
)
def partner_status_by_order(
    request: Request, order_no: Annotated[str, Path(min_length=1, max_length=64)], body: RawBody
) -> Response:
    def handle(app: App, partner: Partner) -> Response:
        with app.uow() as uow:
            return _json(200, _out(*service.partner_application(uow, partner, order_no=order_no)))

    return _signed(request, body, handle, idem=False)


@router.post(
    "/partner/applications/{application_id}/documents",
    status_code=201,
    response_model=PartnerDocumentOut,
    summary="Send a supporting file for one of my applications (进件资料)",
    openapi_extra={
        "parameters": _SIGNED_HEADERS,
        "requestBody": {"required": True, "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/webp": {"schema": {"type": "string", "format": "binary"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        }},
    },
)
def partner_document(
    request: Request, application_id: PathId, body: RawBody,
    kind: Annotated[str, Query(min_length=1, max_length=32, description="id_photo, invoice, appraisal_report, "
                                                                        "vehicle_photo, other (or the agreed code)")],
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    """The file is the raw request body (signed like any other body: its SHA-256 is in the signature); ``kind`` and
    ``filename`` are in the signed query. The same file sent twice is stored once."""
    def handle(app: App, partner: Partner) -> Response:
        actor = service.partner_actor(
            partner, ip=request.client.host if request.client else None,
            request_id=getattr(request.state, "request_id", None),
        )
        with app.uow() as uow:
            item = service.upload_partner_document(uow, partner, actor, application_id, body, filename, kind)
            uow.commit()
        return _json(201, PartnerDocumentOut(
            document_id=item.id, application_id=application_id, kind=item.kind, sha256=item.sha256, size=item.size,
            media_type=item.media_type, filename=item.original_filename, stored_before=item.reused))

    return _signed(request, body, handle, idem=True)


# =================================================================================================================
# Administration
# =================================================================================================================


@router.get("/origination/partners", response_model=ListResponse[PartnerPublic])
def list_partners(uow: UowDep, actor: ActorDep) -> ListResponse[PartnerPublic]:
    rows = service.list_partners(uow, actor)
    return ListResponse[PartnerPublic](data=[PartnerPublic.model_validate(r) for r in rows], count=len(rows))


@router.post("/origination/partners", status_code=201, response_model=PartnerWithSecret)
def create_partner(body: PartnerCreate, uow: UowDep, actor: ActorDep) -> PartnerWithSecret:
    partner, secret = service.create_partner(uow, actor, body)
    uow.commit()
    view = PartnerPublic.model_validate(partner).model_dump()
    return PartnerWithSecret(**view, secret=secret)


@router.get("/origination/partners/{partner_id}", response_model=PartnerPublic)
def get_partner(partner_id: PathId, uow: UowDep, actor: ActorDep) -> PartnerPublic:
    return PartnerPublic.model_validate(service.get_partner(uow, actor, partner_id))


@router.patch("/origination/partners/{partner_id}", response_model=PartnerPublic)
def update_partner(partner_id: PathId, body: PartnerUpdate, uow: UowDep, actor: ActorDep) -> PartnerPublic:
    partner = service.update_partner(uow, actor, partner_id, body)
    uow.commit()
    return PartnerPublic.model_validate(partner)


@router.post("/origination/partners/{partner_id}/rotate-secret", response_model=PartnerWithSecret)
def rotate_secret(
    partner_id: PathId, uow: UowDep, actor: ActorDep, version: Annotated[int | None, Query(ge=1)] = None
) -> PartnerWithSecret:
    partner, secret = service.rotate_secret(uow, actor, partner_id, version)
    uow.commit()
    return PartnerWithSecret(**PartnerPublic.model_validate(partner).model_dump(), secret=secret)


@router.get("/origination/partner-callbacks", response_model=ListResponse[DeliveryPublic])
def list_deliveries(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    partner_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    application_id: Annotated[int | None, Query(ge=1)] = None,
) -> ListResponse[DeliveryPublic]:
    rows, total = service.list_deliveries(
        uow, actor, partner_id=partner_id, status=status, application_id=application_id,
        page=paging.page, size=paging.size,
    )
    return ListResponse[DeliveryPublic](data=[DeliveryPublic.model_validate(r) for r in rows], count=total)


@router.get("/origination/partner-callbacks/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(delivery_id: PathId, uow: UowDep, actor: ActorDep) -> DeliveryDetail:
    delivery, attempts = service.delivery_detail(uow, actor, delivery_id)
    view = DeliveryDetail.model_validate(delivery)
    view.attempts_log = [AttemptPublic.model_validate(a) for a in attempts]
    return view


@router.post("/origination/partner-callbacks/{delivery_id}/retry", response_model=DeliveryPublic)
def retry_delivery(delivery_id: PathId, uow: UowDep, actor: ActorDep) -> DeliveryPublic:
    delivery = service.retry_delivery(uow, actor, delivery_id)
    uow.commit()
    return DeliveryPublic.model_validate(delivery)
