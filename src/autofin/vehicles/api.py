"""HTTP routes of vehicles, insurance, appraisals, the lien registry (/mortgages) and GPS devices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.kernel.errors import NotFound, Text
from autofin.schemas import ListResponse
from autofin.vehicles import service
from autofin.vehicles.errors import LienAlreadyActive
from autofin.vehicles.schemas import (
    AppraisalCreate,
    AppraisalPublic,
    GpsDeviceCreate,
    GpsDevicePublic,
    GpsInstall,
    GpsInstallationPublic,
    GpsStatusChange,
    LienCreate,
    LienPublic,
    LienRegister,
    LienRelease,
    LienReleaseRequest,
    LoanBind,
    LoanBindingPublic,
    LtvPublic,
    LtvRequest,
    PolicyCreate,
    PolicyPublic,
    RegistryEntryPublic,
    VehicleCreate,
    VehiclePublic,
    VehicleUpdate,
    VerifyReport,
)

router = APIRouter(prefix="/api/v1", tags=["vehicles"])
PathId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/vehicles", status_code=201, response_model=VehiclePublic)
def create_vehicle(body: VehicleCreate, uow: UowDep, actor: ActorDep) -> VehiclePublic:
    vehicle = service.create_vehicle(uow, actor, body)
    uow.commit()
    return VehiclePublic.model_validate(vehicle)


@router.get("/vehicles", response_model=ListResponse[VehiclePublic])
def list_vehicles(
    uow: UowDep, actor: ActorDep, paging: PageDep, customer_id: Annotated[int | None, Query(ge=1)] = None
) -> ListResponse[VehiclePublic]:
    rows, total = service.list_vehicles(
        uow, actor, q=paging.q, customer_id=customer_id, page=paging.page, size=paging.size
    )
    return ListResponse[VehiclePublic](data=[VehiclePublic.model_validate(r) for r in rows], count=total)


@router.get("/vehicles/{vehicle_id}", response_model=VehiclePublic)
def get_vehicle(vehicle_id: PathId, uow: UowDep, actor: ActorDep) -> VehiclePublic:
    return VehiclePublic.model_validate(service.get_vehicle(uow, actor, vehicle_id))


@router.patch("/vehicles/{vehicle_id}", response_model=VehiclePublic)
def update_vehicle(vehicle_id: PathId, body: VehicleUpdate, uow: UowDep, actor: ActorDep) -> VehiclePublic:
    vehicle = service.update_vehicle(uow, actor, vehicle_id, body)
    uow.commit()
    return VehiclePublic.model_validate(vehicle)


@router.post("/vehicles/{vehicle_id}/policies", status_code=201, response_model=PolicyPublic)
def add_policy(vehicle_id: PathId, body: PolicyCreate, uow: UowDep, actor: ActorDep) -> PolicyPublic:
    policy = service.add_policy(uow, actor, vehicle_id, body)
    uow.commit()
    return PolicyPublic.model_validate(policy)


@router.get("/vehicles/{vehicle_id}/policies", response_model=list[PolicyPublic])
def list_policies(vehicle_id: PathId, uow: UowDep, actor: ActorDep) -> list[PolicyPublic]:
    return [PolicyPublic.model_validate(p) for p in service.list_policies(uow, actor, vehicle_id)]


@router.post("/vehicles/{vehicle_id}/appraisals", status_code=201, response_model=AppraisalPublic)
def appraise(vehicle_id: PathId, body: AppraisalCreate, uow: UowDep, actor: ActorDep) -> AppraisalPublic:
    appraisal = service.appraise(uow, actor, vehicle_id, body)
    uow.commit()
    return AppraisalPublic.model_validate(appraisal)


@router.get("/vehicles/{vehicle_id}/appraisals", response_model=list[AppraisalPublic])
def list_appraisals(vehicle_id: PathId, uow: UowDep, actor: ActorDep) -> list[AppraisalPublic]:
    return [AppraisalPublic.model_validate(a) for a in service.list_appraisals(uow, actor, vehicle_id)]


@router.post("/vehicles/{vehicle_id}/ltv", response_model=LtvPublic)
def loan_to_value(vehicle_id: PathId, body: LtvRequest, uow: UowDep, actor: ActorDep) -> LtvPublic:
    result = service.loan_to_value(uow, actor, vehicle_id, body.loan)
    return LtvPublic(
        loan=result.loan, price=result.price, appraisal=result.appraisal, basis=result.basis, ltv=result.ltv
    )


@router.post("/mortgages", status_code=201, response_model=LienPublic)
def apply_lien(body: LienCreate, uow: UowDep, actor: ActorDep) -> LienPublic:
    try:
        lien = service.apply_lien(uow, actor, body)
    except LienAlreadyActive:
        uow.commit()  # keep the risk alert
        raise
    uow.commit()
    return LienPublic.model_validate(lien)


@router.get("/mortgages", response_model=ListResponse[LienPublic])
def list_liens(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    vin: Annotated[str | None, Query(max_length=17)] = None,
    status: Annotated[str | None, Query(max_length=24)] = None,
) -> ListResponse[LienPublic]:
    rows, total = service.list_liens(uow, actor, vin=vin, status=status, page=paging.page, size=paging.size)
    return ListResponse[LienPublic](data=[LienPublic.model_validate(r) for r in rows], count=total)


@router.get("/mortgages/registry", response_model=list[RegistryEntryPublic])
def registry(
    uow: UowDep, actor: ActorDep, vin: Annotated[str | None, Query(max_length=17)] = None
) -> list[RegistryEntryPublic]:
    return [RegistryEntryPublic.model_validate(e) for e in service.registry_entries(uow, actor, vin=vin)]


@router.get("/mortgages/registry/verify", response_model=VerifyReport)
def verify_registry(uow: UowDep, actor: ActorDep) -> VerifyReport:
    report = service.verify_registry(uow, actor)
    return VerifyReport(
        entries_checked=report.entries_checked,
        intact=report.intact,
        first_broken_sequence=report.first_broken_sequence,
        problem=report.problem,
    )


@router.get("/mortgages/{lien_id}", response_model=LienPublic)
def get_lien(lien_id: PathId, uow: UowDep, actor: ActorDep) -> LienPublic:
    return LienPublic.model_validate(service.get_lien(uow, actor, lien_id))


@router.post("/mortgages/{lien_id}/register", response_model=LienPublic)
def register_lien(lien_id: PathId, uow: UowDep, actor: ActorDep, body: LienRegister | None = None) -> LienPublic:
    try:
        lien = service.register_lien(uow, actor, lien_id, body or LienRegister())
    except LienAlreadyActive:
        uow.commit()  # keep the risk alert
        raise
    uow.commit()
    return LienPublic.model_validate(lien)


@router.post("/mortgages/{lien_id}/request-release", response_model=LienPublic)
def request_release(
    lien_id: PathId, uow: UowDep, actor: ActorDep, body: LienReleaseRequest | None = None
) -> LienPublic:
    lien = service.request_lien_release(uow, actor, lien_id, (body or LienReleaseRequest()).reason)
    uow.commit()
    return LienPublic.model_validate(lien)


@router.post("/mortgages/{lien_id}/release", response_model=LienPublic)
def release_lien(lien_id: PathId, uow: UowDep, actor: ActorDep, body: LienRelease | None = None) -> LienPublic:
    lien = service.release_lien(uow, actor, lien_id, (body or LienRelease()).released_on)
    uow.commit()
    return LienPublic.model_validate(lien)


@router.post("/mortgages/{lien_id}/cancel", response_model=LienPublic)
def cancel_lien(lien_id: PathId, body: LienReleaseRequest, uow: UowDep, actor: ActorDep) -> LienPublic:
    lien = service.cancel_lien(uow, actor, lien_id, body.reason)
    uow.commit()
    return LienPublic.model_validate(lien)


@router.post("/gps-devices", status_code=201, response_model=GpsDevicePublic)
def add_gps_device(body: GpsDeviceCreate, uow: UowDep, actor: ActorDep) -> GpsDevicePublic:
    device = service.add_gps_device(uow, actor, body)
    uow.commit()
    return GpsDevicePublic.model_validate(device)


@router.get("/gps-devices", response_model=list[GpsDevicePublic])
def list_gps_devices(
    uow: UowDep,
    actor: ActorDep,
    vehicle_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> list[GpsDevicePublic]:
    devices = service.list_gps_devices(uow, actor, vehicle_id=vehicle_id, status=status, q=q)
    return [GpsDevicePublic.model_validate(d) for d in devices]


@router.post("/gps-devices/bind-loan", response_model=LoanBindingPublic)
def bind_gps_to_loan(body: LoanBind, uow: UowDep, actor: ActorDep) -> LoanBindingPublic:
    binding = service.bind_gps_to_loan(uow, actor, body)
    uow.commit()
    return _binding(binding)


@router.get("/gps-devices/loans/{loan_id}", response_model=LoanBindingPublic)
def loan_binding(loan_id: PathId, uow: UowDep, actor: ActorDep) -> LoanBindingPublic:
    binding = service.loan_binding(uow, actor, loan_id)
    if binding is None:
        raise NotFound(
            "vehicles.loan.no_vehicle",
            Text(f"Loan {loan_id} has no collateral vehicle bound.", f"贷款 {loan_id} 未绑定抵押车辆。"),
        )
    return _binding(binding)


def _binding(binding: service.LoanBinding) -> LoanBindingPublic:
    return LoanBindingPublic(
        loan_id=binding.loan_id, vehicle_id=binding.vehicle_id, device_ids=list(binding.device_ids),
        lien_id=binding.lien_id,
    )


@router.get("/gps-devices/{device_id}", response_model=GpsDevicePublic)
def get_gps_device(device_id: PathId, uow: UowDep, actor: ActorDep) -> GpsDevicePublic:
    return GpsDevicePublic.model_validate(service.get_gps_device(uow, actor, device_id))


@router.get("/gps-devices/{device_id}/installations", response_model=list[GpsInstallationPublic])
def device_installations(device_id: PathId, uow: UowDep, actor: ActorDep) -> list[GpsInstallationPublic]:
    service.get_gps_device(uow, actor, device_id)
    rows = service.list_gps_installations(uow, actor, device_id=device_id)
    return [GpsInstallationPublic.model_validate(i) for i in rows]


@router.get("/vehicles/{vehicle_id}/gps-installations", response_model=list[GpsInstallationPublic])
def vehicle_installations(vehicle_id: PathId, uow: UowDep, actor: ActorDep) -> list[GpsInstallationPublic]:
    rows = service.list_gps_installations(uow, actor, vehicle_id=vehicle_id)
    return [GpsInstallationPublic.model_validate(i) for i in rows]


@router.post("/gps-devices/{device_id}/install", response_model=GpsDevicePublic)
def install_gps(device_id: PathId, body: GpsInstall, uow: UowDep, actor: ActorDep) -> GpsDevicePublic:
    service.install_gps(uow, actor, device_id, body)
    uow.commit()
    return GpsDevicePublic.model_validate(service.get_gps_device(uow, actor, device_id))


@router.post("/gps-devices/{device_id}/status", response_model=GpsDevicePublic)
def change_gps_status(device_id: PathId, body: GpsStatusChange, uow: UowDep, actor: ActorDep) -> GpsDevicePublic:
    device = service.change_gps_status(uow, actor, device_id, body.status, version=body.version, reason=body.reason)
    uow.commit()
    return GpsDevicePublic.model_validate(device)
