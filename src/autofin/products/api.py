"""HTTP routes of loan products, their versions, the LTV cap table and quotes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.products import service
from autofin.products.schemas import (
    LtvCapCreate,
    LtvCapPublic,
    ProductCreate,
    ProductPublic,
    QuotePublic,
    QuoteRequest,
    VersionFields,
    VersionPublic,
    VersionUpdate,
)
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1", tags=["products"])
Code = Annotated[str, Path(pattern=r"^[A-Z0-9_\-]{2,32}$")]
Number = Annotated[int, Path(ge=1, le=10_000)]


def _view(uow: Any, product: Any) -> ProductPublic:
    versions = [VersionPublic.model_validate(v) for v in service.versions_of(uow, product)]
    active = next((v for v in versions if v.status == "active"), None)
    return ProductPublic(id=product.id, code=product.code, name=product.name, active_version=active, versions=versions)


@router.post("/products", status_code=201, response_model=ProductPublic)
def create_product(body: ProductCreate, uow: UowDep, actor: ActorDep) -> ProductPublic:
    product = service.create_product(uow, actor, body)
    uow.commit()
    return _view(uow, product)


@router.get("/products", response_model=ListResponse[ProductPublic])
def list_products(uow: UowDep, actor: ActorDep, paging: PageDep) -> ListResponse[ProductPublic]:
    rows, total = service.list_products(uow, actor, q=paging.q, page=paging.page, size=paging.size)
    return ListResponse[ProductPublic](data=[_view(uow, r) for r in rows], count=total)


@router.get("/products/ltv-caps", response_model=list[LtvCapPublic])
def list_ltv_caps(uow: UowDep, actor: ActorDep) -> list[LtvCapPublic]:
    return [LtvCapPublic.model_validate(c) for c in service.list_ltv_caps(uow, actor)]


@router.post("/products/ltv-caps", status_code=201, response_model=LtvCapPublic)
def add_ltv_cap(body: LtvCapCreate, uow: UowDep, actor: ActorDep) -> LtvCapPublic:
    cap = service.add_ltv_cap(uow, actor, body)
    uow.commit()
    return LtvCapPublic.model_validate(cap)


@router.get("/products/{code}", response_model=ProductPublic)
def get_product(code: Code, uow: UowDep, actor: ActorDep) -> ProductPublic:
    return _view(uow, service.get_product(uow, actor, code))


@router.post("/products/{code}/versions", status_code=201, response_model=VersionPublic)
def create_version(code: Code, body: VersionFields, uow: UowDep, actor: ActorDep) -> VersionPublic:
    version = service.create_version(uow, actor, code, body)
    uow.commit()
    return VersionPublic.model_validate(version)


@router.put("/products/{code}/versions/{number}", response_model=VersionPublic)
def update_version(code: Code, number: Number, body: VersionUpdate, uow: UowDep, actor: ActorDep) -> VersionPublic:
    version = service.update_version(uow, actor, code, number, body)
    uow.commit()
    return VersionPublic.model_validate(version)


@router.post("/products/{code}/versions/{number}/activate", response_model=VersionPublic)
def activate_version(code: Code, number: Number, uow: UowDep, actor: ActorDep) -> VersionPublic:
    version = service.activate_version(uow, actor, code, number)
    uow.commit()
    return VersionPublic.model_validate(version)


@router.post("/products/{code}/versions/{number}/retire", response_model=VersionPublic)
def retire_version(code: Code, number: Number, uow: UowDep, actor: ActorDep) -> VersionPublic:
    version = service.retire_version(uow, actor, code, number)
    uow.commit()
    return VersionPublic.model_validate(version)


@router.post("/products/{code}/quote", response_model=QuotePublic)
def quote(code: Code, body: QuoteRequest, uow: UowDep, actor: ActorDep) -> QuotePublic:
    result = service.quote(uow, actor, code, body)
    return QuotePublic.model_validate(result.__dict__)
