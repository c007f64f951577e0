"""Use cases of the organisation domain and of signing in. One function per use case; the caller commits.

Every function takes the unit of work first and (except sign-in itself) the acting :class:`Actor`; it checks the
permission, validates, changes, writes one audit row and returns. API routes, console pages and the CLI all call
these functions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor, DataScope, ScopeKind
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import (
    Conflict,
    FieldError,
    PermissionDenied,
    RuleViolation,
    Text,
    invalid,
)
from autofin.kernel.permissions import all_permissions, get_permission
from autofin.org import errors, passwords, totp
from autofin.org import permissions as perm
from autofin.org.models import (
    Department,
    LoginLog,
    Position,
    Role,
    RolePermission,
    User,
    UserRole,
    UserSession,
    UserStatus,
)
from autofin.org.schemas import (
    DepartmentCreate,
    DepartmentUpdate,
    PositionCreate,
    PositionUpdate,
    RoleCreate,
    RoleUpdate,
    UserCreate,
    UserUpdate,
)
from autofin.org.scopes import resolve_scope, would_create_cycle

ADMIN_ROLE = "admin"
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200
T = TypeVar("T")


# =================================================================================================================
# Actors
# =================================================================================================================
@dataclass(frozen=True)
class RestrictedActor(Actor):
    """A signed-in user who must first change the password (or enrol TOTP): every permission check refuses.

    Self-service use cases that need no permission (``me``, change password, TOTP enrolment, logout) still work.
    """

    pending: str = "password_change"

    def can(self, permission: str) -> bool:
        return False

    def require(self, permission: str) -> None:
        if self.pending == "totp_enrolment":
            raise errors.totp_enrolment_required()
        raise errors.password_change_required()


def _settings(uow: UnitOfWork) -> Any:
    if uow.settings is None:
        from autofin.settings import Settings

        uow.settings = Settings()
    return uow.settings


def _cheap_hashes(uow: UnitOfWork) -> bool:
    return bool(_settings(uow).env == "test")


def _department_tree(uow: UnitOfWork) -> dict[int, int | None]:
    return {row[0]: row[1] for row in uow.session.execute(select(Department.id, Department.parent_id))}


def region_department_ids(uow: UnitOfWork, department_id: int) -> set[int]:
    """The department's region (区域): the subtree under its ancestor directly below the root (a branch office
    and everything beneath it). A root department is its own region; an unknown id has none."""
    parents = _department_tree(uow)
    if department_id not in parents:
        return set()
    region = department_id
    while (parent := parents.get(region)) is not None and parents.get(parent) is not None:
        region = parent
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, pending = set(), [region]
    while pending:
        current = pending.pop()
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def active_user_ids_with_permission(
    uow: UnitOfWork,
    permission: str,
    *,
    department_id: int | None = None,
    department_ids: set[int] | None = None,
    include_superusers: bool = True,
) -> list[int]:
    """The active users who hold ``permission`` through a role (the built-in admin role holds every one), for
    alerts and task dispatch; optionally only those of one department (or of a set of departments), or without
    superusers (who hold everything but are not meant to be handed work). One query, whatever the number of users."""
    holders = (
        select(UserRole.user_id)
        .join(Role, Role.id == UserRole.role_id)
        .outerjoin(RolePermission, RolePermission.role_id == Role.id)
        .where(or_(RolePermission.permission == permission, (Role.code == ADMIN_ROLE) & Role.builtin.is_(True)))
    )
    holds = or_(User.id.in_(holders), User.is_superuser.is_(True)) if include_superusers else and_(
        User.id.in_(holders), User.is_superuser.is_(False)
    )
    statement = select(User.id).where(User.status == UserStatus.ACTIVE.value, holds)
    if department_id is not None:
        statement = statement.where(User.department_id == department_id)
    if department_ids is not None:
        statement = statement.where(User.department_id.in_(sorted(department_ids)))
    return sorted(set(uow.session.scalars(statement)))


def permissions_of(user: User, granted: Iterable[str] | None = None) -> frozenset[str]:
    """The union of the permissions of the user's roles; the built-in admin role holds every declared one.

    ``granted``: the codes of the user's roles when already read (:func:`_granted_codes`) instead of from each
    role's loaded permission rows.
    """
    codes = set(granted) if granted is not None else {code for role in user.roles for code in role.permissions}
    if any(role.code == ADMIN_ROLE and role.builtin for role in user.roles):
        codes |= {p.code for p in all_permissions()}
    return frozenset(codes)


def _granted_codes(uow: UnitOfWork, user: User) -> list[str]:
    """The permission codes of the user's roles, read as plain values: resolving the actor runs on every request,
    and loading each role's permission rows as ORM objects (over a hundred for the admin role) was most of it."""
    role_ids = [role.id for role in user.roles]
    if not role_ids:
        return []
    return list(uow.session.scalars(select(RolePermission.permission).where(RolePermission.role_id.in_(role_ids))))


def scope_of(uow: UnitOfWork, user: User) -> DataScope:
    if user.is_superuser:
        return DataScope.unrestricted()
    return resolve_scope(
        [(role.data_scope, role.chosen_department_ids or []) for role in user.roles],
        user.department_id,
        _department_tree(uow),
    )


def totp_enrolment_pending(user: User) -> bool:
    return not user.totp_enabled and any(role.requires_totp for role in user.roles)


def actor_for_user(
    uow: UnitOfWork,
    user: User,
    *,
    session_id: int | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    request_id: str | None = None,
    language: str = "zh-CN",
    restricted: bool = True,
) -> Actor:
    """The Actor of ``user`` with permissions and data scope resolved from its roles.

    With ``restricted`` (the default) a user who must change the password or enrol TOTP first gets a
    :class:`RestrictedActor` that every permission check refuses.
    """
    common: dict[str, Any] = {
        "user_id": user.id,
        "username": user.username,
        "department_id": user.department_id,
        "request_id": request_id,
        "ip": ip,
        "user_agent": user_agent,
        "language": language,
        "session_id": session_id,
    }
    if restricted and (user.must_change_password or totp_enrolment_pending(user)):
        pending = "password_change" if user.must_change_password else "totp_enrolment"
        return RestrictedActor(**common, pending=pending)
    return Actor(
        **common,
        permissions=permissions_of(user, _granted_codes(uow, user)),
        scope=scope_of(uow, user),
        is_superuser=user.is_superuser,
    )


