"""Built-in records of the organisation: the root department 总部 and the built-in roles.

Idempotent: run by ``autofin db upgrade`` and before each test. Non-admin built-in roles are defined by permission
code patterns resolved against every permission declared at seed time, so permissions that later domains
declare land in the right roles the next time the seed runs. A code the seed granted once is never granted
again, so an administrator's removal of it sticks; roles that are not built-in are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import ScopeKind
from autofin.kernel.permissions import all_permissions
from autofin.org.models import Department, Role, RolePermission

ROOT_DEPARTMENT_CODE = "HQ"
ROOT_DEPARTMENT_NAME = "总部"


@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name_zh: str
    name_en: str
    scope: ScopeKind
    patterns: tuple[str, ...]


# Built-in roles hold what their work needs and no more (PIPL's minimum-necessary rule): patterns are matched
# against every declared permission at seed time, so permissions of domains added later land in the right roles.
BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("admin", "管理员", "Administrator", ScopeKind.ALL, ("*",)),
    BuiltinRole(
        "sales", "业务员", "Sales", ScopeKind.SELF,
        (
            "customers.customer.*", "customers.card.view", "customers.card.manage", "customers.tag.manage",
            "customers.pii.identity.view", "customers.pii.contact.view", "customers.blacklist.view",
            "origination.application.*", "origination.credit_line.*", "origination.progress.*",
            "vehicles.vehicle.*", "vehicles.appraisal.manage", "vehicles.lien.apply", "vehicles.lien.view",
            "products.product.view", "products.product.quote", "documents.*",
            "org.department.view", "org.position.view",
        ),
    ),
    BuiltinRole(
        "reviewer", "审核员", "Reviewer", ScopeKind.DEPARTMENT_AND_BELOW,
        (
            "origination.review.*", "origination.application.view", "origination.contract.view",
            "origination.progress.*", "customers.customer.view", "customers.pii.*.view", "customers.card.view",
            "customers.blacklist.view", "vehicles.*.view", "products.product.view", "products.product.quote",
            "risk.model.view", "risk.model.score", "documents.view", "documents.upload", "servicing.loan.view",
            "servicing.special.review",
        ),
    ),
    BuiltinRole(
        "risk", "风控", "Risk officer", ScopeKind.ALL,
        (
            "risk.*", "origination.review.*", "origination.rule.manage", "origination.application.view",
            "customers.customer.view", "customers.pii.*.view", "customers.blacklist.*", "vehicles.*.view",
            "vehicles.registry.verify", "products.*.view", "servicing.loan.view", "collections.*.view",
            "audit.event.view", "documents.view", "documents.upload", "servicing.special.review",
            "servicing.special.approve",
        ),
    ),
    BuiltinRole(
        "finance", "财务", "Finance", ScopeKind.ALL,
        (
            "ledger.*", "channels.payment.*", "disbursement.*", "servicing.repayment.*", "servicing.loan.view",
            "servicing.eod.run", "servicing.debit.*", "servicing.statement.*", "servicing.refund.*",
            "origination.application.view", "reports.*", "audit.event.view",
            "products.product.view", "servicing.special.apply", "servicing.special.execute",
        ),
    ),
    BuiltinRole(
        "collector", "催收", "Collector", ScopeKind.DEPARTMENT,
        ("collections.*", "servicing.loan.view", "customers.customer.view", "servicing.special.apply"),
    ),
    BuiltinRole(
        # A dealer's users form one department, so department scope shows each of them the dealer's applications.
        "dealer", "经销商", "Dealer", ScopeKind.DEPARTMENT,
        (
            "channels.dealer.*", "origination.application.create", "origination.application.view",
            "origination.application.update", "origination.application.submit", "origination.application.withdraw",
            "origination.progress.*", "customers.customer.create", "customers.customer.view", "vehicles.vehicle.*",
            "products.product.view", "products.product.quote", "documents.upload", "documents.view",
        ),
    ),
)


def resolve_patterns(patterns: tuple[str, ...], codes: list[str]) -> list[str]:
    """The declared permission codes matching any pattern (``*`` matches any characters, dots included)."""
    return sorted(code for code in codes if any(fnmatchcase(code, pattern) for pattern in patterns))


def seed(uow: UnitOfWork) -> None:
    session = uow.session
    if session.execute(select(Department.id).where(Department.code == ROOT_DEPARTMENT_CODE)).first() is None:
        session.add(Department(code=ROOT_DEPARTMENT_CODE, name=ROOT_DEPARTMENT_NAME, parent_id=None, sort=0))
    codes = [permission.code for permission in all_permissions()]
    existing = {role.code: role for role in session.execute(select(Role)).scalars()}
    for builtin in BUILTIN_ROLES:
        wanted = resolve_patterns(builtin.patterns, codes)
        role = existing.get(builtin.code)
        if role is None:
            role = Role(
                code=builtin.code, name_zh=builtin.name_zh, name_en=builtin.name_en,
                data_scope=builtin.scope.value, chosen_department_ids=[], requires_totp=False, builtin=True,
                seeded_permissions=[],
            )
            session.add(role)
        elif not role.builtin:
            continue  # an administrator's own role that happens to share the code: leave it alone
        already_seeded = set(role.seeded_permissions or [])
        held = set(role.permissions)
        new = [code for code in wanted if code not in already_seeded and code not in held]
        if builtin.code == "admin":
            new = [code for code in wanted if code not in held]  # the admin role always holds everything
        for code in new:
            role.permission_rows.append(RolePermission(permission=code))
        if set(wanted) - already_seeded:
            role.seeded_permissions = sorted(already_seeded | set(wanted))
    uow.flush()
