"""Resolving an actor's data scope (数据权限) from its roles: pure functions over plain data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from autofin.kernel.actor import DataScope, ScopeKind


def descendants(root_id: int, parent_of: Mapping[int, int | None]) -> set[int]:
    """``root_id`` and every department below it in the tree given as ``{id: parent_id}``."""
    children: dict[int | None, list[int]] = {}
    for department_id, parent_id in parent_of.items():
        children.setdefault(parent_id, []).append(department_id)
    found: set[int] = set()
    pending = [root_id]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        pending.extend(children.get(current, ()))
    return found


def resolve_scope(
    role_scopes: Iterable[tuple[str, Iterable[int]]],
    user_department_id: int | None,
    parent_of: Mapping[int, int | None],
) -> DataScope:
    """The union of what each role lets the user see.

    ``role_scopes`` holds ``(scope kind, chosen department ids)`` per role; ``parent_of`` is the department tree.
    """
    department_ids: set[int] = set()
    own_records = False
    for kind, chosen in role_scopes:
        scope = ScopeKind(kind)
        if scope is ScopeKind.ALL:
            return DataScope.unrestricted()
        if scope is ScopeKind.DEPARTMENT_AND_BELOW and user_department_id is not None:
            department_ids |= descendants(user_department_id, parent_of)
        elif scope is ScopeKind.DEPARTMENT and user_department_id is not None:
            department_ids.add(user_department_id)
        elif scope is ScopeKind.CHOSEN_DEPARTMENTS:
            department_ids |= set(chosen)
        elif scope is ScopeKind.SELF:
            own_records = True
    return DataScope(everything=False, department_ids=frozenset(department_ids), own_records=own_records)


def would_create_cycle(department_id: int, new_parent_id: int | None, parent_of: Mapping[int, int | None]) -> bool:
    """Moving ``department_id`` under ``new_parent_id`` would put it beneath itself."""
    return new_parent_id is not None and new_parent_id in descendants(department_id, parent_of)