# =================================================================================================================
# Sign-in and sessions
# =================================================================================================================
@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User
    must_change_password: bool
    session_id: int


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _log_attempt(
    uow: UnitOfWork, username: str, user: User | None, success: bool, reason: str, ip: str | None, ua: str | None
) -> None:
    uow.session.add(
        LoginLog(
            username=username[:64],
            user_id=user.id if user is not None else None,
            success=success,
            reason=reason,
            ip=(ip or None) and ip[:64],
            user_agent=(ua or None) and ua[:255],
            occurred_at=utcnow(),
        )
    )
    uow.flush()


def _set_sign_in_state(uow: UnitOfWork, user: User, **values: Any) -> None:
    """Sign-in bookkeeping (failures, lock, last sign-in, rehash) is not an edit of the user: it is written with a
    plain UPDATE so the record's version stays put and an administrator editing the user meanwhile is not refused."""
    uow.session.execute(update(User).where(User.id == user.id).values(**values))
    for key, value in values.items():
        set_committed_value(user, key, value)


def _count_failure(
    uow: UnitOfWork, user: User, reason: str, now: datetime, ip: str | None, ua: str | None
) -> NoReturn:
    settings = _settings(uow)
    failures = user.failed_attempts + 1
    if failures >= settings.lockout_attempts:
        locked_until = now + timedelta(minutes=settings.lockout_minutes)
        _set_sign_in_state(uow, user, failed_attempts=0, locked_until=locked_until)
        _log_attempt(uow, user.username, user, False, f"{reason}_locked", ip, ua)
        raise errors.account_locked(locked_until)
    _set_sign_in_state(uow, user, failed_attempts=failures)
    _log_attempt(uow, user.username, user, False, reason, ip, ua)
    if reason == "totp_invalid":
        raise errors.totp_invalid()
    raise errors.invalid_credentials()


def _refuse_unknown_user(uow: UnitOfWork, name: str, now: datetime, ip: str | None, ua: str | None) -> NoReturn:
    """An unknown username is refused exactly like a real one, lockout included, so neither the 401 nor the 423
    tells an outsider whether the account exists. Its failures are counted from the login log."""
    settings = _settings(uow)
    window = timedelta(minutes=settings.lockout_minutes)
    recent = list(
        uow.session.execute(
            select(LoginLog.occurred_at)
            .where(LoginLog.username == name, LoginLog.user_id.is_(None), LoginLog.success.is_(False))
            .where(LoginLog.occurred_at > now - window)
            .order_by(LoginLog.occurred_at)
        ).scalars()
    )
    if len(recent) + 1 >= settings.lockout_attempts:
        locked_since = recent[settings.lockout_attempts - 1] if len(recent) >= settings.lockout_attempts else now
        _log_attempt(uow, name, None, False, "unknown_user_locked", ip, ua)
        raise errors.account_locked(locked_since + window)
    _log_attempt(uow, name, None, False, "unknown_user", ip, ua)
    raise errors.invalid_credentials()


def login(
    uow: UnitOfWork,
    username: str,
    password: str,
    totp_code: str | None = None,
    *,
    ip: str | None,
    user_agent: str | None,
) -> LoginResult:
    """Check the credentials (and second factor), open a session and return its token.

    Every attempt writes a login-log row, and failures update the lockout counter before raising — so the
    caller commits on failure as well as on success (see ``org.api.login``).
    """
    settings = _settings(uow)
    cheap = _cheap_hashes(uow)
    now = utcnow()
    name = username.strip().lower()
    user = uow.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        passwords.verify_password(None, password, cheap=cheap)  # same work as a wrong password
        _refuse_unknown_user(uow, name, now, ip, user_agent)
    if user.locked_at(now):
        passwords.verify_password(None, password, cheap=cheap)
        _log_attempt(uow, name, user, False, "locked", ip, user_agent)
        assert user.locked_until is not None  # noqa: S101 - locked_at() checked it
        raise errors.account_locked(user.locked_until)
    matches, new_hash = passwords.verify_password(user.password_hash, password, cheap=cheap)
    if not user.active:
        _log_attempt(uow, name, user, False, "disabled", ip, user_agent)
        raise errors.invalid_credentials()
    if not matches:
        _count_failure(uow, user, "wrong_password", now, ip, user_agent)
    if new_hash is not None:
        _set_sign_in_state(uow, user, password_hash=new_hash)
    if user.totp_enabled and user.totp_secret:
        if not totp_code:
            _log_attempt(uow, name, user, False, "totp_required", ip, user_agent)
            raise errors.totp_required()
        if not totp.code_is_valid(totp.decrypt_secret(user.totp_secret, settings.encryption_key), totp_code):
            _count_failure(uow, user, "totp_invalid", now, ip, user_agent)
    _set_sign_in_state(uow, user, failed_attempts=0, locked_until=None, last_login_at=now)
    token = secrets.token_urlsafe(32)
    session = UserSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        ip=(ip or None) and ip[:64],
        user_agent=(user_agent or None) and user_agent[:255],
    )
    uow.session.add(session)
    _log_attempt(uow, name, user, True, "ok", ip, user_agent)
    return LoginResult(token, session.expires_at, user, user.must_change_password, session.id)


def _session_alive(session: UserSession, now: datetime, idle: timedelta) -> bool:
    return session.revoked_at is None and session.expires_at > now and session.last_seen_at + idle > now


@dataclass(frozen=True)
class SignedIn:
    """Who a session token signs in, and whether its last-seen time is due to be written again."""

    actor: Actor
    session_id: int
    seen_at: datetime
    touch_due: bool


