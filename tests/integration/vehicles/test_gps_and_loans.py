"""GPS devices: added, installed with photos, removed, faulty; and bound to the servicing loan the car secures —
by the ``LoanDisbursed`` event when the loan names its car, or explicitly by ``bind_gps_to_loan``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, NotFound, ValidationFailed
from autofin.servicing import service as servicing
from autofin.servicing.models import LoanAccount
from autofin.servicing.schemas import LoanOpen
from autofin.vehicles import service
from autofin.vehicles.models import GpsDevice, GpsInstallation, Lien, RegistryEntry, VehicleLoan
from autofin.vehicles.schemas import GpsDeviceCreate, GpsInstall, LienCreate, LoanBind, VehicleCreate
from autofin.vehicles.vin import make_vin

TERMS = {"principal": "120000", "annual_rate": "6", "term": 12, "disbursement_date": "2026-01-15",
         "penalty": {"rate": "9"}}
IMEI = "490154203237518"  # Luhn-valid


def _vehicle(app_ctx, serial: str = "000501") -> int:
    with app_ctx.uow() as uow:
        vehicle = service.create_vehicle(uow, SYSTEM, VehicleCreate(vin=make_vin("LGXC16DF", "R", "1", serial),
                                                                     powertrain="bev", invoice_price="180000.00"))
        uow.commit()
        return vehicle.id


def _device(app_ctx, serial: str = "GPS-001", imei: str | None = IMEI, kind: str = "wired") -> int:
    with app_ctx.uow() as uow:
        device = service.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial=serial, imei=imei, kind=kind,
                                                                      sim="13912345678"))
        uow.commit()
        return device.id


def _install(app_ctx, device_id: int, vehicle_id: int, **extra) -> None:
    with app_ctx.uow() as uow:
        service.install_gps(uow, SYSTEM, device_id, GpsInstall(vehicle_id=vehicle_id, installer="张师傅", **extra))
        uow.commit()


def _open_loan(app_ctx, vehicle_id: int | None, contract: str = "HT-GPS-1") -> int:
    with app_ctx.uow() as uow:
        loan = servicing.open_loan_account(uow, SYSTEM, LoanOpen(contract_no=contract, customer_id=1,
                                                                  product_code="CAR", terms=TERMS,
                                                                  vehicle_id=vehicle_id))
        uow.commit()
        return loan.id


def test_disbursing_a_loan_on_a_car_binds_its_installed_devices_and_its_lien_to_the_loan(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    wired, wireless = _device(app_ctx), _device(app_ctx, "GPS-002", None, "wireless")
    _install(app_ctx, wired, vehicle_id)
    _install(app_ctx, wireless, vehicle_id)
    with app_ctx.uow() as uow:
        lien = service.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=vehicle_id))
        uow.commit()
        lien_id = lien.id

    loan_id = _open_loan(app_ctx, vehicle_id)

    with app_ctx.uow() as uow:
        assert uow.session.get(LoanAccount, loan_id).vehicle_id == vehicle_id
        assert {d.loan_id for d in uow.session.scalars(select(GpsDevice))} == {loan_id}
        assert uow.session.get(Lien, lien_id).loan_id == loan_id
        entry = uow.session.scalars(select(RegistryEntry).where(RegistryEntry.action == "bound_to_loan")).one()
        assert entry.data == {"loan_id": loan_id}
        binding = service.loan_binding(uow, SYSTEM, loan_id)
        assert binding is not None
        assert (binding.vehicle_id, set(binding.device_ids), binding.lien_id) == (vehicle_id, {wired, wireless},
                                                                                    lien_id)
        assert uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "vehicles.gps.bind_loan")).one()


def test_a_device_installed_after_disbursement_is_bound_to_the_cars_loan(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    loan_id = _open_loan(app_ctx, vehicle_id)
    device_id = _device(app_ctx)
    _install(app_ctx, device_id, vehicle_id)
    with app_ctx.uow() as uow:
        assert uow.session.get(GpsDevice, device_id).loan_id == loan_id


def test_a_loan_without_a_car_is_noted_and_can_be_bound_explicitly(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    device_id = _device(app_ctx)
    _install(app_ctx, device_id, vehicle_id)
    loan_id = _open_loan(app_ctx, None)
    with app_ctx.uow() as uow:
        assert uow.session.get(GpsDevice, device_id).loan_id is None
        assert uow.session.scalars(select(VehicleLoan.loan_id)).all() == [loan_id]
        binding = service.bind_gps_to_loan(uow, SYSTEM, LoanBind(vehicle_id=vehicle_id, loan_id=loan_id))
        uow.commit()
    assert binding.device_ids == (device_id,)
    with app_ctx.uow() as uow:
        assert uow.session.get(GpsDevice, device_id).loan_id == loan_id


def test_binding_refuses_an_unknown_loan_a_loan_on_another_car_and_a_lien_securing_another_loan(app_ctx):
    car_a, car_b = _vehicle(app_ctx, "000601"), _vehicle(app_ctx, "000602")
    loan_a = _open_loan(app_ctx, car_a, "HT-A")
    loan_free = _open_loan(app_ctx, None, "HT-FREE")
    with app_ctx.uow() as uow:
        with pytest.raises(NotFound) as unknown:
            service.bind_gps_to_loan(uow, SYSTEM, LoanBind(vehicle_id=car_a, loan_id=999_999))
        assert unknown.value.code == "vehicles.loan.unknown"
        assert unknown.value.errors[0].field == "loan_id"
        with pytest.raises(Conflict) as other_car:
            service.bind_gps_to_loan(uow, SYSTEM, LoanBind(vehicle_id=car_b, loan_id=loan_a))
        assert other_car.value.code == "vehicles.loan.other_vehicle"
        lien = service.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=car_b, loan_id=loan_free))
        uow.commit()
        assert lien.loan_id == loan_free
    # car B's lien secures loan_free: a new loan on car B is refused at disbursement, nothing written
    with pytest.raises(Conflict) as taken:
        _open_loan(app_ctx, car_b, "HT-B2")
    assert taken.value.code == "vehicles.lien.other_loan"
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(LoanAccount).where(LoanAccount.contract_no == "HT-B2")).first() is None


def test_a_loan_naming_a_car_that_does_not_exist_is_refused_naming_vehicle_id(app_ctx):
    with pytest.raises(ValidationFailed) as caught:
        _open_loan(app_ctx, 424242)
    assert caught.value.errors[0].field == "vehicle_id"
    assert "未登记" in caught.value.message.zh
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(LoanAccount)).first() is None


def test_a_lien_for_a_loan_that_was_never_disbursed_is_refused(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    with app_ctx.uow() as uow, pytest.raises(NotFound) as caught:
        service.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=vehicle_id, loan_id=77))
    assert caught.value.errors[0].field == "loan_id"


def test_the_device_lifecycle_removal_unbinds_and_closes_the_installation(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    loan_id = _open_loan(app_ctx, vehicle_id)
    device_id = _device(app_ctx)
    _install(app_ctx, device_id, vehicle_id)
    with app_ctx.uow() as uow:
        with pytest.raises(Conflict) as twice:
            service.install_gps(uow, SYSTEM, device_id, GpsInstall(vehicle_id=vehicle_id, installer="李师傅"))
        assert twice.value.code == "vehicles.gps.already_installed"
        with pytest.raises(Conflict) as back:
            service.change_gps_status(uow, SYSTEM, device_id, "in_stock")
        assert back.value.code == "vehicles.gps.wrong_state"
        device = service.change_gps_status(uow, SYSTEM, device_id, "removed", reason="贷款结清")
        uow.commit()
        assert (device.status, device.vehicle_id, device.loan_id) == ("removed", None, None)
    with app_ctx.uow() as uow:
        installation = uow.session.scalars(select(GpsInstallation)).one()
        assert installation.removed_on == utcnow().date()
        assert service.list_gps_devices(uow, SYSTEM, vehicle_id=vehicle_id) == []
        assert [i.id for i in service.list_gps_installations(uow, SYSTEM, vehicle_id=vehicle_id)] == [installation.id]
        service.change_gps_status(uow, SYSTEM, device_id, "faulty")
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as faulty:
        service.install_gps(uow, SYSTEM, device_id, GpsInstall(vehicle_id=vehicle_id, installer="李师傅"))
    assert faulty.value.code == "vehicles.gps.faulty"
    assert loan_id


def test_a_stale_device_version_is_refused(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    device_id = _device(app_ctx)
    _install(app_ctx, device_id, vehicle_id)  # version 1 → 2
    with app_ctx.uow() as uow, pytest.raises(Conflict) as stale:
        service.change_gps_status(uow, SYSTEM, device_id, "removed", version=1)
    assert stale.value.code == "db.stale_version"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"serial": "G-1", "imei": "490154203237519", "kind": "wired"}, "imei"),  # Luhn fails
        ({"serial": "G-1", "kind": "wired", "sim": "12345"}, "sim"),
        ({"serial": "G-1", "kind": "wireless", "sim": "8986001234"}, "sim"),  # a cut-off ICCID
    ],
)
def test_bad_devices_are_refused_naming_the_field_and_nothing_is_written(app_ctx, body, field):
    with app_ctx.uow() as uow:
        with pytest.raises(ValidationFailed) as caught:
            service.add_gps_device(uow, SYSTEM, GpsDeviceCreate(**body))
        assert caught.value.errors[0].field == field
        assert caught.value.message.zh and caught.value.message.en
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(GpsDevice)).first() is None


def test_duplicate_serial_or_imei_is_refused(app_ctx):
    _device(app_ctx)
    with app_ctx.uow() as uow:
        with pytest.raises(ValidationFailed) as serial:
            service.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial="GPS-001", kind="wired"))
        assert serial.value.errors[0].field == "serial"
        with pytest.raises(ValidationFailed) as imei:
            service.add_gps_device(uow, SYSTEM, GpsDeviceCreate(serial="GPS-XYZ", imei=IMEI, kind="wired"))
        assert imei.value.errors[0].field == "imei"


def test_installation_dates_in_the_future_and_photos_of_other_owners_are_refused(app_ctx):
    vehicle_id = _vehicle(app_ctx)
    device_id = _device(app_ctx)
    with app_ctx.uow() as uow:
        with pytest.raises(ValidationFailed) as future:
            service.install_gps(uow, SYSTEM, device_id, GpsInstall(
                vehicle_id=vehicle_id, installer="张师傅", installed_on=utcnow().date() + timedelta(days=1)))
        assert future.value.errors[0].field == "installed_on"
        with pytest.raises(ValidationFailed) as photo:
            service.install_gps(uow, SYSTEM, device_id, GpsInstall(
                vehicle_id=vehicle_id, installer="张师傅", photo_document_ids=[123456]))
        assert photo.value.errors[0].field == "photo_document_ids"


def test_installation_photos_are_the_vehicles_uploaded_documents(app_ctx):
    from tests.unit.documents import samples

    from autofin.documents import service as documents

    vehicle_id = _vehicle(app_ctx)
    device_id = _device(app_ctx)
    with app_ctx.uow() as uow:
        stored = documents.store_document(uow, SYSTEM, samples.png(40, 30), "安装照片.png", "vehicle_photo",
                                          "vehicle", vehicle_id)
        uow.commit()
        document_id = stored.id
    _install(app_ctx, device_id, vehicle_id, photo_document_ids=[document_id])
    with app_ctx.uow() as uow:
        installation = service.list_gps_installations(uow, SYSTEM, device_id=device_id)[0]
        assert installation.photos == [f"document:{document_id}"]


def test_settling_the_loan_asks_for_the_lien_release_and_a_bounced_last_payment_withdraws_it(app_ctx, admin_user):
    from datetime import date

    from tests.integration.servicing.loans_support import CHECKER, repay

    from autofin.org import service as org
    from autofin.platform.models import InboxMessage
    from autofin.vehicles.permissions import LIEN_REVIEW
    from autofin.vehicles.schemas import LienRegister

    vehicle_id = _vehicle(app_ctx)
    with app_ctx.uow() as uow:
        lien_id = service.apply_lien(uow, SYSTEM, LienCreate(vehicle_id=vehicle_id)).id
        service.register_lien(uow, SYSTEM, lien_id, LienRegister(certificate_number="DY-2026-0001",
                                                                  registered_on=date(2026, 1, 10)))
        uow.commit()
    loan_id = _open_loan(app_ctx, vehicle_id)
    with app_ctx.uow() as uow:
        payoff = servicing.payoff_quote(uow, SYSTEM, loan_id, date(2026, 2, 1))["total"]
    last_payment = repay(app_ctx, loan_id, "2026-02-01", str(payoff))

    with app_ctx.uow() as uow:
        assert uow.session.get(LoanAccount, loan_id).status == "settled"
        lien = uow.session.get(Lien, lien_id)
        assert (lien.status, lien.active) == ("release_requested", True)  # a reviewer still releases it
        entry = uow.session.scalars(select(RegistryEntry).where(RegistryEntry.action == "release_requested")).one()
        assert entry.data["loan_id"] == loan_id and entry.data["settled_on"] == "2026-02-01"
        reviewers = set(uow.session.scalars(select(InboxMessage.user_id).where(
            InboxMessage.template == "vehicles.lien.release_due")))
        assert reviewers and reviewers == set(org.active_user_ids_with_permission(uow, LIEN_REVIEW))

    with app_ctx.uow() as uow:  # the payment bounces before anyone released the car
        servicing.reverse_transaction(uow, CHECKER, last_payment, "退票 bounced")
        uow.commit()
    with app_ctx.uow() as uow:
        assert uow.session.get(LoanAccount, loan_id).status != "settled"
        assert uow.session.get(Lien, lien_id).status == "registered"
        assert uow.session.scalars(select(RegistryEntry.action).order_by(RegistryEntry.sequence)).all()[-2:] == [
            "release_requested", "release_withdrawn"]
        assert service.verify_registry(uow, SYSTEM).intact
