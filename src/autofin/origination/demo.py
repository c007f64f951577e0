"""Demo applications in different states (idempotent): a draft, two in review, one declined by checks, one withdrawn."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import DomainError
from autofin.origination import service
from autofin.origination.models import Application
from autofin.origination.schemas import ApplicationCreate
from autofin.vehicles import service as vehicles

PURPOSE = "购车（演示）"
PLAN = (  # (what happens, down payment share of the price, term, rate)
    ("draft", Decimal("0.4"), 36, None),
    ("submit", Decimal("0.4"), 36, None),
    ("submit", Decimal("0.3"), 24, None),
    ("submit", Decimal("0.4"), 36, Decimal("13")),  # rate above the product: declined by the policy check
    ("withdraw", Decimal("0.5"), 12, None),
)


def _load_applications(uow: UnitOfWork, settings: Any) -> list[str]:
    if uow.session.execute(select(Application.id).where(Application.purpose == PURPOSE)).first():
        return ["origination: demo applications already there"]
    people, _ = customers.list_customers(uow, SYSTEM, size=len(PLAN))
    cars = [v for v in vehicles.list_vehicles(uow, SYSTEM, size=60)[0]
            if v.condition == "new" and v.powertrain == "ice" and v.invoice_price][: len(PLAN)]
    made: dict[str, int] = {}
    for (step, down_share, term, rate), person, car in zip(PLAN, people, cars, strict=False):
        price = car.invoice_price
        if price is None:
            continue
        try:
            application = service.create_application(uow, SYSTEM, ApplicationCreate(
                applicant_id=person.id, vehicle_id=car.id, product_code="NEW-ANNUITY", price=price,
                down_payment=(price * down_share).quantize(Decimal("0.01")), term=term, rate=rate,
                channel="dealer", purpose=PURPOSE))
            if step in ("submit", "withdraw"):
                service.submit_application(uow, SYSTEM, application.id)
            if step == "withdraw":
                service.withdraw_application(uow, SYSTEM, application.id, reason="客户放弃购车（演示）")
        except DomainError as exc:  # e.g. a demo customer on the demo blacklist: skip, the rest still load
            uow.session.rollback()
            return [f"origination: demo applications stopped: {exc.message.en}"]
        made[application.status] = made.get(application.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(made.items()))
    return [f"origination: demo applications added ({summary or 'none: load customers, vehicles, products first'})"]


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    """The demo applications, second-party intake's demo partner (``partners/demo.py``), then one application
    walked through signing and disbursement to an active loan (``disbursing/demo.py``)."""
    from autofin.origination.disbursing import demo as disbursement_demo
    from autofin.origination.partners import demo as partner_demo

    return [
        *_load_applications(uow, settings),
        *partner_demo.load(uow, settings),
        *disbursement_demo.load(uow, settings),
    ]