def signed_in(
    uow: UnitOfWork,
    token: str,
    *,
    ip: str | None,
    user_agent: str | None,
    request_id: str | None,
    language: str,
) -> SignedIn:
    """Check a session token, reading only; 401 ``auth.session_invalid`` when unknown, expired, revoked or disabled.

    The API runs this on every request in a read-only unit of work and writes the last-seen time apart, at most
    once a minute (:func:`touch_session`).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise errors.session_invalid()
    now = utcnow()
    idle = timedelta(minutes=_settings(uow).session_idle_minutes)
    session = uow.session.execute(
        select(UserSession)
        .where(UserSession.token_hash == _token_hash(token))
        # the roles' permission rows are read as plain codes by actor_for_user, not loaded as objects
        .options(joinedload(UserSession.user).selectinload(User.roles).lazyload(Role.permission_rows))
    ).scalar_one_or_none()
    if session is None or not _session_alive(session, now, idle) or not session.user.active:
        raise errors.session_invalid()
    actor = actor_for_user(
        uow,
        session.user,
        session_id=session.id,
        ip=ip,
        user_agent=user_agent,
        request_id=request_id,
        language=language,
    )
    return SignedIn(actor, session.id, now, now - session.last_seen_at >= TOUCH_EVERY)


def touch_session(uow: UnitOfWork, session_id: int, seen_at: datetime) -> None:
    """Keep a session alive: its idle time counts from ``seen_at``."""
    uow.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < seen_at)
        .values(last_seen_at=seen_at)
        .execution_options(synchronize_session=False)
    )


def actor_for_token(
    uow: UnitOfWork,
    token: str,
    *,
    ip: str | None,
    user_agent: str | None,
    request_id: str | None,
    language: str,
) -> Actor:
    """The Actor behind a session token, keeping the session alive in the same transaction (the console's way)."""
    found = signed_in(uow, token, ip=ip, user_agent=user_agent, request_id=request_id, language=language)
    if found.touch_due:
        touch_session(uow, found.session_id, found.seen_at)
    return found.actor


def logout(uow: UnitOfWork, actor: Actor) -> None:
    """End the actor's own session (its token stops working at once)."""
    if actor.session_id is None:
        return
    session = uow.session.get(UserSession, actor.session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        session.revoked_by = actor.user_id


def _revoke_sessions(uow: UnitOfWork, user_id: int, by: int | None, keep: int | None = None) -> int:
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=by)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    result = uow.session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Me:
    user: User
    roles: list[Role]
    permissions: list[str]
    scope: DataScope
    must_change_password: bool
    totp_enrolment_required: bool
    department_name: str | None = None


def describe_me(uow: UnitOfWork, actor: Actor) -> Me:
    """The signed-in user as they are: roles, every permission they hold, data scope, pending steps."""
    user = _own_user(uow, actor)
    full = actor_for_user(uow, user, restricted=False)
    all_codes = sorted(full.permissions) if not user.is_superuser else sorted(p.code for p in all_permissions())
    department = uow.session.get(Department, user.department_id) if user.department_id is not None else None
    return Me(
        user, list(user.roles), all_codes, full.scope, user.must_change_password, totp_enrolment_pending(user),
        department.name if department is not None else None,
    )


def _own_user(uow: UnitOfWork, actor: Actor) -> User:
    user = uow.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise errors.session_invalid()
    return user


def change_own_password(uow: UnitOfWork, actor: Actor, current_password: str, new_password: str) -> User:
    """Change one's own password (the current one is needed); every other session of the user is signed out."""
    user = _own_user(uow, actor)
    cheap = _cheap_hashes(uow)
    matches, _ = passwords.verify_password(user.password_hash, current_password, cheap=cheap)
    if not matches:
        raise invalid(
            "current_password",
            "The current password is wrong; enter the password you signed in with.",
            "当前密码错误，请输入您登录时使用的密码。",
            "org.password.current_wrong",
        )
    if new_password == current_password:
        raise invalid(
            "new_password",
            "The new password must differ from the current one.",
            "新密码不能与当前密码相同。",
            "org.password.unchanged",
        )
    passwords.check_password_policy(new_password, user.username, _settings(uow).password_min_length, "new_password")
    user.password_hash = passwords.hash_password(new_password, cheap=cheap)
    user.must_change_password = False
    _revoke_sessions(uow, user.id, actor.user_id, keep=actor.session_id)
    audit.record(uow, actor, "org.user.change_password", "user", user.id, after={"password": "changed"})
    return user


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    provisioning_uri: str


def begin_totp_enrolment(uow: UnitOfWork, actor: Actor) -> TotpEnrolment:
    """Create a new TOTP secret for oneself (shown once as text and as an otpauth:// URI for a QR code)."""
    user = _own_user(uow, actor)
    if user.totp_enabled:
        raise RuleViolation(
            "org.totp.already_enabled",
            Text("TOTP is already enabled; disable it first to enrol a new device.",
                 "动态验证码已启用；如需更换设备，请先停用。"),
        )
    secret = totp.new_secret()
    user.totp_secret = totp.encrypt_secret(secret, _settings(uow).encryption_key)
    audit.record(uow, actor, "org.user.totp_begin", "user", user.id, after={"totp_enabled": False})
    return TotpEnrolment(secret, totp.provisioning_uri(secret, user.username))


def confirm_totp(uow: UnitOfWork, actor: Actor, code: str) -> User:
    """Switch TOTP on once the user proves the authenticator shows the right code."""
    user = _own_user(uow, actor)
    if user.totp_enabled or not user.totp_secret:
        raise RuleViolation(
            "org.totp.not_pending",
            Text("Start TOTP enrolment first (it gives you the secret to scan).", "请先开始绑定动态验证码以获取密钥。"),
        )
    secret = totp.decrypt_secret(user.totp_secret, _settings(uow).encryption_key)
    if not totp.code_is_valid(secret, code):
        raise invalid(
            "code", "The code is wrong or expired; enter the current 6-digit code of the app.",
            "验证码错误或已过期，请输入身份验证器当前显示的 6 位数字。", "org.totp.code_invalid",
        )
    user.totp_enabled = True
    audit.record(uow, actor, "org.user.totp_enable", "user", user.id, after={"totp_enabled": True})
    return user


def disable_own_totp(uow: UnitOfWork, actor: Actor, password: str) -> User:
    """Switch one's own TOTP off (needs the password). Roles that require TOTP will ask to enrol again."""
    user = _own_user(uow, actor)
    matches, _ = passwords.verify_password(user.password_hash, password, cheap=_cheap_hashes(uow))
    if not matches:
        raise invalid("password", "The password is wrong.", "密码错误。", "org.password.current_wrong")
    return _clear_totp(uow, actor, user)


def reset_totp(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """An administrator removes a user's second factor (lost phone)."""
    actor.require(perm.USER_UPDATE)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    return _clear_totp(uow, actor, user)


def _clear_totp(uow: UnitOfWork, actor: Actor, user: User) -> User:
    user.totp_enabled = False
    user.totp_secret = None
    user.updated_at = utcnow()
    audit.record(uow, actor, "org.user.totp_disable", "user", user.id, after={"totp_enabled": False})
    return user


# =================================================================================================================
# Helpers for lists and lookups
# =================================================================================================================
def _search(statement: Select[Any], q: str | None, *columns: InstrumentedAttribute[Any]) -> Select[Any]:
    if not q:
        return statement
    needle = q.strip().lower()
    return statement.where(or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns)))


