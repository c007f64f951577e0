"""Console pages of the organisation (组织架构): departments, positions, users, roles, sign-in log, sessions.

Every page calls ``org.service`` only (through ``console.services``); the service checks the permission and the
data scope again, so a hidden button is a convenience, never the protection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from nicegui import ui

from autofin.console import i18n
from autofin.console.frame import console_page
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import (
    DISPLAY_ZONE,
    Column,
    DataTable,
    FormField,
    RowAction,
    confirm,
    fmt_time,
    form_dialog,
)
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor, ScopeKind
from autofin.kernel.permissions import all_groups, all_permissions
from autofin.org import permissions as perm
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

MAX_PAGE = 200
SCOPES = [kind.value for kind in ScopeKind]


def register_pages() -> None:
    console_page("/org/departments", title_key="org.departments", permission=perm.DEPARTMENT_VIEW, group="org",
                 order=10, icon="account_tree")(departments_page)
    console_page("/org/positions", title_key="org.positions", permission=perm.POSITION_VIEW, group="org",
                 order=20, icon="badge")(positions_page)
    console_page("/org/users", title_key="org.users", permission=perm.USER_VIEW, group="org",
                 order=30, icon="group")(users_page)
    console_page("/org/roles", title_key="org.roles", permission=perm.ROLE_VIEW, group="org",
                 order=40, icon="admin_panel_settings")(roles_page)
    console_page("/org/login-log", title_key="org.login_log", permission=perm.LOGIN_LOG_VIEW, group="org",
                 order=50, icon="login")(login_log_page)
    console_page("/org/sessions", title_key="org.sessions", permission=perm.SESSION_VIEW, group="org",
                 order=60, icon="devices")(sessions_page)


# ------------------------------------------------------------------------------------------------ lookups
def _all(list_fn: str, uow: UnitOfWork, actor: Actor, **filters: Any) -> list[Any]:
    """Every row of an org list (page by page), for choosers and the tree."""
    rows: list[Any] = []
    page = 1
    while True:
        batch, total = call("org", list_fn, uow, actor, page=page, size=MAX_PAGE, **filters)
        rows.extend(batch)
        if not batch or len(rows) >= total or page >= 50:
            return rows
        page += 1


def department_rows(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    return [
        {"id": d.id, "parent_id": d.parent_id, "code": d.code, "name": d.name, "sort": d.sort, "active": d.active,
         "version": d.version}
        for d in _all("list_departments", uow, actor)
    ]


def department_options(rows: list[dict[str, Any]], *, active_only: bool = True) -> dict[int, str]:
    """Departments as indented choices in tree order."""
    options: dict[int, str] = {}
    for row, depth in _tree_order(rows):
        if active_only and not row["active"]:
            continue
        options[row["id"]] = "　" * depth + f"{row['name']}（{row['code']}）"
    return options


def _tree_order(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    ids = {row["id"] for row in rows}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row["parent_id"] if row["parent_id"] in ids else None
        children.setdefault(parent, []).append(row)
    ordered: list[tuple[dict[str, Any], int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: (r["sort"], r["id"])):
            ordered.append((row, depth))
            walk(row["id"], depth + 1)

    walk(None, 0)
    return ordered


def department_tree(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nodes = {
        row["id"]: {
            "id": str(row["id"]),
            "label": row["name"] + ("" if row["active"] else f"（{t('common.inactive')}）"),
            "children": [],
        }
        for row in rows
    }
    roots: list[dict[str, Any]] = []
    for row, _depth in _tree_order(rows):
        parent = nodes.get(row["parent_id"]) if row["parent_id"] is not None else None
        (parent["children"] if parent is not None else roots).append(nodes[row["id"]])
    return roots


def role_options(uow: UnitOfWork, actor: Actor) -> dict[str, str]:
    if not actor.can(perm.ROLE_VIEW):
        return {}
    return {r.code: f"{i18n.pick(r.name_zh, r.name_en)}（{r.code}）" for r in _all("list_roles", uow, actor)}


def position_options(uow: UnitOfWork, actor: Actor) -> dict[int, str]:
    if not actor.can(perm.POSITION_VIEW):
        return {}
    return {p.id: p.name for p in _all("list_positions", uow, actor) if p.active}


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", []) else value


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


# ------------------------------------------------------------------------------------------------ departments
def departments_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.DEPARTMENT_MANAGE)
    state: dict[str, Any] = {"selected": None, "rows": []}

    def load() -> None:
        state["rows"] = ctx.read(department_rows, [])

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        rows = state["rows"]
        selected = state["selected"]
        if selected is not None:
            rows = [r for r in rows if r["parent_id"] == selected or r["id"] == selected]
        if q:
            needle = q.lower()
            rows = [r for r in rows if needle in r["name"].lower() or needle in r["code"].lower()]
        names = {r["id"]: r["name"] for r in state["rows"]}
        shown = [
            {**r, "parent": names.get(r["parent_id"], t("org.department.root")),
             "status": t("common.active") if r["active"] else t("common.inactive")}
            for r in rows
        ]
        return shown[(page - 1) * size: page * size], len(shown)

    def reload() -> None:
        load()
        tree.props["nodes"] = department_tree(state["rows"])
        tree.update()
        tree.expand()
        table.refresh()

    def edit(row: dict[str, Any] | None) -> None:
        options = department_options(state["rows"])
        if row is not None:
            options.pop(row["id"], None)
        fields = [
            FormField("name", "common.name", value=row["name"] if row else "", required=True, max_length=64),
            FormField("code", "common.code", value=row["code"] if row else "", required=True, max_length=32),
            FormField("parent_id", "common.parent", kind="select", options=options,
                      value=(row["parent_id"] if row else state["selected"])),
            FormField("sort", "common.sort_order", kind="number", value=row["sort"] if row else 0),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            parent = _int_or_none(values["parent_id"])
            sort = int(values["sort"] or 0)

            def use_case(uow: UnitOfWork, actor: Actor) -> Any:
                if row is None:
                    create = DepartmentCreate(name=values["name"], code=values["code"], parent_id=parent, sort=sort)
                    return call("org", "create_department", uow, actor, create).id
                update = DepartmentUpdate(version=row["version"], name=values["name"], code=values["code"],
                                          parent_id=parent, sort=sort)
                return call("org", "update_department", uow, actor, row["id"], update).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                reload()
            return bool(done)

        form_dialog(t("org.department.new") if row is None else t("org.department.edit"), fields, submit)

    def set_active(row: dict[str, Any], active: bool) -> None:
        def go() -> None:
            done = ctx.call(
                lambda uow, actor: call("org", "update_department", uow, actor, row["id"],
                                        DepartmentUpdate(version=row["version"], active=active)).id,
                success=t("common.done"),
            )
            if done:
                reload()

        if active:
            go()
        else:
            confirm(t("org.department.deactivate_q", name=row["name"]), go, danger=True)

    load()
    with ui.row().classes("w-full gap-4 items-start no-wrap"):
        with ui.card().classes("w-72 shrink-0").props("flat bordered"):
            ui.label(t("org.department.tree")).classes("text-subtitle1 text-weight-medium")

            def on_select(event: Any) -> None:
                state["selected"] = int(event.value) if event.value else None
                table.page = 1
                table.refresh()

            tree = ui.tree(department_tree(state["rows"]), label_key="label", on_select=on_select).props(
                'data-testid="department-tree"'
            ).classes("w-full")
            tree.expand()
        with ui.card().classes("flex-1 min-w-0").props("flat bordered"):
            actions = []
            if can_manage:
                actions = [
                    RowAction("edit", "common.edit", lambda r: edit(r), icon="edit"),
                    RowAction("deactivate", "common.deactivate", lambda r: set_active(r, False), icon="block",
                              color="negative", when="row.active"),
                    RowAction("activate", "common.enable", lambda r: set_active(r, True), icon="check_circle",
                              color="positive", when="!row.active"),
                ]

            def toolbar() -> None:
                if can_manage:
                    ui.button(t("org.department.new"), icon="add", on_click=lambda: edit(None)).props(
                        'unelevated color=primary data-testid="department-new"'
                    )

            table = DataTable(
                columns=[
                    Column("name", "common.name"),
                    Column("code", "common.code"),
                    Column("parent", "common.parent"),
                    Column("sort", "common.sort_order", align="right"),
                    Column("status", "common.status"),
                ],
                fetch=fetch,
                actions=actions,
                toolbar=toolbar,
            )


# ------------------------------------------------------------------------------------------------ positions
def positions_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.POSITION_MANAGE)

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, actor: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("org", "list_positions", uow, actor, q=q, page=page, size=size)
            return [
                {"id": p.id, "code": p.code, "name": p.name, "active": p.active, "version": p.version,
                 "status": t("common.active") if p.active else t("common.inactive")}
                for p in rows
            ], total

        return ctx.read(query, ([], 0))

    def edit(row: dict[str, Any] | None) -> None:
        fields = [
            FormField("code", "common.code", value=row["code"] if row else "", required=True, max_length=32,
                      readonly=row is not None),
            FormField("name", "common.name", value=row["name"] if row else "", required=True, max_length=64),
        ]
        if row is not None:
            fields.append(FormField("active", "common.active", kind="switch", value=row["active"]))

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, actor: Actor) -> Any:
                if row is None:
                    return call("org", "create_position", uow, actor,
                                PositionCreate(code=values["code"], name=values["name"])).id
                return call("org", "update_position", uow, actor, row["id"],
                            PositionUpdate(version=row["version"], name=values["name"],
                                           active=values["active"])).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("org.position.new") if row is None else t("org.position.edit"), fields, submit)

    def toolbar() -> None:
        if can_manage:
            ui.button(t("org.position.new"), icon="add", on_click=lambda: edit(None)).props("unelevated color=primary")

    table = DataTable(
        columns=[Column("code", "common.code"), Column("name", "common.name"), Column("status", "common.status")],
        fetch=fetch,
        actions=[RowAction("edit", "common.edit", lambda r: edit(r), icon="edit")] if can_manage else [],
        toolbar=toolbar,
    )


# ------------------------------------------------------------------------------------------------ users
def users_page(ctx: PageContext) -> None:
    actor = ctx.actor
    lookups: dict[str, Any] = ctx.read(
        lambda uow, a: {
            "departments": department_rows(uow, a) if a.can(perm.DEPARTMENT_VIEW) else [],
            "roles": role_options(uow, a),
            "positions": position_options(uow, a),
        },
        {"departments": [], "roles": {}, "positions": {}},
    )
    department_names = {d["id"]: d["name"] for d in lookups["departments"]}
    filters: dict[str, Any] = {"status": None, "department_id": None}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("org", "list_users", uow, a, q=q, page=page, size=size, **filters)
            now = datetime.now(DISPLAY_ZONE)
            return [
                {
                    "id": u.id, "username": u.username, "display_name": u.display_name,
                    "department_id": u.department_id, "position_id": u.position_id,
                    "department": department_names.get(u.department_id, "" if u.department_id is None
                                                       else f"#{u.department_id}"),
                    "phone": u.phone or "", "email": u.email or "",
                    "role_codes": list(u.role_codes),
                    "roles": "、".join(lookups["roles"].get(c, c).split("（")[0] for c in u.role_codes),
                    "active": u.active,
                    "locked": bool(u.locked_until and u.locked_until > now),
                    "status": (t("org.user.status.active") if u.active else t("org.user.status.disabled"))
                    + (f" · {t('org.user.locked')}" if u.locked_until and u.locked_until > now else ""),
                    "last_login": fmt_time(u.last_login_at),
                    "version": u.version,
                    "is_superuser": u.is_superuser,
                }
                for u in rows
            ], total

        return ctx.read(query, ([], 0))

    department_choices = department_options(lookups["departments"])

    def create() -> None:
        fields = [
            FormField("username", "org.user.username", required=True, max_length=32),
            FormField("display_name", "org.user.full_name", required=True, max_length=64),
            FormField("password", "org.user.password", kind="password", required=True, max_length=128,
                      hint=t("password.policy", length=ctx.autofin.settings.password_min_length)),
            FormField("department_id", "org.department", kind="select", options=department_choices),
            FormField("position_id", "org.position", kind="select", options=lookups["positions"]),
            FormField("phone", "org.user.phone", max_length=20),
            FormField("email", "org.user.email", max_length=254),
        ]
        if actor.can(perm.USER_ASSIGN_ROLES) and lookups["roles"]:
            fields.append(FormField("role_codes", "org.user.roles", kind="multiselect", options=lookups["roles"]))

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                command = UserCreate(
                    username=values["username"], display_name=values["display_name"], password=values["password"],
                    department_id=_int_or_none(values["department_id"]),
                    position_id=_int_or_none(values["position_id"]),
                    phone=_blank_to_none(values["phone"]), email=_blank_to_none(values["email"]),
                    role_codes=list(values.get("role_codes") or []),
                )
                return call("org", "create_user", uow, a, command).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("org.user.new"), fields, submit, width="36rem")

    def edit(row: dict[str, Any]) -> None:
        fields = [
            FormField("username", "org.user.username", value=row["username"], readonly=True),
            FormField("display_name", "org.user.full_name", value=row["display_name"], required=True),
            FormField("department_id", "org.department", kind="select", options=department_choices,
                      value=row["department_id"] if row["department_id"] in department_choices else None),
            FormField("position_id", "org.position", kind="select", options=lookups["positions"],
                      value=row["position_id"] if row["position_id"] in lookups["positions"] else None),
            FormField("phone", "org.user.phone", value=row["phone"]),
            FormField("email", "org.user.email", value=row["email"]),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                changes: dict[str, Any] = {
                    "version": row["version"], "display_name": values["display_name"],
                    "phone": _blank_to_none(values["phone"]), "email": _blank_to_none(values["email"]),
                }
                if department_choices:
                    changes["department_id"] = _int_or_none(values["department_id"])
                if lookups["positions"]:
                    changes["position_id"] = _int_or_none(values["position_id"])
                return call("org", "update_user", uow, a, row["id"], UserUpdate(**changes)).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("org.user.edit"), fields, submit, width="36rem")

    def set_status(row: dict[str, Any], enable: bool) -> None:
        def go() -> None:
            name = "enable_user" if enable else "disable_user"
            if ctx.call(lambda uow, a: call("org", name, uow, a, row["id"], row["version"]).id,
                        success=t("common.done")):
                table.refresh()

        key = "org.user.enable_q" if enable else "org.user.disable_q"
        confirm(t(key, name=row["display_name"]), go, danger=not enable)

    def reset_password(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, a: call("org", "reset_password", uow, a, row["id"], values["new_password"]).id,
                fields=inputs, success=t("org.user.password_reset_done"),
            )
            if done:
                table.refresh()
            return bool(done)

        form_dialog(
            f"{t('org.user.reset_password')} · {row['display_name']}",
            [FormField("new_password", "org.user.new_password", kind="password", required=True, max_length=128,
                       hint=t("password.policy", length=ctx.autofin.settings.password_min_length))],
            submit,
        )

    def unlock(row: dict[str, Any]) -> None:
        if ctx.call(lambda uow, a: call("org", "unlock_user", uow, a, row["id"]).id, success=t("common.done")):
            table.refresh()

    def assign(row: dict[str, Any]) -> None:
        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            done = ctx.call(
                lambda uow, a: call("org", "assign_roles", uow, a, row["id"], list(values["role_codes"] or [])).id,
                fields=inputs, success=t("common.saved"),
            )
            if done:
                table.refresh()
            return bool(done)

        form_dialog(
            f"{t('org.user.assign_roles')} · {row['display_name']}",
            [FormField("role_codes", "org.user.roles", kind="multiselect", options=lookups["roles"],
                       value=row["role_codes"])],
            submit,
        )

    actions: list[RowAction] = []
    if actor.can(perm.USER_UPDATE):
        actions.append(RowAction("edit", "common.edit", edit, icon="edit"))
    if actor.can(perm.USER_ASSIGN_ROLES) and lookups["roles"]:
        actions.append(RowAction("roles", "org.user.assign_roles", assign, icon="admin_panel_settings"))
    if actor.can(perm.USER_RESET_PASSWORD):
        actions.append(RowAction("reset", "org.user.reset_password", reset_password, icon="key"))
        actions.append(RowAction("unlock", "org.user.unlock", unlock, icon="lock_open", when="row.locked"))
    if actor.can(perm.USER_DISABLE):
        actions.append(RowAction("disable", "common.disable", lambda r: set_status(r, False), icon="block",
                                 color="negative", when="row.active"))
        actions.append(RowAction("enable", "common.enable", lambda r: set_status(r, True), icon="check_circle",
                                 color="positive", when="!row.active"))

    def toolbar() -> None:
        status = ui.select(
            {"": t("common.all"), "active": t("org.user.status.active"), "disabled": t("org.user.status.disabled")},
            value="", label=t("common.status"),
        ).props("dense outlined options-dense").classes("w-32")
        department = ui.select(
            {0: t("common.all"), **department_choices}, value=0, label=t("org.department"), with_input=True
        ).props("dense outlined options-dense").classes("w-48")

        def apply() -> None:
            filters["status"] = status.value or None
            filters["department_id"] = department.value or None
            table.page = 1
            table.refresh()

        status.on_value_change(apply)
        department.on_value_change(apply)
        if actor.can(perm.USER_CREATE):
            ui.button(t("org.user.new"), icon="person_add", on_click=create).props(
                'unelevated color=primary data-testid="user-new"'
            )

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("username", "org.user.username"),
                Column("display_name", "org.user.full_name"),
                Column("department", "org.department"),
                Column("roles", "org.user.roles"),
                Column("status", "common.status"),
                Column("last_login", "profile.last_login"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
        )


# ------------------------------------------------------------------------------------------------ roles
def roles_page(ctx: PageContext) -> None:
    can_manage = ctx.actor.can(perm.ROLE_MANAGE)
    departments = ctx.read(
        lambda uow, a: department_rows(uow, a) if a.can(perm.DEPARTMENT_VIEW) else [], []
    )
    department_choices = department_options(departments, active_only=False)

    def scope_name(kind: str) -> str:
        return t(f"scope.{kind}") if f"scope.{kind}" in i18n.MESSAGES else kind

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("org", "list_roles", uow, a, q=q, page=page, size=size)
            return [
                {
                    "id": r.id, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                    "name": i18n.pick(r.name_zh, r.name_en), "data_scope": r.data_scope,
                    "scope": scope_name(r.data_scope), "chosen_department_ids": list(r.chosen_department_ids or []),
                    "requires_totp": r.requires_totp, "builtin": r.builtin,
                    "permissions": list(r.permissions), "permission_count": len(r.permissions),
                    "version": r.version,
                    "flags": " · ".join(
                        x for x in (t("org.role.builtin") if r.builtin else "",
                                    t("org.role.require_totp") if r.requires_totp else "") if x
                    ),
                }
                for r in rows
            ], total

        return ctx.read(query, ([], 0))

    def edit(row: dict[str, Any] | None) -> None:
        fields = [
            FormField("code", "common.code", value=row["code"] if row else "", required=True, max_length=32,
                      readonly=row is not None, hint="a-z 0-9 _"),
            FormField("name_zh", "platform.dict.label_zh", value=row["name_zh"] if row else "", required=True),
            FormField("name_en", "platform.dict.label_en", value=row["name_en"] if row else "", required=True),
            FormField("data_scope", "org.role.scope", kind="select", required=True,
                      options={s: scope_name(s) for s in SCOPES}, value=row["data_scope"] if row else "self"),
            FormField("chosen_department_ids", "org.role.scope_departments", kind="multiselect",
                      options=department_choices, value=row["chosen_department_ids"] if row else []),
            FormField("requires_totp", "org.role.require_totp", kind="switch",
                      value=row["requires_totp"] if row else False),
        ]

        def submit(values: dict[str, Any], inputs: dict[str, Any]) -> bool:
            chosen = [int(v) for v in values["chosen_department_ids"] or []]

            def use_case(uow: UnitOfWork, a: Actor) -> Any:
                if row is None:
                    command = RoleCreate(
                        code=values["code"], name_zh=values["name_zh"], name_en=values["name_en"],
                        data_scope=ScopeKind(values["data_scope"]), chosen_department_ids=chosen,
                        requires_totp=bool(values["requires_totp"]),
                    )
                    return call("org", "create_role", uow, a, command).id
                update = RoleUpdate(
                    version=row["version"], name_zh=values["name_zh"], name_en=values["name_en"],
                    data_scope=ScopeKind(values["data_scope"]), chosen_department_ids=chosen,
                    requires_totp=bool(values["requires_totp"]),
                )
                return call("org", "update_role", uow, a, row["id"], update).id

            done = ctx.call(use_case, fields=inputs, success=t("common.saved"))
            if done:
                table.refresh()
            return bool(done)

        form_dialog(t("org.role.new") if row is None else t("org.role.edit"), fields, submit, width="36rem")

    def matrix(row: dict[str, Any]) -> None:
        permission_matrix(ctx, row, readonly=not can_manage, on_saved=table.refresh)

    def delete(row: dict[str, Any]) -> None:
        def go() -> None:
            if ctx.call(lambda uow, a: call("org", "delete_role", uow, a, row["id"]) or True,
                        success=t("common.done")):
                table.refresh()

        confirm(t("common.are_you_sure") + f"（{row['name']}）", go, danger=True)

    actions = [RowAction("permissions", "org.role.permissions", matrix, icon="checklist")]
    if can_manage:
        actions.insert(0, RowAction("edit", "common.edit", lambda r: edit(r), icon="edit"))
        actions.append(RowAction("delete", "common.deactivate", delete, icon="delete", color="negative",
                                 when="!row.builtin"))

    def toolbar() -> None:
        if can_manage:
            ui.button(t("org.role.new"), icon="add", on_click=lambda: edit(None)).props("unelevated color=primary")

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("code", "common.code"),
                Column("name", "common.name"),
                Column("scope", "org.role.scope"),
                Column("permission_count", "org.role.permission_count", align="right"),
                Column("flags", "common.description"),
            ],
            fetch=fetch,
            actions=actions,
            toolbar=toolbar,
        )


def permission_matrix(
    ctx: PageContext, role: dict[str, Any], *, readonly: bool, on_saved: Callable[[], None]
) -> None:
    """Every declared permission, grouped by menu group, with a checkbox each (and one per group)."""
    held = set(role["permissions"])
    admin_role = role["code"] == "admin" and role["builtin"]
    boxes: dict[str, Any] = {}
    groups = {g.code: g for g in all_groups()}
    by_group: dict[str, list[Any]] = {}
    for permission in all_permissions():
        by_group.setdefault(permission.group, []).append(permission)
    order = sorted(by_group, key=lambda code: (groups[code].order if code in groups else 10_000, code))
    with ui.dialog() as dialog, ui.card().style("width: 56rem; max-width: 96vw").classes("gap-2"):
        ui.label(t("org.role.matrix", name=role["name"])).classes("text-h6")
        with ui.scroll_area().style("height: 60vh").classes("w-full"):
            for code in order:
                group = groups.get(code)
                title = i18n.pick(group.zh, group.en) if group else code
                with ui.card().classes("w-full q-mb-sm").props("flat bordered"):
                    with ui.row().classes("items-center gap-2"):
                        group_box = ui.checkbox(title).classes("text-weight-bold")
                    with ui.row().classes("gap-x-6 gap-y-0 q-pl-lg"):
                        members = []
                        for permission in by_group[code]:
                            box = ui.checkbox(
                                i18n.pick(permission.zh, permission.en),
                                value=admin_role or permission.code in held,
                            ).tooltip(permission.code).props(f'data-permission="{permission.code}"')
                            if readonly or admin_role:
                                box.disable()
                            boxes[permission.code] = box
                            members.append(box)
                    group_box.value = all(b.value for b in members)
                    if readonly or admin_role:
                        group_box.disable()
                    group_box.on_value_change(lambda e, m=members: _set_all(m, e.value, e.sender.enabled))

        def save() -> None:
            codes = sorted(code for code, box in boxes.items() if box.value)
            done = ctx.call(
                lambda uow, a: call("org", "update_role", uow, a, role["id"],
                                    RoleUpdate(version=role["version"], permissions=codes)).id,
                success=t("common.saved"),
            )
            if done:
                dialog.close()
                on_saved()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("common.close"), on_click=dialog.close).props("flat")
            if not readonly and not admin_role:
                ui.button(t("common.save"), on_click=save).props("unelevated color=primary")
    dialog.open()


def _set_all(boxes: list[Any], value: bool, enabled: bool) -> None:
    if enabled:
        for box in boxes:
            box.value = value


# ------------------------------------------------------------------------------------------------ login log
def _day_bounds(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    since = datetime.combine(date.fromisoformat(start), time.min, tzinfo=DISPLAY_ZONE) if start else None
    until = (datetime.combine(date.fromisoformat(end), time.min, tzinfo=DISPLAY_ZONE) + timedelta(days=1)
             if end else None)
    return since, until


def login_log_page(ctx: PageContext) -> None:
    filters: dict[str, Any] = {}

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("org", "list_login_log", uow, a, page=page, size=size, **filters)
            return [
                {
                    "id": r.id, "time": fmt_time(r.occurred_at), "username": r.username,
                    "result": t("org.login.ok") if r.success else t("org.login.failed"),
                    "reason": r.reason, "ip": r.ip or "", "user_agent": (r.user_agent or "")[:60],
                }
                for r in rows
            ], total

        return ctx.read(query, ([], 0))

    def toolbar() -> None:
        username = ui.input(t("org.login.user")).props("dense outlined clearable").classes("w-36")
        result = ui.select({"": t("common.all"), "ok": t("org.login.ok"), "failed": t("org.login.failed")},
                           value="", label=t("org.login.success")).props("dense outlined").classes("w-28")
        ip = ui.input(t("org.login.ip")).props("dense outlined clearable").classes("w-36")
        start = ui.input(t("common.from")).props("dense outlined type=date stack-label").classes("w-40")
        end = ui.input(t("common.to")).props("dense outlined type=date stack-label").classes("w-40")

        def apply() -> None:
            filters.clear()
            if username.value:
                filters["username"] = username.value.strip()[:64]
            if result.value:
                filters["success"] = result.value == "ok"
            if ip.value:
                filters["ip"] = ip.value.strip()[:64]
            since, until = _day_bounds(start.value or None, end.value or None)
            if since:
                filters["since"] = since
            if until:
                filters["until"] = until
            table.page = 1
            table.refresh()

        ui.button(t("common.filter"), icon="filter_alt", on_click=apply).props("unelevated color=primary")

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("time", "org.login.time"),
                Column("username", "org.login.user"),
                Column("result", "org.login.success"),
                Column("reason", "org.login.reason"),
                Column("ip", "org.login.ip"),
                Column("user_agent", "org.login.user_agent"),
            ],
            fetch=fetch,
            toolbar=toolbar,
            searchable=False,
        )


# ------------------------------------------------------------------------------------------------ sessions
def sessions_page(ctx: PageContext) -> None:
    can_revoke = ctx.actor.can(perm.SESSION_REVOKE)
    own_session = ctx.actor.session_id

    def fetch(page: int, size: int, q: str | None) -> tuple[list[dict[str, Any]], int]:
        def query(uow: UnitOfWork, a: Actor) -> tuple[list[dict[str, Any]], int]:
            rows, total = call("org", "list_sessions", uow, a, q=q, page=page, size=size)
            return [
                {
                    "id": s.id, "username": s.username + (f"（{t('org.session.current')}）"
                                                          if s.id == own_session else ""),
                    "name": s.username, "started": fmt_time(s.created_at), "last_seen": fmt_time(s.last_seen_at),
                    "expires": fmt_time(s.expires_at), "ip": s.ip or "", "user_agent": (s.user_agent or "")[:60],
                    "current": s.id == own_session,
                }
                for s in rows
            ], total

        return ctx.read(query, ([], 0))

    def revoke(row: dict[str, Any]) -> None:
        def go() -> None:
            if ctx.call(lambda uow, a: call("org", "revoke_session", uow, a, row["id"]) or True,
                        success=t("common.done")):
                table.refresh()

        confirm(t("org.session.revoke_q", name=row["name"]), go, danger=True)

    with ui.card().classes("w-full").props("flat bordered"):
        table = DataTable(
            columns=[
                Column("username", "org.login.user"),
                Column("started", "org.session.started"),
                Column("last_seen", "org.session.last_seen"),
                Column("expires", "org.session.expires"),
                Column("ip", "org.login.ip"),
                Column("user_agent", "org.login.user_agent"),
            ],
            fetch=fetch,
            actions=[RowAction("revoke", "org.session.revoke", revoke, icon="logout", color="negative",
                               when="!row.current")] if can_revoke else [],
        )

