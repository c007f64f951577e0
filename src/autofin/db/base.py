"""The declarative base every domain's models derive from, and the mixins they share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from autofin.db.types import BigId, UTCDateTime
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, Text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class VersionedMixin:
    """Optimistic locking: SQLAlchemy adds ``WHERE version = :seen`` to every UPDATE and bumps it.

    A client that edits a record sends back the version it saw; :func:`ensure_version` refuses a stale one.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


def ensure_version(entity: VersionedMixin, expected: int | None, what: str) -> None:
    """Refuse an edit based on an older copy of the record than the one stored (409)."""
    if expected is not None and entity.version != expected:
        raise Conflict(
            "db.stale_version",
            Text(
                f"This {what} was changed by someone else meanwhile (version {entity.version}, you edited "
                f"version {expected}); reload it and apply your change again.",
                f"该{what}已被他人修改（当前版本 {entity.version}，您编辑的是版本 {expected}），请刷新后重新修改。",
            ),
        )