def _visible_department(uow: UnitOfWork, actor: Actor, department_id: int) -> Department:
    department = uow.session.get(Department, department_id)
    if department is None or not visible(actor, department.id):
        raise errors.not_found("department", "部门", "org.department.not_found", department_id)
    return department


def _visible_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None or not visible(actor, user.department_id, user.id):
        raise errors.not_found("user", "用户", "org.user.not_found", user_id)
    return user


def _department_for_assignment(uow: UnitOfWork, actor: Actor, department_id: int | None) -> Department | None:
    if department_id is None:
        if not (actor.is_superuser or actor.scope.everything):
            raise invalid(
                "department_id", "Choose a department within your data scope.", "请选择您数据权限范围内的部门。",
                "org.user.department_required",
            )
        return None
    department = uow.session.get(Department, department_id)
    if department is None or not visible(actor, department.id):
        raise invalid(
            "department_id",
            f"No department {department_id} within your data scope; choose one from the department list.",
            f"您的数据权限范围内没有编号为 {department_id} 的部门，请从部门列表中选择。",
            "org.department.not_found",
        )
    if not department.active:
        raise invalid(
            "department_id", f"Department {department.name} is deactivated; choose an active one.",
            f"部门“{department.name}”已停用，请选择启用中的部门。", "org.department.inactive",
        )
    return department


def _position_for_assignment(uow: UnitOfWork, position_id: int | None) -> Position | None:
    if position_id is None:
        return None
    position = uow.session.get(Position, position_id)
    if position is None or not position.active:
        raise invalid(
            "position_id", f"No active position {position_id}; choose one from the position list.",
            f"不存在编号为 {position_id} 的有效职务，请从职务列表中选择。", "org.position.not_found",
        )
    return position


def _guard_superuser_target(actor: Actor, user: User) -> None:
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(
            "org.user.superuser_protected",
            Text("Only a superuser may change a superuser's account.", "只有超级管理员可以修改超级管理员账户。"),
        )


def _department_view(department: Department) -> dict[str, Any]:
    return {
        "code": department.code, "name": department.name, "parent_id": department.parent_id,
        "sort": department.sort, "active": department.active,
    }


# =================================================================================================================
# Departments
# =================================================================================================================
def list_departments(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, page: int = 1, size: int = 50,
    active: bool | None = None, parent_id: int | None = None,
) -> tuple[list[Department], int]:
    actor.require(perm.DEPARTMENT_VIEW)
    statement = restrict(select(Department), actor, department_column=Department.id)
    statement = _search(statement, q, Department.name, Department.code)
    if active is not None:
        statement = statement.where(Department.active.is_(active))
    if parent_id is not None:
        statement = statement.where(Department.parent_id == parent_id)
    return fetch_page(uow.session, statement, (Department.sort, Department.id), page, size)


def get_department(uow: UnitOfWork, actor: Actor, department_id: int) -> Department:
    actor.require(perm.DEPARTMENT_VIEW)
    return _visible_department(uow, actor, department_id)


def _code_taken(uow: UnitOfWork, model: Any, code: str, exclude_id: int | None = None) -> bool:
    statement = select(model.id).where(func.lower(model.code) == code.lower())
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    return uow.session.execute(statement).first() is not None


def _department_code_conflict(code: str) -> Conflict:
    return Conflict(
        "org.department.code_taken",
        Text(f"A department with code {code} already exists; choose another code.",
             f"部门编码 {code} 已存在，请换一个编码。"),
        [FieldError("code", Text("already in use", "已被使用"))],
    )


def _parent_for(uow: UnitOfWork, actor: Actor, parent_id: int | None) -> Department | None:
    if parent_id is None:
        if not (actor.is_superuser or actor.scope.everything):
            raise invalid(
                "parent_id", "Choose a parent department within your data scope.", "请选择您数据权限范围内的上级部门。",
                "org.department.parent_required",
            )
        return None
    parent = uow.session.get(Department, parent_id)
    if parent is None or not visible(actor, parent.id):
        raise invalid(
            "parent_id", f"No department {parent_id} within your data scope; choose an existing parent.",
            f"您的数据权限范围内没有编号为 {parent_id} 的部门，请选择已存在的上级部门。",
            "org.department.parent_not_found",
        )
    if not parent.active:
        raise invalid(
            "parent_id", f"The parent department {parent.name} is deactivated; choose an active one.",
            f"上级部门“{parent.name}”已停用，请选择启用中的部门。", "org.department.parent_inactive",
        )
    return parent


