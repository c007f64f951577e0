"""Departments, positions, users and roles: every use case checks permission, scope, input and versions."""

import contextlib

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from tests.fixtures.org import DEFAULT_PASSWORD

from autofin.audit.models import AuditEvent
from autofin.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from autofin.kernel.permissions import declare
from autofin.org import demo, seed, service
from autofin.org.models import Department, Role, User
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


def do(app, use_case, *args, **kwargs):
    with app.uow() as uow:
        result = use_case(uow, *args, **kwargs)
        uow.commit()
        return result


def audit_actions(app):
    with app.uow() as uow:
        return [e.action for e in uow.session.execute(select(AuditEvent).order_by(AuditEvent.sequence)).scalars()]


def dept(app, actor, code, parent_code="HQ", name=None):
    with app.uow() as uow:
        parent = uow.session.execute(select(Department).where(Department.code == parent_code)).scalar_one()
        created = service.create_department(uow, actor, DepartmentCreate(name=name or code, code=code,
                                                                          parent_id=parent.id))
        uow.commit()
        return created


# --- departments --------------------------------------------------------------------------------------------
def test_a_department_is_created_under_its_parent_and_audited(app_ctx, admin_actor):
    risk = dept(app_ctx, admin_actor, "RISK", name="风控部")
    assert risk.parent_id == 1 and risk.active and risk.version == 1
    assert audit_actions(app_ctx)[-1] == "org.department.create"


def test_a_duplicate_department_code_is_a_conflict(app_ctx, admin_actor):
    dept(app_ctx, admin_actor, "RISK")
    with pytest.raises(Conflict) as duplicate:
        dept(app_ctx, admin_actor, "risk")
    assert duplicate.value.code == "org.department.code_taken"


def test_an_unknown_parent_is_a_field_error(app_ctx, admin_actor):
    with pytest.raises(ValidationFailed) as refused:
        do(app_ctx, service.create_department, admin_actor, DepartmentCreate(name="X", code="X", parent_id=999))
    assert refused.value.errors[0].field == "parent_id"


def test_sql_looking_names_are_stored_as_plain_text(app_ctx, admin_actor):
    name = "x'); DROP TABLE users; --"
    created = do(app_ctx, service.create_department, admin_actor,
                 DepartmentCreate(name=name, code="SQL", parent_id=1))
    assert do(app_ctx, service.get_department, admin_actor, created.id).name == name
    rows, count = do(app_ctx, service.list_departments, admin_actor, q="drop table")
    assert count == 1 and rows[0].name == name
    rows, count = do(app_ctx, service.list_departments, admin_actor, q="%")
    assert count == 0  # wildcards are searched literally


def test_a_department_cannot_move_beneath_its_own_subtree(app_ctx, admin_actor):
    east = dept(app_ctx, admin_actor, "EAST")
    shanghai = dept(app_ctx, admin_actor, "SH", "EAST")
    with pytest.raises(ValidationFailed) as refused:
        do(app_ctx, service.move_department, admin_actor, east.id, shanghai.id, east.version)
    assert refused.value.code == "org.department.cycle"
    moved = do(app_ctx, service.move_department, admin_actor, shanghai.id, None, shanghai.version)
    assert moved.parent_id is None and moved.version == 2


def test_a_department_with_active_children_or_users_cannot_be_deactivated(app_ctx, admin_actor, make_user):
    east = dept(app_ctx, admin_actor, "EAST")
    shanghai = dept(app_ctx, admin_actor, "SH", "EAST")
    with pytest.raises(RuleViolation) as children:
        do(app_ctx, service.deactivate_department, admin_actor, east.id, east.version)
    assert children.value.code == "org.department.has_children"
    user = make_user("li.lei", department_code="SH")
    with pytest.raises(RuleViolation) as users:
        do(app_ctx, service.deactivate_department, admin_actor, shanghai.id, shanghai.version)
    assert users.value.code == "org.department.has_users"
    do(app_ctx, service.disable_user, admin_actor, user.id)
    assert not do(app_ctx, service.deactivate_department, admin_actor, shanghai.id, shanghai.version).active
    assert not do(app_ctx, service.deactivate_department, admin_actor, east.id, east.version).active


