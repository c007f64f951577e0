"""Use cases of vehicles and collateral. Each checks the actor, validates, changes, audits; none commits.

The lien registry: ``apply_lien`` (applied, active) → ``register_lien`` (registered: authority, certificate number,
date) → ``request_lien_release`` → ``release_lien`` (released, inactive); ``cancel_lien`` withdraws an application.
A second active lien on one VIN is refused (409 ``vehicles.lien.already_active``) by a check and, under races, by
the database's partial unique index; the refusal records a risk alert that the caller commits before answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.documents import service as documents
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, FieldError, NotFound, Text, invalid
from autofin.kernel.hashchain import GENESIS_HASH, chain_hash, json_safe
from autofin.org import service as org
from autofin.platform import service as platform
from autofin.platform.service import DictionaryEntry, dictionary_items, is_valid_code
from autofin.vehicles import errors
from autofin.vehicles.models import (
    ACTIVE_STATUSES,
    GPS_TRANSITIONS,
    Appraisal,
    AppraisalMethod,
    GpsDevice,
    GpsInstallation,
    GpsStatus,
    InsurancePolicy,
    Lien,
    LienStatus,
    RegistryEntry,
    RegistryHead,
    Vehicle,
    VehicleAlert,
    VehicleLoan,
)
from autofin.vehicles.permissions import (
    APPRAISAL_MANAGE,
    GPS_MANAGE,
    LIEN_APPLY,
    LIEN_REVIEW,
    LIEN_VIEW,
    REGISTRY_VERIFY,
    VEHICLE_MANAGE,
    VEHICLE_VIEW,
)
from autofin.vehicles.plates import check_plate
from autofin.vehicles.schemas import (
    AppraisalCreate,
    LoanBind,
    VehicleUpdate,
)

# re-exported: the commands other domains build to call these use cases (they may import only this module)
from autofin.vehicles.schemas import GpsDeviceCreate as GpsDeviceCreate
from autofin.vehicles.schemas import GpsInstall as GpsInstall
from autofin.vehicles.schemas import LienCreate as LienCreate
from autofin.vehicles.schemas import LienRegister as LienRegister
from autofin.vehicles.schemas import PolicyCreate as PolicyCreate
from autofin.vehicles.schemas import VehicleCreate as VehicleCreate
from autofin.vehicles.valuation import baseline_value, ltv
from autofin.vehicles.vin import check_vin

HEAD_ID = 1
# a SIM: its 11-digit mobile number, 13-digit IoT number (物联网卡, 14x/106x) or 19–20 character ICCID (89…)
SIM_PATTERN = re.compile(r"^(1\d{10}|1\d{12}|89[0-9A-Fa-f]{17,18})$")
GPS_STATUS_ZH = {"in_stock": "库存", "installed": "已安装", "removed": "已拆除", "faulty": "故障"}


def _today() -> date:
    return utcnow().date()


# --- vehicles ---------------------------------------------------------------------------------------------------


def _check_plate_fits(plate: str | None, powertrain: str) -> str | None:
    if not plate:
        return None
    parsed = check_plate(plate)
    if parsed.new_energy and powertrain == "ice":
        raise invalid(
            "plate",
            "A new-energy (8-character) plate belongs to a BEV or PHEV, not a conventional car.",
            "新能源号牌（8位）只适用于纯电动或插电混动车辆，不适用于燃油车。",
            "vehicles.plate.powertrain_mismatch",
        )
    if parsed.pure_electric is True and powertrain == "phev":
        raise invalid(
            "plate",
            "A D plate marks a pure-electric vehicle; a plug-in hybrid carries an F plate.",
            "D字号牌为纯电动汽车，插电混动车辆应为F字号牌。",
            "vehicles.plate.powertrain_mismatch",
        )
    return parsed.plate


def _check_dates(first_registration: date | None) -> None:
    if first_registration is not None and first_registration > _today():
        raise invalid(
            "first_registration",
            "The first registration date cannot be in the future.",
            "初次登记日期不能晚于今天。",
            "vehicles.first_registration.future",
        )


VEHICLE_MODEL_TYPE = "vehicle_model"


def _check_model_code(uow: UnitOfWork, code: str | None) -> None:
    """A model code, when given, must be an active item of the data dictionary type ``vehicle_model``."""
    if code is not None and not is_valid_code(uow, VEHICLE_MODEL_TYPE, code):
        raise invalid(
            "model_code",
            f"'{code}' is not a vehicle model of the data dictionary; choose an active item of '车型 / vehicle_model' "
            "(e.g. 'toyota.camry'), or ask an administrator to add it.",
            f"“{code}”不是数据字典中的车型，请选择“车型(vehicle_model)”中的有效项（如“toyota.camry”），或请管理员添加。",
            "vehicles.model_code.unknown",
        )


def vehicle_models(uow: UnitOfWork, actor: Actor) -> list[DictionaryEntry]:
    """The active vehicle models of the data dictionary (车型), for the model dropdown."""
    actor.require(VEHICLE_VIEW)
    return dictionary_items(uow, VEHICLE_MODEL_TYPE)


def create_vehicle(uow: UnitOfWork, actor: Actor, cmd: VehicleCreate) -> Vehicle:
    actor.require(VEHICLE_MANAGE)
    decoded = check_vin(cmd.vin, today=_today())
    _check_model_code(uow, cmd.model_code)
    plate = _check_plate_fits(cmd.plate, cmd.powertrain)
    _check_dates(cmd.first_registration)
    if cmd.condition == "used" and cmd.first_registration is None:
        raise invalid(
            "first_registration",
            "A used vehicle needs its first registration date.",
            "二手车须填写初次登记日期。",
            "vehicles.first_registration.required",
        )
    if cmd.invoice_price is not None and cmd.invoice_price <= 0:
        raise invalid(
            "invoice_price",
            "The invoice price must be more than 0.",
            "发票价格必须大于0。",
            "vehicles.invoice_price.invalid",
        )
    existing = uow.session.execute(select(Vehicle).where(Vehicle.vin == decoded.vin)).scalar_one_or_none()
    if existing is not None:
        raise errors.vin_taken(decoded.vin, existing.id)
    vehicle = Vehicle(
        vin=decoded.vin,
        maker=decoded.maker,
        model_year=decoded.model_year,
        plate=plate,
        model_code=cmd.model_code,
        condition=cmd.condition,
        powertrain=cmd.powertrain,
        use=cmd.use,
        mileage_km=cmd.mileage_km,
        first_registration=cmd.first_registration,
        invoice_price=cmd.invoice_price,
        customer_id=cmd.customer_id,
        department_id=actor.department_id,
        created_by=actor.user_id,
    )
    uow.session.add(vehicle)
    uow.flush()
    audit.record(uow, actor, "vehicles.vehicle.create", "vehicle", vehicle.id, after=_vehicle_audit(vehicle))
    return vehicle


def _vehicle_audit(vehicle: Vehicle) -> dict[str, Any]:
    return {
        name: getattr(vehicle, name)
        for name in (
            "vin",
            "plate",
            "model_code",
            "condition",
            "powertrain",
            "use",
            "mileage_km",
            "first_registration",
            "invoice_price",
            "customer_id",
        )
    }


def _visible_vehicle(uow: UnitOfWork, actor: Actor, vehicle_id: int) -> Vehicle:
    vehicle = uow.session.get(Vehicle, vehicle_id)
    if vehicle is None or not visible(actor, vehicle.department_id, vehicle.created_by):
        raise errors.not_found("Vehicle", "车辆", "vehicles.vehicle.not_found", vehicle_id)
    return vehicle


def get_vehicle(uow: UnitOfWork, actor: Actor, vehicle_id: int) -> Vehicle:
    actor.require(VEHICLE_VIEW)
    return _visible_vehicle(uow, actor, vehicle_id)


def _scoped(statement: Select[Any], actor: Actor) -> Select[Any]:
    return restrict(statement, actor, department_column=Vehicle.department_id, owner_column=Vehicle.created_by)


def list_vehicles(
    uow: UnitOfWork,
    actor: Actor,
    *,
    q: str | None = None,
    customer_id: int | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Vehicle], int]:
    """Vehicles in the actor's scope; ``q`` matches the start of the VIN or the plate."""
    actor.require(VEHICLE_VIEW)
    statement = _scoped(select(Vehicle), actor)
    if customer_id is not None:
        statement = statement.where(Vehicle.customer_id == customer_id)
    if q:
        text = q.strip().upper().replace("%", "").replace("_", "")
        statement = statement.where((Vehicle.vin.like(f"{text}%")) | (Vehicle.plate.like(f"{text}%")))
    return fetch_page(uow.session, statement, (Vehicle.id.desc(),), page, size)


