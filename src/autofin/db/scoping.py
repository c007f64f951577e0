"""Data scopes restrict queries, not templates (netbox ``.restrict()``).

Every list query of an owned record goes through :func:`restrict`, so an API list, a console table and an
export show the same rows to the same person.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, false, or_
from sqlalchemy.orm import InstrumentedAttribute

from autofin.kernel.actor import Actor

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


def restrict(
    statement: S,
    actor: Actor,
    *,
    department_column: InstrumentedAttribute[Any] | None,
    owner_column: InstrumentedAttribute[Any] | None = None,
) -> S:
    """Keep only the rows the actor's data scope covers."""
    scope = actor.scope
    if actor.is_superuser or scope.everything:
        return statement
    conditions: list[Any] = []
    if department_column is not None and scope.department_ids:
        conditions.append(department_column.in_(sorted(scope.department_ids)))
    if owner_column is not None and scope.own_records and actor.user_id is not None:
        conditions.append(owner_column == actor.user_id)
    if not conditions:
        return statement.where(false())
    return statement.where(or_(*conditions))


def visible(actor: Actor, department_id: int | None, owner_id: int | None = None) -> bool:
    """The same rule for one already-loaded record (detail pages, edits)."""
    scope = actor.scope
    if actor.is_superuser or scope.everything:
        return True
    if department_id is not None and department_id in scope.department_ids:
        return True
    return scope.own_records and owner_id is not None and owner_id == actor.user_id
