"""Credit lines (授信额度): a limit a customer draws on until it expires, through the same application flow.

* A draft application is marked as a **request** for a line (``request_credit_line``): its amount is the limit
  asked for. It is submitted, checked and reviewed like any application; on approval the line opens with the
  approved amount as its limit, valid for the months asked (``CreditLineOpened``).
* A **drawdown** (用信, ``create_drawdown``) is an ordinary application of the line's customer under the line's
  product, linked to the line. It is checked against the line at creation, at submission (a check provider:
  decline) and again at disbursement registration and approval (422): the line must be active, within its
  validity, and the amount at most what remains (limit − paid out − disbursements in flight).
* Paid out (``record_drawn``) when the drawdown's disbursement is posted by the bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from autofin import calc
from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.errors import invalid
from autofin.kernel.money import ZERO
from autofin.origination import checks, errors
from autofin.origination.disbursing.models import (
    CreditLine,
    CreditLineLink,
    CreditLineStatus,
    Disbursement,
    DisbursementStatus,
)
from autofin.origination.disbursing.schemas import CreditLineRequest, DrawdownCreate
from autofin.origination.events import ApplicationApproved, CreditLineOpened
from autofin.origination.models import EDITABLE, IN_FLIGHT, Application, TimelineEntry
from autofin.origination.permissions import CREDIT_LINE_MANAGE, CREDIT_LINE_VIEW
from autofin.origination.schemas import ApplicationCreate
from autofin.platform import service as platform

ENTITY = "credit_line"
REQUEST, DRAWDOWN = "request", "drawdown"


@dataclass(frozen=True)
class CreditLineView:
    line: CreditLine
    reserved: Decimal  # drawdowns registered or being paid, not posted yet
    available: Decimal  # limit − drawn − reserved, never below zero


def _link(uow: UnitOfWork, application_id: int) -> CreditLineLink | None:
    return uow.session.execute(
        select(CreditLineLink).where(CreditLineLink.application_id == application_id)
    ).scalar_one_or_none()


def _visible_line(uow: UnitOfWork, actor: Actor, credit_line_id: int, *, lock: bool = False) -> CreditLine:
    statement = select(CreditLine).where(CreditLine.id == credit_line_id)
    if lock:
        statement = statement.with_for_update()
    line = uow.session.execute(statement).scalar_one_or_none()
    if line is None or not visible(actor, line.department_id, line.owner_id):
        raise errors.credit_line_not_found(credit_line_id)
    return line


def reserved_on(uow: UnitOfWork, line: CreditLine, exclude_disbursement_id: int | None = None) -> Decimal:
    statement = select(Disbursement.amount).where(
        Disbursement.credit_line_id == line.id,
        Disbursement.status.in_([DisbursementStatus.REGISTERED.value, DisbursementStatus.PAYING.value]),
    )
    if exclude_disbursement_id is not None:
        statement = statement.where(Disbursement.id != exclude_disbursement_id)
    return sum(uow.session.execute(statement).scalars(), ZERO)


def view_of(uow: UnitOfWork, line: CreditLine) -> CreditLineView:
    reserved = reserved_on(uow, line)
    return CreditLineView(line, reserved, max(ZERO, line.limit_amount - line.drawn_amount - reserved))


def _usable(line: CreditLine, on: date) -> bool:
    return line.status == CreditLineStatus.ACTIVE and line.valid_from <= on <= line.valid_until


def _require_room(uow: UnitOfWork, line: CreditLine, amount: Decimal,
                  exclude_disbursement_id: int | None = None) -> None:
    if not _usable(line, platform.business_today()):
        raise errors.credit_line_unavailable(line.number, line.status, line.valid_until)
    remaining = max(ZERO, line.limit_amount - line.drawn_amount - reserved_on(uow, line, exclude_disbursement_id))
    if amount > remaining:
        raise errors.credit_line_exceeded(line.number, remaining, amount)


# ---- requests and the line ----------------------------------------------------------------------------------------


def request_credit_line(uow: UnitOfWork, actor: Actor, application_id: int, cmd: CreditLineRequest) -> CreditLineLink:
    """Mark a draft (or returned) application as a request for a credit line of its amount."""
    actor.require(CREDIT_LINE_MANAGE)
    application = uow.session.get(Application, application_id)
    if application is None or not visible(actor, application.department_id, application.owner_id):
        raise errors.application_not_found(application_id)
    if application.status not in EDITABLE:
        raise errors.wrong_status(application.status, "draft or returned", "ask for a credit line", "申请授信")
    link = _link(uow, application.id)
    if link is not None and link.kind == DRAWDOWN:
        raise invalid("application_id", "This application draws on a credit line; it cannot also ask for one.",
                      "该申请是用信申请，不能同时申请授信。", "origination.credit_line.kind_conflict")
    if link is None:
        link = CreditLineLink(application_id=application.id, kind=REQUEST, validity_months=cmd.validity_months)
        uow.session.add(link)
    else:
        link.validity_months = cmd.validity_months
    uow.flush()
    uow.session.add(TimelineEntry(application_id=application.id, stage="intake", action="credit_line_requested",
                                  outcome=f"{cmd.validity_months}m", actor_id=actor.user_id,
                                  actor_name=actor.username))
    audit.record(uow, actor, "origination.credit_line.request", "application", application.id,
                 after={"limit": str(application.amount), "validity_months": cmd.validity_months})
    return link


def on_application_approved(uow: UnitOfWork, event: ApplicationApproved) -> None:
    """An approved credit-line request opens its line: limit = the approved amount, valid for the months asked."""
    link = _link(uow, event.application_id)
    if link is None or link.kind != REQUEST or link.credit_line_id is not None:
        return
    application = uow.session.get(Application, event.application_id)
    if application is None:
        return
    today = platform.business_today()
    line = CreditLine(
        number=f"SX-PENDING-{application.id}", application_id=application.id, customer_id=application.applicant_id,
        customer_name=application.applicant_name, product_code=application.product_code,
        department_id=application.department_id, owner_id=application.owner_id,
        limit_amount=event.approved_amount, drawn_amount=ZERO, valid_from=today,
        valid_until=calc.add_months(today, link.validity_months or 12), status=CreditLineStatus.ACTIVE.value,
    )
    uow.session.add(line)
    uow.flush()
    number = f"SX-{today:%Y%m%d}-{line.id:06d}"
    uow.session.execute(update(CreditLine).where(CreditLine.id == line.id).values(number=number))
    set_committed_value(line, "number", number)
    link.credit_line_id = line.id
    uow.session.add(TimelineEntry(application_id=application.id, stage="decision", action="credit_line_opened",
                                  outcome=number, actor_id=None, actor_name=SYSTEM.username,
                                  comment=f"{line.limit_amount} → {line.valid_until}"))
    audit.record(uow, SYSTEM, "origination.credit_line.open", ENTITY, line.id,
                 after={"number": number, "limit": str(line.limit_amount), "valid_until": line.valid_until})
    uow.emit(CreditLineOpened(line.id, application.id, line.limit_amount))
    if application.owner_id:
        platform.notify(uow, application.owner_id, f"授信已生效：{number}",
                        f"{application.applicant_name} 授信额度 {line.limit_amount}，有效期至 {line.valid_until}。",
                        link=f"/credit-lines/{line.id}")


def get_credit_line(uow: UnitOfWork, actor: Actor, credit_line_id: int) -> CreditLineView:
    actor.require(CREDIT_LINE_VIEW)
    return view_of(uow, _visible_line(uow, actor, credit_line_id))


def list_credit_lines(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None, status: str | None = None,
                      page: int = 1, size: int = 50) -> tuple[list[CreditLineView], int]:
    actor.require(CREDIT_LINE_VIEW)
    statement = restrict(select(CreditLine), actor, department_column=CreditLine.department_id,
                         owner_column=CreditLine.owner_id)
    if customer_id is not None:
        statement = statement.where(CreditLine.customer_id == customer_id)
    if status:
        statement = statement.where(CreditLine.status == status)
    rows, total = fetch_page(uow.session, statement, (CreditLine.id.desc(),), page, size)
    return [view_of(uow, line) for line in rows], total


def set_credit_line_status(uow: UnitOfWork, actor: Actor, credit_line_id: int, status: str,
                           version: int | None = None) -> CreditLineView:
    """Freeze (冻结), unfreeze or close a line; drawdowns already paid are not touched."""
    actor.require(CREDIT_LINE_MANAGE)
    if status not in {s.value for s in CreditLineStatus}:
        raise invalid("status", "The status must be active, frozen or closed.", "状态须为 active、frozen 或 closed。",
                      "origination.credit_line.status_invalid")
    line = _visible_line(uow, actor, credit_line_id, lock=True)
    ensure_version(line, version, "授信额度 credit line")
    if line.status == CreditLineStatus.CLOSED and status != CreditLineStatus.CLOSED:
        raise errors.credit_line_unavailable(line.number, line.status, line.valid_until)
    before = {"status": line.status}
    line.status = status
    uow.flush()
    audit.record(uow, actor, "origination.credit_line.status", ENTITY, line.id, before=before, after={"status": status})
    return view_of(uow, line)


# ---- drawdowns ----------------------------------------------------------------------------------------------------


def create_drawdown(uow: UnitOfWork, actor: Actor, credit_line_id: int, cmd: DrawdownCreate) -> Application:
    """A drawdown application (用信申请) on the line: refused at once when the line is not usable or the amount is
    more than remains; then submitted and reviewed like any application."""
    from autofin.origination import service as origination

    actor.require(CREDIT_LINE_MANAGE)
    line = _visible_line(uow, actor, credit_line_id, lock=True)
    amount = cmd.amount if cmd.amount is not None else cmd.price - cmd.down_payment
    _require_room(uow, line, amount)
    application = origination.create_application(uow, actor, ApplicationCreate(
        applicant_id=line.customer_id, vehicle_id=cmd.vehicle_id, channel="credit_line",
        department_id=line.department_id, product_code=line.product_code, price=cmd.price,
        down_payment=cmd.down_payment, amount=cmd.amount, term=cmd.term, method=cmd.method, rate=cmd.rate,
        purpose=cmd.purpose or f"用信 {line.number}",
    ))
    uow.session.add(CreditLineLink(application_id=application.id, kind=DRAWDOWN, credit_line_id=line.id))
    uow.flush()
    audit.record(uow, actor, "origination.credit_line.drawdown", ENTITY, line.id,
                 after={"application_id": application.id, "amount": str(application.amount)})
    return application


def drawdown_line(uow: UnitOfWork, application_id: int) -> CreditLine | None:
    link = _link(uow, application_id)
    if link is None or link.kind != DRAWDOWN or link.credit_line_id is None:
        return None
    return uow.session.get(CreditLine, link.credit_line_id)


def check_drawdown(uow: UnitOfWork, application: Application, amount: Decimal,
                   exclude_disbursement_id: int | None = None) -> int | None:
    """For a drawdown: the line must be usable and have room for ``amount`` (422 otherwise); its id. ``None`` for
    an application that draws on no line."""
    line = drawdown_line(uow, application.id)
    if line is None:
        return None
    _require_room(uow, line, amount, exclude_disbursement_id)
    return line.id


def record_drawn(uow: UnitOfWork, credit_line_id: int, amount: Decimal) -> None:
    """The bank paid a drawdown out: it counts against the line from now on."""
    line = uow.session.execute(select(CreditLine).where(CreditLine.id == credit_line_id).with_for_update()
                               ).scalar_one()
    before = {"drawn_amount": str(line.drawn_amount)}
    line.drawn_amount += amount
    uow.flush()
    audit.record(uow, SYSTEM, "origination.credit_line.drawn", ENTITY, line.id, before=before,
                 after={"drawn_amount": str(line.drawn_amount)})


# ---- submission checks ------------------------------------------------------------------------------------------


def _submitted_line(ctx: Any) -> CreditLine | None:
    """The line the submitted application draws on, read once per submission: both checks below need it."""
    if "credit_line" not in ctx.facts:
        ctx.facts["credit_line"] = drawdown_line(ctx.uow, ctx.application.id)
    return ctx.facts["credit_line"]  # type: ignore[no-any-return]


def credit_line_check(ctx: Any) -> list[checks.CheckResult]:
    """At submission, a drawdown must fit its line (declined otherwise); other applications pass silently."""
    line = _submitted_line(ctx)
    if line is None:
        return []
    view = view_of(ctx.uow, line)
    if not _usable(line, ctx.today):
        return [checks.CheckResult(
            "credit_line", checks.DECLINE,
            f"Credit line {line.number} is {line.status}, valid {line.valid_from} to {line.valid_until}.",
            f"授信额度 {line.number} 状态为 {line.status}，有效期 {line.valid_from} 至 {line.valid_until}，不可用信。",
            {"credit_line": line.number})]
    if ctx.application.amount > view.available:
        return [checks.CheckResult(
            "credit_line", checks.DECLINE,
            f"The drawdown of {ctx.application.amount} exceeds the {view.available} remaining on {line.number}.",
            f"用信金额 {ctx.application.amount} 超过授信额度 {line.number} 的剩余额度 {view.available}。",
            {"credit_line": line.number, "available": str(view.available)})]
    return [checks.CheckResult(
        "credit_line", checks.PASS, f"Within credit line {line.number}: {view.available} remaining.",
        f"在授信额度 {line.number} 内，剩余额度 {view.available}。",
        {"credit_line": line.number, "available": str(view.available)})]


_standard_in_flight = checks.in_flight_check


def in_flight_check(ctx: Any) -> list[checks.CheckResult]:
    """The standard in-flight check, except that a drawdown does not collide with its own line's request or the
    line's other drawdowns (a line exists to be drawn on more than once)."""
    line = _submitted_line(ctx)
    if line is None:
        return _standard_in_flight(ctx)
    family = set(ctx.uow.session.execute(
        select(CreditLineLink.application_id).where(CreditLineLink.credit_line_id == line.id)).scalars())
    family.add(line.application_id)
    app = ctx.application
    others = ctx.uow.session.execute(
        select(Application.number).where(
            Application.id != app.id, Application.id.not_in(sorted(family)),
            Application.status.in_([s.value for s in IN_FLIGHT]),
            (Application.applicant_id == app.applicant_id) | (Application.vin == app.vin),
        )
    ).scalars().all()
    if others:
        numbers = [n or "" for n in others]
        return [checks.CheckResult(
            "in_flight", checks.DECLINE, f"Another application for the same ID or VIN is in progress: "
            f"{', '.join(numbers)}.", f"同一证件号或车架号已有在途申请：{'、'.join(numbers)}。",
            {"applications": numbers})]
    return [checks.CheckResult("in_flight", checks.PASS, "No other application in progress outside the credit line.",
                               "除本授信额度下的申请外，无其他在途申请。")]


checks.register_check_provider("in_flight", in_flight_check, order=20)
checks.register_check_provider("credit_line", credit_line_check, order=25)