def update_vehicle(uow: UnitOfWork, actor: Actor, vehicle_id: int, cmd: VehicleUpdate) -> Vehicle:
    actor.require(VEHICLE_MANAGE)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    ensure_version(vehicle, cmd.version, "vehicle / 车辆")
    before = _vehicle_audit(vehicle)
    changes = cmd.model_dump(exclude_unset=True, exclude={"version"})
    if "plate" in changes:
        changes["plate"] = _check_plate_fits(changes["plate"], vehicle.powertrain)
    if "first_registration" in changes:
        _check_dates(changes["first_registration"])
    if changes.get("model_code") is not None and changes["model_code"] != vehicle.model_code:
        _check_model_code(uow, changes["model_code"])
    if changes.get("mileage_km") is not None and changes["mileage_km"] < vehicle.mileage_km:
        raise invalid(
            "mileage_km",
            f"Mileage cannot go down (recorded {vehicle.mileage_km} km).",
            f"里程数不能减少（已登记{vehicle.mileage_km}公里）。",
            "vehicles.mileage.decreased",
        )
    for name, value in changes.items():
        setattr(vehicle, name, value)
    uow.flush()
    audit.record(
        uow, actor, "vehicles.vehicle.update", "vehicle", vehicle.id, before=before, after=_vehicle_audit(vehicle)
    )
    return vehicle


# --- insurance and appraisal ------------------------------------------------------------------------------------


def add_policy(uow: UnitOfWork, actor: Actor, vehicle_id: int, cmd: PolicyCreate) -> InsurancePolicy:
    actor.require(VEHICLE_MANAGE)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    if cmd.ends_on <= cmd.starts_on:
        raise invalid(
            "ends_on",
            "The policy must end after it starts.",
            "保险止期必须晚于起期。",
            "vehicles.policy.period_invalid",
        )
    if cmd.cover <= 0:
        raise invalid("cover", "The cover must be more than 0.", "保额必须大于0。", "vehicles.policy.cover_invalid")
    policy = InsurancePolicy(vehicle_id=vehicle.id, **cmd.model_dump())
    uow.session.add(policy)
    uow.flush()
    audit.record(
        uow, actor, "vehicles.policy.create", "vehicle", vehicle.id, after={"policy_id": policy.id, **cmd.model_dump()}
    )
    return policy


