"""Use cases of the customers domain. Each checks the actor, validates, changes, audits; none commits.

Personal data is encrypted with :func:`cipher` (key from ``settings.encryption_key``) and found again through keyed
hashes; views are masked unless a personal-data group is revealed by a permission holder who gives a reason.
Other domains call :func:`check_blacklist` (origination at intake) and :func:`record_alert`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update

from autofin.audit import service as audit
from autofin.customers import errors, identity
from autofin.customers.models import (
    BankCard,
    BlacklistEntry,
    BlacklistKind,
    BlacklistStatus,
    Contact,
    Customer,
    CustomerAlert,
    CustomerKind,
    CustomerStatus,
    CustomerTag,
    Grade,
    IdType,
    Tag,
)
from autofin.customers.permissions import (
    BLACKLIST_APPROVE,
    BLACKLIST_MANAGE,
    BLACKLIST_VIEW,
    CARD_MANAGE,
    CARD_REVEAL,
    CARD_VIEW,
    CUSTOMER_CREATE,
    CUSTOMER_MERGE,
    CUSTOMER_UPDATE,
    CUSTOMER_VIEW,
    GRADE_MANAGE,
    PII_GROUPS,
    TAG_MANAGE,
    USCC_OVERRIDE,
)
from autofin.customers.schemas import (
    BlacklistCreate,
    CardCreate,
    ContactCreate,
    CustomerUpdate,
    GradeCreate,
)
from autofin.customers.schemas import CustomerCreate as CustomerCreate  # re-exported for other domains
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.crypto import KEY_BYTES, FieldCipher
from autofin.kernel.errors import Conflict, FieldError, Text, ValidationFailed, invalid
from autofin.kernel.text import mask_middle
from autofin.platform import service as platform

CTX_ID = "customers.id_number"
CTX_PHONE = "customers.phone"
CTX_ADDRESS = "customers.address"
CTX_CARD = "customers.card"
CTX_BLACKLIST = "customers.blacklist"
MIN_REASON = 4

GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("id_number", "birth_date", "region_code"),
    "contact": ("phone", "address"),
    "finance": ("employer", "occupation", "monthly_income", "registered_capital", "financials"),
    "credit": ("credit_score", "credit_summary"),
}


# --- encryption -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _cipher_for(key: bytes, previous: tuple[bytes, ...] = (), hash_key: bytes | None = None) -> FieldCipher:
    return FieldCipher(key, tuple(k for k in previous if k != key), hash_key=hash_key)


def previous_keys(encoded: str) -> tuple[bytes, ...]:
    """The keys of ``settings.previous_field_encryption_keys`` (comma-separated base64, oldest first)."""
    keys = []
    for part in encoded.split(","):
        if not part.strip():
            continue
        key = base64.b64decode(part.strip())
        if len(key) != KEY_BYTES:
            raise ValueError("every key of AUTOFIN_PREVIOUS_FIELD_ENCRYPTION_KEYS must be base64 of exactly 32 bytes")
        keys.append(key)
    return tuple(keys)


def cipher(uow: UnitOfWork) -> FieldCipher:
    """The key ring: the current key encrypts; it and the previous keys decrypt. Look-up hashes use the separate,
    never-rotated lookup key, so search keeps working whatever happens to the encryption keys."""
    settings = uow.settings
    return _cipher_for(
        settings.encryption_key, previous_keys(settings.previous_field_encryption_keys), settings.lookup_key
    )


# (model, {encrypted column: context}) of every encrypted value, for key rotation
ENCRYPTED_COLUMNS: tuple[tuple[type[Any], dict[str, str]], ...] = (
    (Customer, {"id_number_enc": CTX_ID, "phone_enc": CTX_PHONE, "address_enc": CTX_ADDRESS}),
    (Contact, {"phone_enc": CTX_PHONE}),
    (BankCard, {"number_enc": CTX_CARD}),
    (BlacklistEntry, {"value_enc": CTX_BLACKLIST}),
)


def reencrypt_batch(
    uow: UnitOfWork, actor: Actor, model: type[Any], after_id: int, limit: int = 200
) -> tuple[int | None, int]:
    """Re-encrypt under the current key the next ``limit`` rows of ``model`` (id > ``after_id``) that hold a value
    under another key. Returns (the last id seen, or None when no such row is left; how many rows changed).
    Values, hashes and masks are unchanged: only the key a value is sealed with."""
    actor.require(CUSTOMER_UPDATE)
    columns = dict(next(cols for m, cols in ENCRYPTED_COLUMNS if m is model))
    ring = cipher(uow)
    prefix = f"{ring.current_key_id}:%"
    stale = or_(*(and_(getattr(model, c).is_not(None), getattr(model, c).not_like(prefix)) for c in columns))
    rows = uow.session.execute(
        select(model).where(model.id > after_id, stale).order_by(model.id).limit(limit)
    ).scalars().all()
    for row in rows:
        for column, context in columns.items():
            stored = getattr(row, column)
            if stored is not None and ring.needs_rotation(stored):
                setattr(row, column, ring.rotate(stored, context))
    if not rows:
        return None, 0
    uow.flush()
    audit.record(
        uow, actor, "customers.personal_data.reencrypt", model.__tablename__, None,
        after={"key_id": ring.current_key_id, "rows": len(rows), "first_id": rows[0].id, "last_id": rows[-1].id},
    )
    return rows[-1].id, len(rows)


def id_hash(uow: UnitOfWork, number: str) -> str:
    return cipher(uow).lookup_hash(number.strip().upper(), CTX_ID)


def phone_hash(uow: UnitOfWork, phone: str) -> str:
    return cipher(uow).lookup_hash(identity.normalize_phone(phone), CTX_PHONE)


def mask_id(number: str) -> str:
    return mask_middle(number, 6, 4)


def mask_phone(phone: str) -> str:
    return mask_middle(phone, 3, 4)


def mask_address(address: str) -> str:
    return address[:6] + "****" if len(address) > 6 else "****"


def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise errors.reason_required(field)
    return text


# --- customers --------------------------------------------------------------------------------------------------


def validate_resident_id(number: str, *, today: date) -> None:
    """Refuse (ValidationFailed naming ``id_number``) a resident ID that is not valid on ``today``: check digit,
    region code, birth date. Age limits are a product's business, not identity's, so none are applied here."""
    identity.parse_resident_id(number, today=today, min_age=None, max_age=None)


def _age_limits(uow: UnitOfWork) -> tuple[int, int]:
    """The borrower age range of the config centre (``customer.min_age`` / ``customer.max_age``)."""
    return (
        int(platform.get_parameter(uow, "customer.min_age", default=identity.DEFAULT_MIN_AGE)),
        int(platform.get_parameter(uow, "customer.max_age", default=identity.DEFAULT_MAX_AGE)),
    )


def _today() -> date:
    return utcnow().date()


def _existing_by_id_hash(uow: UnitOfWork, digest: str) -> Customer | None:
    return uow.session.execute(select(Customer).where(Customer.id_number_hash == digest)).scalar_one_or_none()


def create_customer(uow: UnitOfWork, actor: Actor, cmd: CustomerCreate) -> Customer:
    """Register an individual or an enterprise; one customer per ID number (409 for a second)."""
    actor.require(CUSTOMER_CREATE)
    if cmd.kind == str(CustomerKind.INDIVIDUAL):
        customer = _new_individual(uow, actor, cmd)
    else:
        customer = _new_enterprise(uow, actor, cmd)
    existing = _existing_by_id_hash(uow, customer.id_number_hash)
    if existing is not None:
        raise errors.duplicate_id_number(existing.id)
    customer.department_id = cmd.department_id if cmd.department_id is not None else actor.department_id
    customer.manager_id = cmd.manager_id if cmd.manager_id is not None else actor.user_id
    uow.session.add(customer)
    try:
        uow.flush()
    except Conflict:
        raise errors.duplicate_id_number(0) from None
    audit.record(uow, actor, "customers.customer.create", "customer", customer.id, after=_audit_view(customer))
    return customer


def _set_phone(uow: UnitOfWork, customer: Customer, phone: str | None) -> None:
    if phone is None:
        customer.phone_enc = customer.phone_hash = customer.phone_masked = None
        return
    normalized = identity.check_phone(phone)
    customer.phone_enc = cipher(uow).encrypt(normalized, CTX_PHONE)
    customer.phone_hash = phone_hash(uow, normalized)
    customer.phone_masked = mask_phone(normalized)


def _set_address(uow: UnitOfWork, customer: Customer, address: str | None) -> None:
    customer.address_enc = cipher(uow).encrypt(address, CTX_ADDRESS) if address else None


def _new_individual(uow: UnitOfWork, actor: Actor, cmd: CustomerCreate) -> Customer:
    id_type = cmd.id_type or IdType.RESIDENT_ID
    if not cmd.id_number:
        raise invalid(
            "id_number",
            "An ID number is required for an individual customer.",
            "个人客户必须填写证件号码。",
            "customers.id_number.required",
        )
    if not cmd.phone:
        raise invalid(
            "phone",
            "A mobile phone number is required for an individual customer.",
            "个人客户必须填写手机号码。",
            "customers.phone.required",
        )
    for name in ("uscc", "legal_rep_id", "registered_capital"):
        if getattr(cmd, name) is not None:
            raise invalid(name, f"'{name}' is for enterprise customers only.", f"“{name}”仅适用于企业客户。")
    birth = gender = region = None
    if id_type == IdType.RESIDENT_ID:
        low, high = _age_limits(uow)
        parsed = identity.parse_resident_id(cmd.id_number, today=_today(), min_age=low, max_age=high)
        number, birth, gender, region = parsed.number, parsed.birth_date, parsed.gender, parsed.region_code
    else:
        number = identity.check_other_id(id_type, cmd.id_number)
    customer = Customer(
        kind=CustomerKind.INDIVIDUAL,
        name=cmd.name,
        id_type=id_type,
        id_number_enc=cipher(uow).encrypt(number, CTX_ID),
        id_number_hash=id_hash(uow, number),
        id_number_masked=mask_id(number),
        birth_date=birth,
        gender=gender,
        region_code=region,
        marital_status=cmd.marital_status,
        education=cmd.education,
        employer=cmd.employer,
        occupation=cmd.occupation,
        monthly_income=cmd.monthly_income,
        credit_score=cmd.credit_score,
        credit_summary=cmd.credit_summary,
        status=CustomerStatus.ACTIVE,
        uscc_override=False,
    )
    _set_phone(uow, customer, cmd.phone)
    _set_address(uow, customer, cmd.address)
    return customer


def _new_enterprise(uow: UnitOfWork, actor: Actor, cmd: CustomerCreate) -> Customer:
    raw = cmd.uscc or (cmd.id_number if cmd.id_type is None else None)
    if not raw:
        raise invalid(
            "uscc",
            "An enterprise needs its unified social credit code.",
            "企业客户必须填写统一社会信用代码。",
            "customers.uscc.required",
        )
    override_reason: str | None = None
    try:
        code = identity.check_uscc(raw)
    except ValidationFailed as exc:
        if exc.code != "customers.uscc.check_failed" or not cmd.uscc_override:
            raise
        if not actor.can(USCC_OVERRIDE):
            raise errors.override_not_allowed() from exc
        override_reason = _reason(cmd.override_reason, "override_reason")
        code = raw.strip().upper()
    if cmd.legal_rep_id is not None:
        rep = uow.session.get(Customer, cmd.legal_rep_id)
        if rep is None or rep.kind != CustomerKind.INDIVIDUAL:
            raise invalid(
                "legal_rep_id",
                "The legal representative must be an existing individual customer.",
                "法定代表人必须是已登记的个人客户。",
                "customers.legal_rep.invalid",
            )
    customer = Customer(
        kind=CustomerKind.ENTERPRISE,
        name=cmd.name,
        id_type=IdType.USCC,
        id_number_enc=cipher(uow).encrypt(code, CTX_ID),
        id_number_hash=id_hash(uow, code),
        id_number_masked=mask_id(code),
        uscc_override=override_reason is not None,
        uscc_override_reason=override_reason,
        legal_rep_id=cmd.legal_rep_id,
        registered_capital=cmd.registered_capital,
        industry=cmd.industry,
        financials=cmd.financials,
        credit_score=cmd.credit_score,
        credit_summary=cmd.credit_summary,
        status=CustomerStatus.ACTIVE,
    )
    if cmd.phone:
        _set_phone(uow, customer, cmd.phone)
    _set_address(uow, customer, cmd.address)
    return customer


def _audit_view(customer: Customer) -> dict[str, Any]:
    return {
        "kind": customer.kind,
        "name": customer.name,
        "id_type": customer.id_type,
        "id_number": customer.id_number_masked,
        "phone": customer.phone_masked,
        "uscc_override": customer.uscc_override,
        "override_reason": customer.uscc_override_reason,
        "department_id": customer.department_id,
        "manager_id": customer.manager_id,
        "grade_code": customer.grade_code,
        "status": customer.status,
    }


def _visible_customer(uow: UnitOfWork, actor: Actor, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None or not visible(actor, customer.department_id, customer.manager_id):
        raise errors.customer_not_found(customer_id)
    return customer


def get_customer(uow: UnitOfWork, actor: Actor, customer_id: int) -> Customer:
    actor.require(CUSTOMER_VIEW)
    return _visible_customer(uow, actor, customer_id)


def _scoped(statement: Select[Any], actor: Actor) -> Select[Any]:
    return restrict(statement, actor, department_column=Customer.department_id, owner_column=Customer.manager_id)


def list_customers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    q: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    kind: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Customer], int]:
    """Customers in the actor's data scope. ``q``: name prefix, or an exact ID number / phone when it looks like one."""
    actor.require(CUSTOMER_VIEW)
    statement = _scoped(select(Customer), actor)
    if kind:
        statement = statement.where(Customer.kind == kind)
    if id_number:
        statement = statement.where(Customer.id_number_hash == id_hash(uow, id_number))
    if phone:
        statement = statement.where(Customer.phone_hash == phone_hash(uow, phone))
    if q:
        text = q.strip()
        compact = text.replace(" ", "")
        if len(compact) == 18 and compact[:17].isdigit():
            statement = statement.where(Customer.id_number_hash == id_hash(uow, compact))
        elif identity.PHONE_PATTERN.match(identity.normalize_phone(compact)):
            statement = statement.where(Customer.phone_hash == phone_hash(uow, compact))
        else:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(Customer.name.like(f"{escaped}%", escape="\\"))
            if uow.session.get_bind().dialect.name == "sqlite":  # SQLite's LIKE ignores the index; a range uses it
                statement = statement.where(Customer.name >= text, Customer.name < text + "\U0010ffff")
    return fetch_page(uow.session, statement, (Customer.id.desc(),), page, size)


