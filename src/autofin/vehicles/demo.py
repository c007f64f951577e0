"""Demo vehicles with valid VINs (deterministic), one registered mortgage and a GPS device."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.vehicles import service
from autofin.vehicles.models import GpsDevice, Vehicle
from autofin.vehicles.schemas import GpsDeviceCreate, GpsInstall, LienCreate, LienRegister, VehicleCreate
from autofin.vehicles.vin import YEAR_CODES, make_vin

MODELS = (  # (VIN prefix, model code, powertrain, price)
    ("LFV2A21K", "volkswagen.lavida", "ice", "150000"),
    ("LSVAU2180N", "geely.xingyue_l", "ice", "120000"),
    ("LGXC16DF", "byd.seal", "bev", "220000"),
    ("LC0CE4CB", "byd.qin_plus_dmi", "phev", "160000"),
    ("LRW3E7EA", "tesla.model_y", "bev", "250000"),
    ("LVGBE40K", "toyota.camry", "ice", "200000"),
)
COUNT = 60


def demo_vehicles(count: int = COUNT, seed: int = 7) -> list[VehicleCreate]:
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not secrets
    result = []
    for index in range(count):
        prefix, model, powertrain, price = MODELS[index % len(MODELS)]
        year = rng.randint(2019, 2025)
        vin = make_vin(prefix[:8], YEAR_CODES[(year - 1980) % 30], "1", f"{100000 + index:06d}")
        used = index % 3 == 0
        plate = None
        if used:
            plate = f"粤B{'D' if powertrain == 'bev' else 'F'}{index:05d}" if powertrain != "ice" else f"粤B{index:05d}"
        result.append(
            VehicleCreate(
                vin=vin,
                plate=plate,
                model_code=model,
                condition="used" if used else "new",
                powertrain=powertrain,
                use="self",
                mileage_km=rng.randint(5000, 90000) if used else 0,
                first_registration=date(year, rng.randint(1, 12), 1) if used else None,
                invoice_price=Decimal(price).quantize(Decimal("0.01")),
            )
        )
    return result


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    added = 0
    created: list[Vehicle] = []
    for cmd in demo_vehicles():
        if uow.session.execute(select(Vehicle.id).where(Vehicle.vin == cmd.vin)).first():
            continue
        created.append(service.create_vehicle(uow, SYSTEM, cmd))
        added += 1
    if created:
        lien = service.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=created[0].id, kind="mortgage"))
        service.register_lien(uow, SYSTEM, lien.id, LienRegister(certificate_number="DEMO-0001"))
    devices = _demo_gps(uow, created[:2])
    return [f"vehicles: {added} demo vehicles added, {devices} GPS devices"]


DEMO_GPS = (  # (serial, IMEI with a valid Luhn digit, kind, SIM)
    ("GT06N-20260001", "868120201234561", "wired", "1440012345001"),
    ("GT06N-20260002", "868120201234579", "wired", "1440012345002"),
    ("AT4-20260003", None, "wireless", "13912340003"),
)


def _demo_gps(uow: UnitOfWork, vehicles: list[Vehicle]) -> int:
    """A wired device on each of the first two cars (installed by 张师傅) and a wireless one in stock."""
    added = 0
    for index, (serial, imei, kind, sim) in enumerate(DEMO_GPS):
        if uow.session.execute(select(GpsDevice.id).where(GpsDevice.serial == serial)).first():
            continue
        device = service.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial=serial, imei=imei, kind=kind, sim=sim))
        if index < len(vehicles):
            service.install_gps(uow, SYSTEM, device.id, GpsInstall(vehicle_id=vehicles[index].id, installer="张师傅"))
        added += 1
    return added