def create_department(uow: UnitOfWork, actor: Actor, cmd: DepartmentCreate) -> Department:
    actor.require(perm.DEPARTMENT_MANAGE)
    if _code_taken(uow, Department, cmd.code):
        raise _department_code_conflict(cmd.code)
    parent = _parent_for(uow, actor, cmd.parent_id)
    department = Department(
        code=cmd.code, name=cmd.name, parent_id=parent.id if parent else None, sort=cmd.sort, active=True
    )
    uow.session.add(department)
    uow.flush()
    audit.record(uow, actor, "org.department.create", "department", department.id, after=_department_view(department))
    return department


def update_department(uow: UnitOfWork, actor: Actor, department_id: int, cmd: DepartmentUpdate) -> Department:
    """Rename, re-code, re-sort, move (``parent_id``) or (de)activate a department."""
    actor.require(perm.DEPARTMENT_MANAGE)
    department = _visible_department(uow, actor, department_id)
    ensure_version(department, cmd.version, "部门 department")
    before = _department_view(department)
    sent = cmd.model_fields_set
    if cmd.code is not None and cmd.code != department.code:
        if _code_taken(uow, Department, cmd.code, exclude_id=department.id):
            raise _department_code_conflict(cmd.code)
        department.code = cmd.code
    if cmd.name is not None:
        department.name = cmd.name
    if cmd.sort is not None:
        department.sort = cmd.sort
    if "parent_id" in sent and cmd.parent_id != department.parent_id:
        if cmd.parent_id is not None and would_create_cycle(department.id, cmd.parent_id, _department_tree(uow)):
            raise invalid(
                "parent_id", "A department cannot move beneath itself or one of its sub-departments.",
                "部门不能移动到自身或其下级部门之下。", "org.department.cycle",
            )
        parent = _parent_for(uow, actor, cmd.parent_id)
        department.parent_id = parent.id if parent else None
    if cmd.active is False and department.active:
        _check_can_deactivate(uow, department)
        department.active = False
    elif cmd.active is True and not department.active:
        if department.parent_id is not None:
            parent = uow.session.get(Department, department.parent_id)
            if parent is not None and not parent.active:
                raise RuleViolation(
                    "org.department.parent_inactive",
                    Text("Activate the parent department first.", "请先启用上级部门。"),
                )
        department.active = True
    after = _department_view(department)
    if after != before:
        uow.flush()
        audit.record(uow, actor, "org.department.update", "department", department.id, before=before, after=after)
    return department


def move_department(
    uow: UnitOfWork, actor: Actor, department_id: int, parent_id: int | None, version: int
) -> Department:
    return update_department(uow, actor, department_id, DepartmentUpdate(version=version, parent_id=parent_id))


def deactivate_department(uow: UnitOfWork, actor: Actor, department_id: int, version: int) -> Department:
    return update_department(uow, actor, department_id, DepartmentUpdate(version=version, active=False))


def _check_can_deactivate(uow: UnitOfWork, department: Department) -> None:
    children = uow.session.execute(
        select(func.count()).where(Department.parent_id == department.id, Department.active.is_(True))
    ).scalar_one()
    if children:
        raise RuleViolation(
            "org.department.has_children",
            Text(f"{children} active sub-department(s) still belong here; deactivate or move them first.",
                 f"该部门下还有 {children} 个启用中的下级部门，请先停用或移走。"),
        )
    users = uow.session.execute(
        select(func.count()).where(User.department_id == department.id, User.status == UserStatus.ACTIVE.value)
    ).scalar_one()
    if users:
        raise RuleViolation(
            "org.department.has_users",
            Text(f"{users} active user(s) still belong here; move or disable them first.",
                 f"该部门下还有 {users} 名在用员工，请先调岗或停用。"),
        )


# =================================================================================================================
# Positions
# =================================================================================================================
def list_positions(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[Position], int]:
    actor.require(perm.POSITION_VIEW)
    statement = _search(select(Position), q, Position.name, Position.code)
    return fetch_page(uow.session, statement, (Position.code,), page, size)


def get_position(uow: UnitOfWork, actor: Actor, position_id: int) -> Position:
    actor.require(perm.POSITION_VIEW)
    position = uow.session.get(Position, position_id)
    if position is None:
        raise errors.not_found("position", "职务", "org.position.not_found", position_id)
    return position


def create_position(uow: UnitOfWork, actor: Actor, cmd: PositionCreate) -> Position:
    actor.require(perm.POSITION_MANAGE)
    if _code_taken(uow, Position, cmd.code):
        raise Conflict(
            "org.position.code_taken",
            Text(f"A position with code {cmd.code} already exists; choose another code.",
                 f"职务编码 {cmd.code} 已存在，请换一个编码。"),
            [FieldError("code", Text("already in use", "已被使用"))],
        )
    position = Position(code=cmd.code, name=cmd.name, active=True)
    uow.session.add(position)
    uow.flush()
    audit.record(uow, actor, "org.position.create", "position", position.id,
                 after={"code": position.code, "name": position.name})
    return position


def update_position(uow: UnitOfWork, actor: Actor, position_id: int, cmd: PositionUpdate) -> Position:
    actor.require(perm.POSITION_MANAGE)
    position = get_position(uow, actor, position_id)
    ensure_version(position, cmd.version, "职务 position")
    before = {"name": position.name, "active": position.active}
    if cmd.name is not None:
        position.name = cmd.name
    if cmd.active is not None:
        position.active = cmd.active
    after = {"name": position.name, "active": position.active}
    if after != before:
        uow.flush()
        audit.record(uow, actor, "org.position.update", "position", position.id, before=before, after=after)
    return position


# =================================================================================================================
# Users
# =================================================================================================================
def list_users(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, status: str | None = None,
    department_id: int | None = None, page: int = 1, size: int = 50,
) -> tuple[list[User], int]:
    """Users within the actor's data scope (by the users' departments; ``self`` sees only oneself)."""
    actor.require(perm.USER_VIEW)
    statement = restrict(select(User), actor, department_column=User.department_id, owner_column=User.id)
    statement = _search(statement, q, User.username, User.display_name)
    if status:
        statement = statement.where(User.status == status)
    if department_id is not None:
        statement = statement.where(User.department_id == department_id)
    return fetch_page(uow.session, statement, (User.username,), page, size)