def update_customer(uow: UnitOfWork, actor: Actor, customer_id: int, cmd: CustomerUpdate) -> Customer:
    actor.require(CUSTOMER_UPDATE)
    customer = _visible_customer(uow, actor, customer_id)
    ensure_version(customer, cmd.version, "customer / 客户")
    before = _audit_view(customer)
    changes = cmd.model_dump(exclude_unset=True, exclude={"version"})
    if "phone" in changes:
        _set_phone(uow, customer, changes.pop("phone"))
    if "address" in changes:
        _set_address(uow, customer, changes.pop("address"))
    if customer.kind == CustomerKind.INDIVIDUAL:
        for name in ("registered_capital", "industry", "financials"):
            if changes.get(name) is not None:
                raise invalid(name, f"'{name}' is for enterprise customers only.", f"“{name}”仅适用于企业客户。")
    for name, value in changes.items():
        setattr(customer, name, value)
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.customer.update",
        "customer",
        customer.id,
        before=before,
        after={**_audit_view(customer), "changed": sorted(cmd.model_fields_set - {"version"})},
    )
    return customer


def tags_of(uow: UnitOfWork, customer_ids: list[int]) -> dict[int, list[str]]:
    if not customer_ids:
        return {}
    rows = uow.session.execute(
        select(CustomerTag.customer_id, Tag.code)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.customer_id.in_(customer_ids))
        .order_by(Tag.code)
    ).all()
    found: dict[int, list[str]] = {}
    for customer_id, code in rows:
        found.setdefault(customer_id, []).append(code)
    return found


