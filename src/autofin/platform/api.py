"""The platform API (/api/v1/platform): parameters, dictionary, jobs, the caller's inbox. Thin: parse → service
→ commit → answer; every check is in the service."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from autofin.api.deps import ActorDep, PageDep, UowDep, get_app
from autofin.platform import service
from autofin.platform.schemas import (
    DictionaryItemCreate,
    DictionaryItemPublic,
    DictionaryItemUpdate,
    DictionaryTypeCreate,
    DictionaryTypePublic,
    DictionaryTypeUpdate,
    InboxMessagePublic,
    JobCronUpdate,
    JobPublic,
    JobRunPublic,
    MarkRead,
    ParameterChange,
    ParameterCreate,
    ParameterPublic,
    ResolvedParameter,
    UnreadCount,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1/platform", tags=["platform"])
VersionQuery = Annotated[int | None, Query(ge=1, description="The version you saw; a newer one answers 409.")]
ScopeQuery = Annotated[str | None, Query(max_length=64)]

# ---- parameters ----------------------------------------------------------------------------------------------


@router.get("/parameters", response_model=ListResponse[ParameterPublic])
def list_parameters(
    uow: UowDep, actor: ActorDep, page: PageDep, scope: Annotated[str | None, Query(max_length=16)] = None
) -> dict[str, object]:
    rows, count = service.list_parameters(uow, actor, q=page.q, scope=scope, page=page.page, size=page.size)
    return {"data": rows, "count": count}


@router.post("/parameters", response_model=ParameterPublic, status_code=201)
def create_parameter(body: ParameterCreate, uow: UowDep, actor: ActorDep) -> object:
    row = service.create_parameter(uow, actor, body)
    uow.commit()
    return row


@router.get("/parameters/{key}/value", response_model=ResolvedParameter)
def resolve_parameter(
    key: str, uow: UowDep, actor: ActorDep, on: date | None = None, region: ScopeQuery = None,
    product: ScopeQuery = None, channel: ScopeQuery = None,
) -> ResolvedParameter:
    found = service.lookup_parameter(uow, actor, key, on=on, region=region, product=product, channel=channel)
    value = str(found.value) if found.value_type in ("decimal", "date") else found.value
    return ResolvedParameter(key=found.key, on=on or service.business_today(), value=value,
                             value_type=found.value_type, scope=found.scope, scope_value=found.scope_value,
                             version=found.version)


@router.get("/parameters/{key}/versions", response_model=ListResponse[ParameterPublic])
def parameter_history(key: str, uow: UowDep, actor: ActorDep) -> dict[str, object]:
    rows = service.parameter_history(uow, actor, key)
    return {"data": rows, "count": len(rows)}


@router.post("/parameters/{key}/versions", response_model=ParameterPublic, status_code=201)
def change_parameter(key: str, body: ParameterChange, uow: UowDep, actor: ActorDep) -> object:
    row = service.change_parameter(uow, actor, key, body)
    uow.commit()
    return row


# ---- dictionary ----------------------------------------------------------------------------------------------


@router.get("/dictionary", response_model=ListResponse[DictionaryTypePublic])
def list_dictionary_types(uow: UowDep, actor: ActorDep, page: PageDep) -> dict[str, object]:
    rows, count = service.list_dictionary_types(uow, actor, q=page.q, page=page.page, size=page.size)
    return {"data": rows, "count": count}


@router.post("/dictionary", response_model=DictionaryTypePublic, status_code=201)
def create_dictionary_type(body: DictionaryTypeCreate, uow: UowDep, actor: ActorDep) -> object:
    row = service.create_dictionary_type(uow, actor, body)
    uow.commit()
    return row


@router.patch("/dictionary/{type_code}", response_model=DictionaryTypePublic)
def update_dictionary_type(type_code: str, body: DictionaryTypeUpdate, uow: UowDep, actor: ActorDep) -> object:
    row = service.update_dictionary_type(uow, actor, type_code, body)
    uow.commit()
    return row


@router.get("/dictionary/{type_code}/items", response_model=ListResponse[DictionaryItemPublic])
def list_dictionary_items(
    type_code: str, uow: UowDep, actor: ActorDep, page: PageDep, include_inactive: bool = True
) -> dict[str, object]:
    rows, count = service.list_dictionary_items(
        uow, actor, type_code, include_inactive=include_inactive, q=page.q, page=page.page, size=page.size
    )
    return {"data": rows, "count": count}


@router.post("/dictionary/{type_code}/items", response_model=DictionaryItemPublic, status_code=201)
def create_dictionary_item(type_code: str, body: DictionaryItemCreate, uow: UowDep, actor: ActorDep) -> object:
    row = service.create_dictionary_item(uow, actor, type_code, body)
    uow.commit()
    return row


@router.patch("/dictionary/items/{item_id}", response_model=DictionaryItemPublic)
def update_dictionary_item(item_id: int, body: DictionaryItemUpdate, uow: UowDep, actor: ActorDep) -> object:
    row = service.update_dictionary_item(uow, actor, item_id, body)
    uow.commit()
    return row


@router.delete("/dictionary/items/{item_id}", status_code=204)
def delete_dictionary_item(
    item_id: int, uow: UowDep, actor: ActorDep, version: Annotated[int, Query(ge=1)]
) -> None:
    service.delete_dictionary_item(uow, actor, item_id, version)
    uow.commit()


# ---- jobs ----------------------------------------------------------------------------------------------------


@router.get("/jobs", response_model=ListResponse[JobPublic])
def list_jobs(uow: UowDep, actor: ActorDep) -> dict[str, object]:
    jobs = [JobPublic(**asdict(job)) for job in service.list_jobs(uow, actor)]
    return {"data": jobs, "count": len(jobs)}


@router.get("/jobs/runs", response_model=ListResponse[JobRunPublic])
def list_runs(
    uow: UowDep, actor: ActorDep, page: PageDep, name: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, object]:
    rows, count = service.list_runs(uow, actor, name=name, status=status, page=page.page, size=page.size)
    return {"data": rows, "count": count}


@router.post("/jobs/{name}/pause", response_model=JobPublic)
def pause_job(name: str, uow: UowDep, actor: ActorDep, version: VersionQuery = None) -> JobPublic:
    job = service.pause_job(uow, actor, name, version)
    uow.commit()
    return JobPublic(**asdict(job))


@router.post("/jobs/{name}/resume", response_model=JobPublic)
def resume_job(name: str, uow: UowDep, actor: ActorDep, version: VersionQuery = None) -> JobPublic:
    job = service.resume_job(uow, actor, name, version)
    uow.commit()
    return JobPublic(**asdict(job))


@router.put("/jobs/{name}/cron", response_model=JobPublic)
def update_cron(name: str, body: JobCronUpdate, uow: UowDep, actor: ActorDep) -> JobPublic:
    job = service.update_cron(uow, actor, name, body.cron, body.version)
    uow.commit()
    return JobPublic(**asdict(job))


@router.post("/jobs/{name}/run", response_model=JobRunPublic | None)
def run_job_now(name: str, request: Request, actor: ActorDep) -> object:
    """Runs the job in this request and answers its run-log row (status, counts, error)."""
    return service.run_job_now(get_app(request), actor, name)


# ---- the caller's inbox --------------------------------------------------------------------------------------


@router.get("/inbox", response_model=ListResponse[InboxMessagePublic])
def list_inbox(uow: UowDep, actor: ActorDep, page: PageDep, unread_only: bool = False) -> dict[str, object]:
    rows, count = service.list_inbox(uow, actor, unread_only=unread_only, page=page.page, size=page.size)
    return {"data": rows, "count": count}


@router.get("/inbox/unread-count", response_model=UnreadCount)
def unread_count(uow: UowDep, actor: ActorDep) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(uow, actor))


@router.post("/inbox/read", response_model=UnreadCount)
def mark_read(body: MarkRead, uow: UowDep, actor: ActorDep) -> UnreadCount:
    """Mark the given messages (or ``all``) read; answers the unread count left."""
    if body.all:
        service.mark_all_read(uow, actor)
    else:
        service.mark_read(uow, actor, body.ids)
    uow.commit()
    return UnreadCount(unread=service.unread_count(uow, actor))