def get_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    actor.require(perm.USER_VIEW)
    return _visible_user(uow, actor, user_id)


def find_user(uow: UnitOfWork, username: str) -> User | None:
    """Look a user up by name (no permission check: for the CLI and fixtures, not for clients)."""
    return uow.session.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()


def _roles_by_code(uow: UnitOfWork, codes: Iterable[str]) -> list[Role]:
    wanted = sorted(set(codes))
    if not wanted:
        return []
    roles = list(uow.session.execute(select(Role).where(Role.code.in_(wanted))).scalars())
    missing = sorted(set(wanted) - {r.code for r in roles})
    if missing:
        raise invalid(
            "role_codes", f"Unknown role(s): {', '.join(missing)}; choose from the role list.",
            f"角色不存在：{', '.join(missing)}，请从角色列表中选择。", "org.role.not_found",
        )
    return roles


def _guard_escalation(actor: Actor, granted: Iterable[str], admin_role: bool = False) -> None:
    """Nobody hands out more than they hold themselves (only superusers may grant the admin role)."""
    if actor.is_superuser:
        return
    beyond = sorted(set(granted) - set(actor.permissions))
    if beyond or admin_role:
        shown = ", ".join(beyond[:5]) or ADMIN_ROLE
        raise PermissionDenied(
            "org.role.escalation",
            Text(f"You cannot grant permissions you do not hold yourself ({shown}).",
                 f"不能授予您自己不具备的权限（{shown}）。"),
        )


def create_user(
    uow: UnitOfWork, actor: Actor, cmd: UserCreate, *, force_password_change: bool | None = None
) -> User:
    """Create an employee account; it must change its password at first sign-in when the settings force it."""
    actor.require(perm.USER_CREATE)
    settings = _settings(uow)
    username = cmd.username.lower()
    if find_user(uow, username) is not None:
        raise Conflict(
            "org.user.username_taken",
            Text(f"The username {username} is already taken; choose another one.",
                 f"用户名 {username} 已被占用，请换一个。"),
            [FieldError("username", Text("already taken", "已被占用"))],
        )
    passwords.check_password_policy(cmd.password, username, settings.password_min_length)
    department = _department_for_assignment(uow, actor, cmd.department_id)
    position = _position_for_assignment(uow, cmd.position_id)
    roles = _roles_by_code(uow, cmd.role_codes)
    if roles:
        actor.require(perm.USER_ASSIGN_ROLES)
        _guard_escalation(actor, _granted(roles), any(r.code == ADMIN_ROLE for r in roles))
    forced = settings.password_change_forced if force_password_change is None else force_password_change
    user = User(
        username=username,
        display_name=cmd.display_name,
        status=UserStatus.ACTIVE.value,
        department_id=department.id if department else None,
        position_id=position.id if position else None,
        phone=cmd.phone,
        email=cmd.email,
        password_hash=passwords.hash_password(cmd.password, cheap=_cheap_hashes(uow)),
        must_change_password=forced,
        failed_attempts=0,
        totp_enabled=False,
        is_superuser=False,
    )
    user.roles = roles
    uow.session.add(user)
    uow.flush()
    audit.record(uow, actor, "org.user.create", "user", user.id, after=user.audit_view())
    return user


def _granted(roles: Iterable[Role]) -> set[str]:
    codes: set[str] = set()
    for role in roles:
        codes |= set(role.permissions)
    return codes


def update_user(uow: UnitOfWork, actor: Actor, user_id: int, cmd: UserUpdate) -> User:
    actor.require(perm.USER_UPDATE)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    ensure_version(user, cmd.version, "用户 user")
    before = user.audit_view()
    sent = cmd.model_fields_set
    if cmd.display_name is not None:
        user.display_name = cmd.display_name
    if "department_id" in sent and cmd.department_id != user.department_id:
        department = _department_for_assignment(uow, actor, cmd.department_id)
        user.department_id = department.id if department else None
    if "position_id" in sent and cmd.position_id != user.position_id:
        position = _position_for_assignment(uow, cmd.position_id)
        user.position_id = position.id if position else None
    if "phone" in sent:
        user.phone = cmd.phone
    if "email" in sent:
        user.email = cmd.email
    after = user.audit_view()
    if after != before:
        uow.flush()
        audit.record(uow, actor, "org.user.update", "user", user.id, before=before, after=after)
    return user


def _check_version(user: User, version: int | None) -> None:
    ensure_version(user, version, "用户 user")


def disable_user(uow: UnitOfWork, actor: Actor, user_id: int, version: int | None = None) -> User:
    """Disable an account: it cannot sign in and every open session ends at once."""
    actor.require(perm.USER_DISABLE)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    _check_version(user, version)
    if user.id == actor.user_id:
        raise RuleViolation(
            "org.user.cannot_disable_self",
            Text(
                "You cannot disable your own account; ask another administrator.",
                "不能停用自己的账户，请联系其他管理员。",
            ),
        )
    if user.active:
        user.status = UserStatus.DISABLED.value
        revoked = _revoke_sessions(uow, user.id, actor.user_id)
        uow.flush()
        audit.record(uow, actor, "org.user.disable", "user", user.id,
                     before={"status": "active"}, after={"status": user.status, "sessions_revoked": revoked})
    return user


def enable_user(uow: UnitOfWork, actor: Actor, user_id: int, version: int | None = None) -> User:
    actor.require(perm.USER_DISABLE)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    _check_version(user, version)
    if not user.active:
        user.status = UserStatus.ACTIVE.value
        user.failed_attempts = 0
        user.locked_until = None
        uow.flush()
        audit.record(uow, actor, "org.user.enable", "user", user.id,
                     before={"status": "disabled"}, after={"status": user.status})
    return user


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int, new_password: str) -> User:
    """An administrator sets a new password: the account is unlocked and signed out everywhere."""
    actor.require(perm.USER_RESET_PASSWORD)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    settings = _settings(uow)
    passwords.check_password_policy(new_password, user.username, settings.password_min_length, "new_password")
    user.password_hash = passwords.hash_password(new_password, cheap=_cheap_hashes(uow))
    user.must_change_password = settings.password_change_forced and user.id != actor.user_id
    user.failed_attempts = 0
    user.locked_until = None
    revoked = _revoke_sessions(uow, user.id, actor.user_id, keep=actor.session_id)
    uow.flush()
    audit.record(uow, actor, "org.user.reset_password", "user", user.id,
                 after={"password": "reset", "must_change_password": user.must_change_password,
                        "sessions_revoked": revoked})
    return user


