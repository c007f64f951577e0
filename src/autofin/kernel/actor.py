"""Who is acting: the user behind a request, a console click, a CLI command or a scheduled job.

Services receive an :class:`Actor` and check it (``actor.require(...)``) before doing anything; list queries
apply its :class:`DataScope` (see ``db.scoping.restrict``). The actor is resolved once per request by ``org``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from autofin.kernel.errors import PermissionDenied, Text


class ScopeKind(StrEnum):
    """How far a role's view of records reaches (数据权限)."""

    ALL = "all"  # 全部数据
    DEPARTMENT_AND_BELOW = "department_and_below"  # 本部门及以下
    DEPARTMENT = "department"  # 本部门
    SELF = "self"  # 仅本人
    CHOSEN_DEPARTMENTS = "chosen_departments"  # 指定部门


@dataclass(frozen=True)
class DataScope:
    """The records an actor may see: everything, or those owned by these departments, or by the actor."""

    everything: bool = False
    department_ids: frozenset[int] = frozenset()
    own_records: bool = False

    @classmethod
    def unrestricted(cls) -> DataScope:
        return cls(everything=True)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    permissions: frozenset[str] = frozenset()
    scope: DataScope = field(default_factory=DataScope)
    department_id: int | None = None
    is_superuser: bool = False
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    language: str = "zh-CN"
    session_id: int | None = None

    def can(self, permission: str) -> bool:
        return self.is_superuser or permission in self.permissions

    def require(self, permission: str) -> None:
        """Refuse the use case unless the actor holds ``permission``."""
        if not self.can(permission):
            raise PermissionDenied(
                "auth.permission_denied",
                Text(
                    f"You need the permission '{permission}' for this; ask an administrator to grant it.",
                    f"此操作需要权限“{permission}”，请联系管理员授权。",
                ),
            )


SYSTEM = Actor(user_id=None, username="system", is_superuser=True, scope=DataScope.unrestricted())
"""The actor of scheduled jobs, migrations and the command line's own bookkeeping."""
