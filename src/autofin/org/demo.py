"""Demo organisation (idempotent): departments, positions and one user per built-in role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.org import service
from autofin.org.models import Department, Position
from autofin.org.schemas import DepartmentCreate, PositionCreate, UserCreate
from autofin.org.seed import ROOT_DEPARTMENT_CODE

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (  # code, name, parent code
    ("RISK", "风控部", ROOT_DEPARTMENT_CODE),
    ("APPROVAL", "审批部", ROOT_DEPARTMENT_CODE),
    ("FINANCE", "财务部", ROOT_DEPARTMENT_CODE),
    ("COLLECTION", "催收部", ROOT_DEPARTMENT_CODE),
    ("EAST", "华东大区", ROOT_DEPARTMENT_CODE),
    ("EAST-SH", "上海分公司", "EAST"),
    ("DEALERS", "经销商渠道", ROOT_DEPARTMENT_CODE),
)
POSITIONS: tuple[tuple[str, str], ...] = (
    ("GM", "总经理"),
    ("MANAGER", "部门经理"),
    ("REVIEWER", "审批专员"),
    ("ACCOUNTANT", "会计"),
    ("COLLECTOR", "催收专员"),
    ("ACCOUNT_MANAGER", "客户经理"),
    ("DEALER_CONTACT", "经销商联系人"),
)
USERS: tuple[tuple[str, str, str, str, str], ...] = (  # username, name, department, position, role
    ("admin", "系统管理员", ROOT_DEPARTMENT_CODE, "GM", "admin"),
    ("reviewer1", "审核员一", "APPROVAL", "REVIEWER", "reviewer"),
    ("reviewer2", "审核员二", "APPROVAL", "REVIEWER", "reviewer"),
    ("finance1", "财务一", "FINANCE", "ACCOUNTANT", "finance"),
    ("collector1", "催收员一", "COLLECTION", "COLLECTOR", "collector"),
    ("dealer1", "经销商一", "DEALERS", "DEALER_CONTACT", "dealer"),
)
ROLE_NAMES = {"admin": "管理员", "reviewer": "审核员", "finance": "财务", "collector": "催收", "dealer": "经销商"}


def _by_code(uow: UnitOfWork, model: Any, code: str) -> Any:
    return uow.session.execute(select(model).where(model.code == code)).scalar_one_or_none()


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    password = settings.demo_password_or_default()
    for code, name, parent_code in DEPARTMENTS:
        if _by_code(uow, Department, code) is None:
            parent = _by_code(uow, Department, parent_code)
            service.create_department(uow, SYSTEM, DepartmentCreate(name=name, code=code, parent_id=parent.id))
    for code, name in POSITIONS:
        if _by_code(uow, Position, code) is None:
            service.create_position(uow, SYSTEM, PositionCreate(code=code, name=name))
    lines = []
    for username, name, department_code, position_code, role in USERS:
        if service.find_user(uow, username) is None:
            user = service.create_user(
                uow,
                SYSTEM,
                UserCreate(
                    username=username,
                    display_name=name,
                    password=password,
                    department_id=_by_code(uow, Department, department_code).id,
                    position_id=_by_code(uow, Position, position_code).id,
                    role_codes=[role],
                ),
                force_password_change=settings.password_change_forced,
            )
            user.is_superuser = username == "admin"
        lines.append(f"{username} / {password} ({ROLE_NAMES[role]})")
    uow.flush()
    return lines