def customer_view(
    uow: UnitOfWork, customer: Customer, *, revealed: frozenset[str] = frozenset(), tags: list[str] | None = None
) -> dict[str, Any]:
    """The customer as shown: personal data masked except for the ``revealed`` groups."""
    view: dict[str, Any] = {
        name: getattr(customer, name)
        for name in (
            "id",
            "kind",
            "name",
            "id_type",
            "gender",
            "marital_status",
            "education",
            "industry",
            "uscc_override",
            "legal_rep_id",
            "grade_code",
            "status",
            "merged_into_id",
            "department_id",
            "manager_id",
            "version",
            "created_at",
        )
    }
    view["tags"] = tags or []
    view["id_number"] = customer.id_number_masked
    view["phone"] = customer.phone_masked
    address = _decrypt(uow, customer.address_enc, CTX_ADDRESS)
    view["address"] = mask_address(address) if address else None
    view["birth_date"] = None
    view["region_code"] = customer.region_code[:2] + "****" if customer.region_code else None
    for name in GROUP_FIELDS["finance"] + GROUP_FIELDS["credit"]:
        view[name] = None
    masked = []
    for group in GROUP_FIELDS:
        if group in revealed:
            view.update(reveal_fields(uow, customer, group))
        else:
            masked.append(group)
    view["masked"] = masked
    return view