def list_policies(uow: UnitOfWork, actor: Actor, vehicle_id: int) -> list[InsurancePolicy]:
    actor.require(VEHICLE_VIEW)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    return list(
        uow.session.execute(
            select(InsurancePolicy).where(InsurancePolicy.vehicle_id == vehicle.id).order_by(InsurancePolicy.id)
        ).scalars()
    )


def appraise(uow: UnitOfWork, actor: Actor, vehicle_id: int, cmd: AppraisalCreate) -> Appraisal:
    """Record an appraisal by staff or a third party, or compute the baseline rule value."""
    actor.require(APPRAISAL_MANAGE)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    on = cmd.appraised_on or _today()
    if on > _today():
        raise invalid(
            "appraised_on",
            "An appraisal date cannot be in the future.",
            "评估日期不能晚于今天。",
            "vehicles.appraisal.date_future",
        )
    if cmd.method == str(AppraisalMethod.RULE):
        if vehicle.invoice_price is None:
            raise invalid(
                "method",
                "The rule needs the vehicle's invoice price; record it first.",
                "规则评估需要车辆发票价格，请先登记。",
                "vehicles.appraisal.price_missing",
            )
        value = baseline_value(
            vehicle.invoice_price, vehicle.powertrain, vehicle.first_registration, vehicle.mileage_km, on
        )
        appraiser = "rule:baseline-v1"
    else:
        if cmd.value is None or cmd.value <= 0:
            raise invalid(
                "value",
                "An appraisal value above 0 is required.",
                "须填写大于0的评估价值。",
                "vehicles.appraisal.value_invalid",
            )
        if not cmd.appraiser:
            raise invalid(
                "appraiser",
                "Name the appraiser (staff member or firm).",
                "请填写评估人或评估机构。",
                "vehicles.appraisal.appraiser_missing",
            )
        value, appraiser = cmd.value, cmd.appraiser
    appraisal = Appraisal(
        vehicle_id=vehicle.id,
        method=cmd.method,
        value=value,
        appraised_on=on,
        appraiser=appraiser,
        report_file=cmd.report_file,
        notes=cmd.notes,
    )
    uow.session.add(appraisal)
    uow.flush()
    audit.record(
        uow,
        actor,
        "vehicles.appraisal.create",
        "vehicle",
        vehicle.id,
        after={"appraisal_id": appraisal.id, "method": cmd.method, "value": value, "appraiser": appraiser},
    )
    return appraisal


def list_appraisals(uow: UnitOfWork, actor: Actor, vehicle_id: int) -> list[Appraisal]:
    actor.require(VEHICLE_VIEW)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    return list(
        uow.session.execute(
            select(Appraisal).where(Appraisal.vehicle_id == vehicle.id).order_by(Appraisal.appraised_on, Appraisal.id)
        ).scalars()
    )


@dataclass(frozen=True)
class LtvResult:
    loan: Decimal
    price: Decimal | None
    appraisal: Decimal | None
    basis: Decimal
    ltv: Decimal


