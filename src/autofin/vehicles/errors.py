"""Errors of the vehicles domain, bilingual, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import Conflict, FieldError, NotFound, Text


def not_found(what_en: str, what_zh: str, code: str, ident: object) -> NotFound:
    return NotFound(
        code,
        Text(
            f"{what_en} {ident} does not exist or is outside your data scope.",
            f"{what_zh} {ident} 不存在或不在您的数据权限范围内。",
        ),
    )


class LienAlreadyActive(Conflict):
    """A second active lien on one VIN (the database refuses it too)."""


def lien_already_active(vin: str, existing_id: int | None) -> LienAlreadyActive:
    which = f" (lien {existing_id})" if existing_id else ""
    return LienAlreadyActive(
        "vehicles.lien.already_active",
        Text(
            f"Vehicle {vin} already has an active mortgage or pledge{which}; it must be released before another "
            "can be registered. Risk officers have been alerted.",
            f"车辆 {vin} 已存在有效的抵押/质押登记{which}，须先解押才能再次登记；已通知风控人员。",
        ),
        [FieldError("vehicle_id", Text("This vehicle is already under an active lien.", "该车辆已有有效抵押/质押。"))],
    )


def vin_taken(vin: str, existing_id: int) -> Conflict:
    return Conflict(
        "vehicles.vehicle.vin_taken",
        Text(
            f"Vehicle {vin} is already registered (vehicle {existing_id}).",
            f"车辆 {vin} 已登记（车辆 {existing_id}）。",
        ),
        [FieldError("vin", Text("Already registered.", "已登记。"))],
    )


def wrong_state(what: str, status: str, allowed: str) -> Conflict:
    return Conflict(
        "vehicles.lien.wrong_state",
        Text(
            f"The lien is {status}; {what} needs it to be {allowed}.",
            f"该抵押/质押当前状态为{status}，{what}要求状态为{allowed}。",
        ),
    )
