"""Who is looking at a console page: the sign-in token kept server-side, and the Actor behind it.

The console uses the same server-side sessions as the API. After a successful sign-in the opaque token is kept
in ``app.storage.user`` (a server-side store keyed by a signed browser cookie, never sent to the browser as
such); every page load and every action resolves the Actor again through ``org.service.actor_for_token``, so a
revoked or expired session ends the console at the next click.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import Request
from nicegui import app as nicegui_app
from nicegui import ui
from pydantic import ValidationError

from autofin.bootstrap import App
from autofin.console import i18n
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import AuthenticationFailed, Conflict, DomainError, FieldError, Text, ValidationFailed

log = logging.getLogger("autofin.console")

TOKEN_KEY = "token"  # noqa: S105 - the name of a storage key, not a secret
LANGUAGE_KEY = "language"
NOTICE_KEY = "notice"  # a message for the sign-in page ("session expired", "signed out")

T = TypeVar("T")

_state: dict[str, App] = {}


def set_app(autofin: App) -> None:
    _state["app"] = autofin


def get_app() -> App:
    try:
        return _state["app"]
    except KeyError as exc:
        raise RuntimeError("the console is not mounted: call mount_console() first") from exc


def client_ip(request: Request | None) -> str | None:
    if request is None:
        return None
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else None


def user_agent(request: Request | None) -> str | None:
    if request is None:
        return None
    agent = request.headers.get("user-agent")
    return agent[:255] if agent else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def stored_token() -> str | None:
    token = nicegui_app.storage.user.get(TOKEN_KEY)
    return str(token) if token else None


def remember_sign_in(token: str) -> None:
    nicegui_app.storage.user[TOKEN_KEY] = token


def forget_sign_in(notice: str | None = None) -> None:
    nicegui_app.storage.user.pop(TOKEN_KEY, None)
    if notice:
        nicegui_app.storage.user[NOTICE_KEY] = notice


def take_notice() -> str | None:
    notice = nicegui_app.storage.user.pop(NOTICE_KEY, None)
    return str(notice) if notice else None


def pending_step(actor: Actor) -> str | None:
    """What a signed-in user must do before anything else: ``password_change``, ``totp_enrolment`` or None.

    (``org`` hands out a restricted actor, which every permission check refuses, until the step is done.)
    """
    pending = getattr(actor, "pending", None)
    return str(pending) if pending else None


class SessionEnded(Exception):
    """The stored token no longer names a live session (expired, revoked, user disabled)."""


@dataclass(frozen=True)
class Outcome:
    """What a use case answered in the console: its result, or the refusal (``conflict`` when it was a 409)."""

    result: Any = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def conflict(self) -> bool:
        return isinstance(self.error, Conflict)


@dataclass
class PageContext:
    """What a page needs to act: the App, the stored token, and the Actor resolved for this page load."""

    autofin: App
    token: str
    actor: Actor
    ip: str | None
    user_agent: str | None

    @property
    def language(self) -> str:
        return i18n.current_language()

    def resolve(self, uow: UnitOfWork) -> Actor:
        """The Actor behind the token, now (each action re-checks the session and keeps it alive)."""
        from autofin.org import service as org_service

        try:
            actor = org_service.actor_for_token(
                uow,
                self.token,
                ip=self.ip,
                user_agent=self.user_agent,
                request_id=new_request_id(),
                language=self.language,
            )
        except AuthenticationFailed as exc:
            raise SessionEnded(exc.code) from exc
        self.actor = actor
        return actor

    def attempt(
        self,
        use_case: Callable[[UnitOfWork, Actor], Any],
        *,
        fields: dict[str, Any] | None = None,
        success: str | None = None,
    ) -> Outcome:
        """Run one use case for the current actor in its own transaction and say how it went.

        A DomainError becomes a notification in the user's language (and, given ``fields`` — a mapping of field
        name to input element — an error under each named field); nothing is committed then. The outcome carries
        the result or the refusal, so a page can also show a refusal in place (e.g. a 409 banner)."""
        if fields:
            clear_field_errors(fields)
        try:
            with self.autofin.uow() as uow:
                actor = self.resolve(uow)
                result = use_case(uow, actor)
                uow.commit()
        except SessionEnded:
            end_session()
            return Outcome(error=DomainError("session.ended", Text("The session ended.", "会话已结束。")))
        except DomainError as exc:
            show_domain_error(exc, fields)
            return Outcome(error=exc)
        except ValidationError as exc:
            failure = validation_failed(exc)
            show_domain_error(failure, fields)
            return Outcome(error=failure)
        except Exception:
            log.exception("console action failed")
            ui.notify(i18n.t("common.unexpected_error"), type="negative")
            return Outcome(error=DomainError("console.unexpected", Text("The action failed.", "操作失败。")))
        if success:
            ui.notify(success, type="positive")
        return Outcome(result=result)

    def call(
        self,
        use_case: Callable[[UnitOfWork, Actor], T],
        *,
        fields: dict[str, Any] | None = None,
        success: str | None = None,
    ) -> T | None:
        """:meth:`attempt`, for callers that only need the result (None when the use case was refused)."""
        return cast("T | None", self.attempt(use_case, fields=fields, success=success).result)

    def read(self, query: Callable[[UnitOfWork, Actor], T], default: Any) -> T:
        """Run a read-only query for the current actor; on a refusal show it and return ``default``."""
        try:
            with self.autofin.uow() as uow:
                actor = self.resolve(uow)
                result = query(uow, actor)
                uow.commit()  # the session's last-seen time
                return result
        except SessionEnded:
            end_session()
        except DomainError as exc:
            show_domain_error(exc, None)
        except Exception:
            log.exception("console query failed")
            ui.notify(i18n.t("common.unexpected_error"), type="negative")
        return cast(T, default)


def load_context(request: Request) -> PageContext | None:
    """The signed-in context of this page load, or None (no token, or the session ended)."""
    token = stored_token()
    if not token:
        return None
    autofin = get_app()
    context = PageContext(
        autofin=autofin,
        token=token,
        actor=Actor(user_id=None, username=""),
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    try:
        with autofin.uow() as uow:
            context.resolve(uow)
            uow.commit()
    except SessionEnded:
        forget_sign_in(notice="login.expired")
        return None
    return context


def end_session() -> None:
    """The session ended under an open page: forget the token and go to the sign-in page with a message."""
    forget_sign_in(notice="login.expired")
    ui.navigate.to("/login")


def clear_field_errors(fields: dict[str, Any]) -> None:
    for element in fields.values():
        if hasattr(element, "error"):
            element.error = None


def show_domain_error(exc: DomainError, fields: dict[str, Any] | None) -> None:
    """A refusal from a service: a notification in the user's language, and the field errors under the fields."""
    message = i18n.text(exc.message)
    unplaced: list[str] = []
    for field_error in exc.errors:
        element = (fields or {}).get(field_error.field)
        if element is not None and hasattr(element, "error"):
            element.error = i18n.text(field_error.message)
        else:
            unplaced.append(i18n.text(field_error.message))
    detail = message if not unplaced or unplaced == [message] else f"{message}（{'；'.join(unplaced)}）"
    ui.notify(detail, type="negative", multi_line=True, close_button=i18n.t("common.close"))


_PYDANTIC_ZH = {
    "missing": "必填",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "too_long": "选择的项目太多",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否",
}


def validation_failed(exc: ValidationError) -> ValidationFailed:
    """A pydantic refusal of a command built from a form, as a ValidationFailed with one error per field."""
    errors: list[FieldError] = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        english = str(error.get("msg", "invalid value"))
        chinese = _PYDANTIC_ZH.get(str(error.get("type")), "取值无效")
        errors.append(FieldError(location[0] if location else "", Text(english, chinese)))
    fields = ", ".join(sorted({e.field for e in errors if e.field}))
    return ValidationFailed(
        "validation.invalid",
        Text(f"Check these fields and try again: {fields}.", f"请检查以下字段后重试：{fields}。"),
        errors,
    )