def loan_to_value(uow: UnitOfWork, actor: Actor, vehicle_id: int, loan: Decimal) -> LtvResult:
    """LTV of a loan on this vehicle: loan ÷ min(invoice price, latest appraisal)."""
    actor.require(VEHICLE_VIEW)
    vehicle = _visible_vehicle(uow, actor, vehicle_id)
    latest = uow.session.execute(
        select(Appraisal)
        .where(Appraisal.vehicle_id == vehicle.id)
        .order_by(Appraisal.appraised_on.desc(), Appraisal.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    appraisal_value = latest.value if latest else None
    if vehicle.invoice_price is None and appraisal_value is None:
        raise invalid(
            "vehicle_id",
            "The vehicle has neither an invoice price nor an appraisal.",
            "该车辆既无发票价格也无评估价值。",
            "vehicles.ltv.no_value",
        )
    ratio = ltv(loan, vehicle.invoice_price, appraisal_value)
    basis = min(v for v in (vehicle.invoice_price, appraisal_value) if v is not None)
    return LtvResult(loan, vehicle.invoice_price, appraisal_value, basis, ratio.quantize(Decimal("0.0001")))


# --- lien registry ----------------------------------------------------------------------------------------------


def _entry_hash(previous_hash: str, entry: RegistryEntry) -> str:
    content = {
        "sequence": entry.sequence,
        "occurred_at": entry.occurred_at.isoformat(),
        "lien_id": entry.lien_id,
        "vin": entry.vin,
        "action": entry.action,
        "data": entry.data,
        "actor_name": entry.actor_name,
    }
    return chain_hash(previous_hash, content)


def _append(uow: UnitOfWork, actor: Actor, lien: Lien, action: str, data: dict[str, Any]) -> RegistryEntry:
    session = uow.session
    head = session.execute(
        select(RegistryHead).where(RegistryHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = RegistryHead(id=HEAD_ID, last_sequence=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    entry = RegistryEntry(
        sequence=head.last_sequence + 1,
        occurred_at=utcnow(),
        lien_id=lien.id,
        vin=lien.vin,
        action=action,
        data={k: json_safe(v) for k, v in data.items()},
        actor_name=actor.username,
        previous_hash=head.last_hash,
        row_hash="",
    )
    entry.row_hash = _entry_hash(entry.previous_hash, entry)
    head.last_sequence, head.last_hash = entry.sequence, entry.row_hash
    session.add(entry)
    return entry


def _active_lien(uow: UnitOfWork, vin: str, exclude_id: int | None = None) -> Lien | None:
    statement = select(Lien).where(Lien.vin == vin, Lien.active.is_(True))
    if exclude_id is not None:
        statement = statement.where(Lien.id != exclude_id)
    return uow.session.execute(statement).scalars().first()


def _refuse_second_lien(
    uow: UnitOfWork, actor: Actor, vehicle: Vehicle, existing: Lien | None, attempted: str
) -> errors.LienAlreadyActive:
    """Record the risk alert (the caller commits it) and return the error to raise."""
    alert = VehicleAlert(
        kind="second_lien_attempt",
        occurred_at=utcnow(),
        vehicle_id=vehicle.id,
        vin=vehicle.vin,
        detail={"existing_lien_id": existing.id if existing else None, "attempted": attempted},
        actor_name=actor.username,
    )
    uow.session.add(alert)
    uow.flush()
    audit.record(
        uow,
        actor,
        "vehicles.alert.second_lien_attempt",
        "vehicle",
        vehicle.id,
        after={"vin": vehicle.vin, "existing_lien_id": existing.id if existing else None},
    )
    return errors.lien_already_active(vehicle.vin, existing.id if existing else None)


def apply_lien(uow: UnitOfWork, actor: Actor, cmd: LienCreate) -> Lien:
    """Apply for a mortgage or pledge on a vehicle; refused (409 + risk alert) while another lien is active.

    On refusal the alert is already written in this unit of work: commit it, then answer the error.
    """
    actor.require(LIEN_APPLY)
    vehicle = _visible_vehicle(uow, actor, cmd.vehicle_id)
    existing = _active_lien(uow, vehicle.vin)
    if existing is not None:
        raise _refuse_second_lien(uow, actor, vehicle, existing, "apply")
    if cmd.loan_id is not None:
        _check_loan_for_vehicle(uow, cmd.loan_id, vehicle)
    lien = Lien(
        vehicle_id=vehicle.id,
        vin=vehicle.vin,
        kind=cmd.kind,
        status=LienStatus.APPLIED,
        active=True,
        creditor=cmd.creditor,
        loan_reference=cmd.loan_reference,
        loan_id=cmd.loan_id,
        secured_amount=cmd.secured_amount,
        applied_by=actor.username,
    )
    uow.session.add(lien)
    try:
        uow.flush()
    except Conflict:
        # another transaction won the race: the partial unique index refused the second active lien
        uow.session.rollback()
        vehicle = _visible_vehicle(uow, actor, cmd.vehicle_id)
        raise _refuse_second_lien(uow, actor, vehicle, _active_lien(uow, vehicle.vin), "apply") from None
    _append(
        uow,
        actor,
        lien,
        "applied",
        {
            "kind": cmd.kind,
            "creditor": cmd.creditor,
            "loan_reference": cmd.loan_reference,
            "loan_id": cmd.loan_id,
            "secured_amount": cmd.secured_amount,
        },
    )
    audit.record(
        uow,
        actor,
        "vehicles.lien.apply",
        "vehicle_lien",
        lien.id,
        after={"vin": lien.vin, "kind": lien.kind, "status": lien.status},
    )
    return lien


def _lien(uow: UnitOfWork, actor: Actor, lien_id: int) -> Lien:
    lien = uow.session.get(Lien, lien_id)
    if lien is None:
        raise errors.not_found("Lien", "抵押/质押登记", "vehicles.lien.not_found", lien_id)
    _visible_vehicle(uow, actor, lien.vehicle_id)
    return lien


def get_lien(uow: UnitOfWork, actor: Actor, lien_id: int) -> Lien:
    actor.require(LIEN_VIEW)
    return _lien(uow, actor, lien_id)


def list_liens(
    uow: UnitOfWork,
    actor: Actor,
    *,
    vin: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Lien], int]:
    actor.require(LIEN_VIEW)
    statement = restrict(
        select(Lien).join(Vehicle, Vehicle.id == Lien.vehicle_id),
        actor,
        department_column=Vehicle.department_id,
        owner_column=Vehicle.created_by,
    )
    if vin:
        statement = statement.where(Lien.vin == vin.strip().upper())
    if status:
        statement = statement.where(Lien.status == status)
    return fetch_page(uow.session, statement, (Lien.id.desc(),), page, size)


def _step(uow: UnitOfWork, actor: Actor, lien: Lien, action: str, status: str, data: dict[str, Any]) -> Lien:
    before = lien.status
    lien.status = status
    uow.flush()
    _append(uow, actor, lien, action, data)
    audit.record(
        uow,
        actor,
        f"vehicles.lien.{action}",
        "vehicle_lien",
        lien.id,
        before={"status": before},
        after={"status": status, **{k: json_safe(v) for k, v in data.items()}},
    )
    return lien


def register_lien(uow: UnitOfWork, actor: Actor, lien_id: int, cmd: LienRegister) -> Lien:
    """Record the registration at the vehicle administration office (authority, certificate number, date)."""
    actor.require(LIEN_REVIEW)
    lien = _lien(uow, actor, lien_id)
    vehicle = _visible_vehicle(uow, actor, lien.vehicle_id)
    other = _active_lien(uow, lien.vin, exclude_id=lien.id)
    if other is not None:
        raise _refuse_second_lien(uow, actor, vehicle, other, "register")
    if lien.status != LienStatus.APPLIED:
        raise errors.wrong_state("registration", lien.status, LienStatus.APPLIED)
    on = cmd.registered_on or _today()
    if on > _today():
        raise invalid(
            "registered_on",
            "The registration date cannot be in the future.",
            "登记日期不能晚于今天。",
            "vehicles.lien.date_future",
        )
    lien.authority, lien.certificate_number, lien.registered_on = cmd.authority, cmd.certificate_number, on
    lien.registered_by = actor.username
    return _step(
        uow,
        actor,
        lien,
        "registered",
        LienStatus.REGISTERED,
        {"authority": cmd.authority, "certificate_number": cmd.certificate_number, "registered_on": on},
    )


def request_lien_release(uow: UnitOfWork, actor: Actor, lien_id: int, reason: str,
                         context: dict[str, Any] | None = None) -> Lien:
    """``context``: more to keep in the registry entry (e.g. the settled loan and its date)."""
    actor.require(LIEN_APPLY)
    lien = _lien(uow, actor, lien_id)
    if lien.status != LienStatus.REGISTERED:
        raise errors.wrong_state("a release request", lien.status, LienStatus.REGISTERED)
    lien.release_reason = reason
    return _step(uow, actor, lien, "release_requested", LienStatus.RELEASE_REQUESTED,
                 {"reason": reason, **(context or {})})


def release_lien(uow: UnitOfWork, actor: Actor, lien_id: int, released_on: date | None = None) -> Lien:
    actor.require(LIEN_REVIEW)
    lien = _lien(uow, actor, lien_id)
    if lien.status != LienStatus.RELEASE_REQUESTED:
        raise errors.wrong_state("release", lien.status, LienStatus.RELEASE_REQUESTED)
    on = released_on or _today()
    if on > _today() or (lien.registered_on is not None and on < lien.registered_on):
        raise invalid(
            "released_on",
            "The release date must be between the registration date and today.",
            "解押日期应在登记日期与今天之间。",
            "vehicles.lien.date_invalid",
        )
    lien.released_on, lien.released_by, lien.active = on, actor.username, False
    return _step(uow, actor, lien, "released", LienStatus.RELEASED, {"released_on": on})


SETTLED_REASON = "贷款已结清，申请解押 / loan settled, release requested"


def request_release_on_settlement(uow: UnitOfWork, loan_id: int, settled_on: date) -> Lien | None:
    """结清后解押: the registered lien securing a settled loan gets a release request from the system (audited,
    in the registry chain), and the lien reviewers are told; releasing it stays a reviewer's step."""
    lien = _active_lien_of(uow, loan_id, LienStatus.REGISTERED)
    if lien is None:
        return None
    request_lien_release(uow, SYSTEM, lien.id, SETTLED_REASON, {"loan_id": loan_id, "settled_on": settled_on})
    for user_id in org.active_user_ids_with_permission(uow, LIEN_REVIEW):
        platform.notify(uow, user_id, f"贷款 {loan_id} 已结清，请办理解押 / Loan {loan_id} settled: release the lien",
                        f"车辆 {lien.vin} 的抵押（登记证 {lien.certificate_number or '—'}）可解押。"
                        f" The lien on {lien.vin} can be released.", link="/vehicles/liens",
                        template="vehicles.lien.release_due")
    return lien


def withdraw_release_on_reopening(uow: UnitOfWork, loan_id: int) -> Lien | None:
    """A settled loan owes again before its lien was released: the system's release request is withdrawn, so the
    car cannot be released while money is owed. A lien already released is left as it is (the loan page shows it)."""
    lien = _active_lien_of(uow, loan_id, LienStatus.RELEASE_REQUESTED)
    if lien is None:
        return None
    lien.release_reason = ""
    return _step(uow, SYSTEM, lien, "release_withdrawn", LienStatus.REGISTERED,
                 {"reason": "贷款重新欠款 / the loan owes again", "loan_id": loan_id})


def _active_lien_of(uow: UnitOfWork, loan_id: int, status: str) -> Lien | None:
    return uow.session.execute(select(Lien).where(
        Lien.loan_id == loan_id, Lien.active.is_(True), Lien.status == status)).scalars().first()


def cancel_lien(uow: UnitOfWork, actor: Actor, lien_id: int, reason: str) -> Lien:
    """Withdraw an application that was never registered."""
    actor.require(LIEN_APPLY)
    lien = _lien(uow, actor, lien_id)
    if lien.status != LienStatus.APPLIED:
        raise errors.wrong_state("cancelling", lien.status, LienStatus.APPLIED)
    lien.active = False
    return _step(uow, actor, lien, "cancelled", LienStatus.CANCELLED, {"reason": reason})


def registry_entries(uow: UnitOfWork, actor: Actor, *, vin: str | None = None) -> list[RegistryEntry]:
    actor.require(LIEN_VIEW)
    statement = select(RegistryEntry).order_by(RegistryEntry.sequence)
    if vin:
        statement = statement.where(RegistryEntry.vin == vin.strip().upper())
    return list(uow.session.execute(statement).scalars())


def list_alerts(uow: UnitOfWork, actor: Actor) -> list[VehicleAlert]:
    actor.require(LIEN_VIEW)
    return list(uow.session.execute(select(VehicleAlert).order_by(VehicleAlert.id.desc()).limit(200)).scalars())


@dataclass(frozen=True)
class RegistryReport:
    entries_checked: int
    first_broken_sequence: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_sequence is None and self.problem is None


def verify_registry(uow: UnitOfWork, actor: Actor, batch_size: int = 5000) -> RegistryReport:
    """Walk the registry chain; name the first entry that was altered, removed or inserted afterwards."""
    actor.require(REGISTRY_VERIFY)
    session = uow.session
    previous, expected, checked = GENESIS_HASH, 1, 0
    while True:
        rows = (
            session.execute(
                select(RegistryEntry)
                .where(RegistryEntry.sequence >= expected)
                .order_by(RegistryEntry.sequence)
                .limit(batch_size)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            checked += 1
            if row.sequence != expected:
                return RegistryReport(checked, expected, f"entry {expected} is missing")
            if row.previous_hash != previous:
                return RegistryReport(checked, row.sequence, f"entry {row.sequence} does not link to the one before")
            if _entry_hash(previous, row) != row.row_hash:
                return RegistryReport(checked, row.sequence, f"entry {row.sequence} was altered after it was written")
            previous, expected = row.row_hash, expected + 1
    head = session.get(RegistryHead, HEAD_ID)
    if head is not None and (head.last_sequence != expected - 1 or head.last_hash != previous):
        return RegistryReport(checked, expected, f"entries after {expected - 1} were removed (the head disagrees)")
    return RegistryReport(checked, None, None)


# --- GPS devices ------------------------------------------------------------------------------------------------


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def add_gps_device(uow: UnitOfWork, actor: Actor, cmd: GpsDeviceCreate) -> GpsDevice:
    actor.require(GPS_MANAGE)
    serial = cmd.serial.strip()
    if not serial:
        raise invalid(
            "serial", "Enter the device's serial number.", "请填写设备序列号。", "vehicles.gps.serial_required"
        )
    if cmd.imei is not None and not _luhn_valid(cmd.imei):
        raise invalid(
            "imei", "This IMEI fails its check digit (Luhn).", "IMEI校验位错误（Luhn）。", "vehicles.gps.imei_invalid"
        )
    if cmd.sim is not None and not SIM_PATTERN.match(cmd.sim):
        raise invalid(
            "sim",
            "A SIM is its 11-digit mobile number, its 13-digit IoT number or its 19–20 character ICCID (89…).",
            "SIM卡号应为11位手机号、13位物联网卡号，或以89开头的19–20位ICCID。",
            "vehicles.gps.sim_invalid",
        )
    taken = (
        uow.session.execute(select(GpsDevice).where((GpsDevice.serial == serial) | (GpsDevice.imei == cmd.imei)))
        .scalars()
        .first()
        if cmd.imei
        else uow.session.execute(select(GpsDevice).where(GpsDevice.serial == serial)).scalars().first()
    )
    if taken is not None:
        field, label = ("serial", "序列号") if taken.serial == serial else ("imei", "IMEI")
        raise invalid(
            field,
            f"A device with this {field} is already registered (device {taken.id}).",
            f"该{label}的设备已登记（设备 {taken.id}）。",
            "vehicles.gps.duplicate",
        )
    device = GpsDevice(serial=serial, imei=cmd.imei, kind=cmd.kind, sim=cmd.sim, status=GpsStatus.IN_STOCK)
    uow.session.add(device)
    uow.flush()
    audit.record(uow, actor, "vehicles.gps.create", "gps_device", device.id, after=cmd.model_dump())
    return device


def _device(uow: UnitOfWork, device_id: int) -> GpsDevice:
    device = uow.session.get(GpsDevice, device_id)
    if device is None:
        raise errors.not_found("GPS device", "GPS设备", "vehicles.gps.not_found", device_id)
    return device


def get_gps_device(uow: UnitOfWork, actor: Actor, device_id: int) -> GpsDevice:
    actor.require(VEHICLE_VIEW)
    device = _device(uow, device_id)
    if device.vehicle_id is not None:
        _visible_vehicle(uow, actor, device.vehicle_id)
    return device


def _photo_refs(uow: UnitOfWork, actor: Actor, vehicle_id: int, cmd: GpsInstall) -> list[str]:
    """The installation photos: free references as given, plus documents that must be attached to the vehicle."""
    refs = [p for p in cmd.photos if p.strip()]
    if cmd.photo_document_ids:
        attached, _total = documents.list_documents(uow, actor, "vehicle", vehicle_id, size=500)
        known = {d.id for d in attached}
        missing = [i for i in cmd.photo_document_ids if i not in known]
        if missing:
            raise invalid(
                "photo_document_ids",
                f"Documents {missing} are not attached to this vehicle; upload the photos to the vehicle first.",
                f"附件{missing}不属于该车辆，请先将照片上传到该车辆的附件中。",
                "vehicles.gps.photo_unknown",
            )
        refs.extend(f"document:{i}" for i in dict.fromkeys(cmd.photo_document_ids))
    return refs


def install_gps(uow: UnitOfWork, actor: Actor, device_id: int, cmd: GpsInstall) -> GpsInstallation:
    """Install a device on a vehicle, binding it to the vehicle and to the vehicle's loan (when one is known)."""
    actor.require(GPS_MANAGE)
    device = _device(uow, device_id)
    ensure_version(device, cmd.version, "GPS设备 / GPS device")
    vehicle = _visible_vehicle(uow, actor, cmd.vehicle_id)
    if device.status == GpsStatus.INSTALLED:
        raise Conflict(
            "vehicles.gps.already_installed",
            Text(
                f"Device {device.serial} is already installed on vehicle {device.vehicle_id}; remove it first.",
                f"设备 {device.serial} 已安装在车辆 {device.vehicle_id} 上，请先拆除。",
            ),
        )
    if device.status == GpsStatus.FAULTY:
        raise invalid("device_id", "A faulty device cannot be installed.", "故障设备不能安装。", "vehicles.gps.faulty")
    on = cmd.installed_on or _today()
    if on > _today():
        raise invalid(
            "installed_on",
            "The installation date cannot be in the future.",
            "安装日期不能晚于今天。",
            "vehicles.gps.date_future",
        )
    installer = cmd.installer.strip()
    if not installer:
        raise invalid("installer", "Name the installer.", "请填写安装人员。", "vehicles.gps.installer_required")
    photos = _photo_refs(uow, actor, vehicle.id, cmd)
    installation = GpsInstallation(
        device_id=device.id,
        vehicle_id=vehicle.id,
        installer=installer,
        installed_on=on,
        photos=photos,
        notes=cmd.notes,
    )
    known_loan = _loan_of_vehicle(uow, vehicle.id)
    device.status, device.vehicle_id = GpsStatus.INSTALLED, vehicle.id
    device.loan_reference = cmd.loan_reference
    device.loan_id = known_loan.loan_id if known_loan is not None else None
    uow.session.add(installation)
    uow.flush()
    audit.record(
        uow,
        actor,
        "vehicles.gps.install",
        "gps_device",
        device.id,
        after={
            "vehicle_id": vehicle.id,
            "installer": installer,
            "installed_on": on,
            "photos": photos,
            "loan_id": device.loan_id,
            "loan_reference": cmd.loan_reference,
        },
    )
    return installation


def change_gps_status(
    uow: UnitOfWork, actor: Actor, device_id: int, status: str, *, version: int | None = None, reason: str | None = None
) -> GpsDevice:
    """Remove (拆除), report faulty (故障) or return to stock (入库); removing unbinds the vehicle and the loan."""
    actor.require(GPS_MANAGE)
    device = _device(uow, device_id)
    ensure_version(device, version, "GPS设备 / GPS device")
    if device.vehicle_id is not None:
        _visible_vehicle(uow, actor, device.vehicle_id)
    allowed = GPS_TRANSITIONS.get(device.status, ())
    if status not in allowed:
        raise Conflict(
            "vehicles.gps.wrong_state",
            Text(
                f"Device {device.serial} is {device.status}; it can become {', '.join(allowed) or 'nothing else'}, "
                f"not {status} (install a device with the installation step).",
                f"设备 {device.serial} 当前状态为{GPS_STATUS_ZH.get(device.status, device.status)}，不能改为"
                f"{GPS_STATUS_ZH.get(status, status)}（安装请使用“登记安装”）。",
            ),
            [FieldError("status", Text("Not allowed from the current status.", "当前状态下不允许此变更。"))],
        )
    before = {"status": device.status, "vehicle_id": device.vehicle_id, "loan_id": device.loan_id}
    if device.status == GpsStatus.INSTALLED and device.vehicle_id is not None:
        current = uow.session.execute(
            select(GpsInstallation)
            .where(GpsInstallation.device_id == device.id, GpsInstallation.removed_on.is_(None))
            .order_by(GpsInstallation.id.desc())
        ).scalars().first()
        if current is not None and status == GpsStatus.REMOVED:
            current.removed_on = _today()
    device.status = status
    if status in (GpsStatus.REMOVED, GpsStatus.IN_STOCK):
        device.vehicle_id = None
        device.loan_id = None
        device.loan_reference = None
    uow.flush()
    audit.record(
        uow,
        actor,
        "vehicles.gps.status",
        "gps_device",
        device.id,
        before=before,
        after={"status": status, "vehicle_id": device.vehicle_id, "loan_id": device.loan_id, "reason": reason},
    )
    return device


def list_gps_devices(
    uow: UnitOfWork, actor: Actor, *, vehicle_id: int | None = None, status: str | None = None, q: str | None = None
) -> list[GpsDevice]:
    actor.require(VEHICLE_VIEW)
    statement = select(GpsDevice).order_by(GpsDevice.id)
    if vehicle_id is not None:
        _visible_vehicle(uow, actor, vehicle_id)
        statement = statement.where(GpsDevice.vehicle_id == vehicle_id)
    if status:
        statement = statement.where(GpsDevice.status == status)
    if q:
        needle = q.strip()
        statement = statement.where((GpsDevice.serial.startswith(needle)) | (GpsDevice.imei.startswith(needle)))
    return list(uow.session.execute(statement.limit(500)).scalars())


def list_gps_installations(
    uow: UnitOfWork, actor: Actor, *, vehicle_id: int | None = None, device_id: int | None = None
) -> list[GpsInstallation]:
    """Installations, newest first (each with its photos and, once taken off, its removal date)."""
    actor.require(VEHICLE_VIEW)
    statement = select(GpsInstallation).order_by(GpsInstallation.id.desc())
    if vehicle_id is not None:
        _visible_vehicle(uow, actor, vehicle_id)
        statement = statement.where(GpsInstallation.vehicle_id == vehicle_id)
    if device_id is not None:
        statement = statement.where(GpsInstallation.device_id == device_id)
    return list(uow.session.execute(statement.limit(500)).scalars())


# --- binding to servicing loans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanBinding:
    """What ``bind_gps_to_loan`` bound: the loan, its vehicle, the devices on it and its active lien."""

    loan_id: int
    vehicle_id: int
    device_ids: tuple[int, ...]
    lien_id: int | None


def _loan_of_vehicle(uow: UnitOfWork, vehicle_id: int) -> VehicleLoan | None:
    """The newest loan heard of for this vehicle."""
    return uow.session.execute(
        select(VehicleLoan).where(VehicleLoan.vehicle_id == vehicle_id).order_by(VehicleLoan.id.desc())
    ).scalars().first()


def record_loan(uow: UnitOfWork, loan_id: int, disbursed_on: date, vehicle_id: int | None) -> VehicleLoan:
    """Note a disbursed loan (from ``LoanDisbursed``); idempotent on the loan id."""
    known = uow.session.execute(select(VehicleLoan).where(VehicleLoan.loan_id == loan_id)).scalar_one_or_none()
    if known is None:
        known = VehicleLoan(loan_id=loan_id, vehicle_id=vehicle_id, disbursed_on=disbursed_on)
        uow.session.add(known)
        uow.flush()
    return known


def _check_loan_for_vehicle(uow: UnitOfWork, loan_id: int, vehicle: Vehicle) -> VehicleLoan:
    """The disbursed loan ``loan_id``, refused when unknown or already secured on another vehicle."""
    known = uow.session.execute(select(VehicleLoan).where(VehicleLoan.loan_id == loan_id)).scalar_one_or_none()
    if known is None:
        raise NotFound(
            "vehicles.loan.unknown",
            Text(
                f"Loan {loan_id} has not been disbursed (no loan account with this id); check the loan number.",
                f"贷款 {loan_id} 尚未放款（无此贷款账户），请核对贷款编号。",
            ),
            [FieldError("loan_id", Text("No disbursed loan with this id.", "无此已放款贷款。"))],
        )
    if known.vehicle_id is not None and known.vehicle_id != vehicle.id:
        raise Conflict(
            "vehicles.loan.other_vehicle",
            Text(
                f"Loan {loan_id} is secured on vehicle {known.vehicle_id}, not on {vehicle.vin}.",
                f"贷款 {loan_id} 的抵押车辆为车辆 {known.vehicle_id}，不是 {vehicle.vin}。",
            ),
            [FieldError("vehicle_id", Text("Another vehicle secures this loan.", "该贷款的抵押车辆为其他车辆。"))],
        )
    return known


def bind_gps_to_loan(uow: UnitOfWork, actor: Actor, cmd: LoanBind) -> LoanBinding:
    """Bind a vehicle's installed GPS devices and its active lien to a servicing loan (audited).

    The loan must have been disbursed (vehicles heard its ``LoanDisbursed``); a loan already secured on another
    vehicle, or a lien already securing another loan, is refused (409).
    """
    actor.require(GPS_MANAGE)
    vehicle = _visible_vehicle(uow, actor, cmd.vehicle_id)
    known = _check_loan_for_vehicle(uow, cmd.loan_id, vehicle)
    lien = _active_lien(uow, vehicle.vin)
    if lien is not None and lien.loan_id is not None and lien.loan_id != cmd.loan_id:
        raise Conflict(
            "vehicles.lien.other_loan",
            Text(
                f"The active lien on {vehicle.vin} (lien {lien.id}) secures loan {lien.loan_id}; release it before "
                f"the car can secure loan {cmd.loan_id}.",
                f"车辆 {vehicle.vin} 的有效抵押（{lien.id}）担保贷款 {lien.loan_id}，须先解押才能为贷款 "
                f"{cmd.loan_id} 提供担保。",
            ),
            [FieldError("vehicle_id", Text("Its lien secures another loan.", "该车抵押担保的是其他贷款。"))],
        )
    known.vehicle_id = vehicle.id
    devices = list(
        uow.session.execute(
            select(GpsDevice)
            .where(GpsDevice.vehicle_id == vehicle.id, GpsDevice.status == GpsStatus.INSTALLED)
            .order_by(GpsDevice.id)
        ).scalars()
    )
    before = {"devices": {d.id: d.loan_id for d in devices}, "lien_loan_id": lien.loan_id if lien else None}
    for device in devices:
        device.loan_id = cmd.loan_id
    if lien is not None and lien.loan_id != cmd.loan_id:
        lien.loan_id = cmd.loan_id
        uow.flush()
        _append(uow, actor, lien, "bound_to_loan", {"loan_id": cmd.loan_id})
    uow.flush()
    binding = LoanBinding(cmd.loan_id, vehicle.id, tuple(d.id for d in devices), lien.id if lien else None)
    audit.record(
        uow,
        actor,
        "vehicles.gps.bind_loan",
        "vehicle",
        vehicle.id,
        before=before,
        after={"loan_id": cmd.loan_id, "devices": list(binding.device_ids), "lien_id": binding.lien_id},
    )
    return binding


def loan_binding(uow: UnitOfWork, actor: Actor, loan_id: int) -> LoanBinding | None:
    """The vehicle, devices and lien bound to a loan, or None when the loan has no vehicle (yet)."""
    actor.require(VEHICLE_VIEW)
    known = uow.session.execute(select(VehicleLoan).where(VehicleLoan.loan_id == loan_id)).scalar_one_or_none()
    if known is None or known.vehicle_id is None:
        return None
    vehicle = _visible_vehicle(uow, actor, known.vehicle_id)
    devices = uow.session.execute(select(GpsDevice.id).where(GpsDevice.loan_id == loan_id).order_by(GpsDevice.id))
    lien = uow.session.execute(select(Lien.id).where(Lien.loan_id == loan_id, Lien.active.is_(True))).scalar()
    return LoanBinding(loan_id, vehicle.id, tuple(devices.scalars()), lien)


def loans_of_vehicle(uow: UnitOfWork, actor: Actor, vehicle_id: int) -> list[VehicleLoan]:
    actor.require(VEHICLE_VIEW)
    _visible_vehicle(uow, actor, vehicle_id)
    return list(
        uow.session.execute(
            select(VehicleLoan).where(VehicleLoan.vehicle_id == vehicle_id).order_by(VehicleLoan.id.desc())
        ).scalars()
    )


def active_lien_statuses() -> tuple[str, ...]:
    return tuple(str(s) for s in ACTIVE_STATUSES)
