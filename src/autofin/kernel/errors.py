"""Typed domain errors, mapped once to RFC 9457 problem+json by ``api.problems``.

Every message is given in English and Chinese and says what was wrong and what would be right.
A domain's ``errors.py`` subclasses these; routes and pages never invent their own error shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Text:
    """A message in both languages the product speaks."""

    en: str
    zh: str

    def in_language(self, language: str) -> str:
        return self.zh if language.lower().startswith("zh") else self.en


@dataclass(frozen=True)
class FieldError:
    """One invalid input field: where it was and what would be valid."""

    field: str
    message: Text


@dataclass
class DomainError(Exception):
    """A business rule said no. ``code`` is stable (e.g. ``org.user.username_taken``) for clients to match on."""

    code: str
    message: Text
    errors: list[FieldError] = field(default_factory=list)

    status: ClassVar[int] = 400
    title: ClassVar[Text] = Text("Request refused", "请求被拒绝")

    def __post_init__(self) -> None:
        Exception.__init__(self, f"{self.code}: {self.message.en}")

    def __str__(self) -> str:
        return f"{self.code}: {self.message.en}"


class ValidationFailed(DomainError):
    status = 422
    title = Text("Invalid input", "输入无效")


class RuleViolation(DomainError):
    status = 422
    title = Text("Business rule violated", "违反业务规则")


class NotFound(DomainError):
    status = 404
    title = Text("Not found", "未找到")


class Conflict(DomainError):
    status = 409
    title = Text("Conflict", "冲突")


class PermissionDenied(DomainError):
    status = 403
    title = Text("Permission denied", "无权限")


class AuthenticationFailed(DomainError):
    status = 401
    title = Text("Authentication failed", "认证失败")


class AccountLocked(DomainError):
    status = 423
    title = Text("Account locked", "账户已锁定")


@dataclass
class RateLimited(DomainError):
    """More requests in the last minute than a limit allows; ``retry_after`` seconds until a token is back (the
    API answers 429 with a ``Retry-After`` header)."""

    retry_after: int = 1

    status = 429
    title = Text("Too many requests", "请求过于频繁")


def invalid(field_name: str, en: str, zh: str, code: str = "validation.invalid") -> ValidationFailed:
    """A one-field validation error, the most common kind."""
    text = Text(en, zh)
    return ValidationFailed(code, text, [FieldError(field_name, text)])
