"""Every label the console shows, in Chinese (first) and English.

Pages call :func:`t` with a key; the language is the signed-in browser's choice, kept server-side in
``app.storage.user`` (Chinese by default). A unit test checks that every key has both languages.
"""

from __future__ import annotations

from typing import Any

from autofin.kernel.errors import Text

LANGUAGES: dict[str, str] = {"zh-CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh-CN"

# key → (zh-CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # product and frame
    "app.name": ("车贷管理系统 autofin", "Car-loan system autofin"),
    "app.short": ("autofin", "autofin"),
    "frame.home": ("首页", "Home"),
    "frame.profile": ("个人中心", "My profile"),
    "frame.sign_out": ("退出登录", "Sign out"),
    "frame.notifications": ("消息通知", "Notifications"),
    "frame.language": ("语言", "Language"),
    "frame.no_department": ("未分配部门", "No department"),
    "frame.forbidden.title": ("无权访问", "Access denied"),
    "frame.forbidden.body": (
        "您没有访问“{page}”所需的权限（{permission}），请联系管理员授权。",
        "You need the permission '{permission}' to open '{page}'; ask an administrator to grant it.",
    ),
    "frame.not_found": ("页面不存在", "Page not found"),
    "frame.back_home": ("返回首页", "Back to home"),
    # common words
    "common.search": ("搜索", "Search"),
    "common.search_hint": ("输入关键字后回车", "Type and press Enter"),
    "common.create": ("新建", "New"),
    "common.edit": ("编辑", "Edit"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.confirm": ("确定", "Confirm"),
    "common.close": ("关闭", "Close"),
    "common.refresh": ("刷新", "Refresh"),
    "common.actions": ("操作", "Actions"),
    "common.more": ("更多", "More"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.id": ("编号", "ID"),
    "common.name": ("名称", "Name"),
    "common.code": ("编码", "Code"),
    "common.status": ("状态", "Status"),
    "common.active": ("启用", "Active"),
    "common.inactive": ("停用", "Inactive"),
    "common.enable": ("启用", "Enable"),
    "common.disable": ("停用", "Disable"),
    "common.deactivate": ("停用", "Deactivate"),
    "common.description": ("说明", "Description"),
    "common.created_at": ("创建时间", "Created at"),
    "common.updated_at": ("更新时间", "Updated at"),
    "common.version": ("版本", "Version"),
    "common.total": ("共 {count} 条", "{count} in total"),
    "common.empty": ("暂无数据", "No data"),
    "common.saved": ("已保存", "Saved"),
    "common.done": ("操作成功", "Done"),
    "common.none": ("无", "None"),
    "common.all": ("全部", "All"),
    "common.from": ("开始日期", "From"),
    "common.to": ("结束日期", "To"),
    "common.filter": ("筛选", "Filter"),
    "common.reset": ("重置", "Reset"),
    "common.details": ("详情", "Details"),
    "common.sort_order": ("排序", "Order"),
    "common.parent": ("上级", "Parent"),
    "common.required": ("必填", "Required"),
    "common.are_you_sure": ("确定要执行此操作吗？", "Are you sure?"),
    "common.service_missing": (
        "该功能所需的服务尚未提供：{name}",
        "The service this needs is not available yet: {name}",
    ),
    "common.error": ("操作失败", "The action failed"),
    "common.unexpected_error": (
        "系统出现意外错误，请稍后重试或联系管理员。",
        "Something unexpected went wrong; try again later or contact an administrator.",
    ),
    # sign-in
    "login.title": ("登录", "Sign in"),
    "login.subtitle": ("汽车金融 · 车贷系统与后台管理", "Auto finance · car-loan system and back office"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.totp": ("动态验证码", "Authenticator code"),
    "login.totp_hint": ("请输入身份验证器 App 中的 6 位验证码", "Enter the 6-digit code from your authenticator app"),
    "login.submit": ("登录", "Sign in"),
    "login.back": ("返回", "Back"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.locked": (
        "账户已锁定，请于 {until} 后再试",
        "The account is locked; try again after {until}",
    ),
    "login.expired": (
        "登录已过期或已在别处退出，请重新登录",
        "Your session expired or was ended; please sign in again",
    ),
    "login.signed_out": ("您已安全退出", "You have signed out"),
    "login.fill_both": ("请输入用户名和密码", "Enter your username and password"),
    "login.password_changed": ("密码已修改，请使用新密码登录", "Password changed; sign in with the new password"),
    # forced password change
    "password.change_title": ("修改密码", "Change password"),
    "password.must_change": (
        "首次登录或密码已被重置，请先设置新密码。",
        "This is your first sign-in or your password was reset; set a new password first.",
    ),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.repeat": ("确认新密码", "Repeat new password"),
    "password.mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "password.policy": (
        "至少 {length} 位，不能与用户名相同，不能是常见密码",
        "At least {length} characters, not the username, not a common password",
    ),
    "password.changed": ("密码已修改", "Password changed"),
    # home
    "home.title": ("首页", "Home"),
    "home.welcome": ("欢迎回来，{name}", "Welcome back, {name}"),
    "home.users": ("用户数", "Users"),
    "home.departments": ("部门数", "Departments"),
    "home.online": ("在线会话", "Online sessions"),
    "home.failed_jobs": ("24 小时内失败任务", "Jobs failed in 24 h"),
    "home.unread": ("未读消息", "Unread messages"),
    "home.signins_chart": ("近 14 天登录次数", "Sign-ins over the last 14 days"),
    "home.signins_ok": ("成功", "Succeeded"),
    "home.signins_failed": ("失败", "Failed"),
    "home.updated": ("数据每 30 秒自动刷新", "Figures refresh every 30 seconds"),
    # profile
    "profile.title": ("个人中心", "My profile"),
    "profile.account": ("账户信息", "Account"),
    "profile.full_name": ("姓名", "Full name"),
    "profile.department": ("部门", "Department"),
    "profile.roles": ("角色", "Roles"),
    "profile.last_login": ("上次登录", "Last sign-in"),
    "profile.totp": ("两步验证（TOTP）", "Two-step verification (TOTP)"),
    "profile.totp_on": ("已启用", "Enabled"),
    "profile.totp_off": ("未启用", "Not enabled"),
    "profile.totp_enable": ("启用两步验证", "Enable two-step verification"),
    "profile.totp_disable": ("停用两步验证", "Disable two-step verification"),
    "profile.totp_scan": (
        "请用身份验证器 App 扫描二维码，或手动输入以下密钥，然后输入 6 位验证码确认：",
        "Scan the QR code with an authenticator app, or type the key below, then confirm with a 6-digit code:",
    ),
    "profile.totp_uri": ("配置链接", "Provisioning URI"),
    "profile.totp_confirm": ("确认启用", "Confirm"),
    "profile.totp_enabled": ("两步验证已启用", "Two-step verification is on"),
    "profile.totp_disabled": ("两步验证已停用", "Two-step verification is off"),
    "profile.language": ("界面语言", "Interface language"),
    # menu groups that the console itself owns
    "menu.workbench": ("工作台", "Workbench"),
    # org pages
    "org.departments": ("部门管理", "Departments"),
    "org.positions": ("职务管理", "Positions"),
    "org.users": ("用户管理", "Users"),
    "org.roles": ("角色管理", "Roles"),
    "org.login_log": ("登录日志", "Sign-in log"),
    "org.sessions": ("在线会话", "Online sessions"),
    "org.department": ("部门", "Department"),
    "org.department.new": ("新建部门", "New department"),
    "org.department.edit": ("编辑部门", "Edit department"),
    "org.department.deactivate_q": ("确定停用部门“{name}”吗？", "Deactivate the department '{name}'?"),
    "org.department.tree": ("组织架构", "Organisation"),
    "org.department.root": ("（顶级部门）", "(top level)"),
    "org.department.select": ("请从左侧选择一个部门", "Choose a department on the left"),
    "org.position": ("职务", "Position"),
    "org.position.new": ("新建职务", "New position"),
    "org.position.edit": ("编辑职务", "Edit position"),
    "org.user.username": ("用户名", "Username"),
    "org.user.full_name": ("姓名", "Full name"),
    "org.user.phone": ("手机号", "Phone"),
    "org.user.email": ("电子邮箱", "E-mail"),
    "org.user.password": ("初始密码", "Initial password"),
    "org.user.roles": ("角色", "Roles"),
    "org.user.locked": ("锁定", "Locked"),
    "org.user.totp": ("两步验证", "2-step"),
    "org.user.new": ("新建用户", "New user"),
    "org.user.edit": ("编辑用户", "Edit user"),
    "org.user.reset_password": ("重置密码", "Reset password"),
    "org.user.new_password": ("新密码", "New password"),
    "org.user.unlock": ("解锁", "Unlock"),
    "org.user.assign_roles": ("分配角色", "Assign roles"),
    "org.user.disable_q": ("确定停用用户“{name}”吗？其会话将被终止。", "Disable '{name}'? Their sessions end."),
    "org.user.enable_q": ("确定启用用户“{name}”吗？", "Enable '{name}'?"),
    "org.user.status.active": ("正常", "Active"),
    "org.user.status.disabled": ("已停用", "Disabled"),
    "org.user.password_reset_done": ("密码已重置，用户下次登录时需修改密码", "Password reset; the user must change it"),
    "org.role.new": ("新建角色", "New role"),
    "org.role.edit": ("编辑角色", "Edit role"),
    "org.role.permissions": ("权限", "Permissions"),
    "org.role.permission_count": ("权限数", "Permissions"),
    "org.role.matrix": ("权限设置：{name}", "Permissions of {name}"),
    "org.role.scope": ("数据权限", "Data scope"),
    "org.role.scope_departments": ("指定部门", "Chosen departments"),
    "org.role.require_totp": ("强制两步验证", "Require 2-step verification"),
    "org.role.builtin": ("内置", "Built-in"),
    "org.role.select_all": ("全选", "All"),
    "scope.all": ("全部数据", "All records"),
    "scope.department_and_below": ("本部门及以下", "Own department and below"),
    "scope.department": ("本部门", "Own department"),
    "scope.self": ("仅本人", "Own records only"),
    "scope.chosen_departments": ("指定部门", "Chosen departments"),
    "org.login.time": ("时间", "Time"),
    "org.login.user": ("用户", "User"),
    "org.login.success": ("结果", "Result"),
    "org.login.ok": ("成功", "Succeeded"),
    "org.login.failed": ("失败", "Failed"),
    "org.login.reason": ("原因", "Reason"),
    "org.login.ip": ("IP 地址", "IP address"),
    "org.login.user_agent": ("客户端", "User agent"),
    "org.session.started": ("登录时间", "Signed in"),
    "org.session.last_seen": ("最近活动", "Last active"),
    "org.session.expires": ("过期时间", "Expires"),
    "org.session.revoke": ("强制下线", "Sign out"),
    "org.session.revoke_q": ("确定强制用户“{name}”下线吗？", "Sign '{name}' out now?"),
    "org.session.current": ("当前会话", "This session"),
    # audit pages
    "audit.events": ("操作日志", "Operation log"),
    "audit.time": ("时间", "Time"),
    "audit.actor": ("操作人", "Actor"),
    "audit.actor_id": ("操作人编号", "Actor ID"),
    "audit.action": ("操作", "Action"),
    "audit.entity_type": ("对象类型", "Entity type"),
    "audit.entity_id": ("对象编号", "Entity ID"),
    "audit.request_id": ("请求编号", "Request ID"),
    "audit.ip": ("IP 地址", "IP address"),
    "audit.before": ("变更前", "Before"),
    "audit.after": ("变更后", "After"),
    "audit.sequence": ("序号", "No."),
    # platform pages
    "platform.parameters": ("参数配置", "Parameters"),
    "platform.dictionary": ("数据字典", "Data dictionary"),
    "platform.jobs": ("定时任务", "Scheduled jobs"),
    "platform.inbox": ("站内消息", "Inbox"),
    "platform.param.key": ("参数键", "Key"),
    "platform.param.value": ("参数值", "Value"),
    "platform.param.type": ("类型", "Type"),
    "platform.param.scope": ("适用范围", "Scope"),
    "platform.param.scope_value": ("范围值", "Scope value"),
    "platform.param.effective_from": ("生效日期", "Effective from"),
    "platform.param.changed_by": ("修改人", "Changed by"),
    "platform.param.history": ("历史版本", "History"),
    "platform.param.new_version": ("新版本", "New version"),
    "platform.param.new": ("新建参数", "New parameter"),
    "platform.dict.types": ("字典类型", "Dictionary types"),
    "platform.dict.items": ("字典项", "Items"),
    "platform.dict.type_new": ("新建类型", "New type"),
    "platform.dict.item_new": ("新建字典项", "New item"),
    "platform.dict.label_zh": ("中文名称", "Chinese label"),
    "platform.dict.label_en": ("英文名称", "English label"),
    "platform.dict.value": ("取值", "Value"),
    "platform.dict.select_type": ("请选择字典类型", "Choose a dictionary type"),
    "platform.job.name": ("任务", "Job"),
    "platform.job.cron": ("执行计划（cron）", "Schedule (cron)"),
    "platform.job.paused": ("已暂停", "Paused"),
    "platform.job.running": ("运行中", "Running"),
    "platform.job.last_run": ("最近执行", "Last run"),
    "platform.job.last_status": ("最近结果", "Last result"),
    "platform.job.next_run": ("下次执行", "Next run"),
    "platform.job.pause": ("暂停", "Pause"),
    "platform.job.resume": ("恢复", "Resume"),
    "platform.job.run_now": ("立即执行", "Run now"),
    "platform.job.runs": ("执行日志", "Run log"),
    "platform.job.trigger": ("触发方式", "Trigger"),
    "platform.job.runs_of": ("执行日志：{name}", "Runs of {name}"),
    "platform.job.started": ("开始时间", "Started"),
    "platform.job.finished": ("结束时间", "Finished"),
    "platform.job.counts": ("处理数量", "Counts"),
    "platform.job.error": ("错误", "Error"),
    "platform.job.started_ok": ("任务已执行：{status}", "Job ran: {status}"),
    "platform.inbox.title": ("标题", "Title"),
    "platform.inbox.body": ("内容", "Message"),
    "platform.inbox.received": ("接收时间", "Received"),
    "platform.inbox.read": ("已读", "Read"),
    "platform.inbox.unread": ("未读", "Unread"),
    "platform.inbox.mark_read": ("标为已读", "Mark read"),
    "platform.inbox.mark_all_read": ("全部标为已读", "Mark all read"),
    "platform.inbox.only_unread": ("仅看未读", "Unread only"),
}


def normalise(language: str | None) -> str:
    """Map any requested language to one the console speaks (Chinese unless English is asked for)."""
    if language and language.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: Any) -> str:
    """The label ``key`` in ``language``; a missing key shows itself, so a gap is visible, not fatal."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    template = pair[0] if normalise(language) == "zh-CN" else pair[1]
    return template.format(**values) if values else template


def current_language() -> str:
    """The language chosen in this browser (kept server-side in ``app.storage.user``)."""
    try:
        from nicegui import app

        return normalise(str(app.storage.user.get("language", DEFAULT_LANGUAGE)))
    except (RuntimeError, AssertionError, KeyError):  # outside a page context
        return DEFAULT_LANGUAGE


def t(key: str, **values: Any) -> str:
    return translate(key, current_language(), **values)


def text(value: Text) -> str:
    """A bilingual domain message (``kernel.errors.Text``) in the current language."""
    return value.in_language(current_language())


def pick(zh: str, en: str) -> str:
    """Choose between a Chinese and an English name (permissions, menu groups) for the current language."""
    return zh if current_language() == "zh-CN" else en