def _decrypt(uow: UnitOfWork, stored: str | None, context: str) -> str | None:
    return None if stored is None else cipher(uow).decrypt(stored, context)


def reveal_fields(uow: UnitOfWork, customer: Customer, group: str) -> dict[str, Any]:
    if group == "identity":
        return {
            "id_number": _decrypt(uow, customer.id_number_enc, CTX_ID),
            "birth_date": customer.birth_date,
            "region_code": customer.region_code,
        }
    if group == "contact":
        return {
            "phone": _decrypt(uow, customer.phone_enc, CTX_PHONE),
            "address": _decrypt(uow, customer.address_enc, CTX_ADDRESS),
        }
    if group == "finance":
        return {name: getattr(customer, name) for name in GROUP_FIELDS["finance"]}
    return {name: getattr(customer, name) for name in GROUP_FIELDS["credit"]}


def reveal_customer(uow: UnitOfWork, actor: Actor, customer_id: int, groups: list[str], reason: str) -> dict[str, Any]:
    """Unmask personal-data groups of one customer: each group needs its own permission and a reason (audited)."""
    actor.require(CUSTOMER_VIEW)
    for group in groups:
        actor.require(PII_GROUPS[group])
    text = _reason(reason)
    customer = _visible_customer(uow, actor, customer_id)
    audit.record(
        uow,
        actor,
        "customers.pii.reveal",
        "customer",
        customer.id,
        after={"groups": sorted(set(groups)), "reason": text},
    )
    return customer_view(uow, customer, revealed=frozenset(groups), tags=tags_of(uow, [customer.id]).get(customer.id))


def find_by_id_number(uow: UnitOfWork, actor: Actor, id_number: str) -> Customer | None:
    """The customer registered under an ID number / USCC (following merges), within the actor's scope."""
    actor.require(CUSTOMER_VIEW)
    customer = _existing_by_id_hash(uow, id_hash(uow, id_number))
    while customer is not None and customer.merged_into_id is not None:
        customer = uow.session.get(Customer, customer.merged_into_id)
    if customer is None or not visible(actor, customer.department_id, customer.manager_id):
        return None
    return customer


# --- contacts ---------------------------------------------------------------------------------------------------


def add_contact(uow: UnitOfWork, actor: Actor, customer_id: int, cmd: ContactCreate) -> Contact:
    actor.require(CUSTOMER_UPDATE)
    customer = _visible_customer(uow, actor, customer_id)
    phone = identity.check_phone(cmd.phone)
    contact = Contact(
        customer_id=customer.id,
        name=cmd.name,
        relation=cmd.relation,
        phone_enc=cipher(uow).encrypt(phone, CTX_PHONE),
        phone_hash=phone_hash(uow, phone),
        phone_masked=mask_phone(phone),
        consent=cmd.consent,
        consent_at=utcnow() if cmd.consent else None,
    )
    uow.session.add(contact)
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.contact.create",
        "customer",
        customer.id,
        after={
            "contact_id": contact.id,
            "name": cmd.name,
            "relation": cmd.relation,
            "phone": phone,
            "consent": cmd.consent,
        },
    )
    return contact


def list_contacts(uow: UnitOfWork, actor: Actor, customer_id: int) -> list[Contact]:
    actor.require(CUSTOMER_VIEW)
    customer = _visible_customer(uow, actor, customer_id)
    return list(
        uow.session.execute(select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)).scalars()
    )


def contact_view(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "relation": contact.relation,
        "phone": contact.phone_masked,
        "consent": contact.consent,
        "consent_at": contact.consent_at,
    }


# --- duplicates and merge ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PossibleDuplicate:
    reason: str  # same_phone | same_name_birth_date
    customer_ids: list[int]
    names: list[str]


