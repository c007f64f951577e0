"""Input and output shapes of the organisation API (XCreate / XUpdate / XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from autofin.kernel.actor import ScopeKind
from autofin.kernel.clock import utcnow
from autofin.schemas import PublicModel, StrictModel

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"  # and 3-32 characters: ^[A-Za-z0-9_.-]{3,32}$
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"  # and at most 32 characters
ROLE_CODE_PATTERN = r"^[a-z][a-z0-9_]+$"  # and 2-32 characters
PERMISSION_PATTERN = r"^[a-z][a-z0-9_.]+$"  # and at most 80 characters
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Patterns avoid {m,n} quantifiers: lengths are separate constraints, so error texts stay plain.
CN_MOBILE_PATTERN = r"^1[3-9][0-9]+$"  # 中国大陆手机号, exactly 11 digits (length constraint)

Name = Annotated[str, Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=128)]
Username = Annotated[str, Field(min_length=3, max_length=32, pattern=USERNAME_PATTERN, examples=["reviewer1"])]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=CODE_PATTERN, examples=["RISK"])]
RoleCode = Annotated[str, Field(min_length=2, max_length=32, pattern=ROLE_CODE_PATTERN, examples=["reviewer"])]
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN, examples=["li.lei@example.com"])]
Phone = Annotated[str, Field(min_length=11, max_length=11, pattern=CN_MOBILE_PATTERN, examples=["13800138000"])]
Id = Annotated[int, Field(ge=1, le=2**62)]
Version = Annotated[int, Field(ge=1, le=2**31)]
PermissionCode = Annotated[str, Field(max_length=80, pattern=PERMISSION_PATTERN, examples=["org.user.view"])]
TotpCode = Annotated[str, Field(min_length=6, max_length=6, pattern=r"^[0-9]+$", examples=["123456"])]


# --- sign-in ---------------------------------------------------------------------------------------------------
class LoginRequest(StrictModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password
    totp: Annotated[str | None, Field(max_length=10)] = None


class PasswordChange(StrictModel):
    current_password: Password
    new_password: Password


class PasswordReset(StrictModel):
    new_password: Password


class TotpConfirm(StrictModel):
    code: TotpCode


class TotpDisable(StrictModel):
    password: Password


class TotpEnrolmentPublic(PublicModel):
    secret: str
    provisioning_uri: str


# --- departments and positions ------------------------------------------------------------------------------------
class DepartmentCreate(StrictModel):
    name: Name
    code: Code
    parent_id: Id | None = None
    sort: Annotated[int, Field(ge=0, le=99_999)] = 0


class DepartmentUpdate(StrictModel):
    """Only the fields sent change; ``parent_id: null`` moves the department to the top level."""

    version: Version
    name: Name | None = None
    code: Code | None = None
    parent_id: Id | None = None
    sort: Annotated[int | None, Field(ge=0, le=99_999)] = None
    active: bool | None = None


class DepartmentPublic(PublicModel):
    id: int
    parent_id: int | None
    code: str
    name: str
    sort: int
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PositionCreate(StrictModel):
    code: Code
    name: Name


class PositionUpdate(StrictModel):
    version: Version
    name: Name | None = None
    active: bool | None = None


class PositionPublic(PublicModel):
    id: int
    code: str
    name: str
    active: bool
    version: int


# --- users ---------------------------------------------------------------------------------------------------------
class UserCreate(StrictModel):
    username: Username
    display_name: Name
    password: Password
    department_id: Id | None = None
    position_id: Id | None = None
    phone: Phone | None = None
    email: Email | None = None
    role_codes: list[RoleCode] = Field(default_factory=list, max_length=20)


class UserUpdate(StrictModel):
    """Only the fields sent change; send ``null`` to clear phone, e-mail, position or department."""

    version: Version
    display_name: Name | None = None
    department_id: Id | None = None
    position_id: Id | None = None
    phone: Phone | None = None
    email: Email | None = None


class RolesAssign(StrictModel):
    role_codes: Annotated[list[RoleCode], Field(max_length=20)]


class UserPublic(PublicModel):
    id: int
    username: str
    display_name: str
    status: str
    department_id: int | None
    position_id: int | None
    phone: str | None
    email: str | None
    role_codes: list[str]
    must_change_password: bool
    totp_enabled: bool
    locked: bool = False
    locked_until: datetime | None
    failed_attempts: int
    last_login_at: datetime | None
    is_superuser: bool
    version: int
    created_at: datetime

    @classmethod
    def of(cls, user: object) -> UserPublic:
        public = cls.model_validate(user)
        public.locked = public.locked_until is not None and public.locked_until > utcnow()
        return public


# --- roles ---------------------------------------------------------------------------------------------------------
class RoleCreate(StrictModel):
    code: RoleCode
    name_zh: Name
    name_en: Name
    data_scope: ScopeKind = ScopeKind.SELF
    chosen_department_ids: list[Id] = Field(default_factory=list, max_length=200)
    permissions: list[PermissionCode] = Field(default_factory=list, max_length=1000)
    requires_totp: bool = False


class RoleUpdate(StrictModel):
    version: Version
    name_zh: Name | None = None
    name_en: Name | None = None
    data_scope: ScopeKind | None = None
    chosen_department_ids: Annotated[list[Id] | None, Field(max_length=200)] = None
    permissions: Annotated[list[PermissionCode] | None, Field(max_length=1000)] = None
    requires_totp: bool | None = None


class RolePublic(PublicModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    data_scope: str
    chosen_department_ids: list[int]
    requires_totp: bool
    builtin: bool
    permissions: list[str]
    version: int


class RoleBrief(PublicModel):
    code: str
    name_zh: str
    name_en: str


# --- sessions, login log, me --------------------------------------------------------------------------------------
class SessionPublic(PublicModel):
    id: int
    user_id: int
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None


class LoginLogPublic(PublicModel):
    id: int
    username: str
    user_id: int | None
    success: bool
    reason: str
    ip: str | None
    user_agent: str | None
    occurred_at: datetime


class LoginResponse(PublicModel):
    token: str
    expires_at: datetime
    user: UserPublic
    must_change_password: bool


class DataScopePublic(PublicModel):
    everything: bool
    department_ids: list[int]
    own_records: bool


class MePublic(PublicModel):
    user: UserPublic
    roles: list[RoleBrief]
    permissions: list[str]
    data_scope: DataScopePublic
    must_change_password: bool
    totp_enrolment_required: bool
