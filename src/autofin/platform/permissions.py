"""Permissions of the platform domain: config center, data dictionary, scheduled jobs, notifications.

The menu group ``system`` (系统管理) is declared by ``audit.permissions``; it is imported first so the group
exists whichever domain loads first.
"""

from __future__ import annotations

from autofin.audit.permissions import VIEW_AUDIT as _VIEW_AUDIT  # noqa: F401  (declares the "system" group)
from autofin.kernel.permissions import declare

GROUP = "system"

VIEW_PARAMETERS = declare("platform.parameter.view", "查看系统参数", "View system parameters", GROUP)
MANAGE_PARAMETERS = declare("platform.parameter.manage", "维护系统参数", "Maintain system parameters", GROUP)
VIEW_DICTIONARY = declare("platform.dictionary.view", "查看数据字典", "View data dictionary", GROUP)
MANAGE_DICTIONARY = declare("platform.dictionary.manage", "维护数据字典", "Maintain data dictionary", GROUP)
VIEW_JOBS = declare("platform.job.view", "查看定时任务", "View scheduled jobs", GROUP)
MANAGE_JOBS = declare(
    "platform.job.manage",
    "管理定时任务（暂停/恢复/立即执行/修改周期）",
    "Manage scheduled jobs (pause/resume/run now/cron)",
    GROUP,
)
SEND_NOTIFICATIONS = declare("platform.notification.send", "发送通知", "Send notifications", GROUP)
