"""A small world for origination tests: products, customers, vehicles, users (built through real services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from autofin.bootstrap import App
from autofin.customers import identity
from autofin.customers import service as customers
from autofin.customers.schemas import BlacklistCreate, CustomerCreate
from autofin.kernel.actor import SYSTEM
from autofin.org import service as org
from autofin.org.schemas import DepartmentCreate
from autofin.origination.schemas import ApplicationCreate
from autofin.products import demo as product_demo
from autofin.vehicles import service as vehicles
from autofin.vehicles.schemas import VehicleCreate
from autofin.vehicles.vin import make_vin

REGION = "110101"


@dataclass
class World:
    app: App
    customers: dict[str, int] = field(default_factory=dict)
    vehicles: dict[str, int] = field(default_factory=dict)
    vins: dict[str, str] = field(default_factory=dict)
    id_numbers: dict[str, str] = field(default_factory=dict)
    serial: int = 0

    def customer(self, name: str, birth: date = date(1990, 5, 17), **extra: Any) -> int:
        self.serial += 1
        number = identity.make_resident_id(REGION, birth, 100 + self.serial)
        with self.app.uow() as uow:
            row = customers.create_customer(
                uow,
                SYSTEM,
                CustomerCreate(
                    kind="individual",
                    name=name,
                    id_type="resident_id",
                    id_number=number,
                    phone=f"1390000{self.serial:04d}",
                    monthly_income=Decimal("20000.00"),
                    **extra,
                ),
            )
            uow.commit()
            self.customers[name], self.id_numbers[name] = row.id, number
            return row.id

    def vehicle(self, key: str, *, condition: str = "new", powertrain: str = "ice", price: str = "200000.00") -> int:
        self.serial += 1
        vin = make_vin("LFV2A21K", "P", "3", f"{200000 + self.serial:06d}")
        with self.app.uow() as uow:
            row = vehicles.create_vehicle(
                uow,
                SYSTEM,
                VehicleCreate(
                    vin=vin,
                    condition=condition,
                    powertrain=powertrain,
                    use="self",
                    invoice_price=Decimal(price),
                    first_registration=date(2023, 1, 1) if condition == "used" else None,
                    plate="京A1234" + str(self.serial % 10) if condition == "used" else None,
                    mileage_km=30000 if condition == "used" else 0,
                ),
            )
            uow.commit()
            self.vehicles[key], self.vins[key] = row.id, vin
            return row.id

    def blacklist(self, **identifiers: str) -> None:
        with self.app.uow() as uow:
            customers.add_blacklist_entry(
                uow, SYSTEM, BlacklistCreate(reason="test fraud", source="test", **identifiers)
            )
            uow.commit()

    def department(self, code: str, name: str) -> int:
        with self.app.uow() as uow:
            departments, _count = org.list_departments(uow, SYSTEM, size=200)
            hq_id = next(d.id for d in departments if d.code == "HQ")
            row = org.create_department(uow, SYSTEM, DepartmentCreate(code=code, name=name, parent_id=hq_id))
            uow.commit()
            return row.id


def build_world(app: App) -> World:
    with app.uow() as uow:
        product_demo.load(uow, app.settings)
        uow.commit()
    world = World(app)
    world.customer("张三")
    world.vehicle("car")
    return world


def application_body(
    world: World, *, applicant: str = "张三", vehicle: str = "car", **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "applicant_id": world.customers[applicant],
        "vehicle_id": world.vehicles[vehicle],
        "product_code": "NEW-ANNUITY",
        "price": "200000.00",
        "down_payment": "120000.00",
        "term": 36,
        "method": "annuity",
        "channel": "dealer",
        "purpose": "购车",
    }
    body.update(overrides)
    return body


def application_command(world: World, **overrides: Any) -> ApplicationCreate:
    return ApplicationCreate.model_validate(application_body(world, **overrides))
