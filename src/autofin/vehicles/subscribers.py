"""Servicing events → the vehicles domain, in the same transaction.

``LoanDisbursed``: the loan is noted (``vehicle_loans``); when it names its collateral car, the car's installed GPS
devices and its active lien are bound to the loan. A car that does not exist, or whose lien secures another loan,
refuses the disbursement (the error names ``vehicle_id``).

``LoanSettled``: the registered lien securing the loan gets a release request (结清后解押); ``LoanReopened`` (the
last payment bounced) withdraws that request if the lien has not been released yet.
"""

from __future__ import annotations

from typing import Any

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import NotFound, invalid
from autofin.kernel.events import subscribe
from autofin.servicing import events
from autofin.vehicles import service
from autofin.vehicles.schemas import LoanBind


def on_loan_disbursed(uow: Any, event: events.LoanDisbursed) -> None:
    if event.loan_id is None:
        return
    service.record_loan(uow, event.loan_id, event.business_date, None)
    if event.vehicle_id is None:
        return
    try:
        service.get_vehicle(uow, SYSTEM, event.vehicle_id)
    except NotFound:
        raise invalid(
            "vehicle_id",
            f"Vehicle {event.vehicle_id} is not registered; register the collateral car before the loan is opened.",
            f"车辆 {event.vehicle_id} 未登记，请先登记抵押车辆再开立贷款账户。",
            "vehicles.loan.vehicle_unknown",
        ) from None
    service.bind_gps_to_loan(uow, SYSTEM, LoanBind(vehicle_id=event.vehicle_id, loan_id=event.loan_id))


def on_loan_settled(uow: Any, event: events.LoanSettled) -> None:
    if event.loan_id is not None:
        service.request_release_on_settlement(uow, event.loan_id, event.business_date)


def on_loan_reopened(uow: Any, event: events.LoanReopened) -> None:
    if event.loan_id is not None:
        service.withdraw_release_on_reopening(uow, event.loan_id)


subscribe(events.LoanDisbursed, on_loan_disbursed)
subscribe(events.LoanSettled, on_loan_settled)
subscribe(events.LoanReopened, on_loan_reopened)
