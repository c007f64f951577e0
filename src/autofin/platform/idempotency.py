"""Idempotency keys: a retried create returns the first answer; the same key with another body is refused.

The record is claimed in its own short transaction *before* the request runs, so two concurrent requests with
one key cannot both do the work: the second sees ``in_progress`` and gets 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from autofin.db.base import Base, IdMixin
from autofin.db.types import UTCDateTime
from autofin.kernel.clock import utcnow

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 128


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_records"

    principal: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # in_progress | completed
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("principal", "key"),)


def fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    outcome: str  # "claimed" | "replay" | "mismatch" | "in_progress"
    record_id: int | None = None
    status_code: int | None = None
    content_type: str | None = None
    body: bytes | None = None


def claim(factory: sessionmaker[Session], principal: str, key: str, request_fingerprint: str) -> Claim:
    with factory() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal,
                IdempotencyRecord.key == key,
                IdempotencyRecord.created_at < utcnow() - KEEP_FOR,
            )
        )
        record = IdempotencyRecord(principal=principal, key=key, fingerprint=request_fingerprint, state="in_progress")
        session.add(record)
        try:
            session.commit()
            return Claim("claimed", record.id)
        except IntegrityError:
            session.rollback()
    with factory() as session:
        existing = session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
        ).scalar_one_or_none()
        if existing is None:  # expired and removed between our two looks: treat as busy, the client retries
            return Claim("in_progress")
        if existing.fingerprint != request_fingerprint:
            return Claim("mismatch")
        if existing.state != "completed":
            return Claim("in_progress")
        return Claim("replay", existing.id, existing.status_code, existing.content_type, existing.body)


def complete(factory: sessionmaker[Session], record_id: int, status_code: int, content_type: str, body: bytes) -> None:
    with factory() as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.state = "completed"
            record.status_code = status_code
            record.content_type = content_type
            record.body = body
            session.commit()


def release(factory: sessionmaker[Session], record_id: int) -> None:
    """Forget a claim whose request failed on our side, so the client may retry with the same key."""
    with factory() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        session.commit()
