"""The lien registry: the database itself refuses two active liens on one VIN; the chain exposes tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from autofin.vehicles import demo, service
from autofin.vehicles.errors import LienAlreadyActive
from autofin.vehicles.models import Lien, VehicleAlert
from autofin.vehicles.schemas import LienCreate, LienRegister, VehicleCreate
from autofin.vehicles.vin import make_vin

VIN = make_vin("LGXC16DF", "R", "1", "000042")


def _vehicle_with_lien(app_ctx, actor) -> tuple[int, int]:
    with app_ctx.uow() as uow:
        vehicle = service.create_vehicle(
            uow, actor, VehicleCreate(vin=VIN, powertrain="bev", invoice_price="180000.00")
        )
        lien = service.apply_lien(uow, actor, LienCreate(vehicle_id=vehicle.id, kind="mortgage"))
        service.register_lien(uow, actor, lien.id, LienRegister(certificate_number="GZ-1"))
        uow.commit()
        return vehicle.id, lien.id


def test_the_database_refuses_a_second_active_lien_even_when_the_service_is_bypassed(app_ctx, system_actor):
    vehicle_id, _ = _vehicle_with_lien(app_ctx, system_actor)
    with app_ctx.uow() as uow:
        uow.session.add(
            Lien(
                vehicle_id=vehicle_id,
                vin=VIN,
                kind="pledge",
                status="applied",
                active=True,
                creditor="other",
                applied_by="x",
            )
        )
        with pytest.raises(Exception, match="integrity"):
            uow.commit()
    with app_ctx.uow() as uow:
        uow.session.add(
            Lien(
                vehicle_id=vehicle_id,
                vin=VIN,
                kind="pledge",
                status="released",
                active=False,
                creditor="old",
                applied_by="x",
            )
        )
        uow.commit()


def test_a_refused_second_lien_leaves_a_risk_alert_when_the_caller_commits(app_ctx, system_actor):
    vehicle_id, lien_id = _vehicle_with_lien(app_ctx, system_actor)
    with app_ctx.uow() as uow:
        with pytest.raises(LienAlreadyActive) as caught:
            service.apply_lien(uow, system_actor, LienCreate(vehicle_id=vehicle_id, kind="pledge"))
        assert caught.value.code == "vehicles.lien.already_active"
        uow.commit()
    with app_ctx.uow() as uow:
        alert = uow.session.execute(select(VehicleAlert)).scalar_one()
        assert alert.vin == VIN and alert.detail == {"existing_lien_id": lien_id, "attempted": "apply"}


def test_verify_finds_an_altered_registry_entry_and_the_command_fails(
    app_ctx, system_actor, test_settings, monkeypatch
):
    _vehicle_with_lien(app_ctx, system_actor)
    with app_ctx.uow() as uow:
        assert service.verify_registry(uow, system_actor).intact
    from autofin import cli

    monkeypatch.setattr(cli, "make_app", lambda: app_ctx)
    runner = CliRunner()
    ok = runner.invoke(cli.app, ["registry", "verify"])
    assert ok.exit_code == 0 and "2 entries" in ok.output
    with app_ctx.engine.begin() as connection:
        connection.execute(
            text("UPDATE vehicle_registry_entries SET data = :d WHERE sequence = 2"),
            {"d": '{"authority": "x", "certificate_number": "FORGED", "registered_on": "2026-01-01"}'},
        )
    with app_ctx.uow() as uow:
        report = service.verify_registry(uow, system_actor)
    assert not report.intact and report.first_broken_sequence == 2
    broken = runner.invoke(cli.app, ["registry", "verify"])
    assert broken.exit_code == 1


def test_demo_vehicles_have_valid_vins_and_load_once(app_ctx, test_settings, system_actor):
    for _ in range(2):
        with app_ctx.uow() as uow:
            demo.load(uow, test_settings)
            uow.commit()
    with app_ctx.uow() as uow:
        assert service.list_vehicles(uow, system_actor)[1] == demo.COUNT
        assert service.list_liens(uow, system_actor)[1] == 1
