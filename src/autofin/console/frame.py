"""The frame around every signed-in page and the decorator that registers a page with its permission.

``@console_page(route, title_key=..., permission=..., group=...)`` registers the page in the menu registry and
as a NiceGUI page that: sends a visitor without a session to ``/login``; sends a user who must change the
password to ``/password``; draws the header (product, user and department, unread notifications, language
switch, sign-out), the left menu (only pages the actor may view) and breadcrumbs; and shows a clear 403 message
instead of the page when the actor lacks the permission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app as nicegui_app
from nicegui import ui

from autofin.console import i18n, services
from autofin.console.i18n import t
from autofin.console.menu import ConsolePage, build_menu, register
from autofin.console.session import LANGUAGE_KEY, PageContext, load_context, pending_step
from autofin.kernel.permissions import get_permission

log = logging.getLogger("autofin.console")

PRIMARY = "#1f4e8c"
PageBuilder = Callable[[PageContext], Any]


def apply_theme() -> None:
    ui.colors(primary=PRIMARY, secondary="#3d7cc9", accent="#e8a33d", positive="#2e7d32", negative="#c62828")
    ui.add_head_html(
        "<style>"
        "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei','Helvetica Neue',Arial,sans-serif;"
        "background:#f4f6fa}"
        ".af-menu .q-item{min-height:38px;border-radius:6px;margin:1px 8px}"
        ".af-menu .q-item.af-active{background:#e3ecf8;color:" + PRIMARY + ";font-weight:600}"
        ".af-page-title{font-size:1.35rem;font-weight:600;color:#1d2733}"
        ".q-table th{background:#f7f9fc}"
        "</style>",
        shared=False,
    )


def console_page(
    route: str,
    *,
    title_key: str,
    permission: str | None = None,
    group: str | None = None,
    order: int = 100,
    icon: str = "chevron_right",
) -> Callable[[PageBuilder], PageBuilder]:
    """Register a signed-in console page; the builder receives the PageContext and draws the content."""
    spec = register(ConsolePage(route, title_key, permission, group, order, icon))

    def decorator(build: PageBuilder) -> PageBuilder:
        @ui.page(route, title="autofin")
        async def _page(request: Request) -> RedirectResponse | None:
            context = load_context(request)
            if context is None:
                return RedirectResponse(f"/login?next={quote(route)}", status_code=303)
            pending = pending_step(context.actor)
            if pending == "password_change":
                return RedirectResponse("/password", status_code=303)
            if pending == "totp_enrolment" and route != "/profile":
                return RedirectResponse("/profile", status_code=303)
            ui.page_title(f"{t(title_key)} · autofin")
            apply_theme()
            draw_frame(context, spec)
            with ui.column().classes("w-full q-pa-lg gap-4"):
                breadcrumbs(spec)
                if spec.permission is not None and not context.actor.can(spec.permission):
                    forbidden(spec)
                else:
                    result = build(context)
                    if hasattr(result, "__await__"):
                        await result
            return None

        return build

    return decorator


def draw_frame(context: PageContext, current: ConsolePage) -> None:
    actor = context.actor
    who = whoami(context)
    layout: dict[str, ui.left_drawer] = {}
    with ui.header(elevated=True).classes("items-center gap-3 q-px-md").style(f"background:{PRIMARY}"):
        ui.button(icon="menu", on_click=lambda: layout["drawer"].toggle()).props("flat round dense color=white")
        with ui.link(target="/").classes("no-underline text-white"), ui.row().classes("items-center gap-2"):
            ui.icon("directions_car").classes("text-2xl")
            ui.label(t("app.name")).classes("text-h6 text-weight-medium").props('data-testid="product-name"')
        ui.space()
        language_switch()
        unread = unread_count(context)
        with ui.button(icon="notifications", on_click=lambda: ui.navigate.to("/platform/inbox")).props(
            'flat round color=white data-testid="inbox-button"'
        ).tooltip(t("frame.notifications")):
            badge = ui.badge(str(unread), color="negative").props("floating")
            badge.set_visibility(unread > 0)
        with ui.button().props('flat no-caps color=white data-testid="user-menu"'):
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("account_circle").classes("text-2xl")
                with ui.column().classes("gap-0 items-start"):
                    ui.label(who.get("display_name") or actor.username).classes("text-body2 text-weight-medium")
                    department = who.get("department_name") or (
                        "" if who.get("department_id") is not None else t("frame.no_department")
                    )
                    ui.label(department).classes("text-caption").style("opacity:.85").props(
                        'data-testid="user-department"'
                    )
            with ui.menu().props("auto-close"):
                ui.menu_item(t("frame.profile"), on_click=lambda: ui.navigate.to("/profile"))
                ui.separator()
                ui.menu_item(t("frame.sign_out"), on_click=lambda: ui.navigate.to("/logout")).props(
                    'data-testid="sign-out"'
                )
    with ui.left_drawer(value=True, bordered=True).props("width=232").classes("q-pt-md bg-white af-menu") as drawer:
        draw_menu(context, current)
    layout["drawer"] = drawer


def draw_menu(context: PageContext, current: ConsolePage) -> None:
    with ui.list().props('dense data-testid="main-menu"').classes("w-full"):
        _menu_item("/", t("frame.home"), "home", current.route == "/")
        for section in build_menu(context.actor):
            ui.item_label(i18n.pick(section.group.zh, section.group.en)).props("header").classes(
                "text-grey-7 text-weight-bold q-pt-md q-pb-xs"
            )
            for page in section.pages:
                _menu_item(page.route, t(page.title_key), page.icon, page.route == current.route)


def _menu_item(route: str, label: str, icon: str, active: bool) -> None:
    with ui.item(on_click=lambda: ui.navigate.to(route)).props(f'clickable data-menu="{route}"').classes(
        "af-active" if active else ""
    ):
        with ui.item_section().props("avatar").style("min-width:32px"):
            ui.icon(icon, size="20px")
        with ui.item_section():
            ui.item_label(label)


def breadcrumbs(spec: ConsolePage) -> None:
    from autofin.kernel.permissions import all_groups

    with ui.row().classes("items-center gap-1 text-grey-7 text-sm").props('data-testid="breadcrumbs"'):
        ui.link(t("frame.home"), "/").classes("text-grey-7 no-underline")
        if spec.route != "/":
            group = next((g for g in all_groups() if g.code == spec.group), None)
            if group is not None:
                ui.icon("chevron_right")
                ui.label(i18n.pick(group.zh, group.en))
            ui.icon("chevron_right")
            ui.label(t(spec.title_key)).classes("text-grey-9")
    ui.label(t(spec.title_key)).classes("af-page-title")


def forbidden(spec: ConsolePage) -> None:
    permission = get_permission(spec.permission or "")
    name = i18n.pick(permission.zh, permission.en) if permission else (spec.permission or "")
    card = ui.card().classes("q-pa-lg").props('flat bordered data-testid="forbidden"')
    with card, ui.row().classes("items-center gap-4 no-wrap"):
        ui.icon("block", color="negative").classes("text-5xl")
        with ui.column().classes("gap-1"):
            ui.label(f"403 · {t('frame.forbidden.title')}").classes("text-h6")
            ui.label(t("frame.forbidden.body", page=t(spec.title_key), permission=name))
            ui.link(t("frame.back_home"), "/")


def language_switch(*, on_dark: bool = True) -> None:
    """中文 / English; the choice is kept for this browser (server-side) and the page reloads in it."""
    current = i18n.current_language()

    def change(event: Any) -> None:
        if event.value and event.value != current:
            nicegui_app.storage.user[LANGUAGE_KEY] = event.value
            ui.navigate.reload()

    colours = (
        "toggle-color=white toggle-text-color=primary text-color=white" if on_dark
        else "toggle-color=primary text-color=primary"
    )
    ui.toggle(dict(i18n.LANGUAGES), value=current, on_change=change).props(
        f'dense unelevated no-caps {colours} data-testid="language-switch"'
    ).classes("text-sm")


def whoami(context: PageContext) -> dict[str, Any]:
    """The signed-in user's display name and department name (from the org service), for the header."""
    try:
        return context.read(read_profile, {})
    except Exception:  # the header must draw even when the profile cannot be read
        log.exception("profile for the header failed")
        return {}


def read_profile(uow: Any, actor: Any) -> dict[str, Any]:
    """``org.service.describe_me`` as plain data, plus the department's and position's names when visible."""
    me = services.call("org", "describe_me", uow, actor)
    user = me.user
    profile: dict[str, Any] = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "last_login_at": user.last_login_at,
        "totp_enabled": user.totp_enabled,
        "department_id": user.department_id,
        "department_name": me.department_name,
        "role_names": [i18n.pick(r.name_zh, r.name_en) for r in me.roles],
        "must_change_password": me.must_change_password,
        "totp_enrolment_required": me.totp_enrolment_required,
    }
    return profile


def unread_count(context: PageContext) -> int:
    if not services.has_service("platform", "unread_count"):
        return 0
    return int(context.read(lambda uow, actor: services.call("platform", "unread_count", uow, actor), 0) or 0)
