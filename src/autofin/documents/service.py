"""Use cases of documents (附件). Each checks the actor, validates, changes, audits; none commits.

Content is sniffed (never trusted from the name or the browser), limited in size (platform parameter
``documents.max_bytes``, default 10 MB), stored once under ``settings.files_dir/ab/abcdef…`` by SHA-256 and
linked to an owner the actor may see (a customer, a vehicle, later an application). Opening a personal document (an
ID photo, or anything attached to a customer) is audited; an ID photo also needs the identity unmask permission.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.db.uow import UnitOfWork
from autofin.documents import errors, storage
from autofin.documents.models import Document, DocumentKind, DocumentLink, OwnerType
from autofin.documents.permissions import DOCUMENT_UPLOAD, DOCUMENT_VIEW
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError, NotFound, Text, invalid
from autofin.platform import service as platform

KINDS: list[str] = [k.value for k in DocumentKind]
OWNER_TYPES: list[str] = [o.value for o in OwnerType]
MAX_BYTES_KEY = "documents.max_bytes"
PII_IDENTITY = "customers.pii.identity.view"  # an ID photo shows the whole ID: same right as unmasking it

# how the owner of a link is checked (exists and is inside the actor's data scope): domain service functions
_OWNER_CHECKS: dict[str, tuple[str, str]] = {
    OwnerType.CUSTOMER: ("autofin.customers.service", "get_customer"),
    OwnerType.VEHICLE: ("autofin.vehicles.service", "get_vehicle"),
    OwnerType.APPLICATION: ("autofin.origination.service", "get_application"),
}


@dataclass(frozen=True)
class DocumentItem:
    """A document as attached to one owner."""

    id: int
    link_id: int
    sha256: str
    size: int
    media_type: str
    kind: str
    original_filename: str
    owner_type: str
    owner_id: int
    uploaded_by_name: str
    created_at: datetime
    reused: bool = False

    @property
    def is_image(self) -> bool:
        return self.media_type in storage.IMAGE_TYPES


@dataclass(frozen=True)
class OpenedDocument:
    id: int
    path: Path
    media_type: str
    size: int
    filename: str
    sha256: str


def max_bytes(uow: UnitOfWork) -> int:
    """The size limit of one document (config centre ``documents.max_bytes``; 10 MB when not set)."""
    return int(platform.get_parameter(uow, MAX_BYTES_KEY, default=storage.DEFAULT_MAX_BYTES))


def _files_root(uow: UnitOfWork) -> Path:
    return Path(uow.settings.files_dir)


def store_blob(uow: UnitOfWork, data: bytes) -> str:
    """Keep ``data`` in the content-addressed file store (once, atomically) and return its SHA-256 — for records
    that keep their own reference to a file (signed contracts, session recordings) rather than a document link.
    A file written by a transaction that then rolls back stays an unreferenced blob: same bytes, same name."""
    digest = storage.sha256_of(data)
    storage.write_once(_files_root(uow), digest, data)
    return digest


def read_blob(uow: UnitOfWork, sha256: str) -> bytes | None:
    """The stored bytes of ``sha256``; ``None`` when missing or when the bytes no longer match their hash."""
    try:
        path = storage.storage_path(_files_root(uow), sha256)
    except ValueError:
        return None
    if not path.exists():
        return None
    data = path.read_bytes()
    return data if storage.sha256_of(data) == sha256 else None


def _check_kind(kind: str) -> str:
    value = (kind or "").strip()
    if value not in KINDS:
        raise errors.bad_kind(value, KINDS)
    return value


def _check_owner(uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: int) -> None:
    """The owner exists and the actor may see it (its domain's own ``get_…`` use case decides)."""
    if owner_type not in OWNER_TYPES:
        raise errors.bad_owner_type(owner_type, OWNER_TYPES)
    if not isinstance(owner_id, int) or owner_id < 1:
        raise invalid("owner_id", "The owner id must be a positive whole number.", "关联对象编号必须为正整数。",
                      "documents.owner_id.invalid")
    module_name, function = _OWNER_CHECKS[owner_type]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not module_name.startswith(exc.name):
            raise
        return  # the owning domain is not built yet (applications): nothing to check against
    getter = getattr(module, function, None)
    if getter is not None:
        getter(uow, actor, owner_id)


def _owner_visible(uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: int) -> bool:
    try:
        _check_owner(uow, actor, owner_type, owner_id)
    except DomainError:
        return False
    return True


def _item(document: Document, link: DocumentLink, *, reused: bool = False) -> DocumentItem:
    return DocumentItem(
        id=document.id,
        link_id=link.id,
        sha256=document.sha256,
        size=document.size,
        media_type=document.media_type,
        kind=link.kind,
        original_filename=link.original_filename,
        owner_type=link.owner_type,
        owner_id=link.owner_id,
        uploaded_by_name=link.linked_by_name,
        created_at=link.created_at,
        reused=reused,
    )


def store_document(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    filename: str | None,
    kind: str,
    owner_type: str,
    owner_id: int,
) -> DocumentItem:
    """Upload a file and attach it to an owner. The same content is stored once and linked again.

    Refused (422 naming ``file``) when empty, larger than ``documents.max_bytes`` or not a JPEG/PNG/WebP image or
    a PDF by its content; 422 naming ``kind`` / ``owner_type`` for unknown ones; 404 for an owner out of scope.
    """
    actor.require(DOCUMENT_UPLOAD)
    kind = _check_kind(kind)
    _check_owner(uow, actor, owner_type, owner_id)
    if not data:
        raise errors.empty_file()
    limit = max_bytes(uow)
    if len(data) > limit:
        raise errors.too_large(len(data), limit)
    media_type = storage.sniff(data)
    if media_type not in storage.ALLOWED_TYPES:
        raise errors.type_refused(media_type)
    extension = storage.ALLOWED_TYPES[media_type]
    name = storage.clean_filename(filename, extension)
    digest = storage.sha256_of(data)
    document = uow.session.execute(select(Document).where(Document.sha256 == digest)).scalar_one_or_none()
    reused = document is not None
    storage.write_once(_files_root(uow), digest, data)  # content-addressed: an orphan after a rollback is harmless
    if document is None:
        document = Document(
            sha256=digest,
            size=len(data),
            media_type=media_type,
            extension=extension,
            original_filename=name,
            kind=kind,
            uploaded_by=actor.user_id,
            uploaded_by_name=actor.username,
        )
        uow.session.add(document)
        uow.flush()
    link = _find_link(uow, document.id, owner_type, owner_id)
    if link is None:
        link = _new_link(uow, actor, document, owner_type, owner_id, kind, name)
    audit.record(
        uow,
        actor,
        "documents.document.upload",
        "document",
        document.id,
        after={
            "sha256": digest,
            "size": len(data),
            "media_type": media_type,
            "kind": kind,
            "filename": name,
            "owner_type": owner_type,
            "owner_id": owner_id,
            "stored_before": reused,
        },
    )
    return _item(document, link, reused=reused)


def _find_link(uow: UnitOfWork, document_id: int, owner_type: str, owner_id: int) -> DocumentLink | None:
    return uow.session.execute(
        select(DocumentLink).where(
            DocumentLink.document_id == document_id,
            DocumentLink.owner_type == owner_type,
            DocumentLink.owner_id == owner_id,
        )
    ).scalar_one_or_none()


def _new_link(
    uow: UnitOfWork, actor: Actor, document: Document, owner_type: str, owner_id: int, kind: str, name: str
) -> DocumentLink:
    link = DocumentLink(
        document_id=document.id,
        owner_type=owner_type,
        owner_id=owner_id,
        kind=kind,
        original_filename=name,
        linked_by=actor.user_id,
        linked_by_name=actor.username,
    )
    uow.session.add(link)
    uow.flush()
    return link


def list_documents(
    uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: int, *, page: int = 1, size: int = 50
) -> tuple[list[DocumentItem], int]:
    """The documents attached to one owner the actor may see, newest first."""
    actor.require(DOCUMENT_VIEW)
    _check_owner(uow, actor, owner_type, owner_id)
    statement = (
        select(Document, DocumentLink)
        .join(DocumentLink, DocumentLink.document_id == Document.id)
        .where(DocumentLink.owner_type == owner_type, DocumentLink.owner_id == owner_id)
    )
    total = uow.session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = uow.session.execute(
        statement.order_by(DocumentLink.id.desc()).offset((page - 1) * size).limit(size)
    ).all()
    return [_item(document, link) for document, link in rows], int(total)


def _visible_document(uow: UnitOfWork, actor: Actor, document_id: int) -> tuple[Document, list[DocumentLink]]:
    """The document and its links, when at least one of its owners is inside the actor's data scope."""
    document = uow.session.get(Document, document_id)
    if document is None:
        raise errors.not_found(document_id)
    links = list(
        uow.session.execute(select(DocumentLink).where(DocumentLink.document_id == document.id)).scalars()
    )
    if not any(_owner_visible(uow, actor, link.owner_type, link.owner_id) for link in links):
        raise errors.not_found(document_id)
    return document, links


def is_personal(document: Document, links: list[DocumentLink]) -> bool:
    """An ID photo, or anything attached to a customer, is personal data: opening it is audited."""
    return document.kind == DocumentKind.ID_PHOTO or any(
        link.kind == DocumentKind.ID_PHOTO or link.owner_type == OwnerType.CUSTOMER for link in links
    )


def open_document(uow: UnitOfWork, actor: Actor, document_id: int) -> OpenedDocument:
    """The stored file of a document the actor may see; opening a personal one is audited (the caller commits)."""
    actor.require(DOCUMENT_VIEW)
    document, links = _visible_document(uow, actor, document_id)
    if document.kind == DocumentKind.ID_PHOTO or any(link.kind == DocumentKind.ID_PHOTO for link in links):
        actor.require(PII_IDENTITY)
    path = storage.storage_path(_files_root(uow), document.sha256)
    if not path.exists():
        raise NotFound(
            "documents.document.content_missing",
            Text(
                f"The content of document {document_id} is missing from the file store; upload it again.",
                f"附件 {document_id} 的文件内容已丢失，请重新上传。",
            ),
        )
    if is_personal(document, links):
        audit.record(
            uow,
            actor,
            "documents.document.open",
            "document",
            document.id,
            after={"kind": document.kind, "owners": sorted(f"{link.owner_type}:{link.owner_id}" for link in links)},
        )
    return OpenedDocument(
        id=document.id,
        path=path,
        media_type=document.media_type,
        size=document.size,
        filename=document.original_filename,
        sha256=document.sha256,
    )


def link_document(
    uow: UnitOfWork, actor: Actor, document_id: int, owner_type: str, owner_id: int, kind: str | None = None
) -> DocumentItem:
    """Attach an existing document to another owner (both must be visible to the actor)."""
    actor.require(DOCUMENT_UPLOAD)
    document, _links = _visible_document(uow, actor, document_id)
    _check_owner(uow, actor, owner_type, owner_id)
    chosen = _check_kind(kind) if kind else document.kind
    link = _find_link(uow, document.id, owner_type, owner_id)
    if link is None:
        link = _new_link(uow, actor, document, owner_type, owner_id, chosen, document.original_filename)
        audit.record(
            uow,
            actor,
            "documents.document.link",
            "document",
            document.id,
            after={"owner_type": owner_type, "owner_id": owner_id, "kind": chosen},
        )
    return _item(document, link)


def unlink_document(uow: UnitOfWork, actor: Actor, document_id: int, owner_type: str, owner_id: int) -> None:
    """Detach a document from one owner. The content stays stored (other owners or the audit trail may name it)."""
    actor.require(DOCUMENT_UPLOAD)
    _check_owner(uow, actor, owner_type, owner_id)
    link = _find_link(uow, document_id, owner_type, owner_id)
    if link is None:
        raise errors.link_not_found(document_id, owner_type, owner_id)
    before: dict[str, Any] = {"owner_type": owner_type, "owner_id": owner_id, "kind": link.kind,
                              "filename": link.original_filename}
    uow.session.delete(link)
    uow.flush()
    audit.record(uow, actor, "documents.document.unlink", "document", document_id, before=before)
