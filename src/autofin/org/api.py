"""HTTP routes of sign-in and the organisation: parse → service → commit → answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.kernel.errors import DomainError
from autofin.org import service
from autofin.org.models import UserStatus
from autofin.org.schemas import (
    DataScopePublic,
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    LoginLogPublic,
    LoginRequest,
    LoginResponse,
    MePublic,
    PasswordChange,
    PasswordReset,
    PositionCreate,
    PositionPublic,
    PositionUpdate,
    RoleBrief,
    RoleCreate,
    RolePublic,
    RolesAssign,
    RoleUpdate,
    SessionPublic,
    TotpConfirm,
    TotpDisable,
    TotpEnrolmentPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1")
PathId = Annotated[int, Path(ge=1, le=2**62)]
QueryId = Annotated[int | None, Query(ge=1, le=2**62)]


def _client(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None), request.headers.get("user-agent")


# --- sign-in -------------------------------------------------------------------------------------------------------
@router.post("/auth/login", tags=["auth"], response_model=LoginResponse)
def login(body: LoginRequest, request: Request, uow: UowDep) -> LoginResponse:
    ip, user_agent = _client(request)
    try:
        result = service.login(uow, body.username, body.password, body.totp, ip=ip, user_agent=user_agent)
    except DomainError:
        uow.commit()  # keep the login-log row and the failed-attempt counter
        raise
    uow.commit()
    return LoginResponse(
        token=result.token,
        expires_at=result.expires_at,
        user=UserPublic.of(result.user),
        must_change_password=result.must_change_password,
    )


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(actor: ActorDep, uow: UowDep) -> Response:
    service.logout(uow, actor)
    uow.commit()
    return Response(status_code=204)


@router.get("/me", tags=["auth"], response_model=MePublic)
def me(actor: ActorDep, uow: UowDep) -> MePublic:
    found = service.describe_me(uow, actor)
    return MePublic(
        user=UserPublic.of(found.user),
        roles=[RoleBrief.model_validate(role) for role in found.roles],
        permissions=found.permissions,
        data_scope=DataScopePublic(
            everything=found.scope.everything,
            department_ids=sorted(found.scope.department_ids),
            own_records=found.scope.own_records,
        ),
        must_change_password=found.must_change_password,
        totp_enrolment_required=found.totp_enrolment_required,
    )


@router.post("/me/password", tags=["auth"], status_code=204)
def change_password(body: PasswordChange, actor: ActorDep, uow: UowDep) -> Response:
    service.change_own_password(uow, actor, body.current_password, body.new_password)
    uow.commit()
    return Response(status_code=204)


@router.post("/me/totp", tags=["auth"], response_model=TotpEnrolmentPublic)
def begin_totp(actor: ActorDep, uow: UowDep) -> TotpEnrolmentPublic:
    enrolment = service.begin_totp_enrolment(uow, actor)
    uow.commit()
    return TotpEnrolmentPublic(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


@router.post("/me/totp/confirm", tags=["auth"], response_model=UserPublic)
def confirm_totp(body: TotpConfirm, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.confirm_totp(uow, actor, body.code)
    uow.commit()
    return UserPublic.of(user)


@router.post("/me/totp/disable", tags=["auth"], response_model=UserPublic)
def disable_totp(body: TotpDisable, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.disable_own_totp(uow, actor, body.password)
    uow.commit()
    return UserPublic.of(user)


# --- departments and positions --------------------------------------------------------------------------------------
@router.get("/org/departments", tags=["org"], response_model=ListResponse[DepartmentPublic])
def list_departments(
    actor: ActorDep, uow: UowDep, paging: PageDep, parent_id: QueryId = None,
    active: bool | None = None,
) -> ListResponse[DepartmentPublic]:
    rows, count = service.list_departments(
        uow, actor, q=paging.q, page=paging.page, size=paging.size, parent_id=parent_id, active=active
    )
    return ListResponse(data=[DepartmentPublic.model_validate(r) for r in rows], count=count)


@router.post("/org/departments", tags=["org"], status_code=201, response_model=DepartmentPublic)
def create_department(body: DepartmentCreate, actor: ActorDep, uow: UowDep) -> DepartmentPublic:
    department = service.create_department(uow, actor, body)
    uow.commit()
    return DepartmentPublic.model_validate(department)


@router.get("/org/departments/{department_id}", tags=["org"], response_model=DepartmentPublic)
def get_department(department_id: PathId, actor: ActorDep, uow: UowDep) -> DepartmentPublic:
    return DepartmentPublic.model_validate(service.get_department(uow, actor, department_id))


@router.patch("/org/departments/{department_id}", tags=["org"], response_model=DepartmentPublic)
def update_department(department_id: PathId, body: DepartmentUpdate, actor: ActorDep, uow: UowDep) -> DepartmentPublic:
    department = service.update_department(uow, actor, department_id, body)
    uow.commit()
    return DepartmentPublic.model_validate(department)


@router.get("/org/positions", tags=["org"], response_model=ListResponse[PositionPublic])
def list_positions(actor: ActorDep, uow: UowDep, paging: PageDep) -> ListResponse[PositionPublic]:
    rows, count = service.list_positions(uow, actor, q=paging.q, page=paging.page, size=paging.size)
    return ListResponse(data=[PositionPublic.model_validate(r) for r in rows], count=count)


@router.post("/org/positions", tags=["org"], status_code=201, response_model=PositionPublic)
def create_position(body: PositionCreate, actor: ActorDep, uow: UowDep) -> PositionPublic:
    position = service.create_position(uow, actor, body)
    uow.commit()
    return PositionPublic.model_validate(position)


@router.patch("/org/positions/{position_id}", tags=["org"], response_model=PositionPublic)
def update_position(position_id: PathId, body: PositionUpdate, actor: ActorDep, uow: UowDep) -> PositionPublic:
    position = service.update_position(uow, actor, position_id, body)
    uow.commit()
    return PositionPublic.model_validate(position)


# --- users -----------------------------------------------------------------------------------------------------------
@router.get("/org/users", tags=["org"], response_model=ListResponse[UserPublic])
def list_users(
    actor: ActorDep, uow: UowDep, paging: PageDep, status: UserStatus | None = None,
    department_id: QueryId = None,
) -> ListResponse[UserPublic]:
    rows, count = service.list_users(
        uow, actor, q=paging.q, status=status.value if status else None, department_id=department_id,
        page=paging.page, size=paging.size,
    )
    return ListResponse(data=[UserPublic.of(r) for r in rows], count=count)


@router.post("/org/users", tags=["org"], status_code=201, response_model=UserPublic)
def create_user(body: UserCreate, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.create_user(uow, actor, body)
    uow.commit()
    return UserPublic.of(user)


@router.get("/org/users/{user_id}", tags=["org"], response_model=UserPublic)
def get_user(user_id: PathId, actor: ActorDep, uow: UowDep) -> UserPublic:
    return UserPublic.of(service.get_user(uow, actor, user_id))


@router.patch("/org/users/{user_id}", tags=["org"], response_model=UserPublic)
def update_user(user_id: PathId, body: UserUpdate, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.update_user(uow, actor, user_id, body)
    uow.commit()
    return UserPublic.of(user)


@router.post("/org/users/{user_id}/disable", tags=["org"], response_model=UserPublic)
def disable_user(user_id: PathId, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.disable_user(uow, actor, user_id)
    uow.commit()
    return UserPublic.of(user)


@router.post("/org/users/{user_id}/enable", tags=["org"], response_model=UserPublic)
def enable_user(user_id: PathId, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.enable_user(uow, actor, user_id)
    uow.commit()
    return UserPublic.of(user)


@router.post("/org/users/{user_id}/reset-password", tags=["org"], response_model=UserPublic)
def reset_password(user_id: PathId, body: PasswordReset, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.reset_password(uow, actor, user_id, body.new_password)
    uow.commit()
    return UserPublic.of(user)


@router.post("/org/users/{user_id}/unlock", tags=["org"], response_model=UserPublic)
def unlock_user(user_id: PathId, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.unlock_user(uow, actor, user_id)
    uow.commit()
    return UserPublic.of(user)


@router.post("/org/users/{user_id}/reset-totp", tags=["org"], response_model=UserPublic)
def reset_totp(user_id: PathId, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.reset_totp(uow, actor, user_id)
    uow.commit()
    return UserPublic.of(user)


@router.put("/org/users/{user_id}/roles", tags=["org"], response_model=UserPublic)
def assign_roles(user_id: PathId, body: RolesAssign, actor: ActorDep, uow: UowDep) -> UserPublic:
    user = service.assign_roles(uow, actor, user_id, body.role_codes)
    uow.commit()
    return UserPublic.of(user)


# --- roles -----------------------------------------------------------------------------------------------------------
@router.get("/org/roles", tags=["org"], response_model=ListResponse[RolePublic])
def list_roles(actor: ActorDep, uow: UowDep, paging: PageDep) -> ListResponse[RolePublic]:
    rows, count = service.list_roles(uow, actor, q=paging.q, page=paging.page, size=paging.size)
    return ListResponse(data=[RolePublic.model_validate(r) for r in rows], count=count)


@router.post("/org/roles", tags=["org"], status_code=201, response_model=RolePublic)
def create_role(body: RoleCreate, actor: ActorDep, uow: UowDep) -> RolePublic:
    role = service.create_role(uow, actor, body)
    uow.commit()
    return RolePublic.model_validate(role)


@router.get("/org/roles/{role_id}", tags=["org"], response_model=RolePublic)
def get_role(role_id: PathId, actor: ActorDep, uow: UowDep) -> RolePublic:
    return RolePublic.model_validate(service.get_role(uow, actor, role_id))


@router.patch("/org/roles/{role_id}", tags=["org"], response_model=RolePublic)
def update_role(role_id: PathId, body: RoleUpdate, actor: ActorDep, uow: UowDep) -> RolePublic:
    role = service.update_role(uow, actor, role_id, body)
    uow.commit()
    return RolePublic.model_validate(role)


@router.delete("/org/roles/{role_id}", tags=["org"], status_code=204)
def delete_role(role_id: PathId, actor: ActorDep, uow: UowDep) -> Response:
    service.delete_role(uow, actor, role_id)
    uow.commit()
    return Response(status_code=204)


# --- sessions and login log -------------------------------------------------------------------------------------------
@router.get("/org/sessions", tags=["org"], response_model=ListResponse[SessionPublic])
def list_sessions(
    actor: ActorDep, uow: UowDep, paging: PageDep, user_id: QueryId = None
) -> ListResponse[SessionPublic]:
    rows, count = service.list_sessions(uow, actor, user_id=user_id, q=paging.q, page=paging.page, size=paging.size)
    return ListResponse(data=[SessionPublic.model_validate(r) for r in rows], count=count)


@router.post("/org/sessions/{session_id}/revoke", tags=["org"], status_code=204)
def revoke_session(session_id: PathId, actor: ActorDep, uow: UowDep) -> Response:
    service.revoke_session(uow, actor, session_id)
    uow.commit()
    return Response(status_code=204)


@router.get("/org/login-log", tags=["org"], response_model=ListResponse[LoginLogPublic])
def list_login_log(
    actor: ActorDep, uow: UowDep, paging: PageDep,
    username: Annotated[str | None, Query(max_length=64)] = None,
    success: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ip: Annotated[str | None, Query(max_length=64)] = None,
) -> ListResponse[LoginLogPublic]:
    rows, count = service.list_login_log(
        uow, actor, username=username or paging.q, success=success, since=since, until=until, ip=ip,
        page=paging.page, size=paging.size,
    )
    return ListResponse(data=[LoginLogPublic.model_validate(r) for r in rows], count=count)
