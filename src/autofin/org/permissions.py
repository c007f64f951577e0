"""Permissions of the organisation domain (menu group 组织架构)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("org", "组织架构", "Organisation", 10)

DEPARTMENT_VIEW = declare("org.department.view", "查看部门", "View departments", "org")
DEPARTMENT_MANAGE = declare("org.department.manage", "管理部门", "Manage departments", "org")
POSITION_VIEW = declare("org.position.view", "查看职务", "View positions", "org")
POSITION_MANAGE = declare("org.position.manage", "管理职务", "Manage positions", "org")
USER_VIEW = declare("org.user.view", "查看员工", "View users", "org")
USER_CREATE = declare("org.user.create", "新增员工", "Create users", "org")
USER_UPDATE = declare("org.user.update", "编辑员工", "Edit users", "org")
USER_DISABLE = declare("org.user.disable", "停用/启用员工", "Disable and enable users", "org")
USER_RESET_PASSWORD = declare(
    "org.user.reset_password", "重置密码与解锁", "Reset passwords and unlock users", "org"
)
USER_ASSIGN_ROLES = declare("org.user.assign_roles", "分配角色", "Assign roles to users", "org")
ROLE_VIEW = declare("org.role.view", "查看角色", "View roles", "org")
ROLE_MANAGE = declare("org.role.manage", "管理角色与权限", "Manage roles and permissions", "org")
SESSION_VIEW = declare("org.session.view", "查看在线用户", "View online sessions", "org")
SESSION_REVOKE = declare("org.session.revoke", "强制下线", "Force sign-out", "org")
LOGIN_LOG_VIEW = declare("org.login_log.view", "查看登录日志", "View login log", "org")
