"""HTTP routes of customers, contacts, tags, grades, bank cards and the blacklist: parse → service → commit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.customers import service
from autofin.customers.permissions import BLACKLIST_VIEW
from autofin.customers.schemas import (
    BlacklistCheck,
    BlacklistCreate,
    BlacklistHitPublic,
    BlacklistPublic,
    CardCreate,
    CardPublic,
    CardReveal,
    ContactCreate,
    ContactPublic,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    DuplicatePublic,
    GradeAssign,
    GradeCreate,
    GradePublic,
    MergeRequest,
    ReasonRequest,
    RevealRequest,
    TagAssign,
    TagCreate,
    TagPublic,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1", tags=["customers"])
PathId = Annotated[int, Path(ge=1, le=2**62)]


def _view(uow: Any, customer: Any) -> CustomerPublic:
    tags = service.tags_of(uow, [customer.id]).get(customer.id, [])
    return CustomerPublic.model_validate(service.customer_view(uow, customer, tags=tags))


@router.post("/customers", status_code=201, response_model=CustomerPublic)
def create_customer(body: CustomerCreate, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    customer = service.create_customer(uow, actor, body)
    uow.commit()
    return _view(uow, customer)


@router.get("/customers", response_model=ListResponse[CustomerPublic])
def list_customers(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    kind: Annotated[str | None, Query(pattern="^(individual|enterprise)$")] = None,
    id_number: Annotated[str | None, Query(max_length=40)] = None,
    phone: Annotated[str | None, Query(max_length=24)] = None,
) -> ListResponse[CustomerPublic]:
    rows, total = service.list_customers(
        uow, actor, q=paging.q, id_number=id_number, phone=phone, kind=kind, page=paging.page, size=paging.size
    )
    tags = service.tags_of(uow, [row.id for row in rows])
    data = [CustomerPublic.model_validate(service.customer_view(uow, row, tags=tags.get(row.id))) for row in rows]
    return ListResponse[CustomerPublic](data=data, count=total)


@router.get("/customers/duplicates", response_model=list[DuplicatePublic])
def list_duplicates(uow: UowDep, actor: ActorDep) -> list[DuplicatePublic]:
    return [
        DuplicatePublic(reason=d.reason, customer_ids=d.customer_ids, names=d.names)
        for d in service.possible_duplicates(uow, actor)
    ]


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: PathId, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    return _view(uow, service.get_customer(uow, actor, customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
def update_customer(customer_id: PathId, body: CustomerUpdate, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    customer = service.update_customer(uow, actor, customer_id, body)
    uow.commit()
    return _view(uow, customer)


@router.post("/customers/{customer_id}/reveal", response_model=CustomerPublic)
def reveal_customer(customer_id: PathId, body: RevealRequest, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    view = service.reveal_customer(uow, actor, customer_id, list(body.groups), body.reason)
    uow.commit()
    return CustomerPublic.model_validate(view)


@router.post("/customers/{customer_id}/merge", response_model=CustomerPublic)
def merge_customer(customer_id: PathId, body: MergeRequest, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    customer = service.merge_customers(uow, actor, customer_id, body.duplicate_id, body.reason)
    uow.commit()
    return _view(uow, customer)


@router.post("/customers/{customer_id}/contacts", status_code=201, response_model=ContactPublic)
def add_contact(customer_id: PathId, body: ContactCreate, uow: UowDep, actor: ActorDep) -> ContactPublic:
    contact = service.add_contact(uow, actor, customer_id, body)
    uow.commit()
    return ContactPublic.model_validate(service.contact_view(contact))


@router.get("/customers/{customer_id}/contacts", response_model=list[ContactPublic])
def list_contacts(customer_id: PathId, uow: UowDep, actor: ActorDep) -> list[ContactPublic]:
    return [
        ContactPublic.model_validate(service.contact_view(c)) for c in service.list_contacts(uow, actor, customer_id)
    ]


@router.post("/customers/{customer_id}/tags", response_model=list[str])
def tag_customer(customer_id: PathId, body: TagAssign, uow: UowDep, actor: ActorDep) -> list[str]:
    tags = service.tag_customer(uow, actor, customer_id, body.code)
    uow.commit()
    return tags


@router.delete("/customers/{customer_id}/tags/{code}", response_model=list[str])
def untag_customer(customer_id: PathId, code: str, uow: UowDep, actor: ActorDep) -> list[str]:
    tags = service.untag_customer(uow, actor, customer_id, code)
    uow.commit()
    return tags


@router.post("/customers/{customer_id}/grade", response_model=CustomerPublic)
def assign_grade(customer_id: PathId, body: GradeAssign, uow: UowDep, actor: ActorDep) -> CustomerPublic:
    customer = service.assign_grade(uow, actor, customer_id, body.code)
    uow.commit()
    return _view(uow, customer)


@router.post("/customers/{customer_id}/cards", status_code=201, response_model=CardPublic)
def add_card(customer_id: PathId, body: CardCreate, uow: UowDep, actor: ActorDep) -> CardPublic:
    card = service.add_card(uow, actor, customer_id, body)
    uow.commit()
    return CardPublic.model_validate(service.card_view(card))


@router.get("/customers/{customer_id}/cards", response_model=list[CardPublic])
def list_cards(customer_id: PathId, uow: UowDep, actor: ActorDep) -> list[CardPublic]:
    return [CardPublic.model_validate(service.card_view(c)) for c in service.list_cards(uow, actor, customer_id)]


@router.post("/cards/{card_id}/reveal", response_model=CardReveal)
def reveal_card(card_id: PathId, body: ReasonRequest, uow: UowDep, actor: ActorDep) -> CardReveal:
    number = service.reveal_card(uow, actor, card_id, body.reason)
    uow.commit()
    return CardReveal(id=card_id, card_number=number)


@router.get("/customer-tags", response_model=list[TagPublic])
def list_tags(uow: UowDep, actor: ActorDep) -> list[TagPublic]:
    return [TagPublic.model_validate(t) for t in service.list_tags(uow, actor)]


@router.post("/customer-tags", status_code=201, response_model=TagPublic)
def create_tag(body: TagCreate, uow: UowDep, actor: ActorDep) -> TagPublic:
    tag = service.create_tag(uow, actor, body.code, body.name)
    uow.commit()
    return TagPublic.model_validate(tag)


@router.get("/customer-grades", response_model=list[GradePublic])
def list_grades(uow: UowDep, actor: ActorDep) -> list[GradePublic]:
    return [GradePublic.model_validate(g) for g in service.list_grades(uow, actor)]


@router.post("/customer-grades", status_code=201, response_model=GradePublic)
def create_grade(body: GradeCreate, uow: UowDep, actor: ActorDep) -> GradePublic:
    grade = service.create_grade(uow, actor, body)
    uow.commit()
    return GradePublic.model_validate(grade)


@router.post("/blacklist", status_code=201, response_model=BlacklistPublic)
def add_blacklist_entry(body: BlacklistCreate, uow: UowDep, actor: ActorDep) -> BlacklistPublic:
    entry = service.add_blacklist_entry(uow, actor, body)
    uow.commit()
    return BlacklistPublic.model_validate(entry)


@router.get("/blacklist", response_model=ListResponse[BlacklistPublic])
def list_blacklist(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    status: Annotated[str | None, Query(pattern="^(active|removal_requested|removed)$")] = None,
) -> ListResponse[BlacklistPublic]:
    rows, total = service.list_blacklist(uow, actor, status=status, page=paging.page, size=paging.size)
    return ListResponse[BlacklistPublic](data=[BlacklistPublic.model_validate(r) for r in rows], count=total)


@router.post("/blacklist/check", response_model=list[BlacklistHitPublic])
def check_blacklist(body: BlacklistCheck, uow: UowDep, actor: ActorDep) -> list[BlacklistHitPublic]:
    actor.require(BLACKLIST_VIEW)
    hits = service.check_blacklist(uow, id_number=body.id_number, phone=body.phone, uscc=body.uscc, vin=body.vin)
    return [
        BlacklistHitPublic(
            entry_id=h.entry_id, kind=h.kind, value_masked=h.value_masked, reason=h.reason, source=h.source
        )
        for h in hits
    ]


@router.post("/blacklist/{entry_id}/removal-request", response_model=BlacklistPublic)
def request_removal(entry_id: PathId, body: ReasonRequest, uow: UowDep, actor: ActorDep) -> BlacklistPublic:
    entry = service.request_blacklist_removal(uow, actor, entry_id, body.reason)
    uow.commit()
    return BlacklistPublic.model_validate(entry)


@router.post("/blacklist/{entry_id}/approve-removal", response_model=BlacklistPublic)
def approve_removal(entry_id: PathId, uow: UowDep, actor: ActorDep) -> BlacklistPublic:
    entry = service.decide_blacklist_removal(uow, actor, entry_id, approve=True)
    uow.commit()
    return BlacklistPublic.model_validate(entry)


@router.post("/blacklist/{entry_id}/reject-removal", response_model=BlacklistPublic)
def reject_removal(entry_id: PathId, uow: UowDep, actor: ActorDep) -> BlacklistPublic:
    entry = service.decide_blacklist_removal(uow, actor, entry_id, approve=False)
    uow.commit()
    return BlacklistPublic.model_validate(entry)