def unlock_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """Lift a lockout after too many failed sign-ins."""
    actor.require(perm.USER_RESET_PASSWORD)
    user = _visible_user(uow, actor, user_id)
    before = {"locked_until": user.locked_until, "failed_attempts": user.failed_attempts}
    user.failed_attempts = 0
    user.locked_until = None
    uow.flush()
    audit.record(uow, actor, "org.user.unlock", "user", user.id, before=before,
                 after={"locked_until": None, "failed_attempts": 0})
    return user


def assign_roles(uow: UnitOfWork, actor: Actor, user_id: int, role_codes: Sequence[str]) -> User:
    """Replace the user's roles with ``role_codes``."""
    actor.require(perm.USER_ASSIGN_ROLES)
    user = _visible_user(uow, actor, user_id)
    _guard_superuser_target(actor, user)
    roles = _roles_by_code(uow, role_codes)
    added = [r for r in roles if r.code not in set(user.role_codes)]
    _guard_escalation(actor, _granted(added), any(r.code == ADMIN_ROLE for r in added))
    before = {"roles": user.role_codes}
    user.roles = sorted(roles, key=lambda r: r.code)
    user.updated_at = utcnow()  # bumps the version: the user's access changed
    uow.flush()
    audit.record(uow, actor, "org.user.assign_roles", "user", user.id, before=before, after={"roles": user.role_codes})
    return user


# =================================================================================================================
# Roles
# =================================================================================================================
def list_roles(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, page: int = 1, size: int = 50
) -> tuple[list[Role], int]:
    actor.require(perm.ROLE_VIEW)
    statement = _search(select(Role), q, Role.code, Role.name_zh, Role.name_en)
    return fetch_page(uow.session, statement, (Role.builtin.desc(), Role.code), page, size)


def get_role(uow: UnitOfWork, actor: Actor, role_id: int) -> Role:
    actor.require(perm.ROLE_VIEW)
    role = uow.session.get(Role, role_id)
    if role is None:
        raise errors.not_found("role", "角色", "org.role.not_found", role_id)
    return role


def _checked_permissions(codes: Iterable[str]) -> list[str]:
    wanted = sorted(set(codes))
    unknown = [c for c in wanted if get_permission(c) is None]
    if unknown:
        raise invalid(
            "permissions", f"Unknown permission(s): {', '.join(unknown[:10])}; use codes from the permission list.",
            f"权限不存在：{', '.join(unknown[:10])}，请使用权限列表中的编码。", "org.role.permission_unknown",
        )
    return wanted


def _checked_scope(uow: UnitOfWork, scope: ScopeKind, chosen: Sequence[int]) -> list[int]:
    if scope is not ScopeKind.CHOSEN_DEPARTMENTS:
        return []
    wanted = sorted(set(chosen))
    if not wanted:
        raise invalid(
            "chosen_department_ids", "Choose at least one department for the 'chosen departments' scope.",
            "数据权限为“指定部门”时，请至少选择一个部门。", "org.role.departments_required",
        )
    found = set(uow.session.execute(select(Department.id).where(Department.id.in_(wanted))).scalars())
    missing = [d for d in wanted if d not in found]
    if missing:
        raise invalid(
            "chosen_department_ids", f"Unknown department id(s): {missing}.", f"部门不存在：{missing}。",
            "org.department.not_found",
        )
    return wanted


def _role_view(role: Role) -> dict[str, Any]:
    return {
        "code": role.code, "name_zh": role.name_zh, "name_en": role.name_en, "data_scope": role.data_scope,
        "chosen_department_ids": list(role.chosen_department_ids or []), "requires_totp": role.requires_totp,
        "permissions": role.permissions,
    }


def _set_permissions(role: Role, codes: Sequence[str]) -> None:
    current = {row.permission: row for row in role.permission_rows}
    role.permission_rows = [current.get(code) or RolePermission(permission=code) for code in sorted(set(codes))]


def create_role(uow: UnitOfWork, actor: Actor, cmd: RoleCreate) -> Role:
    actor.require(perm.ROLE_MANAGE)
    if _code_taken(uow, Role, cmd.code):
        raise Conflict(
            "org.role.code_taken",
            Text(f"A role with code {cmd.code} already exists; choose another code.",
                 f"角色编码 {cmd.code} 已存在，请换一个编码。"),
            [FieldError("code", Text("already in use", "已被使用"))],
        )
    codes = _checked_permissions(cmd.permissions)
    _guard_escalation(actor, codes)
    chosen = _checked_scope(uow, cmd.data_scope, cmd.chosen_department_ids)
    role = Role(
        code=cmd.code, name_zh=cmd.name_zh, name_en=cmd.name_en, data_scope=cmd.data_scope.value,
        chosen_department_ids=chosen, requires_totp=cmd.requires_totp, builtin=False, seeded_permissions=[],
    )
    _set_permissions(role, codes)
    uow.session.add(role)
    uow.flush()
    audit.record(uow, actor, "org.role.create", "role", role.id, after=_role_view(role))
    return role


