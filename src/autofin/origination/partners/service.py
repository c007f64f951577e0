"""Use cases of second-party intake (第二方进件). Each checks, changes, audits; none commits.

Partners (admin): :func:`create_partner`, :func:`update_partner`, :func:`rotate_secret`, :func:`list_partners`,
:func:`get_partner`. A request from a partner: :func:`authenticate` (key, timestamp window, signature, nonce),
:func:`check_rate`, then :func:`submit_partner_application` or :func:`partner_application`. Callbacks:
:func:`on_application_event` (subscriber: enqueue), :func:`due_deliveries` + :func:`record_attempt` (the job),
:func:`list_deliveries`, :func:`delivery_detail`, :func:`retry_delivery`; :func:`purge_nonces`.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import delete, select

from autofin.audit import service as audit
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.documents import service as documents
from autofin.kernel.actor import Actor, DataScope
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, DomainError, FieldError, Text, ValidationFailed, invalid
from autofin.org import service as org
from autofin.origination import service as origination
from autofin.origination.models import Application, ApplicationCheck
from autofin.origination.partners import errors
from autofin.origination.partners import signature as sig
from autofin.origination.partners.models import (
    CallbackAttempt,
    CallbackDelivery,
    DeliveryStatus,
    Partner,
    PartnerApplication,
    PartnerNonce,
    PartnerStatus,
)
from autofin.origination.partners.permissions import PARTNER_MANAGE, PARTNER_VIEW
from autofin.origination.partners.ratelimit import Limiter
from autofin.origination.partners.schemas import (
    MAPPING_TABLES,
    PARTNER_DOCUMENT_KINDS,
    PartnerApplicationIn,
    PartnerCreate,
    PartnerUpdate,
)
from autofin.origination.permissions import APPLICATION_CREATE, APPLICATION_SUBMIT, APPLICATION_VIEW
from autofin.origination.schemas import ApplicationCreate
from autofin.products import service as products
from autofin.vehicles import service as vehicles

SECRET_CONTEXT = "origination.partner.secret"  # noqa: S105 - the encryption context, not a secret
CHANNEL = "partner"
# after a failed attempt n (1-based) the next try waits BACKOFF[n-1]; after the last one the delivery is dead
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
EXCERPT = 500

# What a partner's requests may do, acting for the partner's dealer (and nothing else).
PARTNER_PERMISSIONS = frozenset(
    {
        APPLICATION_CREATE,
        APPLICATION_SUBMIT,
        APPLICATION_VIEW,
        "customers.customer.create",
        "customers.customer.view",
        "vehicles.vehicle.manage",
        "vehicles.vehicle.view",
        "products.product.view",
        "documents.upload",
    }
)
#: Until a decision, the file can still inform it; after it, a new file would change nothing.
OPEN_FOR_DOCUMENTS = ("draft", "submitted", "in_review", "returned")


# =================================================================================================================
# Partners (admin)
# =================================================================================================================


def _new_key_id() -> str:
    return "pk_" + secrets.token_hex(12)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _seal(uow: UnitOfWork, secret: str) -> str:
    return customers.cipher(uow).encrypt(secret, SECRET_CONTEXT)


def partner_secret(uow: UnitOfWork, partner: Partner) -> str:
    """The partner's HMAC secret, decrypted (only for signing and verifying, never shown)."""
    return customers.cipher(uow).decrypt(partner.secret_enc, SECRET_CONTEXT)


def _view(partner: Partner) -> dict[str, Any]:
    return {
        "code": partner.code,
        "name": partner.name,
        "status": partner.status,
        "key_id": partner.key_id,
        "department_id": partner.department_id,
        "rate_limit_per_minute": partner.rate_limit_per_minute,
        "callback_url": partner.callback_url,
        "allowed_ips": list(partner.allowed_ips),
        "mappings": partner.mappings,
    }


def _check_ips(ips: list[str]) -> list[str]:
    checked = []
    for index, value in enumerate(ips):
        try:
            checked.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise invalid(
                f"allowed_ips.{index}",
                f"'{value}' is not an IP address or network (e.g. 203.0.113.7 or 203.0.113.0/24).",
                f"“{value}”不是有效的 IP 地址或网段（例如 203.0.113.7 或 203.0.113.0/24）。",
                "origination.partner.ip_invalid",
            ) from None
    return checked


