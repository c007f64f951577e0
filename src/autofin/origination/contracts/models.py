"""Signing sessions (面签会话), their identity checks, and the yearly contract number counter.

A session belongs to one contract (``contract_no``); at most one session per contract is open at a time
(``open_contract_no`` is the contract number while the session is not cancelled, NULL after: a unique column that
both databases allow many NULLs in). Files (the contract PDF, the recording, the signed PDF) live under
``settings.files_dir`` by SHA-256; the rows keep the hashes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, UTCDateTime


class SigningState(StrEnum):
    CREATED = "created"  # 已创建
    IDENTITY_CONFIRMED = "identity_confirmed"  # 身份已核验
    BORROWER_SIGNED = "borrower_signed"  # 借款人已签署
    INSTITUTION_SIGNED = "institution_signed"  # 机构已签章（完成）
    CANCELLED = "cancelled"  # 已取消


class SigningSession(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "contract_signing_session"

    contract_no: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    open_contract_no: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    application_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    borrower_name: Mapped[str] = mapped_column(String(100), nullable=False)
    state: Mapped[str] = mapped_column(String(24), nullable=False, default=SigningState.CREATED.value)
    contract_sha256: Mapped[str] = mapped_column(String(64), nullable=False)

    identity_provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    identity_outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    identity_checked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    identity_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    recording_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recording_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recording_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    borrower_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    signed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    institution_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    institution_signed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "state IN ('created','identity_confirmed','borrower_signed','institution_signed','cancelled')",
            name="signing_state",
        ),
    )


class IdentityCheck(IdMixin, Base):
    """One identity verification attempt of a session (passed or failed), whoever or whatever performed it."""

    __tablename__ = "contract_identity_check"

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contract_signing_session.id"), nullable=False, index=True
    )
    provider: Mapped[str] = mapped_column(String(40), nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    checked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the officer's user id
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    __table_args__ = (CheckConstraint("outcome IN ('passed','failed')", name="identity_outcome"),)


class ContractNumberCounter(Base):
    """The last contract sequence handed out in a year (HT-YYYY-NNNNNN), locked while incremented."""

    __tablename__ = "contract_number_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