def test_editing_a_department_someone_else_changed_is_a_conflict(app_ctx, admin_actor):
    risk = dept(app_ctx, admin_actor, "RISK")
    do(app_ctx, service.update_department, admin_actor, risk.id, DepartmentUpdate(version=1, name="风险管理部"))
    with pytest.raises(Conflict) as stale:
        do(app_ctx, service.update_department, admin_actor, risk.id, DepartmentUpdate(version=1, name="风控"))
    assert stale.value.code == "db.stale_version"
    assert do(app_ctx, service.get_department, admin_actor, risk.id).name == "风险管理部"


def test_input_models_refuse_unknown_fields_wrong_types_and_long_strings():
    with pytest.raises(ValidationError):
        DepartmentCreate(name="x", code="X", colour="red")
    with pytest.raises(ValidationError):
        DepartmentCreate(name="x" * 65, code="X")
    with pytest.raises(ValidationError):
        DepartmentCreate(name="x", code="X", parent_id="one")
    with pytest.raises(ValidationError):
        UserCreate(username="a b", display_name="x", password="y")
    with pytest.raises(ValidationError):
        UserCreate(username="li.lei", display_name="x", password="y", phone="12345")
    with pytest.raises(ValidationError):
        UserCreate(username="li.lei", display_name="x", password="y", email="not-an-email")


# --- positions ----------------------------------------------------------------------------------------------
def test_positions_are_created_renamed_and_deactivated(app_ctx, admin_actor):
    position = do(app_ctx, service.create_position, admin_actor, PositionCreate(code="REVIEWER", name="审批专员"))
    with pytest.raises(Conflict):
        do(app_ctx, service.create_position, admin_actor, PositionCreate(code="REVIEWER", name="x"))
    updated = do(app_ctx, service.update_position, admin_actor, position.id,
                 PositionUpdate(version=1, name="高级审批专员", active=False))
    assert (updated.name, updated.active, updated.version) == ("高级审批专员", False, 2)
    assert do(app_ctx, service.list_positions, admin_actor)[1] == 1
    with pytest.raises(ValidationFailed) as inactive:
        do(app_ctx, service.create_user, admin_actor, UserCreate(
            username="li.lei", display_name="李雷", password=DEFAULT_PASSWORD, department_id=1,
            position_id=position.id))
    assert inactive.value.errors[0].field == "position_id"


# --- users --------------------------------------------------------------------------------------------------
def new_user(**fields):
    values = {"username": "li.lei", "display_name": "李雷", "password": DEFAULT_PASSWORD, "department_id": 1}
    values.update(fields)
    return UserCreate(**values)


def test_a_user_is_created_with_roles_and_the_audit_hides_the_password(app_ctx, admin_actor):
    user = do(app_ctx, service.create_user, admin_actor,
              new_user(role_codes=["reviewer"], phone="13800138000", email="li@example.com"))
    assert user.role_codes == ["reviewer"] and user.active and not user.must_change_password
    with app_ctx.uow() as uow:
        event = uow.session.execute(select(AuditEvent).where(
            AuditEvent.action == "org.user.create", AuditEvent.entity_id == str(user.id))).scalar_one()
        assert event.after["phone"] == "138****8000"
        assert "password" not in event.after and "password_hash" not in event.after


def test_a_duplicate_username_is_a_conflict_whatever_the_case(app_ctx, admin_actor):
    do(app_ctx, service.create_user, admin_actor, new_user())
    with pytest.raises(Conflict) as duplicate:
        do(app_ctx, service.create_user, admin_actor, new_user(username="Li.Lei"))
    assert duplicate.value.code == "org.user.username_taken"
    assert duplicate.value.errors[0].field == "username"


def test_a_weak_password_or_an_unknown_role_creates_nothing(app_ctx, admin_actor):
    with pytest.raises(ValidationFailed) as weak:
        do(app_ctx, service.create_user, admin_actor, new_user(password="li.lei12345"))
    assert weak.value.code == "org.password.weak"
    with pytest.raises(ValidationFailed) as role:
        do(app_ctx, service.create_user, admin_actor, new_user(role_codes=["wizard"]))
    assert role.value.errors[0].field == "role_codes"
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(User).where(User.username == "li.lei")).first() is None