def update_role(uow: UnitOfWork, actor: Actor, role_id: int, cmd: RoleUpdate) -> Role:
    actor.require(perm.ROLE_MANAGE)
    role = get_role(uow, actor, role_id)
    ensure_version(role, cmd.version, "角色 role")
    if role.code == ADMIN_ROLE and role.builtin and (
        cmd.permissions is not None or cmd.data_scope not in (None, ScopeKind.ALL)
    ):
        raise RuleViolation(
            "org.role.admin_locked",
            Text("The built-in admin role always holds every permission and sees all data.",
                 "内置管理员角色始终拥有全部权限与全部数据权限，不能修改。"),
        )
    before = _role_view(role)
    if cmd.name_zh is not None:
        role.name_zh = cmd.name_zh
    if cmd.name_en is not None:
        role.name_en = cmd.name_en
    if cmd.requires_totp is not None:
        role.requires_totp = cmd.requires_totp
    if cmd.data_scope is not None or cmd.chosen_department_ids is not None:
        scope = cmd.data_scope or ScopeKind(role.data_scope)
        chosen = cmd.chosen_department_ids if cmd.chosen_department_ids is not None else role.chosen_department_ids
        role.chosen_department_ids = _checked_scope(uow, scope, chosen or [])
        role.data_scope = scope.value
    if cmd.permissions is not None:
        codes = _checked_permissions(cmd.permissions)
        _guard_escalation(actor, set(codes) - set(role.permissions))
        _set_permissions(role, codes)
    after = _role_view(role)
    if after != before:
        role.updated_at = utcnow()  # child rows changed: bump the role's version too
        uow.flush()
        audit.record(uow, actor, "org.role.update", "role", role.id, before=before, after=after)
    return role


def delete_role(uow: UnitOfWork, actor: Actor, role_id: int) -> None:
    actor.require(perm.ROLE_MANAGE)
    role = get_role(uow, actor, role_id)
    if role.builtin:
        raise RuleViolation(
            "org.role.builtin",
            Text("Built-in roles cannot be deleted; remove their permissions instead.",
                 "内置角色不能删除，可改为移除其权限。"),
        )
    holders = uow.session.execute(
        select(func.count()).select_from(User).where(User.roles.any(Role.id == role.id))
    ).scalar_one()
    if holders:
        raise RuleViolation(
            "org.role.in_use",
            Text(f"{holders} user(s) still hold this role; take it away from them first.",
                 f"仍有 {holders} 名用户拥有该角色，请先取消分配。"),
        )
    before = _role_view(role)
    uow.session.delete(role)
    uow.flush()
    audit.record(uow, actor, "org.role.delete", "role", role_id, before=before)


# =================================================================================================================
# Online sessions and the login log
# =================================================================================================================
@dataclass(frozen=True)
class SessionView:
    id: int
    user_id: int
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None


def list_sessions(
    uow: UnitOfWork, actor: Actor, *, user_id: int | None = None, q: str | None = None, page: int = 1,
    size: int = 50,
) -> tuple[list[SessionView], int]:
    """Open sessions (在线用户) of users within the actor's data scope."""
    actor.require(perm.SESSION_VIEW)
    now = utcnow()
    idle = timedelta(minutes=_settings(uow).session_idle_minutes)
    statement = (
        select(UserSession)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.revoked_at.is_(None), UserSession.expires_at > now, UserSession.last_seen_at > now - idle)
    )
    statement = restrict(statement, actor, department_column=User.department_id, owner_column=User.id)
    statement = _search(statement, q, User.username, User.display_name)
    if user_id is not None:
        statement = statement.where(UserSession.user_id == user_id)
    order = (UserSession.last_seen_at.desc(), UserSession.id.desc())
    rows, total = fetch_page(uow.session, statement, order, page, size)
    return [
        SessionView(s.id, s.user_id, s.user.username, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent)
        for s in rows
    ], total


def revoke_session(uow: UnitOfWork, actor: Actor, session_id: int) -> None:
    """Force a sign-out (强制下线): the session's token stops working at once."""
    actor.require(perm.SESSION_REVOKE)
    session = uow.session.get(UserSession, session_id)
    if session is None or not visible(actor, session.user.department_id, session.user_id):
        raise errors.not_found("session", "会话", "org.session.not_found", session_id)
    if session.revoked_at is None:
        session.revoked_at = utcnow()
        session.revoked_by = actor.user_id
        uow.flush()
        audit.record(uow, actor, "org.session.revoke", "session", session.id,
                     after={"user_id": session.user_id, "username": session.user.username})


def sign_ins_per_day(
    uow: UnitOfWork, actor: Actor, *, since: datetime, zone: tzinfo
) -> dict[date, tuple[int, int]]:
    """Successful and failed sign-ins per calendar day (in ``zone``) since a moment, within the actor's scope.

    Reads two narrow columns rather than whole log rows, so a busy fortnight stays cheap for the home page chart.
    """
    actor.require(perm.LOGIN_LOG_VIEW)
    statement = select(LoginLog.occurred_at, LoginLog.success).outerjoin(User, User.id == LoginLog.user_id)
    statement = restrict(statement, actor, department_column=User.department_id, owner_column=LoginLog.user_id)
    counts: dict[date, tuple[int, int]] = {}
    for occurred_at, success in uow.session.execute(statement.where(LoginLog.occurred_at >= since)):
        day = occurred_at.astimezone(zone).date()
        ok, failed = counts.get(day, (0, 0))
        counts[day] = (ok + 1, failed) if success else (ok, failed + 1)
    return counts


def list_login_log(
    uow: UnitOfWork, actor: Actor, *, username: str | None = None, success: bool | None = None,
    since: datetime | None = None, until: datetime | None = None, ip: str | None = None,
    page: int = 1, size: int = 50,
) -> tuple[list[LoginLog], int]:
    """Sign-in attempts, newest first; attempts on unknown usernames are visible only with an all-data scope."""
    actor.require(perm.LOGIN_LOG_VIEW)
    statement = select(LoginLog).outerjoin(User, User.id == LoginLog.user_id)
    statement = restrict(statement, actor, department_column=User.department_id, owner_column=LoginLog.user_id)
    if username:
        statement = statement.where(LoginLog.username == username.strip().lower())
    if success is not None:
        statement = statement.where(LoginLog.success.is_(success))
    if since is not None:
        statement = statement.where(LoginLog.occurred_at >= since)
    if until is not None:
        statement = statement.where(LoginLog.occurred_at < until)
    if ip:
        statement = statement.where(LoginLog.ip == ip)
    return fetch_page(uow.session, statement, (LoginLog.occurred_at.desc(), LoginLog.id.desc()), page, size)
