"""Helpers for disbursement tests: an application taken through review and signing by the real services, its
disbursement conditions met one by one, and a bank simulator that answers but calls back only when told."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.integration.origination.world import World, application_command

from autofin.bootstrap import App
from autofin.calc import LoanTerms
from autofin.channels import service as channels
from autofin.channels.config import callback_secret
from autofin.channels.http_adapter import HttpBankAdapter
from autofin.channels.simulator import BankSimulator, ServerThread, SimulatorConfig, serve_in_thread
from autofin.customers import service as customers
from autofin.customers.schemas import CardCreate
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.origination import service as origination
from autofin.origination.contracts import service as contracts
from autofin.origination.contracts.document import ContractData, Party, VehicleInfo, render_contract_pdf
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.schemas import DownPaymentCreate
from autofin.origination.schemas import ReviewRequest
from autofin.platform import service as platform
from autofin.vehicles import service as vehicles
from autofin.vehicles.schemas import GpsDeviceCreate, GpsInstall, LienCreate, LienRegister, PolicyCreate

CARD = "6222020200001234562"  # a Luhn-valid test card number
OFFICER = Actor(user_id=990001, username="officer", is_superuser=True, scope=DataScope.unrestricted())


def luhn_card(prefix: str = "622202020000123456") -> str:
    digits = [int(c) for c in prefix]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return prefix + str((10 - total % 10) % 10)


def approved_application(app: App, world: World, **overrides: Any) -> int:
    """Create, submit and approve both stages of the ≤ 100,000 chain (as the system actor, no reviewers exist)."""
    with app.uow() as uow:
        application = origination.create_application(uow, SYSTEM, application_command(world, **overrides))
        origination.submit_application(uow, SYSTEM, application.id)
        origination.review_application(uow, SYSTEM, application.id, ReviewRequest(decision="approve"))
        origination.review_application(uow, SYSTEM, application.id, ReviewRequest(decision="approve"))
        assert application.status == "approved", application.status
        uow.commit()
        return application.id


def sign_contract(app: App, application_id: int) -> str:
    """The whole signing session through the contracts service; returns the contract number."""
    with app.uow() as uow:
        application = origination.get_application(uow, SYSTEM, application_id)
        today = platform.business_today()
        number = contracts.next_contract_number(uow, SYSTEM, today.year)
        pdf = render_contract_pdf(ContractData(
            contract_no=number, product_code=application.product_code, lender=Party("autofin"),
            borrower=Party(application.applicant_name), vehicle=VehicleInfo(application.vin),
            terms=LoanTerms(principal=application.approved_amount, annual_rate=application.approved_rate,
                            term=application.approved_term, disbursement_date=today),
            issued_on=today))
        session = contracts.start_signing_session(uow, SYSTEM, contract_no=number, contract_pdf=pdf,
                                                  borrower_name=application.applicant_name,
                                                  application_id=application_id)
        contracts.confirm_identity(uow, OFFICER, session.id, evidence={"video_matches_id_photo": True})
        contracts.upload_recording(uow, SYSTEM, session.id, b"video-bytes")
        contracts.record_borrower_consent(uow, SYSTEM, session.id, ip="10.0.0.8")
        contracts.sign_as_institution(uow, SYSTEM, session.id)
        uow.commit()
        return number


def meet_conditions(app: App, world: World, application_id: int, *, skip: tuple[str, ...] = ()) -> None:
    """Mortgage registered, GPS installed, insurance naming the institution, down payment received."""
    with app.uow() as uow:
        application = origination.get_application(uow, SYSTEM, application_id)
        today = platform.business_today()
        if "mortgage_registered" not in skip:
            lien = vehicles.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=application.vehicle_id, kind="mortgage"))
            vehicles.register_lien(uow, SYSTEM, lien.id, LienRegister(certificate_number="DY-2026-0001"))
        if "gps_installed" not in skip:
            device = vehicles.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial=f"GPS-{application_id}",
                                                                          kind="wired"))
            vehicles.install_gps(uow, SYSTEM, device.id, GpsInstall(vehicle_id=application.vehicle_id,
                                                                      installer="安装员"))
        if "insurance_beneficiary" not in skip:
            vehicles.add_policy(uow, SYSTEM, application.vehicle_id, PolicyCreate(
                insurer="人保财险", policy_number=f"PICC-{application_id}", kind="vehicle_damage",
                cover=Decimal("200000.00"), starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=364),
                beneficiary="autofin"))
        if "down_payment_received" not in skip:
            disbursement.record_down_payment(uow, SYSTEM, application_id, DownPaymentCreate(
                amount=application.down_payment, received_on=today, reference="SK-0001"))
        uow.commit()


def add_card(app: App, customer_id: int, number: str = CARD, holder: str = "张三") -> int:
    with app.uow() as uow:
        card = customers.add_card(uow, SYSTEM, customer_id, CardCreate(card_number=number, holder_name=holder))
        uow.commit()
        return card.id


def ready_application(app: App, world: World, **overrides: Any) -> int:
    """Approved, signed (→ contracted) and every condition met."""
    application_id = approved_application(app, world, **overrides)
    sign_contract(app, application_id)
    meet_conditions(app, world, application_id)
    return application_id


@contextmanager
def bank(app: App, **config: Any) -> Iterator[tuple[BankSimulator, ServerThread, HttpBankAdapter]]:
    simulator = BankSimulator(SimulatorConfig(callback_secret(app.settings), send_callbacks=False, **config))
    server = serve_in_thread(simulator)
    try:
        yield simulator, server, HttpBankAdapter(server.url, timeout=5)
    finally:
        server.stop()


def deliver(app: App, simulator: BankSimulator, end_to_end_id: str) -> str:
    """The bank's signed callback, through ``channels.handle_callback`` in its own transaction."""
    body, signature = simulator.callback(end_to_end_id)
    with app.uow() as uow:
        instruction = channels.handle_callback(uow, body, signature)
        uow.commit()
        return str(instruction.state)


def end_to_end_id(app: App, instruction_id: int) -> str:
    with app.uow() as uow:
        return channels.get_payment(uow, SYSTEM, instruction_id).end_to_end_id


def today() -> date:
    return platform.business_today()