def test_a_user_without_the_permission_cannot_create_users(app_ctx, make_user, actor_for):
    reviewer = actor_for(make_user("reviewer9", role_codes=["reviewer"]))
    with pytest.raises(PermissionDenied) as refused:
        do(app_ctx, service.create_user, reviewer, new_user())
    assert refused.value.code == "auth.permission_denied"
    assert "org.user.create" in refused.value.message.en


def test_editing_a_user_someone_else_changed_is_a_conflict(app_ctx, admin_actor):
    user = do(app_ctx, service.create_user, admin_actor, new_user())
    do(app_ctx, service.update_user, admin_actor, user.id, UserUpdate(version=user.version, display_name="李雷雷"))
    with pytest.raises(Conflict):
        do(app_ctx, service.update_user, admin_actor, user.id, UserUpdate(version=user.version, phone="13900139000"))
    fresh = do(app_ctx, service.get_user, admin_actor, user.id)
    assert fresh.display_name == "李雷雷" and fresh.phone is None


def test_clearing_optional_fields_with_null(app_ctx, admin_actor):
    user = do(app_ctx, service.create_user, admin_actor, new_user(email="li@example.com"))
    cleared = do(app_ctx, service.update_user, admin_actor, user.id, UserUpdate(version=user.version, email=None))
    assert cleared.email is None


def test_nobody_disables_their_own_account(app_ctx, admin_actor):
    with pytest.raises(RuleViolation):
        do(app_ctx, service.disable_user, admin_actor, admin_actor.user_id)


def test_disable_enable_reset_and_assign_roles_are_each_audited(app_ctx, admin_actor):
    user = do(app_ctx, service.create_user, admin_actor, new_user())
    do(app_ctx, service.disable_user, admin_actor, user.id)
    do(app_ctx, service.enable_user, admin_actor, user.id)
    do(app_ctx, service.reset_password, admin_actor, user.id, "Another-Secret-9")
    assigned = do(app_ctx, service.assign_roles, admin_actor, user.id, ["finance", "collector"])
    assert assigned.role_codes == ["collector", "finance"]
    assert audit_actions(app_ctx)[-5:] == [
        "org.user.create", "org.user.disable", "org.user.enable", "org.user.reset_password", "org.user.assign_roles",
    ]


def test_a_user_cannot_hand_out_permissions_they_do_not_hold(app_ctx, admin_actor, make_user, actor_for):
    do(app_ctx, service.create_role, admin_actor, RoleCreate(
        code="hr", name_zh="人事", name_en="HR", data_scope="all",
        permissions=["org.user.view", "org.user.create", "org.user.assign_roles", "org.role.view"]))
    hr = actor_for(make_user("hr1", role_codes=["hr"]))
    with pytest.raises(PermissionDenied) as escalation:
        do(app_ctx, service.create_user, hr, new_user(role_codes=["finance"]))
    assert escalation.value.code == "org.role.escalation"
    with pytest.raises(PermissionDenied):
        do(app_ctx, service.create_user, hr, new_user(role_codes=["admin"]))
    assert do(app_ctx, service.create_user, hr, new_user(role_codes=["hr"])).role_codes == ["hr"]


def test_a_department_scoped_user_sees_only_users_of_its_departments(app_ctx, admin_actor, make_user, actor_for):
    dept(app_ctx, admin_actor, "EAST")
    dept(app_ctx, admin_actor, "SH", "EAST")
    dept(app_ctx, admin_actor, "RISK")
    do(app_ctx, service.create_role, admin_actor, RoleCreate(
        code="branch_admin", name_zh="分公司管理员", name_en="Branch admin", data_scope="department_and_below",
        permissions=["org.user.view", "org.user.update", "org.department.view"]))
    do(app_ctx, service.create_role, admin_actor, RoleCreate(
        code="me_only", name_zh="本人", name_en="Self", data_scope="self", permissions=["org.user.view"]))
    boss = actor_for(make_user("east.boss", role_codes=["branch_admin"], department_code="EAST"))
    make_user("sh.clerk", department_code="SH")
    risky = make_user("risk.clerk", department_code="RISK")
    rows, count = do(app_ctx, service.list_users, boss)
    assert sorted(u.username for u in rows) == ["east.boss", "sh.clerk"] and count == 2
    with pytest.raises(NotFound):
        do(app_ctx, service.get_user, boss, risky.id)
    with pytest.raises(NotFound):
        do(app_ctx, service.update_user, boss, risky.id, UserUpdate(version=1, display_name="hacked"))
    departments, _ = do(app_ctx, service.list_departments, boss)
    assert sorted(d.code for d in departments) == ["EAST", "SH"]
    loner = actor_for(make_user("loner", role_codes=["me_only"], department_code="RISK"))
    assert [u.username for u in do(app_ctx, service.list_users, loner)[0]] == ["loner"]


