"""Errors of the organisation domain and of signing in. Codes are stable: clients match on them."""

from __future__ import annotations

from datetime import datetime

from autofin.kernel.errors import AccountLocked, AuthenticationFailed, NotFound, PermissionDenied, Text


def invalid_credentials() -> AuthenticationFailed:
    # The same answer for an unknown user, a wrong password and a disabled user: it must not tell who exists.
    return AuthenticationFailed(
        "auth.invalid_credentials",
        Text(
            "Wrong username or password; check both and try again.",
            "用户名或密码错误，请检查后重试。",
        ),
    )


def account_locked(until: datetime) -> AccountLocked:
    stamp = until.strftime("%Y-%m-%d %H:%M UTC")
    return AccountLocked(
        "auth.account_locked",
        Text(
            f"Too many failed sign-ins: the account is locked until {stamp}. Try again after that, "
            "or ask an administrator to unlock it.",
            f"登录失败次数过多，账户已锁定至 {stamp}。请在此之后重试，或联系管理员解锁。",
        ),
    )


def totp_required() -> AuthenticationFailed:
    return AuthenticationFailed(
        "auth.totp_required",
        Text(
            "This account needs a one-time code: send the 6-digit code of your authenticator app as 'totp'.",
            "该账户需要动态验证码：请在 totp 字段填写身份验证器中的 6 位数字。",
        ),
    )


def totp_invalid() -> AuthenticationFailed:
    return AuthenticationFailed(
        "auth.totp_invalid",
        Text(
            "The one-time code is wrong or expired; enter the current 6-digit code of your authenticator app.",
            "动态验证码错误或已过期，请输入身份验证器中当前的 6 位数字。",
        ),
    )


def session_invalid() -> AuthenticationFailed:
    return AuthenticationFailed(
        "auth.session_invalid",
        Text(
            "Your session has ended (expired, signed out or revoked); sign in again.",
            "登录会话已失效（超时、已退出或被强制下线），请重新登录。",
        ),
    )


def password_change_required() -> PermissionDenied:
    return PermissionDenied(
        "auth.password_change_required",
        Text(
            "Change your password first (POST /api/v1/me/password); other actions are blocked until then.",
            "请先修改密码（POST /api/v1/me/password），修改前无法进行其他操作。",
        ),
    )


def totp_enrolment_required() -> PermissionDenied:
    return PermissionDenied(
        "auth.totp_enrolment_required",
        Text(
            "One of your roles requires a second factor: enable TOTP on your profile first.",
            "您的角色要求启用双因素认证：请先在个人资料中启用动态验证码（TOTP）。",
        ),
    )


def not_found(what_en: str, what_zh: str, code: str, ident: object) -> NotFound:
    return NotFound(
        code,
        Text(
            f"No {what_en} with id {ident} (or it is outside your data scope); check the id.",
            f"未找到编号为 {ident} 的{what_zh}（或不在您的数据权限范围内），请核对编号。",
        ),
    )
