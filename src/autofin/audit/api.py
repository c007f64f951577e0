"""The operation log over HTTP: ``GET /api/v1/audit/events`` with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.audit.service import list_events
from autofin.schemas import ListResponse, PublicModel

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventPublic(PublicModel):
    id: int
    sequence: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    ip: str | None


@router.get("/events", response_model=ListResponse[AuditEventPublic])
def events(
    actor: ActorDep,
    uow: UowDep,
    paging: PageDep,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ListResponse[AuditEventPublic]:
    rows, count = list_events(
        uow, actor, entity_type=entity_type, entity_id=entity_id, actor_id=actor_id, action=action,
        since=since, until=until, page=paging.page, size=paging.size,
    )
    return ListResponse(data=[AuditEventPublic.model_validate(row) for row in rows], count=count)