# --- roles --------------------------------------------------------------------------------------------------
def test_a_role_holds_only_declared_permissions(app_ctx, admin_actor):
    with pytest.raises(ValidationFailed) as unknown:
        do(app_ctx, service.create_role, admin_actor, RoleCreate(
            code="odd", name_zh="怪", name_en="Odd", permissions=["org.user.view", "org.user.fly"]))
    assert unknown.value.code == "org.role.permission_unknown" and "org.user.fly" in unknown.value.message.en


def test_chosen_departments_scope_needs_real_departments(app_ctx, admin_actor):
    with pytest.raises(ValidationFailed):
        do(app_ctx, service.create_role, admin_actor, RoleCreate(
            code="picky", name_zh="指定", name_en="Picky", data_scope="chosen_departments"))
    role = do(app_ctx, service.create_role, admin_actor, RoleCreate(
        code="picky", name_zh="指定", name_en="Picky", data_scope="chosen_departments", chosen_department_ids=[1]))
    assert role.chosen_department_ids == [1]


def test_a_role_is_updated_with_its_version_and_deleted_when_unused(app_ctx, admin_actor, make_user):
    role = do(app_ctx, service.create_role, admin_actor, RoleCreate(
        code="auditor", name_zh="稽核", name_en="Auditor", permissions=["audit.event.view"]))
    updated = do(app_ctx, service.update_role, admin_actor, role.id,
                 RoleUpdate(version=role.version, permissions=["audit.event.view", "org.login_log.view"]))
    assert updated.permissions == ["audit.event.view", "org.login_log.view"] and updated.version == 2
    with pytest.raises(Conflict):
        do(app_ctx, service.update_role, admin_actor, role.id, RoleUpdate(version=1, name_en="Old"))
    user = make_user("li.lei", role_codes=["auditor"])
    with pytest.raises(RuleViolation) as in_use:
        do(app_ctx, service.delete_role, admin_actor, role.id)
    assert in_use.value.code == "org.role.in_use"
    do(app_ctx, service.assign_roles, admin_actor, user.id, [])
    do(app_ctx, service.delete_role, admin_actor, role.id)
    with pytest.raises(NotFound):
        do(app_ctx, service.get_role, admin_actor, role.id)


def test_built_in_roles_cannot_be_deleted_and_admin_keeps_everything(app_ctx, admin_actor):
    roles = {r.code: r for r in do(app_ctx, service.list_roles, admin_actor)[0]}
    assert {"admin", "sales", "reviewer", "risk", "finance", "collector", "dealer"} <= set(roles)
    with pytest.raises(RuleViolation):
        do(app_ctx, service.delete_role, admin_actor, roles["finance"].id)
    with pytest.raises(RuleViolation) as locked:
        do(app_ctx, service.update_role, admin_actor, roles["admin"].id,
           RoleUpdate(version=roles["admin"].version, permissions=[]))
    assert locked.value.code == "org.role.admin_locked"


# --- seed and demo ------------------------------------------------------------------------------------------
def test_seeding_again_adds_new_permissions_but_keeps_an_administrators_removal(app_ctx, admin_actor):
    finance = do(app_ctx, service.list_roles, admin_actor, q="finance")[0][0]
    assert "audit.event.view" in finance.permissions
    kept = [p for p in finance.permissions if p != "audit.event.view"]
    do(app_ctx, service.update_role, admin_actor, finance.id, RoleUpdate(version=finance.version, permissions=kept))
    declare("ledger.test_only.view", "测试权限", "Test-only permission", "ledger")
    do(app_ctx, seed.seed)
    do(app_ctx, seed.seed)
    with app_ctx.uow() as uow:
        finance = uow.session.execute(select(Role).where(Role.code == "finance")).scalar_one()
        admin = uow.session.execute(select(Role).where(Role.code == "admin")).scalar_one()
        assert "ledger.test_only.view" in finance.permissions
        assert "audit.event.view" not in finance.permissions
        assert "ledger.test_only.view" in admin.permissions
        assert uow.session.execute(select(Department).where(Department.code == "HQ")).scalar_one()