def possible_duplicates(uow: UnitOfWork, actor: Actor, limit: int = 200) -> list[PossibleDuplicate]:
    """Groups of active customers sharing a phone, or a name and a birth date, for review (查重)."""
    actor.require(CUSTOMER_MERGE)
    active = _scoped(select(Customer), actor).where(Customer.status == CustomerStatus.ACTIVE).subquery()
    found: list[PossibleDuplicate] = []
    phones = (
        uow.session.execute(
            select(active.c.phone_hash)
            .where(active.c.phone_hash.is_not(None))
            .group_by(active.c.phone_hash)
            .having(func.count() > 1)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    for digest in phones:
        rows = uow.session.execute(
            select(active.c.id, active.c.name).where(active.c.phone_hash == digest).order_by(active.c.id)
        ).all()
        found.append(PossibleDuplicate("same_phone", [r.id for r in rows], [r.name for r in rows]))
    pairs = uow.session.execute(
        select(active.c.name, active.c.birth_date)
        .where(active.c.birth_date.is_not(None))
        .group_by(active.c.name, active.c.birth_date)
        .having(func.count() > 1)
        .limit(limit)
    ).all()
    for name, birth in pairs:
        rows = uow.session.execute(
            select(active.c.id, active.c.name)
            .where(and_(active.c.name == name, active.c.birth_date == birth))
            .order_by(active.c.id)
        ).all()
        found.append(PossibleDuplicate("same_name_birth_date", [r.id for r in rows], [r.name for r in rows]))
    return found


def merge_customers(uow: UnitOfWork, actor: Actor, keep_id: int, duplicate_id: int, reason: str) -> Customer:
    """Fold ``duplicate_id`` into ``keep_id``: contacts, cards and tags move over; the duplicate is marked merged."""
    actor.require(CUSTOMER_MERGE)
    text = _reason(reason)
    if keep_id == duplicate_id:
        raise invalid(
            "duplicate_id", "A customer cannot be merged into itself.", "客户不能与自身合并。", "customers.merge.same"
        )
    keep = _visible_customer(uow, actor, keep_id)
    duplicate = _visible_customer(uow, actor, duplicate_id)
    for customer in (keep, duplicate):
        if customer.status != CustomerStatus.ACTIVE:
            raise invalid(
                "duplicate_id",
                f"Customer {customer.id} was already merged.",
                f"客户 {customer.id} 已被合并。",
                "customers.merge.not_active",
            )
    if keep.kind != duplicate.kind:
        raise invalid(
            "duplicate_id",
            "An individual and an enterprise cannot be merged.",
            "个人客户与企业客户不能合并。",
            "customers.merge.kind_mismatch",
        )
    session = uow.session
    moved_contacts = session.execute(
        update(Contact).where(Contact.customer_id == duplicate.id).values(customer_id=keep.id)
    ).rowcount  # type: ignore[attr-defined]
    keep_cards = set(session.execute(select(BankCard.number_hash).where(BankCard.customer_id == keep.id)).scalars())
    moved_cards = 0
    for card in session.execute(select(BankCard).where(BankCard.customer_id == duplicate.id)).scalars():
        if card.number_hash in keep_cards:
            card.status = "merged"
        else:
            card.customer_id = keep.id
            moved_cards += 1
    keep_tags = set(session.execute(select(CustomerTag.tag_id).where(CustomerTag.customer_id == keep.id)).scalars())
    for link in session.execute(select(CustomerTag).where(CustomerTag.customer_id == duplicate.id)).scalars().all():
        if link.tag_id in keep_tags:
            session.delete(link)
        else:
            link.customer_id = keep.id
    before = {"keep": _audit_view(keep), "duplicate": _audit_view(duplicate)}
    duplicate.status = CustomerStatus.MERGED
    duplicate.merged_into_id = keep.id
    if keep.phone_enc is None and duplicate.phone_enc is not None:
        keep.phone_enc, keep.phone_hash, keep.phone_masked = (
            duplicate.phone_enc,
            duplicate.phone_hash,
            duplicate.phone_masked,
        )
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.customer.merge",
        "customer",
        keep.id,
        before=before,
        after={"merged_id": duplicate.id, "reason": text, "contacts_moved": moved_contacts, "cards_moved": moved_cards},
    )
    return keep


# --- tags and grades --------------------------------------------------------------------------------------------


def create_tag(uow: UnitOfWork, actor: Actor, code: str, name: str) -> Tag:
    actor.require(TAG_MANAGE)
    if uow.session.execute(select(Tag).where(Tag.code == code)).scalar_one_or_none():
        raise Conflict(
            "customers.tag.code_taken",
            Text(f"Tag {code} already exists.", f"标签 {code} 已存在。"),
            [FieldError("code", Text("Already used.", "已被使用。"))],
        )
    tag = Tag(code=code, name=name)
    uow.session.add(tag)
    uow.flush()
    audit.record(uow, actor, "customers.tag.create", "customer_tag", tag.id, after={"code": code, "name": name})
    return tag


def list_tags(uow: UnitOfWork, actor: Actor) -> list[Tag]:
    actor.require(CUSTOMER_VIEW)
    return list(uow.session.execute(select(Tag).order_by(Tag.code)).scalars())


def tag_customer(uow: UnitOfWork, actor: Actor, customer_id: int, code: str) -> list[str]:
    actor.require(CUSTOMER_UPDATE)
    customer = _visible_customer(uow, actor, customer_id)
    tag = uow.session.execute(select(Tag).where(Tag.code == code)).scalar_one_or_none()
    if tag is None:
        raise errors.not_found("Tag", "标签", "customers.tag.not_found", code)
    exists = uow.session.execute(
        select(CustomerTag).where(CustomerTag.customer_id == customer.id, CustomerTag.tag_id == tag.id)
    ).scalar_one_or_none()
    if exists is None:
        uow.session.add(CustomerTag(customer_id=customer.id, tag_id=tag.id))
        uow.flush()
        audit.record(uow, actor, "customers.customer.tag", "customer", customer.id, after={"tag": code})
    return tags_of(uow, [customer.id]).get(customer.id, [])


def untag_customer(uow: UnitOfWork, actor: Actor, customer_id: int, code: str) -> list[str]:
    actor.require(CUSTOMER_UPDATE)
    customer = _visible_customer(uow, actor, customer_id)
    tag = uow.session.execute(select(Tag).where(Tag.code == code)).scalar_one_or_none()
    if tag is not None:
        removed = uow.session.execute(
            delete(CustomerTag).where(CustomerTag.customer_id == customer.id, CustomerTag.tag_id == tag.id)
        ).rowcount  # type: ignore[attr-defined]
        if removed:
            audit.record(uow, actor, "customers.customer.untag", "customer", customer.id, before={"tag": code})
    return tags_of(uow, [customer.id]).get(customer.id, [])


def create_grade(uow: UnitOfWork, actor: Actor, cmd: GradeCreate) -> Grade:
    actor.require(GRADE_MANAGE)
    if uow.session.execute(select(Grade).where(Grade.code == cmd.code)).scalar_one_or_none():
        raise Conflict(
            "customers.grade.code_taken",
            Text(f"Grade {cmd.code} already exists.", f"客户等级 {cmd.code} 已存在。"),
            [FieldError("code", Text("Already used.", "已被使用。"))],
        )
    grade = Grade(**cmd.model_dump())
    uow.session.add(grade)
    uow.flush()
    audit.record(uow, actor, "customers.grade.create", "customer_grade", grade.id, after=cmd.model_dump())
    return grade


def list_grades(uow: UnitOfWork, actor: Actor) -> list[Grade]:
    actor.require(CUSTOMER_VIEW)
    return list(uow.session.execute(select(Grade).order_by(Grade.rank.desc())).scalars())


def grade_matches(grade: Grade, customer: Customer) -> bool:
    """Whether a customer meets every configured criterion of a grade (unset criteria always pass)."""
    if grade.min_monthly_income is not None and (customer.monthly_income or 0) < grade.min_monthly_income:
        return False
    if grade.min_credit_score is not None and (customer.credit_score or 0) < grade.min_credit_score:
        return False
    return not (
        grade.min_registered_capital is not None and (customer.registered_capital or 0) < grade.min_registered_capital
    )


def assign_grade(uow: UnitOfWork, actor: Actor, customer_id: int, code: str | None = None) -> Customer:
    """Set a customer's grade: the given one, or the best grade whose configured criteria the customer meets."""
    actor.require(GRADE_MANAGE)
    customer = _visible_customer(uow, actor, customer_id)
    grades = list(uow.session.execute(select(Grade).order_by(Grade.rank.desc())).scalars())
    if code is not None:
        chosen = next((g for g in grades if g.code == code), None)
        if chosen is None:
            raise errors.not_found("Grade", "客户等级", "customers.grade.not_found", code)
    else:
        chosen = next((g for g in grades if grade_matches(g, customer)), None)
    before = customer.grade_code
    customer.grade_code = chosen.code if chosen else None
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.customer.grade",
        "customer",
        customer.id,
        before={"grade_code": before},
        after={"grade_code": customer.grade_code, "evaluated": code is None},
    )
    return customer