def _check_callback_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(
            "callback_url",
            "The callback URL must be an absolute http(s) URL, e.g. https://partner.example.com/autofin/callback.",
            "回调地址须为完整的 http(s) 地址，例如 https://partner.example.com/autofin/callback。",
            "origination.partner.callback_url_invalid",
        )
    return url


def _check_mappings(uow: UnitOfWork, actor: Actor, mappings: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    problems: list[FieldError] = []
    for table, entries in mappings.items():
        if table not in MAPPING_TABLES:
            known = ", ".join(MAPPING_TABLES)
            problems.append(
                FieldError(
                    f"mappings.{table}",
                    Text(f"Unknown mapping table; use one of: {known}.", f"未知的映射表，可用：{known}。"),
                )
            )
            continue
        allowed = MAPPING_TABLES[table][1]
        for theirs, ours in entries.items():
            if not theirs or len(theirs) > 32:
                problems.append(
                    FieldError(
                        f"mappings.{table}", Text("Partner codes are 1-32 characters.", "合作方代码须为 1-32 个字符。")
                    )
                )
            elif allowed is not None and ours not in allowed:
                problems.append(
                    FieldError(
                        f"mappings.{table}.{theirs}",
                        Text(f"'{ours}' is not one of ours: {', '.join(allowed)}.",
                             f"“{ours}”不是本系统的代码，可用：{', '.join(allowed)}。"),
                    )
                )
            elif allowed is None:
                try:
                    products.get_product(uow, actor, ours)
                except DomainError:
                    problems.append(
                        FieldError(
                            f"mappings.{table}.{theirs}",
                            Text(f"Product {ours} does not exist.", f"产品 {ours} 不存在。"),
                        )
                    )
    if problems:
        raise ValidationFailed(
            "origination.partner.mappings_invalid",
            Text("The code mappings have errors; see the fields.", "代码映射有误，请查看各字段。"),
            problems,
        )
    return {table: dict(entries) for table, entries in mappings.items()}


def _check_department(uow: UnitOfWork, actor: Actor, department_id: int) -> None:
    try:
        org.get_department(uow, actor, department_id)
    except DomainError:
        raise invalid(
            "department_id",
            f"Department {department_id} does not exist or is outside your scope; choose the partner's dealer.",
            f"部门 {department_id} 不存在或不在您的权限范围内，请选择合作方所属经销商。",
            "origination.partner.department",
        ) from None


def create_partner(uow: UnitOfWork, actor: Actor, cmd: PartnerCreate) -> tuple[Partner, str]:
    """Register a partner; returns it with its secret, shown this once (stored only encrypted)."""
    actor.require(PARTNER_MANAGE)
    if uow.session.execute(select(Partner.id).where(Partner.code == cmd.code)).first() is not None:
        raise errors.partner_code_taken(cmd.code)
    _check_department(uow, actor, cmd.department_id)
    secret = _new_secret()
    partner = Partner(
        code=cmd.code,
        name=cmd.name,
        status=PartnerStatus.ACTIVE,
        key_id=_new_key_id(),
        secret_enc=_seal(uow, secret),
        secret_rotated_at=utcnow(),
        allowed_ips=_check_ips(cmd.allowed_ips),
        rate_limit_per_minute=cmd.rate_limit_per_minute,
        callback_url=_check_callback_url(cmd.callback_url),
        mappings=_check_mappings(uow, actor, cmd.mappings),
        department_id=cmd.department_id,
        description=cmd.description,
    )
    uow.session.add(partner)
    uow.flush()
    audit.record(uow, actor, "origination.partner.create", "partner", partner.id, after=_view(partner))
    return partner, secret


def get_partner(uow: UnitOfWork, actor: Actor, partner_id: int) -> Partner:
    actor.require(PARTNER_VIEW)
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        raise errors.partner_not_found(partner_id)
    return partner


def list_partners(uow: UnitOfWork, actor: Actor) -> list[Partner]:
    actor.require(PARTNER_VIEW)
    return list(uow.session.execute(select(Partner).order_by(Partner.code)).scalars())


def update_partner(uow: UnitOfWork, actor: Actor, partner_id: int, cmd: PartnerUpdate) -> Partner:
    actor.require(PARTNER_MANAGE)
    partner = get_partner(uow, actor, partner_id)
    ensure_version(partner, cmd.version, "partner")
    before = _view(partner)
    sent = cmd.model_fields_set
    if cmd.name is not None:
        partner.name = cmd.name
    if cmd.status is not None:
        partner.status = cmd.status
    if cmd.department_id is not None:
        _check_department(uow, actor, cmd.department_id)
        partner.department_id = cmd.department_id
    if cmd.rate_limit_per_minute is not None:
        partner.rate_limit_per_minute = cmd.rate_limit_per_minute
    if "callback_url" in sent:
        partner.callback_url = _check_callback_url(cmd.callback_url)
    if cmd.allowed_ips is not None:
        partner.allowed_ips = _check_ips(cmd.allowed_ips)
    if cmd.mappings is not None:
        partner.mappings = _check_mappings(uow, actor, cmd.mappings)
    if cmd.description is not None:
        partner.description = cmd.description
    uow.flush()
    audit.record(uow, actor, "origination.partner.update", "partner", partner.id, before=before, after=_view(partner))
    return partner


def rotate_secret(uow: UnitOfWork, actor: Actor, partner_id: int, version: int | None = None) -> tuple[Partner, str]:
    """A new secret (shown once); the old one stops working at once."""
    actor.require(PARTNER_MANAGE)
    partner = get_partner(uow, actor, partner_id)
    ensure_version(partner, version, "partner")
    secret = _new_secret()
    partner.secret_enc = _seal(uow, secret)
    partner.secret_rotated_at = utcnow()
    uow.flush()
    audit.record(
        uow, actor, "origination.partner.rotate_secret", "partner", partner.id, after={"key_id": partner.key_id}
    )
    return partner, secret


# =================================================================================================================
# A partner's request: authentication, rate limit
# =================================================================================================================


@dataclass(frozen=True)
class SignedRequest:
    key_id: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None
    method: str
    path: str  # path, plus "?" + raw query when there is one
    body: bytes
    ip: str | None


def _ip_allowed(partner: Partner, ip: str | None) -> bool:
    if not partner.allowed_ips:
        return True
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in partner.allowed_ips)