def test_demo_data_loads_once_and_prints_the_sign_ins(app_ctx):
    lines = do(app_ctx, demo.load, app_ctx.settings)
    again = do(app_ctx, demo.load, app_ctx.settings)
    assert lines == again
    password = app_ctx.settings.demo_password_or_default()
    assert f"admin / {password} (管理员)" in lines
    assert any(line.startswith("reviewer2 /") for line in lines)
    with app_ctx.uow() as uow:
        assert service.find_user(uow, "admin").is_superuser
        assert uow.session.execute(select(Department).where(Department.name == "上海分公司")).scalar_one()
        result = service.login(uow, "dealer1", password, ip=None, user_agent=None)
        assert result.user.role_codes == ["dealer"]


def test_the_login_log_filters_by_user_and_outcome(app_ctx, admin_actor, make_user):
    make_user("li.lei")
    for password in (DEFAULT_PASSWORD, "Wrong-Password-1"):
        with app_ctx.uow() as uow:
            with contextlib.suppress(Exception):  # the failed attempt is what we want logged
                service.login(uow, "li.lei", password, ip="1.2.3.4", user_agent="t")
            uow.commit()
    rows, count = do(app_ctx, service.list_login_log, admin_actor, username="li.lei", success=False)
    assert count == 1 and rows[0].reason == "wrong_password"
    assert do(app_ctx, service.list_login_log, admin_actor)[1] == 2



def test_sign_ins_per_day_count_successes_and_failures_in_the_business_time_zone(app_ctx, make_user, admin_actor):
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from autofin.kernel.clock import set_clock
    from autofin.kernel.errors import AuthenticationFailed
    from autofin.org import service

    make_user("li.lei")
    set_clock(lambda: datetime(2026, 11, 23, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai: the 23rd
    with app_ctx.uow() as uow:
        with pytest.raises(AuthenticationFailed):
            service.login(uow, "li.lei", "Wrong-Password-1", ip="10.0.0.1", user_agent="test")
        uow.commit()
    set_clock(lambda: datetime(2026, 11, 23, 16, 30, tzinfo=UTC))  # 00:30 in Shanghai: the 24th
    with app_ctx.uow() as uow:
        service.login(uow, "li.lei", "Correct-Horse-42", ip="10.0.0.1", user_agent="test")
        uow.commit()
    with app_ctx.uow() as uow:
        since = datetime(2026, 11, 1, tzinfo=UTC)
        counts = service.sign_ins_per_day(uow, admin_actor, since=since, zone=ZoneInfo("Asia/Shanghai"))
        me = service.describe_me(uow, admin_actor)
        assert counts == {date(2026, 11, 23): (0, 1), date(2026, 11, 24): (1, 0)}
        assert me.department_name == "总部"


def test_holders_of_a_permission_are_found_by_role_department_and_status(app_ctx, make_user, system_actor):
    branch = dept(app_ctx, system_actor, "SH", name="上海分公司").id
    at_hq = make_user("shen.a", role_codes=["reviewer"])
    in_branch = make_user("shen.b", role_codes=["reviewer"], department_code="SH")
    left = make_user("shen.c", role_codes=["reviewer"])
    clerk = make_user("cai.d", role_codes=["finance"])
    boss = make_user("root2", superuser=True)
    with app_ctx.uow() as uow:
        service.disable_user(uow, system_actor, left.id)
        uow.commit()
    with app_ctx.uow() as uow:
        everyone = service.active_user_ids_with_permission(uow, "origination.review.first")
        workers = service.active_user_ids_with_permission(uow, "origination.review.first", include_superusers=False)
        branch_only = service.active_user_ids_with_permission(
            uow, "origination.review.first", department_id=branch, include_superusers=False
        )
    assert {at_hq.id, in_branch.id, boss.id} <= set(everyone) and left.id not in everyone and clerk.id not in everyone
    assert boss.id not in workers and {at_hq.id, in_branch.id} <= set(workers)
    assert branch_only == [in_branch.id]