# --- bank cards -------------------------------------------------------------------------------------------------


def card_view(card: BankCard) -> dict[str, Any]:
    return {
        "id": card.id,
        "customer_id": card.customer_id,
        "masked_number": f"{card.bin}******{card.last4}",
        "bin": card.bin,
        "last4": card.last4,
        "bank_code": card.bank_code,
        "bank_name": card.bank_name,
        "holder_name": card.holder_name,
        "status": card.status,
    }


def add_card(uow: UnitOfWork, actor: Actor, customer_id: int, cmd: CardCreate) -> BankCard:
    actor.require(CARD_MANAGE)
    customer = _visible_customer(uow, actor, customer_id)
    number = identity.check_card_number(cmd.card_number)
    digest = cipher(uow).lookup_hash(number, CTX_CARD)
    exists = uow.session.execute(
        select(BankCard).where(BankCard.customer_id == customer.id, BankCard.number_hash == digest)
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict(
            "customers.card.duplicate",
            Text("This card is already on the customer's record.", "该银行卡已绑定到此客户。"),
            [FieldError("card_number", Text("Already added.", "已绑定。"))],
        )
    bank = identity.bank_for(number)
    card = BankCard(
        customer_id=customer.id,
        number_enc=cipher(uow).encrypt(number, CTX_CARD),
        number_hash=digest,
        bin=number[:6],
        last4=number[-4:],
        bank_code=bank.code if bank else None,
        bank_name=bank.zh if bank else None,
        holder_name=cmd.holder_name,
        status="active",
    )
    uow.session.add(card)
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.card.create",
        "customer",
        customer.id,
        after={"card_id": card.id, "card_number": number, "bank": card.bank_code},
    )
    return card


def list_cards(uow: UnitOfWork, actor: Actor, customer_id: int) -> list[BankCard]:
    actor.require(CARD_VIEW)
    customer = _visible_customer(uow, actor, customer_id)
    return list(
        uow.session.execute(select(BankCard).where(BankCard.customer_id == customer.id).order_by(BankCard.id)).scalars()
    )


def reveal_card(uow: UnitOfWork, actor: Actor, card_id: int, reason: str) -> str:
    """The full card number, for a holder of the reveal permission who gives a reason (audited)."""
    actor.require(CARD_REVEAL)
    text = _reason(reason)
    card = uow.session.get(BankCard, card_id)
    if card is None:
        raise errors.not_found("Bank card", "银行卡", "customers.card.not_found", card_id)
    _visible_customer(uow, actor, card.customer_id)
    audit.record(
        uow, actor, "customers.card.reveal", "customer", card.customer_id, after={"card_id": card.id, "reason": text}
    )
    return cipher(uow).decrypt(card.number_enc, CTX_CARD)


