"""The console's own pages: sign-in (with the TOTP step), sign-out, forced password change, home, my profile."""

from __future__ import annotations

import io
import logging
from datetime import datetime, time, timedelta
from typing import Any

import segno
from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from autofin.console import i18n, services, session
from autofin.console.frame import PRIMARY, apply_theme, console_page, language_switch, read_profile
from autofin.console.i18n import t
from autofin.console.session import PageContext
from autofin.console.widgets import DISPLAY_ZONE, FormField, fmt_time, form_dialog, stat_card
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import AccountLocked, AuthenticationFailed, DomainError

log = logging.getLogger("autofin.console")


def register_pages() -> None:
    ui.page("/login", title="登录 · autofin")(login_page)
    ui.page("/logout", title="autofin")(logout_page)
    ui.page("/password", title="修改密码 · autofin")(password_page)
    console_page("/", title_key="home.title", icon="home")(home_page)
    console_page("/profile", title_key="profile.title", icon="person")(profile_page)


# ------------------------------------------------------------------------------------------------ sign-in
def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not target.startswith("/login"):
        return target
    return "/"


def login_page(request: Request, next: str | None = None) -> RedirectResponse | None:
    """Username and password, then a TOTP step when the account needs one. Same answer for every refusal."""
    if session.load_context(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    apply_theme()
    ui.page_title(f"{t('login.title')} · autofin")
    notice = session.take_notice()
    ip, agent = session.client_ip(request), session.user_agent(request)
    state: dict[str, Any] = {"step": "password"}

    with ui.column().classes("absolute-center items-center gap-4"):
        with ui.row().classes("items-center gap-3"):
            ui.icon("directions_car", color="primary").classes("text-5xl")
            with ui.column().classes("gap-0"):
                ui.label(t("app.name")).classes("text-h5 text-weight-bold").style(f"color:{PRIMARY}")
                ui.label(t("login.subtitle")).classes("text-grey-7")
        with ui.card().classes("q-pa-lg gap-3").style("width: 24rem; max-width: 92vw").props("bordered"):
            ui.label(t("login.title")).classes("text-h6")
            banner = ui.label("").classes("w-full q-pa-sm rounded-borders text-body2").props(
                'data-testid="login-message" role="alert"'
            )
            banner.set_visibility(False)

            def show(message: str, kind: str = "error") -> None:
                colours = {"error": "bg-red-1 text-negative", "info": "bg-blue-1 text-primary"}
                banner.classes(replace="w-full q-pa-sm rounded-borders text-body2 " + colours[kind])
                banner.text = message
                banner.set_visibility(True)

            if notice:
                show(t(notice), "info")
            with ui.column().classes("w-full gap-3") as password_step:
                username = ui.input(t("login.username")).props(
                    'outlined autofocus autocomplete=username data-testid="username" maxlength=64'
                ).classes("w-full")
                password = ui.input(t("login.password"), password=True, password_toggle_button=True).props(
                    'outlined autocomplete=current-password data-testid="password" maxlength=128'
                ).classes("w-full")
            with ui.column().classes("w-full gap-3") as totp_step:
                ui.label(t("login.totp_hint")).classes("text-grey-8")
                totp = ui.input(t("login.totp")).props(
                    'outlined inputmode=numeric autocomplete=one-time-code maxlength=6 data-testid="totp"'
                ).classes("w-full")
            totp_step.set_visibility(False)

            def submit() -> None:
                user, secret = (username.value or "").strip(), password.value or ""
                if not user or not secret:
                    show(t("login.fill_both"))
                    return
                code = (totp.value or "").strip() if state["step"] == "totp" else None
                try:
                    result = _sign_in(user, secret, code, ip=ip, user_agent=agent)
                except AccountLocked as exc:
                    show(i18n.text(exc.message))
                    password.value = ""
                    return
                except AuthenticationFailed as exc:
                    if exc.code == "auth.totp_required":
                        state["step"] = "totp"
                        password_step.set_visibility(False)
                        totp_step.set_visibility(True)
                        back.set_visibility(True)
                        banner.set_visibility(False)
                        totp.run_method("focus")
                    elif exc.code == "auth.totp_invalid":
                        show(i18n.text(exc.message))
                        totp.value = ""
                    else:
                        show(t("login.failed"))
                        password.value = ""
                    return
                except DomainError as exc:
                    show(i18n.text(exc.message))
                    password.value = ""
                    return
                session.remember_sign_in(result.token)
                ui.navigate.to("/password" if result.must_change_password else _safe_next(next))

            def back_to_password() -> None:
                state["step"] = "password"
                totp.value = ""
                password.value = ""
                totp_step.set_visibility(False)
                password_step.set_visibility(True)
                back.set_visibility(False)

            for element in (username, password, totp):
                element.on("keydown.enter", submit)
            ui.button(t("login.submit"), on_click=submit).props(
                'unelevated color=primary size=md data-testid="login-submit"'
            ).classes("w-full")
            back = ui.button(t("login.back"), on_click=back_to_password).props("flat dense").classes("w-full")
            back.set_visibility(False)
        with ui.row().classes("items-center gap-2"):
            language_switch(on_dark=False)
    return None


def _sign_in(username: str, password: str, code: str | None, *, ip: str | None, user_agent: str | None) -> Any:
    """``org.service.login`` in its own transaction. A refusal's bookkeeping (failed attempt, lock, login log)
    is committed too: the service records it before raising, and the caller owns the commit."""
    autofin = session.get_app()
    with autofin.uow() as uow:
        try:
            result = services.call(
                "org", "login", uow, username, password, code or None, ip=ip, user_agent=user_agent
            )
        except DomainError:
            uow.commit()
            raise
        uow.commit()
        return result


def logout_page(request: Request) -> RedirectResponse:
    """Revoke the server-side session, forget the token, go to the sign-in page."""
    token = session.stored_token()
    if token:
        try:
            autofin = session.get_app()
            with autofin.uow() as uow:
                actor = services.call(
                    "org", "actor_for_token", uow, token, ip=session.client_ip(request),
                    user_agent=session.user_agent(request), request_id=session.new_request_id(),
                    language=i18n.current_language(),
                )
                services.call("org", "logout", uow, actor)
                uow.commit()
        except DomainError:
            pass  # already ended: nothing left to revoke
        except Exception:
            log.exception("console sign-out failed")
    session.forget_sign_in(notice="login.signed_out")
    return RedirectResponse("/login", status_code=303)


# ------------------------------------------------------------------------------------------------ password
def password_page(request: Request) -> RedirectResponse | None:
    """Change the password (forced after the first sign-in or an administrator's reset)."""
    context = session.load_context(request)
    if context is None:
        return RedirectResponse("/login?next=/password", status_code=303)
    apply_theme()
    ui.page_title(f"{t('password.change_title')} · autofin")
    forced = session.pending_step(context.actor) == "password_change"
    column = ui.column().classes("absolute-center items-center gap-4")
    with column, ui.card().classes("q-pa-lg gap-3").style("width: 26rem; max-width: 92vw").props("bordered"):
        ui.label(t("password.change_title")).classes("text-h6")
        if forced:
            ui.label(t("password.must_change")).classes("bg-orange-1 q-pa-sm rounded-borders text-body2")
        inputs = password_inputs(context)

        def submit() -> None:
            if change_password(context, inputs):
                ui.navigate.to("/")

        ui.button(t("common.save"), on_click=submit).props(
            'unelevated color=primary data-testid="password-submit"'
        ).classes("w-full")
        with ui.row().classes("w-full justify-between"):
            if not forced:
                ui.link(t("frame.back_home"), "/")
            ui.link(t("frame.sign_out"), "/logout")
    return None


def password_inputs(context: PageContext) -> dict[str, Any]:
    length = context.autofin.settings.password_min_length
    current = ui.input(t("password.current"), password=True, password_toggle_button=True).props(
        'outlined dense autocomplete=current-password data-testid="current-password"'
    ).classes("w-full")
    new = ui.input(t("password.new"), password=True, password_toggle_button=True).props(
        'outlined dense autocomplete=new-password data-testid="new-password" '
        f'hint="{t("password.policy", length=length)}"'
    ).classes("w-full")
    repeat = ui.input(t("password.repeat"), password=True, password_toggle_button=True).props(
        'outlined dense autocomplete=new-password data-testid="repeat-password"'
    ).classes("w-full")
    return {"current_password": current, "new_password": new, "repeat": repeat}


def change_password(context: PageContext, inputs: dict[str, Any]) -> bool:
    for element in inputs.values():
        element.error = None
    current, new, repeat = (inputs[k].value or "" for k in ("current_password", "new_password", "repeat"))
    if new != repeat:
        inputs["repeat"].error = t("password.mismatch")
        return False
    done = context.call(
        lambda uow, actor: services.call("org", "change_own_password", uow, actor, current, new) or True,
        fields={"current_password": inputs["current_password"], "new_password": inputs["new_password"],
                "password": inputs["new_password"]},
        success=t("password.changed"),
    )
    return bool(done)


# ------------------------------------------------------------------------------------------------ home
def home_page(context: PageContext) -> None:
    who = context.read(read_profile, {})
    ui.label(t("home.welcome", name=who.get("display_name") or context.actor.username)).classes("text-grey-8")
    figures = [
        ("users", t("home.users"), "group", "primary"),
        ("departments", t("home.departments"), "account_tree", "secondary"),
        ("online", t("home.online"), "wifi", "positive"),
        ("failed_jobs", t("home.failed_jobs"), "error_outline", "negative"),
        ("unread", t("home.unread"), "mark_email_unread", "accent"),
    ]
    labels: dict[str, ui.label] = {}
    cards: dict[str, ui.card] = {}
    with ui.row().classes("w-full gap-4").props('data-testid="home-stats"'):
        for key, title, icon, colour in figures:
            cards[key], labels[key] = stat_card(title, icon, colour)
            labels[key].props(f'data-stat="{key}"')

    def refresh() -> None:
        counts = home_counts(context)
        for key, label in labels.items():
            value = counts.get(key)
            label.text = "–" if value is None else str(value)

    refresh()
    for key, label in labels.items():  # a figure the user may not see is left out, not shown empty
        cards[key].set_visibility(label.text != "–")
    ui.timer(30.0, refresh)
    ui.label(t("home.updated")).classes("text-grey-6 text-xs")

    series = context.read(lambda uow, actor: signins_per_day(uow, actor), None)
    if series:
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label(t("home.signins_chart")).classes("text-subtitle1 text-weight-medium")
            ui.echart(
                {
                    "tooltip": {"trigger": "axis"},
                    "legend": {"data": [t("home.signins_ok"), t("home.signins_failed")], "top": 0, "right": 10},
                    "grid": {"left": 40, "right": 20, "top": 36, "bottom": 30},
                    "xAxis": {"type": "category", "data": [d[5:] for d in series["days"]]},
                    "yAxis": {"type": "value", "minInterval": 1},
                    "series": [
                        {"name": t("home.signins_ok"), "type": "bar", "stack": "s", "data": series["ok"],
                         "itemStyle": {"color": PRIMARY}},
                        {"name": t("home.signins_failed"), "type": "bar", "stack": "s", "data": series["failed"],
                         "itemStyle": {"color": "#e57373"}},
                    ],
                }
            ).classes("w-full h-72")


def home_counts(context: PageContext) -> dict[str, int | None]:
    """The live figures of the home page; a figure the actor may not see (or no service gives) stays empty."""
    since = utcnow() - timedelta(hours=24)
    wanted: dict[str, Any] = {
        "users": lambda uow, actor: services.call("org", "list_users", uow, actor, status="active", size=1)[1],
        "departments": lambda uow, actor: services.call("org", "list_departments", uow, actor, size=1,
                                                        active=True)[1],
        "online": lambda uow, actor: services.call("org", "list_sessions", uow, actor, size=1)[1],
        "failed_jobs": lambda uow, actor: failed_runs_since(uow, actor, since),
        "unread": lambda uow, actor: services.call("platform", "unread_count", uow, actor),
    }
    counts: dict[str, int | None] = {}
    try:
        with context.autofin.uow() as uow:
            actor = context.resolve(uow)
            for key, query in wanted.items():
                try:
                    counts[key] = int(query(uow, actor))
                except DomainError:  # not permitted, or the service is not there: leave the figure empty
                    counts[key] = None
                except Exception:  # one broken figure must not break the home page
                    log.exception("home figure %s failed", key)
                    counts[key] = None
            uow.commit()
    except session.SessionEnded:
        session.end_session()
    return counts


def failed_runs_since(uow: Any, actor: Any, since: datetime) -> int:
    """Job runs that failed since ``since``."""
    _rows, total = services.call("platform", "list_runs", uow, actor, status="failed", since=since, size=1)
    return int(total)


SIGNIN_CHART_DAYS = 14


def signins_per_day(uow: Any, actor: Any) -> dict[str, list[Any]] | None:
    """Sign-ins per day (succeeded / failed) over the last 14 days; only holders of the login-log permission see it."""
    today = utcnow().astimezone(DISPLAY_ZONE).date()
    days = [today - timedelta(days=offset) for offset in range(SIGNIN_CHART_DAYS - 1, -1, -1)]
    try:
        since = datetime.combine(days[0], time.min, tzinfo=DISPLAY_ZONE)
        counts = services.call("org", "sign_ins_per_day", uow, actor, since=since, zone=DISPLAY_ZONE)
    except DomainError:
        return None
    return {
        "days": [d.isoformat() for d in days],
        "ok": [counts.get(d, (0, 0))[0] for d in days],
        "failed": [counts.get(d, (0, 0))[1] for d in days],
    }


# ------------------------------------------------------------------------------------------------ profile
def profile_page(context: PageContext) -> None:
    @ui.refreshable
    def body() -> None:
        who = context.read(read_profile, {})
        with ui.row().classes("w-full gap-4 items-start"):
            with ui.card().classes("flex-1 min-w-[20rem]").props("flat bordered"):
                ui.label(t("profile.account")).classes("text-subtitle1 text-weight-medium")
                rows = [
                    (t("org.user.username"), context.actor.username),
                    (t("profile.full_name"), who.get("display_name") or ""),
                    (t("profile.department"), who.get("department_name") or t("frame.no_department")),
                    (t("profile.roles"), "、".join(who.get("role_names") or who.get("roles") or []) or "—"),
                    (t("org.user.email"), who.get("email") or "—"),
                    (t("org.user.phone"), who.get("phone") or "—"),
                    (t("profile.last_login"), fmt_time(who.get("last_login_at")) or "—"),
                ]
                with ui.grid(columns="8rem 1fr").classes("gap-y-2"):
                    for label, value in rows:
                        ui.label(label).classes("text-grey-7")
                        ui.label(str(value))
                ui.separator()
                with ui.row().classes("items-center gap-3"):
                    ui.label(t("profile.language")).classes("text-grey-7")
                    language_switch(on_dark=False)
            with ui.card().classes("flex-1 min-w-[20rem]").props("flat bordered"):
                ui.label(t("password.change_title")).classes("text-subtitle1 text-weight-medium")
                inputs = password_inputs(context)

                def submit() -> None:
                    if change_password(context, inputs):
                        for element in inputs.values():
                            element.value = ""

                ui.button(t("common.save"), on_click=submit).props("unelevated color=primary")
            with ui.card().classes("flex-1 min-w-[20rem]").props("flat bordered"):
                ui.label(t("profile.totp")).classes("text-subtitle1 text-weight-medium")
                enabled = bool(who.get("totp_enabled"))
                ui.badge(t("profile.totp_on") if enabled else t("profile.totp_off"),
                         color="positive" if enabled else "grey")
                if enabled:
                    ui.button(t("profile.totp_disable"), on_click=lambda: disable_totp(context, body.refresh)).props(
                        "outline color=negative"
                    )
                else:
                    ui.button(t("profile.totp_enable"), on_click=lambda: enable_totp(context, body.refresh)).props(
                        "unelevated color=primary"
                    )

    body()


def enable_totp(context: PageContext, refresh: Any) -> None:
    enrolment = context.call(lambda uow, actor: _plain(services.call("org", "begin_totp_enrolment", uow, actor)))
    if not enrolment:
        return
    secret, uri = enrolment.get("secret", ""), enrolment.get("provisioning_uri", "")
    with ui.dialog() as dialog, ui.card().style("width: 30rem; max-width: 95vw").classes("gap-3"):
        ui.label(t("profile.totp_enable")).classes("text-h6")
        ui.label(t("profile.totp_scan")).classes("text-grey-8")
        ui.html(qr_svg(uri), sanitize=False).classes("self-center").style("width: 12rem; height: 12rem")
        ui.label(secret).classes("text-mono text-h6 self-center").props('data-testid="totp-secret"')
        with ui.expansion(t("profile.totp_uri")).classes("w-full text-xs"):
            ui.label(uri).classes("text-mono break-all")
        code = ui.input(t("login.totp")).props("outlined dense maxlength=6 inputmode=numeric").classes("w-full")

        def confirm_code() -> None:
            done = context.call(
                lambda uow, actor: services.call("org", "confirm_totp", uow, actor, (code.value or "").strip()) or True,
                fields={"code": code, "totp": code},
                success=t("profile.totp_enabled"),
            )
            if done:
                dialog.close()
                refresh()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("profile.totp_confirm"), on_click=confirm_code).props("unelevated color=primary")
    dialog.open()


def disable_totp(context: PageContext, refresh: Any) -> None:
    def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
        done = context.call(
            lambda uow, actor: services.call("org", "disable_own_totp", uow, actor, values["password"]) or True,
            fields=inputs,
            success=t("profile.totp_disabled"),
        )
        if done:
            refresh()
        return bool(done)

    form_dialog(
        t("profile.totp_disable"),
        [FormField("password", "password.current", kind="password", required=True)],
        submit,
        submit_key="common.confirm",
    )


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"secret": getattr(value, "secret", ""), "provisioning_uri": getattr(value, "provisioning_uri", "")}


def qr_svg(data: str) -> str:
    """The TOTP provisioning URI as an SVG QR code for an authenticator app to scan."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()

