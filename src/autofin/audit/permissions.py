from autofin.kernel.permissions import declare, declare_group

declare_group("system", "系统管理", "System", 90)
VIEW_AUDIT = declare("audit.event.view", "查看操作日志", "View operation log", "system")