def authenticate(uow: UnitOfWork, request: SignedRequest, *, window: int = sig.WINDOW_SECONDS) -> Partner:
    """The partner behind a signed request, or a 401/403 naming what is wrong. Records the nonce (the caller
    commits at once, so a replay racing this request is refused by the unique constraint)."""
    if not request.key_id:
        raise errors.key_missing()
    partner = uow.session.execute(select(Partner).where(Partner.key_id == request.key_id)).scalar_one_or_none()
    if partner is None:
        raise errors.unknown_key()
    if partner.status != PartnerStatus.ACTIVE:
        raise errors.partner_suspended(partner.code)
    if not _ip_allowed(partner, request.ip):
        raise errors.ip_not_allowed(request.ip)
    timestamp = sig.parse_timestamp(request.timestamp or "")
    if timestamp is None:
        raise errors.bad_timestamp()
    now = utcnow()
    if not sig.timestamp_fresh(timestamp, now.timestamp(), window):
        raise errors.stale_timestamp(window)
    if not request.nonce or not sig.nonce_valid(request.nonce):
        raise errors.bad_nonce()
    secret = partner_secret(uow, partner)
    if not sig.signature_matches(
        secret, request.method, request.path, request.timestamp or "", request.nonce, request.body,
        request.signature or "",
    ):
        raise errors.bad_signature()
    _use_nonce(uow, partner, request.nonce, now, window)
    return partner