def card_for_debit(uow: UnitOfWork, card_id: int) -> tuple[dict[str, Any], str] | None:
    """System use by servicing (direct debit, refunds): the card's view and full number for a bank instruction.
    The caller checks its own permission and audits the instruction; ``None`` when the card does not exist."""
    card = uow.session.get(BankCard, card_id)
    if card is None:
        return None
    return card_view(card), cipher(uow).decrypt(card.number_enc, CTX_CARD)


def add_card_number(uow: UnitOfWork, actor: Actor, customer_id: int, number: str, holder_name: str) -> BankCard:
    """:func:`add_card` for other domains (their demo data), which do not import this domain's schemas."""
    return add_card(uow, actor, customer_id, CardCreate(card_number=number, holder_name=holder_name))


def card_number_hash(uow: UnitOfWork, number: str) -> str:
    """The lookup hash of a card / account number (the same as stored on the customer's cards)."""
    return cipher(uow).lookup_hash(number.strip().replace(" ", ""), CTX_CARD)


def customers_with_card_hash(uow: UnitOfWork, digest: str) -> list[int]:
    """Ids of the customers who registered a card with this lookup hash (statement matching by payer account)."""
    return list(uow.session.execute(select(BankCard.customer_id).where(BankCard.number_hash == digest)
                                    .order_by(BankCard.customer_id)).scalars())


# --- blacklist --------------------------------------------------------------------------------------------------


def _normalize_blacklist_value(kind: str, value: str) -> str:
    if kind == BlacklistKind.PHONE:
        return identity.check_phone(value)
    if kind == BlacklistKind.VIN:
        return value.strip().upper().replace(" ", "")
    return value.strip().upper()


def _blacklist_hash(uow: UnitOfWork, kind: str, value: str) -> str:
    return cipher(uow).lookup_hash(f"{kind}:{value}", CTX_BLACKLIST)


def _check_blacklist_value(kind: str, value: str) -> str:
    """Validate the identifier the same way intake does, so an entry can actually match."""
    if kind == BlacklistKind.ID_NUMBER:
        number = value.strip().upper()
        if len(number) == 18 and number[:17].isdigit():
            return identity.parse_resident_id(number, today=_today(), min_age=None, max_age=None).number
        if not 5 <= len(number) <= 20:
            raise invalid(
                "id_number",
                "An ID number has 5 to 20 characters.",
                "证件号码应为5至20位。",
                "customers.id_number.invalid",
            )
        return number
    if kind == BlacklistKind.USCC:
        code = value.strip().upper()
        if len(code) != 18:
            identity.check_uscc(code)
        return code
    if kind == BlacklistKind.VIN:
        vin = value.strip().upper()
        if len(vin) != 17:
            raise invalid(
                "vin",
                f"A VIN has 17 characters; this one has {len(vin)}.",
                f"车辆识别代号应为17位，当前为{len(vin)}位。",
                "vehicles.vin.invalid",
            )
        return vin
    return identity.check_phone(value)


