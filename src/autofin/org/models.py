"""Tables of the organisation: departments, positions, users, roles, sessions and the login log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autofin.db.base import Base, IdMixin, TimestampMixin, VersionedMixin
from autofin.db.types import BigId, UTCDateTime
from autofin.kernel.clock import utcnow


class UserStatus(StrEnum):
    ACTIVE = "active"  # 在职 / 启用
    DISABLED = "disabled"  # 停用


class Department(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A node of the organisation tree (部门). The root is 总部 (code HQ)."""

    __tablename__ = "departments"

    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("departments.id"), nullable=True, index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Position(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A job title (职务), e.g. 审批专员."""

    __tablename__ = "positions"

    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class RolePermission(IdMixin, Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(BigId, ForeignKey("roles.id", ondelete="CASCADE"), nullable=False)
    permission: Mapped[str] = mapped_column(String(80), nullable=False)

    __table_args__ = (UniqueConstraint("role_id", "permission"),)


class Role(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A named set of permissions with a data scope (角色)."""

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False)
    name_en: Mapped[str] = mapped_column(String(64), nullable=False)
    data_scope: Mapped[str] = mapped_column(String(32), nullable=False, default="self")
    chosen_department_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    requires_totp: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    builtin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Codes the built-in seed has granted so far: a later seed adds only codes it never granted before, so an
    # administrator's removal of a permission from a built-in role sticks.
    seeded_permissions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    permission_rows: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=RolePermission.permission
    )

    @property
    def permissions(self) -> list[str]:
        return [row.permission for row in self.permission_rows]


class UserRole(IdMixin, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role_id: Mapped[int] = mapped_column(BigId, ForeignKey("roles.id", ondelete="CASCADE"), nullable=False)

    __table_args__ = (UniqueConstraint("user_id", "role_id"), Index("ix_user_roles_role_id", "role_id"))


class User(IdMixin, TimestampMixin, VersionedMixin, Base):
    """An employee who signs in (员工 / 用户)."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=UserStatus.ACTIVE.value)
    department_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("departments.id"), nullable=True, index=True
    )
    position_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("positions.id"), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)  # AES-GCM, base64
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    roles: Mapped[list[Role]] = relationship(secondary="user_roles", lazy="selectin", order_by=Role.code)

    @property
    def active(self) -> bool:
        return self.status == UserStatus.ACTIVE.value

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def role_codes(self) -> list[str]:
        return [role.code for role in self.roles]

    def audit_view(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "status": self.status,
            "department_id": self.department_id,
            "position_id": self.position_id,
            "phone": self.phone,
            "email": self.email,
            "totp_enabled": self.totp_enabled,
            "is_superuser": self.is_superuser,
            "roles": self.role_codes,
        }


class UserSession(IdMixin, Base):
    """A server-side sign-in session; the client holds an opaque token, the database only its SHA-256."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)


class LoginLog(IdMixin, Base):
    """Every sign-in attempt (登录日志), successful or not, with the real reason of a refusal."""

    __tablename__ = "login_log"

    username: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_login_log_occurred_at", "occurred_at"), Index("ix_login_log_username", "username"))
