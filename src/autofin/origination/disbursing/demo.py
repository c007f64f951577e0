"""Demo: one application walked the real way to an active loan (idempotent) — entered by dealer1, reviewed by the
assigned reviewers, contract prepared and signed (admin as the signing officer), conditions met, registered by
finance1, reviewed by admin, paid by the bundled bank simulator (its signed callback through the channels service),
loan opened by the callback's subscriber. Also one contracted application waiting for its disbursement registration.

Commits at two checkpoints: the contract signature and the bank's answer take effect through their events, which run
when a unit of work commits.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.channels import service as channels
from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.errors import DomainError
from autofin.org import service as org
from autofin.origination import service
from autofin.origination.contracts import service as contracts
from autofin.origination.disbursing import contract_flow
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.schemas import DisbursementRegister, DisbursementReview, DownPaymentCreate
from autofin.origination.models import Application, ApplicationStatus, TaskStatus
from autofin.origination.schemas import ApplicationCreate, ReviewRequest
from autofin.platform import service as platform
from autofin.vehicles import service as vehicles

PURPOSE_PAID = "购车（演示·已放款）"
PURPOSE_CONTRACTED = "购车（演示·待放款）"
DEALER_ACCOUNT = "110060149018170009876"
# The command shapes of vehicles' use cases, reached through its service module (the one this domain may import);
# vehicles.service imports them without re-exporting, hence the ignores.
LienCreate = vehicles.LienCreate
LienRegister = vehicles.LienRegister
GpsDeviceCreate = vehicles.GpsDeviceCreate
GpsInstall = vehicles.GpsInstall
PolicyCreate = vehicles.PolicyCreate


def _actor(uow: UnitOfWork, username: str) -> Actor | None:
    user = org.find_user(uow, username)
    return None if user is None else org.actor_for_user(uow, user)


def _review_to_decision(uow: UnitOfWork, application: Application, spare: list[Actor]) -> None:
    """Each stage by its assigned reviewer, or by a demo reviewer not yet on this application when in a pool."""
    spare = list(spare)
    while application.status == ApplicationStatus.IN_REVIEW:
        task = next(t for t in service.tasks_of(uow, application) if t.status == TaskStatus.OPEN)
        if task.assignee_id is not None:
            actor = org.actor_for_user(uow, org.get_user(uow, SYSTEM, task.assignee_id))
        else:
            actor = spare.pop(0)
        spare = [a for a in spare if a.user_id != actor.user_id]
        service.review_application(uow, actor, application.id, ReviewRequest(decision="approve",
                                                                            comment="资料齐全（演示）"))


def _sign(uow: UnitOfWork, officer: Actor, application_id: int) -> None:
    session = contract_flow.prepare_contract(uow, officer, application_id)
    contracts.confirm_identity(uow, officer, session.id, evidence={"video_matches_id_photo": True,
                                                                   "note": "视频与证件照一致（演示）"})
    contracts.upload_recording(uow, officer, session.id, f"demo recording {session.contract_no}".encode())
    contracts.record_borrower_consent(uow, officer, session.id, ip="203.0.113.10")
    contracts.sign_as_institution(uow, officer, session.id)


def _conditions(uow: UnitOfWork, application: Application, serial: str) -> None:
    today = platform.business_today()
    lien = vehicles.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=application.vehicle_id, kind="mortgage",
                                                       creditor=disbursement.institution_name(uow),
                                                       loan_reference=application.number))
    vehicles.register_lien(uow, SYSTEM, lien.id, LienRegister(certificate_number=f"DEMO-DY-{application.id:04d}"))
    device = vehicles.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial=serial, kind="wired"))
    vehicles.install_gps(uow, SYSTEM, device.id, GpsInstall(vehicle_id=application.vehicle_id, installer="张师傅"))
    vehicles.add_policy(uow, SYSTEM, application.vehicle_id, PolicyCreate(
        insurer="中国人民财产保险", policy_number=f"PICC-DEMO-{application.id:04d}", kind="vehicle_damage",
        cover=application.price, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=363),
        beneficiary=disbursement.institution_name(uow)))
    disbursement.record_down_payment(uow, SYSTEM, application.id, DownPaymentCreate(
        amount=application.down_payment, received_on=today, reference=f"SK-DEMO-{application.id:04d}"))


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    if uow.session.execute(select(Application.id).where(Application.purpose == PURPOSE_PAID)).first():
        return ["origination: demo disbursement already there"]
    dealer, finance, admin = (_actor(uow, name) for name in ("dealer1", "finance1", "admin"))
    reviewers = [a for a in (_actor(uow, "reviewer1"), _actor(uow, "reviewer2")) if a is not None]
    if dealer is None or finance is None or admin is None or len(reviewers) < 2:
        return ["origination: no demo disbursement (load the organisation demo users first)"]
    dealer = dataclasses.replace(dealer, scope=DataScope.unrestricted())  # enters for a demo customer of any branch
    people, _count = customers.list_customers(uow, SYSTEM, kind="individual", size=40)
    taken = set(uow.session.execute(select(Application.applicant_id)).scalars())
    taken_vins = set(uow.session.execute(select(Application.vin)).scalars())
    cars = [v for v in vehicles.list_vehicles(uow, SYSTEM, size=60)[0]
            if v.condition == "new" and v.invoice_price and v.vin not in taken_vins
            and not vehicles.list_liens(uow, SYSTEM, vin=v.vin)[0]
            and not vehicles.list_gps_devices(uow, SYSTEM, vehicle_id=v.id)]
    people = [p for p in people if p.id not in taken][-2:]
    if len(people) < 2 or len(cars) < 2:
        return ["origination: no demo disbursement (no free demo customer or car)"]
    made: list[str] = []
    try:
        for purpose, person, car in ((PURPOSE_PAID, people[0], cars[0]), (PURPOSE_CONTRACTED, people[1], cars[1])):
            price = car.invoice_price or Decimal("0")
            down = max((price * Decimal("0.4")).quantize(Decimal("0.01")), price - Decimal("90000.00"))
            application = service.create_application(uow, dealer, ApplicationCreate(  # ≤ 100,000: two stages
                applicant_id=person.id, vehicle_id=car.id, product_code="NEW-ANNUITY", price=price,
                down_payment=down, term=36, channel="dealer",
                department_id=dealer.department_id, purpose=purpose))
            service.submit_application(uow, dealer, application.id)
            _review_to_decision(uow, application, reviewers)
            _sign(uow, admin, application.id)
            _conditions(uow, application, f"DEMO-GPS-{application.id:04d}")
            uow.commit()  # ContractSigned → contracted
            made.append(application.number or "")
            if purpose != PURPOSE_PAID:
                continue
            registered = disbursement.register_disbursement(uow, finance, application.id, DisbursementRegister(
                payee="dealer", account_number=DEALER_ACCOUNT, account_name="经销商一（演示）", bank_name="交通银行"),
                idempotency_key=f"demo-disbursement-{application.id}")
            approved = disbursement.review_disbursement(uow, admin, registered.id, DisbursementReview(
                decision="approve", comment="双人复核通过（演示）"))
            channels.settle_with_simulator(uow, SYSTEM, approved.payment_instruction_id or 0)
            uow.commit()  # PaymentPosted → the loan account opens
    except DomainError as exc:
        uow.rollback()
        return [f"origination: demo disbursement stopped: {exc.message.en}"]
    return [f"origination: demo disbursement paid ({made[0]}) and one contracted awaiting registration "
            f"({made[1] if len(made) > 1 else '-'})"]
