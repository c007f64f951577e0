"""Tables of the platform domain: config center, data dictionary, jobs and their runs, notifications.

The idempotency table lives beside its logic in ``idempotency.py``; it is imported here so that loading
``platform.models`` registers every platform table.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, UTCDateTime
from autofin.kernel.clock import utcnow
from autofin.platform.idempotency import IdempotencyRecord


class ValueType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    JSON = "json"
    DATE = "date"


class Scope(StrEnum):
    """How widely a parameter value applies; the most specific one in effect wins."""

    GLOBAL = "global"  # 全局
    REGION = "region"  # 区域
    PRODUCT = "product"  # 产品
    CHANNEL = "channel"  # 渠道


class ParameterVersion(IdMixin, Base):
    """One version of a system parameter (系统参数) for one scope. Rows are only ever added, never updated.

    A key's versions are numbered 1, 2, 3 … across all its scopes. For one (key, scope, scope value,
    effective_from) the highest version is the current definition; older ones are history.
    """

    __tablename__ = "platform_parameters"

    key: Mapped[str] = mapped_column(String(100), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    value_type: Mapped[str] = mapped_column(String(16), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False, default=Scope.GLOBAL.value)
    scope_value: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # "" for global
    value: Mapped[str] = mapped_column(Text, nullable=False)  # canonical text of the typed value
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # last day in effect, inclusive
    description_zh: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    description_en: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")  # why it changed
    changed_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    changed_by_name: Mapped[str] = mapped_column(String(64), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_platform_parameters_lookup", "key", "scope", "scope_value", "effective_from"),
    )


class ConfigRevision(Base):
    """One row whose counter goes up with every parameter or dictionary change: caches compare it."""

    __tablename__ = "platform_config_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class DictionaryType(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A kind of coded value (数据字典类型), e.g. 证件类型 id_type."""

    __tablename__ = "platform_dictionary_types"

    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    builtin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class DictionaryItem(IdMixin, TimestampMixin, VersionedMixin, Base):
    """One coded value of a dictionary type (数据字典项), optionally below a parent item."""

    __tablename__ = "platform_dictionary_items"

    type_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("platform_dictionary_types.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    label_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    label_en: Mapped[str] = mapped_column(String(100), nullable=False)
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("platform_dictionary_items.id"), nullable=True, index=True
    )

    __table_args__ = (UniqueConstraint("type_id", "code"),)


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobDefinition(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A scheduled job (定时任务) as operators see it: its schedule, pause switch and lease."""

    __tablename__ = "platform_jobs"

    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    cron: Mapped[str] = mapped_column(String(100), nullable=False)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobRun(IdMixin, Base):
    """One run of a job (运行日志): when, why, how it ended, what it counted."""

    __tablename__ = "platform_job_runs"

    job_name: Mapped[str] = mapped_column(String(100), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)  # manual | scheduled
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    progress: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    triggered_by_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    triggered_by_name: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_platform_job_runs_job_started", "job_name", "started_at"),)


class Channel(StrEnum):
    IN_APP = "in_app"  # 站内信
    SMS = "sms"  # 短信
    EMAIL = "email"  # 邮件
    PUSH = "push"  # App 推送
    DINGTALK = "dingtalk"  # 钉钉


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(IdMixin, Base):
    """A notification waiting to be delivered, or delivered (通知发件箱)."""

    __tablename__ = "platform_notification_outbox"

    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recipient_address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    template: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subject: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_platform_notification_outbox_status", "status", "id"),)


class InboxMessage(IdMixin, Base):
    """A message in one user's in-app inbox (站内信)."""

    __tablename__ = "platform_inbox"

    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    template: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_platform_inbox_user_read", "user_id", "read_at"),)


__all__ = [
    "Channel",
    "ConfigRevision",
    "DeliveryStatus",
    "DictionaryItem",
    "DictionaryType",
    "IdempotencyRecord",
    "InboxMessage",
    "JobDefinition",
    "JobRun",
    "OutboxMessage",
    "ParameterVersion",
    "RunStatus",
    "Scope",
    "ValueType",
]
