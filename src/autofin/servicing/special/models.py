"""Tables of special business (特殊业务): one request per application (application → review → execution) and the
history of five-level classification changes (EOD floors, restructuring, manual reclassification).

Wired into :mod:`autofin.servicing.models` with one import line, so Alembic and the tests see them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import Money, UTCDateTime
from autofin.kernel.clock import utcnow


class SpecialRequest(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One special business of one loan: pending → approved → executed, or rejected / cancelled.

    ``amount`` decides the approval level (``approval_permission`` held by ``approvals_needed`` distinct people,
    none of them the applicant); ``payload`` is what was asked, ``preview`` what the system computed at the
    application (quote, new schedule, limits), ``result`` what execution did (with the history it replaced)."""

    __tablename__ = "servicing_special_requests"
    __table_args__ = (Index("ix_servicing_special_requests_queue", "status", "kind"),)

    loan_id: Mapped[int] = mapped_column(ForeignKey("servicing_loans.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    effective_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    preview: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    approval_permission: Mapped[str] = mapped_column(String(64), nullable=False)
    approvals_needed: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    department_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    applicant_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    applicant_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_comment: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    executed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)


class ClassificationChange(IdMixin, Base):
    """五级分类变动: every change of a loan's class, by the end-of-day floors (``eod``), a restructuring
    (``restructure``) or a reviewed manual reclassification (``manual``), with who and why."""

    __tablename__ = "servicing_classification_history"

    # no foreign key, like the accruals: an append-only log the batch writes set-based
    loan_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    from_class: Mapped[str] = mapped_column(String(16), nullable=False)
    to_class: Mapped[str] = mapped_column(String(16), nullable=False)
    from_rank: Mapped[int] = mapped_column(Integer, nullable=False)
    to_rank: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # eod / restructure / manual / replay
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    request_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
