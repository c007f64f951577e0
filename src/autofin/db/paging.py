"""One page of a list query and the total number of rows it matches: what every ``list_*`` use case answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PAGE_SIZE = 200


def fetch_page(
    session: Session,
    statement: Select[Any],
    order_by: Sequence[Any],
    page: int,
    size: int,
    *,
    options: Sequence[Any] = (),
) -> tuple[list[Any], int]:
    """Rows of page ``page`` (1-based) of ``statement`` in ``order_by`` order, and how many rows match in all.

    ``size`` is kept within 1..200 and ``page`` at 1 or more, so a caller can pass what a user typed. The total
    counts the rows of ``statement`` with any ordering it already has removed (ordering does not change a count,
    and some databases refuse it in a subquery). ``order_by`` is added after any ordering ``statement`` already
    has; give it a unique last column (usually the id) so pages never overlap or skip rows. ``options`` (e.g.
    ``selectinload(...)``) apply to the page query only. The rows are the statement's first column
    (``.scalars()``), so pass a statement that selects one entity.
    """
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    query = statement.order_by(*order_by).offset((page - 1) * size).limit(size)
    if options:
        query = query.options(*options)
    rows = session.execute(query).scalars().all()
    return list(rows), int(total)