def add_blacklist_entry(uow: UnitOfWork, actor: Actor, cmd: BlacklistCreate) -> BlacklistEntry:
    """Put an ID number, phone, USCC or VIN on the blacklist (one identifier per entry)."""
    actor.require(BLACKLIST_MANAGE)
    given = [(kind, getattr(cmd, kind)) for kind in BlacklistKind if getattr(cmd, kind)]
    if len(given) != 1:
        text = Text(
            "Give exactly one of id_number, phone, uscc or vin.", "请且仅填写证件号码、手机号、信用代码或VIN之一。"
        )
        raise ValidationFailed("customers.blacklist.one_identifier", text, [FieldError("id_number", text)])
    kind, raw = given[0]
    value = _check_blacklist_value(kind, raw)
    if cmd.expires_at is not None and cmd.expires_at <= utcnow():
        raise invalid(
            "expires_at",
            "The expiry must be in the future.",
            "失效时间必须晚于当前时间。",
            "customers.blacklist.expiry_past",
        )
    digest = _blacklist_hash(uow, kind, value)
    existing = (
        uow.session.execute(
            select(BlacklistEntry).where(
                BlacklistEntry.kind == kind,
                BlacklistEntry.value_hash == digest,
                BlacklistEntry.status != BlacklistStatus.REMOVED,
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        raise Conflict(
            "customers.blacklist.duplicate",
            Text(
                f"This {kind} is already on the blacklist (entry {existing.id}).",
                f"该{kind}已在黑名单中（条目 {existing.id}）。",
            ),
            [FieldError(kind, Text("Already blacklisted.", "已在黑名单中。"))],
        )
    masked = mask_phone(value) if kind == BlacklistKind.PHONE else mask_middle(value, 6, 4)
    entry = BlacklistEntry(
        kind=kind,
        value_hash=digest,
        value_enc=cipher(uow).encrypt(value, CTX_BLACKLIST),
        value_masked=masked,
        reason=cmd.reason,
        source=cmd.source,
        expires_at=cmd.expires_at,
        author_id=actor.user_id,
        author_name=actor.username,
        status=BlacklistStatus.ACTIVE,
    )
    uow.session.add(entry)
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.blacklist.add",
        "blacklist_entry",
        entry.id,
        after={"kind": kind, "value": masked, "reason": cmd.reason, "source": cmd.source, "expires_at": cmd.expires_at},
    )
    return entry


def list_blacklist(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[BlacklistEntry], int]:
    actor.require(BLACKLIST_VIEW)
    statement = select(BlacklistEntry)
    if status:
        statement = statement.where(BlacklistEntry.status == status)
    return fetch_page(uow.session, statement, (BlacklistEntry.id.desc(),), page, size)


def _entry(uow: UnitOfWork, entry_id: int) -> BlacklistEntry:
    entry = uow.session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise errors.not_found("Blacklist entry", "黑名单条目", "customers.blacklist.not_found", entry_id)
    return entry


def request_blacklist_removal(uow: UnitOfWork, actor: Actor, entry_id: int, reason: str) -> BlacklistEntry:
    """Ask for an entry to be removed; it keeps blocking until a second person approves."""
    actor.require(BLACKLIST_MANAGE)
    text = _reason(reason)
    entry = _entry(uow, entry_id)
    if entry.status != BlacklistStatus.ACTIVE:
        raise Conflict(
            "customers.blacklist.not_active",
            Text(f"Entry {entry.id} is {entry.status}.", f"条目 {entry.id} 当前状态为 {entry.status}。"),
        )
    entry.status = BlacklistStatus.REMOVAL_REQUESTED
    entry.removal_requested_by = actor.user_id
    entry.removal_requested_by_name = actor.username
    entry.removal_reason = text
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.blacklist.removal_request",
        "blacklist_entry",
        entry.id,
        before={"status": BlacklistStatus.ACTIVE},
        after={"status": entry.status, "reason": text},
    )
    return entry


def decide_blacklist_removal(uow: UnitOfWork, actor: Actor, entry_id: int, approve: bool = True) -> BlacklistEntry:
    """A second person approves (entry removed) or rejects (entry stays active) a removal request."""
    actor.require(BLACKLIST_APPROVE)
    entry = _entry(uow, entry_id)
    if entry.status != BlacklistStatus.REMOVAL_REQUESTED:
        raise Conflict(
            "customers.blacklist.no_request",
            Text(f"Nobody asked to remove entry {entry.id}.", f"条目 {entry.id} 没有待审批的移除申请。"),
        )
    if (entry.removal_requested_by is not None and entry.removal_requested_by == actor.user_id) or (
        entry.removal_requested_by is None and entry.removal_requested_by_name == actor.username
    ):
        raise errors.same_person_approval()
    before = {"status": entry.status}
    if approve:
        entry.status = BlacklistStatus.REMOVED
        entry.removed_by = actor.user_id
        entry.removed_at = utcnow()
    else:
        entry.status = BlacklistStatus.ACTIVE
    uow.flush()
    audit.record(
        uow,
        actor,
        "customers.blacklist.removal_" + ("approve" if approve else "reject"),
        "blacklist_entry",
        entry.id,
        before=before,
        after={"status": entry.status},
    )
    return entry


@dataclass(frozen=True)
class BlacklistHit:
    entry_id: int
    kind: str
    value_masked: str
    reason: str
    source: str


def check_blacklist(
    uow: UnitOfWork,
    *,
    id_number: str | None = None,
    phone: str | None = None,
    uscc: str | None = None,
    vin: str | None = None,
) -> list[BlacklistHit]:
    """Active, unexpired blacklist entries matching any of the given identifiers (an empty list: clear).

    Entries awaiting removal approval still match. Origination calls this at intake and refuses on any hit
    (see :func:`blacklist_refusal`), recording an alert in a separate transaction (:func:`record_alert`).
    """
    wanted: list[tuple[str, str]] = []
    for kind, value in (("id_number", id_number), ("phone", phone), ("uscc", uscc), ("vin", vin)):
        if not value:
            continue
        normalized = identity.normalize_phone(value) if kind == "phone" else value.strip().upper().replace(" ", "")
        wanted.append((kind, _blacklist_hash(uow, kind, normalized)))
    if not wanted:
        return []
    now = utcnow()
    rows = (
        uow.session.execute(
            select(BlacklistEntry)
            .where(
                or_(
                    *[and_(BlacklistEntry.kind == kind, BlacklistEntry.value_hash == digest) for kind, digest in wanted]
                ),
                BlacklistEntry.status != BlacklistStatus.REMOVED,
                or_(BlacklistEntry.expires_at.is_(None), BlacklistEntry.expires_at > now),
            )
            .order_by(BlacklistEntry.id)
        )
        .scalars()
        .all()
    )
    return [BlacklistHit(r.id, r.kind, r.value_masked, r.reason, r.source) for r in rows]


def blacklist_refusal(hits: list[BlacklistHit]) -> Exception:
    """The error an intake raises on blacklist hits (422 ``customers.blacklist.hit`` naming the fields)."""
    return errors.blacklisted(sorted({hit.kind for hit in hits}))


def record_alert(
    uow: UnitOfWork, actor: Actor, kind: str, subject: str, detail: dict[str, Any] | None = None
) -> CustomerAlert:
    """A risk alert row (e.g. ``blacklist_hit``). Call it in its own unit of work when the use case is refused."""
    alert = CustomerAlert(
        kind=kind,
        occurred_at=utcnow(),
        subject=subject[:200],
        detail=detail,
        actor_id=actor.user_id,
        actor_name=actor.username,
    )
    uow.session.add(alert)
    uow.flush()
    audit.record(uow, actor, f"customers.alert.{kind}", "customer_alert", alert.id, after={"subject": subject})
    return alert


def list_alerts(uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 50) -> tuple[list[CustomerAlert], int]:
    actor.require(BLACKLIST_VIEW)
    return fetch_page(uow.session, select(CustomerAlert), (CustomerAlert.id.desc(),), page, size)