def _use_nonce(uow: UnitOfWork, partner: Partner, nonce: str, now: datetime, window: int) -> None:
    existing = uow.session.execute(
        select(PartnerNonce).where(PartnerNonce.partner_id == partner.id, PartnerNonce.nonce == nonce)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.expires_at > now:
            raise errors.nonce_reused()
        uow.session.delete(existing)  # long expired and not yet purged: its timestamp could never pass again
        uow.flush()
    # a replay is possible while its timestamp is fresh: at most 2 × window after now
    uow.session.add(PartnerNonce(partner_id=partner.id, nonce=nonce, expires_at=now + timedelta(seconds=2 * window)))
    try:
        uow.flush()
    except Conflict:
        raise errors.nonce_reused() from None


def check_rate(limiter: Limiter, partner: Partner) -> None:
    """Take a token of the partner's bucket or refuse with 429 and the seconds until the next one."""
    verdict = limiter.take(f"{partner.id}:{partner.key_id}", partner.rate_limit_per_minute)
    if not verdict.allowed:
        raise errors.rate_limited(partner.rate_limit_per_minute, verdict.retry_after)


def partner_actor(partner: Partner, *, ip: str | None = None, request_id: str | None = None) -> Actor:
    """The actor of a partner's request: enters applications for the partner's dealer, nothing more.

    Its data scope covers every record so an applicant or vehicle already known is matched by ID number or VIN
    wherever it was entered; what the partner may *read* is limited by :class:`PartnerApplication`, not by scope.
    """
    return Actor(
        user_id=None,
        username=f"partner:{partner.code}",
        permissions=PARTNER_PERMISSIONS,
        scope=DataScope(everything=True),
        department_id=partner.department_id,
        request_id=request_id,
        ip=ip,
    )


# =================================================================================================================
# A partner's application
# =================================================================================================================


def _map(partner: Partner, table: str, value: str, problems: list[FieldError]) -> str:
    entries = (partner.mappings or {}).get(table)
    if not entries:
        return value  # no table agreed: the partner sends our codes
    if value in entries:
        return str(entries[value])
    field_name = MAPPING_TABLES[table][0]
    known = ", ".join(sorted(entries))
    problems.append(
        FieldError(
            field_name,
            Text(f"Unknown code '{value}'; agreed codes: {known}.", f"未约定的代码“{value}”，可用代码：{known}。"),
        )
    )
    return value


def _prefixed(error: DomainError, prefix: str, rename: dict[str, str] | None = None) -> DomainError:
    """The same error with its fields named as in the partner's payload (``applicant.id_number``)."""
    if not error.errors:
        return error
    rename = rename or {}
    fields = [FieldError(rename.get(e.field, f"{prefix}{e.field}"), e.message) for e in error.errors]
    return type(error)(error.code, error.message, fields)


def _pydantic_errors(exc: ValidationError, prefix: str, rename: dict[str, str] | None = None) -> ValidationFailed:
    rename = rename or {}
    problems = []
    for item in exc.errors():
        location = ".".join(str(part) for part in item.get("loc", ()))
        name = rename.get(location, f"{prefix}{location}")
        message = str(item.get("msg", "invalid value"))
        problems.append(FieldError(name, Text(message, f"取值无效（{message}）")))
    return errors.payload_invalid(problems)


def _find_vehicle(uow: UnitOfWork, actor: Actor, vin: str) -> Any:
    rows, _count = vehicles.list_vehicles(uow, actor, q=vin, size=5)
    return next((row for row in rows if row.vin == vin.strip().upper()), None)


def submit_partner_application(
    uow: UnitOfWork, partner: Partner, actor: Actor, cmd: PartnerApplicationIn
) -> tuple[PartnerApplication, Application, list[ApplicationCheck]]:
    """Map the partner's codes, match or create the applicant (by ID number) and the vehicle (by VIN), create the
    application for the partner's dealer and submit it (checks and dispatch run as for any application)."""
    problems: list[FieldError] = []
    product_code = _map(partner, "product", cmd.product_code, problems)
    method = _map(partner, "method", cmd.method, problems)
    id_type = _map(partner, "id_type", cmd.applicant.id_type, problems)
    condition = _map(partner, "vehicle_condition", cmd.vehicle.condition, problems)
    powertrain = _map(partner, "powertrain", cmd.vehicle.powertrain, problems)
    use = _map(partner, "vehicle_use", cmd.vehicle.use, problems)
    if problems:
        raise errors.mapping_failed(problems)
    existing = uow.session.execute(
        select(PartnerApplication).where(
            PartnerApplication.partner_id == partner.id, PartnerApplication.order_no == cmd.order_no
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise errors.duplicate_order(cmd.order_no, existing.application_id)

    applicant = cmd.applicant
    try:
        customer = customers.find_by_id_number(uow, actor, applicant.id_number.upper())
    except DomainError as exc:
        raise _prefixed(exc, "applicant.") from None
    if customer is None:
        try:
            # the command types are re-exported by the services (another domain's schemas are off limits)
            create = customers.CustomerCreate(
                kind="individual", name=applicant.name, id_type=id_type, id_number=applicant.id_number,
                phone=applicant.phone, address=applicant.address, employer=applicant.employer,
                occupation=applicant.occupation, monthly_income=applicant.monthly_income,
                department_id=partner.department_id,
            )
        except ValidationError as exc:
            raise _pydantic_errors(exc, "applicant.") from None
        try:
            customer = customers.create_customer(uow, actor, create)
        except DomainError as exc:
            raise _prefixed(exc, "applicant.") from None

    vehicle_in = cmd.vehicle
    vehicle = _find_vehicle(uow, actor, vehicle_in.vin)
    if vehicle is None:
        try:
            vehicle_cmd = vehicles.VehicleCreate(
                vin=vehicle_in.vin, plate=vehicle_in.plate, condition=condition, powertrain=powertrain, use=use,
                mileage_km=vehicle_in.mileage_km, first_registration=vehicle_in.first_registration,
                invoice_price=vehicle_in.invoice_price if vehicle_in.invoice_price is not None else cmd.price,
                customer_id=customer.id,
            )
        except ValidationError as exc:
            raise _pydantic_errors(exc, "vehicle.") from None
        try:
            vehicle = vehicles.create_vehicle(uow, actor, vehicle_cmd)
        except DomainError as exc:
            raise _prefixed(exc, "vehicle.") from None

    try:
        create_cmd = ApplicationCreate(
            applicant_id=customer.id, vehicle_id=vehicle.id, channel=CHANNEL, department_id=partner.department_id,
            product_code=product_code, price=cmd.price, down_payment=cmd.down_payment, amount=cmd.amount,
            term=cmd.term, method=method, rate=cmd.rate, purpose=cmd.purpose,
        )
    except ValidationError as exc:
        raise _pydantic_errors(exc, "") from None
    rename = {"applicant_id": "applicant", "vehicle_id": "vehicle"}
    try:
        application = origination.create_application(uow, actor, create_cmd)
    except DomainError as exc:
        raise _prefixed(exc, "", rename) from None
    link = PartnerApplication(
        partner_id=partner.id, application_id=application.id, order_no=cmd.order_no,
        notified_status=application.status, created_at=utcnow(),
    )
    uow.session.add(link)
    uow.flush()
    application, checks = origination.submit_application(uow, actor, application.id)
    link.notified_status = application.status  # the answer to this request tells the partner; no callback for it
    audit.record(
        uow, actor, "origination.partner.submit", "application", application.id,
        after={"partner": partner.code, "order_no": cmd.order_no, "status": application.status},
    )
    return link, application, checks


def _link(uow: UnitOfWork, partner: Partner, application_id: int | None, order_no: str | None) -> PartnerApplication:
    statement = select(PartnerApplication).where(PartnerApplication.partner_id == partner.id)
    if application_id is not None:
        statement = statement.where(PartnerApplication.application_id == application_id)
    else:
        statement = statement.where(PartnerApplication.order_no == (order_no or ""))
    link = uow.session.execute(statement).scalar_one_or_none()
    if link is None:
        raise errors.application_not_found(application_id if application_id is not None else order_no)
    return link


def partner_application(
    uow: UnitOfWork, partner: Partner, *, application_id: int | None = None, order_no: str | None = None
) -> tuple[PartnerApplication, Application, list[ApplicationCheck]]:
    """One of the partner's own applications (404 for anyone else's), with its latest checks."""
    link = _link(uow, partner, application_id, order_no)
    application = uow.session.get(Application, link.application_id)
    if application is None:
        raise errors.application_not_found(application_id or order_no)
    return link, application, origination.latest_checks(uow, application)


def upload_partner_document(
    uow: UnitOfWork, partner: Partner, actor: Actor, application_id: int, data: bytes, filename: str | None,
    kind: str,
) -> documents.DocumentItem:
    """进件资料: a file (ID photo, invoice, car photo, report — JPEG/PNG/WebP/PDF by content, size-limited) for one
    of the partner's own applications while it is undecided; stored once by content hash and listed among the
    application's documents for the reviewers. The partner's own kind codes go through its ``document_kind``
    mapping."""
    problems: list[FieldError] = []
    kind = _map(partner, "document_kind", kind, problems)
    if not problems and kind not in PARTNER_DOCUMENT_KINDS:
        problems.append(FieldError("kind", Text(f"must be one of {', '.join(PARTNER_DOCUMENT_KINDS)}",
                                                f"须为 {'、'.join(PARTNER_DOCUMENT_KINDS)} 之一")))
    if problems:
        raise errors.payload_invalid(problems)
    _link_row, application, _checks = partner_application(uow, partner, application_id=application_id)
    if application.status not in OPEN_FOR_DOCUMENTS:
        raise Conflict("origination.partner.documents_closed", Text(
            f"Application {application.number} is {application.status}: files are taken until a decision.",
            f"申请 {application.number} 状态为 {application.status}，作出决定后不再接收资料。"))
    item = documents.store_document(uow, actor, data, filename, kind, "application", application.id)
    if item.id not in (application.document_ids or []):
        application.document_ids = [*(application.document_ids or []), item.id]
        uow.flush()
    return item


# =================================================================================================================
# Status callbacks
# =================================================================================================================


def _payload(link: PartnerApplication, application: Application, event: str, previous: str) -> dict[str, Any]:
    return {
        "event": "application.status_changed",
        "trigger": event,
        "application_id": application.id,
        "number": application.number,
        "order_no": link.order_no,
        "status": application.status,
        "previous_status": previous,
        "reason_code": application.decision_reason,
        "approved_amount": f"{application.approved_amount:.2f}" if application.approved_amount is not None else None,
        "approved_rate": str(application.approved_rate) if application.approved_rate is not None else None,
        "approved_term": application.approved_term,
        "approval_expires_at": application.approval_expires_at.isoformat() if application.approval_expires_at else None,
        "changed_at": utcnow().isoformat(),
    }


def on_application_event(uow: UnitOfWork, application_id: int | None, event: str) -> CallbackDelivery | None:
    """When a partner's application has a status the partner has not heard yet, queue a callback (subscriber)."""
    if application_id is None:
        return None
    # The use case that raised the event holds the application, so this is no query; only partner intake makes
    # applications of the partner channel, and the channel never changes, so the others need no look-up of a link.
    application = uow.session.get(Application, application_id)
    if application is None or application.channel != CHANNEL:
        return None
    link = uow.session.execute(
        select(PartnerApplication).where(PartnerApplication.application_id == application_id)
    ).scalar_one_or_none()
    if link is None or application.status == link.notified_status:
        return None
    partner = uow.session.get(Partner, link.partner_id)
    if partner is None:
        return None
    payload = _payload(link, application, event, link.notified_status)
    link.notified_status = application.status
    if not partner.callback_url:
        return None  # the partner polls; nothing to push
    delivery = CallbackDelivery(
        partner_id=partner.id, application_id=application.id, event=event, status=DeliveryStatus.PENDING,
        payload=payload, attempts=0, next_attempt_at=utcnow(), created_at=utcnow(),
    )
    uow.session.add(delivery)
    uow.flush()
    return delivery


@dataclass(frozen=True)
class DueCallback:
    delivery_id: int
    attempt: int
    url: str
    key_id: str
    secret: str
    body: bytes


def due_deliveries(uow: UnitOfWork, now: datetime | None = None, limit: int = 100) -> list[DueCallback]:
    """Pending deliveries whose time has come, with what the sender needs (read only)."""
    import json

    now = now or utcnow()
    rows = uow.session.execute(
        select(CallbackDelivery, Partner)
        .join(Partner, Partner.id == CallbackDelivery.partner_id)
        .where(CallbackDelivery.status == DeliveryStatus.PENDING, CallbackDelivery.next_attempt_at <= now)
        .order_by(CallbackDelivery.next_attempt_at, CallbackDelivery.id)
        .limit(limit)
    ).all()
    due = []
    for delivery, partner in rows:
        body = json.dumps({**delivery.payload, "delivery_id": delivery.id}, ensure_ascii=False, sort_keys=True)
        due.append(
            DueCallback(
                delivery.id, delivery.attempts + 1, partner.callback_url or "", partner.key_id,
                partner_secret(uow, partner), body.encode(),
            )
        )
    return due


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def record_attempt(uow: UnitOfWork, due: DueCallback, result: AttemptResult) -> CallbackDelivery | None:
    """Log one try; delivered on 2xx, else retry after the backoff, dead after :data:`MAX_ATTEMPTS` tries."""
    delivery = uow.session.get(CallbackDelivery, due.delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery
    now = utcnow()
    uow.session.add(
        CallbackAttempt(
            delivery_id=delivery.id, attempt=due.attempt, at=now, url=due.url[:500],
            status_code=result.status_code,
            response_excerpt=(result.response_excerpt or "")[:EXCERPT] or None,
            error=(result.error or "")[:EXCERPT] or None, duration_ms=result.duration_ms,
        )
    )
    delivery.attempts = due.attempt
    delivery.last_status_code = result.status_code
    delivery.last_error = (result.error or "")[:EXCERPT] or None
    if result.succeeded:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif due.attempt >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[due.attempt - 1]
    uow.flush()
    return delivery


def list_deliveries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    partner_id: int | None = None,
    status: str | None = None,
    application_id: int | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[CallbackDelivery], int]:
    actor.require(PARTNER_VIEW)
    statement = select(CallbackDelivery)
    if partner_id is not None:
        statement = statement.where(CallbackDelivery.partner_id == partner_id)
    if status:
        statement = statement.where(CallbackDelivery.status == status)
    if application_id is not None:
        statement = statement.where(CallbackDelivery.application_id == application_id)
    return fetch_page(uow.session, statement, (CallbackDelivery.id.desc(),), page, size)


def delivery_detail(uow: UnitOfWork, actor: Actor, delivery_id: int) -> tuple[CallbackDelivery, list[CallbackAttempt]]:
    actor.require(PARTNER_VIEW)
    delivery = uow.session.get(CallbackDelivery, delivery_id)
    if delivery is None:
        raise errors.delivery_not_found(delivery_id)
    attempts = uow.session.execute(
        select(CallbackAttempt).where(CallbackAttempt.delivery_id == delivery_id).order_by(CallbackAttempt.id)
    ).scalars()
    return delivery, list(attempts)


def retry_delivery(uow: UnitOfWork, actor: Actor, delivery_id: int) -> CallbackDelivery:
    """Send a dead (or waiting) delivery again at the next run, with a fresh set of tries."""
    actor.require(PARTNER_MANAGE)
    delivery, _attempts = delivery_detail(uow, actor, delivery_id)
    if delivery.status == DeliveryStatus.DELIVERED:
        raise Conflict(
            "origination.partner.delivery_done",
            Text("This callback was already delivered.", "该回调已成功送达，无需重推。"),
        )
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0
    uow.flush()
    audit.record(
        uow, actor, "origination.partner.callback_retry", "partner_callback", delivery.id,
        before=before, after={"status": delivery.status},
    )
    return delivery


def purge_nonces(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Forget nonces whose timestamps can no longer pass the window (the purge job)."""
    result = uow.session.execute(delete(PartnerNonce).where(PartnerNonce.expires_at < (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


def delivery_summary(uow: UnitOfWork, actor: Actor) -> dict[str, dict[str, int]]:
    """Callback deliveries per partner code and status (the console's chart)."""
    from sqlalchemy import func

    actor.require(PARTNER_VIEW)
    rows = uow.session.execute(
        select(Partner.code, CallbackDelivery.status, func.count())
        .join(Partner, Partner.id == CallbackDelivery.partner_id)
        .group_by(Partner.code, CallbackDelivery.status)
    ).all()
    summary: dict[str, dict[str, int]] = {}
    for code, status, count in rows:
        summary.setdefault(str(code), {})[str(status)] = int(count)
    return summary
