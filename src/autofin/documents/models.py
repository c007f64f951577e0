"""Documents (附件) and their links to the records they belong to.

A :class:`Document` is one piece of content (unique by SHA-256; the bytes live under ``settings.files_dir``); a
:class:`DocumentLink` attaches it to an owner (a customer, a vehicle, later an application). The same photo
uploaded twice is stored once and linked twice.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin


class DocumentKind(StrEnum):
    ID_PHOTO = "id_photo"
    INVOICE = "invoice"
    APPRAISAL_REPORT = "appraisal_report"
    VEHICLE_PHOTO = "vehicle_photo"
    CONTRACT = "contract"
    REVIEW_NOTE = "review_note"  # 审批附件: what a reviewer attached to a decision or a vote
    OTHER = "other"


class OwnerType(StrEnum):
    CUSTOMER = "customer"
    VEHICLE = "vehicle"
    APPLICATION = "application"


class Document(IdMixin, TimestampMixin, Base):
    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)  # sniffed from the content
    extension: Mapped[str] = mapped_column(String(8), nullable=False)
    original_filename: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    uploaded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    uploaded_by_name: Mapped[str] = mapped_column(String(64), nullable=False)


class DocumentLink(IdMixin, TimestampMixin, Base):
    __tablename__ = "document_links"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), nullable=False, index=True)
    owner_type: Mapped[str] = mapped_column(String(24), nullable=False)
    owner_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # what the file is for this owner
    original_filename: Mapped[str] = mapped_column(String(255), nullable=False)
    linked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    linked_by_name: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (UniqueConstraint("owner_type", "owner_id", "document_id"),)
