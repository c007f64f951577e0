"""What the origination console pages read and prepare, as plain data (no UI here).

Each function takes ``(uow, actor, …)`` like a use case and goes to other domains only through their services.
The pages of this package call these inside ``PageContext.read`` / ``PageContext.call``.

- :func:`search_applications`: the application list with the filters of the search page (status, product, dealer
  / branch, date range, amount band) inside the actor's data scope; :func:`export_applications` turns rows into
  CSV or XLSX.
- :func:`live_quote`: the schedule and annualised rate of the figures being typed into the wizard (the products
  quote, asked with ``down payment = price − amount`` so the principal is the amount applied for).
- :func:`evidence`: everything a reviewer looks at: the application, the applicant (masked), the vehicle with
  its appraisals and LTV, checks, timeline, tasks, committee votes, the signing sessions.
- :func:`signing_sessions`: the signing sessions of an application (the contract itself is prepared by
  ``disbursing.contract_flow.prepare_contract``).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from autofin.customers import service as customers
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError, invalid
from autofin.org import service as org
from autofin.origination import service
from autofin.origination.contracts import service as contracts
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.models import Disbursement
from autofin.origination.models import Application, ReviewTask, TaskStatus
from autofin.origination.permissions import APPLICATION_VIEW, DISBURSEMENT_REGISTER, TASK_REASSIGN
from autofin.platform import service as platform
from autofin.products import service as products
from autofin.vehicles import service as vehicles

ZONE = ZoneInfo("Asia/Shanghai")  # business dates are Beijing dates; the database keeps UTC
EXPORT_LIMIT = 10_000
EXPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("number", "申请编号", "Number"),
    ("status", "状态", "Status"),
    ("applicant_name", "申请人", "Applicant"),
    ("vin", "车架号", "VIN"),
    ("product_code", "产品", "Product"),
    ("channel", "渠道", "Channel"),
    ("department_id", "经销商/机构", "Dealer / branch"),
    ("price", "车价", "Price"),
    ("down_payment", "首付", "Down payment"),
    ("amount", "申请金额", "Amount"),
    ("term", "期限(月)", "Term (months)"),
    ("method", "还款方式", "Method"),
    ("rate", "利率%", "Rate %"),
    ("check_outcome", "检查结果", "Checks"),
    ("current_stage", "当前环节", "Stage"),
    ("approved_amount", "批复金额", "Approved amount"),
    ("created_at", "创建时间", "Created"),
    ("submitted_at", "提交时间", "Submitted"),
)


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _local(value: datetime | None) -> str:
    """A stored UTC instant as Beijing wall-clock time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def application_row(a: Application) -> dict[str, Any]:
    return {
        "id": a.id,
        "number": a.number or "",
        "status": a.status,
        "applicant_id": a.applicant_id,
        "applicant_name": a.applicant_name,
        "vin": a.vin,
        "product_code": a.product_code,
        "channel": a.channel,
        "department_id": a.department_id,
        "price": money(a.price),
        "down_payment": money(a.down_payment),
        "amount": money(a.amount),
        "term": a.term,
        "method": a.method,
        "rate": f"{a.rate:.2f}",
        "check_outcome": a.check_outcome or "",
        "current_stage": a.current_stage or "",
        "approved_amount": money(a.approved_amount),
        "created_at": _local(a.created_at),
        "submitted_at": _local(a.submitted_at),
        "version": a.version,
    }


# ------------------------------------------------------------------------------------------------ search
def _day_start_utc(day: date) -> datetime:
    """00:00 Beijing time of ``day`` as a UTC instant."""
    return datetime.combine(day, time.min, tzinfo=ZONE).astimezone(UTC)


def _parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise invalid(field, "Give the date as YYYY-MM-DD.", "日期格式应为 YYYY-MM-DD。",
                      "origination.search.date") from None


def _parse_amount(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", ""))
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise invalid(field, "Give the amount as a number of at least 0.", "金额应为不小于0的数字。",
                      "origination.search.amount")
    return amount


def search_applications(
    uow: UnitOfWork,
    actor: Actor,
    filters: dict[str, Any],
    *,
    page: int = 1,
    size: int = 20,
) -> tuple[list[Application], int]:
    """Applications in the actor's data scope matching ``filters`` (status, product_code, department_id,
    date_from / date_to — creation date, Beijing time, inclusive —, amount_min / amount_max, q), newest first."""
    actor.require(APPLICATION_VIEW)
    date_from = _parse_date(filters.get("date_from"), "date_from")
    date_to = _parse_date(filters.get("date_to"), "date_to")
    amount_min = _parse_amount(filters.get("amount_min"), "amount_min")
    amount_max = _parse_amount(filters.get("amount_max"), "amount_max")
    if date_from and date_to and date_from > date_to:
        raise invalid("date_to", "The end date is before the start date.", "结束日期早于开始日期。",
                      "origination.search.date_range")
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        raise invalid("amount_max", "The maximum amount is below the minimum.", "金额上限低于下限。",
                      "origination.search.amount_range")
    statement = restrict(
        select(Application), actor, department_column=Application.department_id, owner_column=Application.owner_id
    )
    if filters.get("status"):
        statement = statement.where(Application.status == filters["status"])
    if filters.get("product_code"):
        statement = statement.where(Application.product_code == filters["product_code"])
    if filters.get("department_id"):
        statement = statement.where(Application.department_id == int(filters["department_id"]))
    if date_from:
        statement = statement.where(Application.created_at >= _day_start_utc(date_from))
    if date_to:
        statement = statement.where(Application.created_at < _day_start_utc(date_to + timedelta(days=1)))
    if amount_min is not None:
        statement = statement.where(Application.amount >= amount_min)
    if amount_max is not None:
        statement = statement.where(Application.amount <= amount_max)
    q = (filters.get("q") or "").strip()
    if q:
        statement = statement.where(
            Application.number.startswith(q.upper())
            | Application.applicant_name.startswith(q)
            | (Application.vin == q.upper())
        )
    return fetch_page(uow.session, statement, (Application.id.desc(),), page, size)


def export_applications(rows: list[dict[str, Any]], fmt: Literal["csv", "xlsx"], language: str) -> bytes:
    """The rows as CSV (UTF-8 with BOM, so Excel opens the Chinese) or XLSX, headed in ``language``."""
    english = language == "en"
    headers = [en if english else zh for _name, zh, en in EXPORT_COLUMNS]
    names = [name for name, _zh, _en in EXPORT_COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(name, "") for name in names])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Applications" if english else "贷款申请"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(name, "") for name in names])
    for index, _name in enumerate(names, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def all_matching_rows(uow: UnitOfWork, actor: Actor, filters: dict[str, Any]) -> list[dict[str, Any]]:
    rows, _total = search_applications(uow, actor, filters, page=1, size=EXPORT_LIMIT)
    return [application_row(a) for a in rows]


# ------------------------------------------------------------------------------------------------ wizard
def customer_choices(uow: UnitOfWork, actor: Actor, q: str) -> list[dict[str, Any]]:
    """Customers matching a name prefix, an ID number or a phone number (masked as the list shows them)."""
    rows, _total = customers.list_customers(uow, actor, q=q, page=1, size=10)
    return [
        {"id": c.id, "name": c.name, "id_number": c.id_number_masked or "", "phone": c.phone_masked or "",
         "status": c.status}
        for c in rows
    ]


def vehicle_choices(uow: UnitOfWork, actor: Actor, q: str) -> list[dict[str, Any]]:
    rows, _total = vehicles.list_vehicles(uow, actor, q=q, page=1, size=10)
    return [
        {"id": v.id, "vin": v.vin, "condition": v.condition, "powertrain": v.powertrain, "use": v.use,
         "price": v.invoice_price, "maker": v.maker or "", "plate": v.plate or ""}
        for v in rows
    ]


def product_choices(uow: UnitOfWork, actor: Actor) -> dict[str, dict[str, Any]]:
    """Products with an active version: code → the version's terms, methods, rates and minimum down payment."""
    rows, _total = products.list_products(uow, actor, page=1, size=200)
    found: dict[str, dict[str, Any]] = {}
    for product in rows:
        version = products.active_version(uow, product)
        if version is None:
            continue
        found[product.code] = {
            "name": product.name,
            "terms": list(version.terms),
            "methods": list(version.methods),
            "rate_default": version.rate_default,
            "rate_min": version.rate_min,
            "rate_max": version.rate_max,
            "min_down_payment_percent": version.min_down_payment_percent,
            "conditions": list(version.conditions),
        }
    return found


def required_documents(uow: UnitOfWork, product_code: str, condition: str) -> list[str]:
    kinds = platform.get_parameter(
        uow, "origination.required_documents", product=product_code, default=service.DEFAULT_DOCUMENTS
    )
    documents = list(kinds) if isinstance(kinds, list) else list(service.DEFAULT_DOCUMENTS)
    if condition == "used":
        documents += [kind for kind in service.USED_CAR_DOCUMENTS if kind not in documents]
    return documents


def live_quote(uow: UnitOfWork, actor: Actor, product_code: str, figures: dict[str, Any]) -> Any:
    """The products quote of the figures typed so far (principal = the amount applied for)."""
    price = Decimal(str(figures["price"]))
    amount = Decimal(str(figures.get("amount") or price - Decimal(str(figures["down_payment"]))))
    vehicle = figures.get("vehicle") or {}
    request = products.QuoteRequest(
        price=price,
        down_payment=price - amount,
        term=int(figures["term"]),
        method=figures.get("method") or "annuity",
        rate=Decimal(str(figures["rate"])) if figures.get("rate") not in (None, "") else None,
        balloon=Decimal(str(figures["balloon"])) if figures.get("balloon") not in (None, "") else None,
        condition=vehicle.get("condition"),
        powertrain=products.powertrain_class(vehicle["powertrain"]) if vehicle.get("powertrain") else None,
        use=vehicle.get("use"),
    )
    return products.quote(uow, actor, product_code, request)


# ------------------------------------------------------------------------------------------------ review evidence
def user_names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for user_id in ids:
        if user_id is None:
            continue
        try:
            user = org.get_user(uow, SYSTEM, user_id)
        except DomainError:
            continue
        names[user_id] = user.display_name or user.username
    return names


def evidence(uow: UnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    """All a reviewer looks at, as plain data; parts the actor may not see are left out (None)."""
    detail = service.application_detail(uow, actor, application_id)
    application = detail.application
    found: dict[str, Any] = {"application": application_row(application), "raw": raw_figures(application)}
    try:
        customer = customers.get_customer(uow, actor, application.applicant_id)
        found["customer"] = customers.customer_view(uow, customer)
    except DomainError:
        found["customer"] = None
    parties = []
    for role, customer_id in [("co_borrower", application.co_borrower_id)] + [
        ("guarantor", g) for g in application.guarantor_ids or []
    ]:
        if customer_id is None:
            continue
        try:
            party = customers.get_customer(uow, actor, customer_id)
            parties.append({"role": role, "id": party.id, "name": party.name,
                            "id_number": party.id_number_masked or "", "phone": party.phone_masked or ""})
        except DomainError:
            parties.append({"role": role, "id": customer_id, "name": "—", "id_number": "", "phone": ""})
    found["parties"] = parties
    try:
        vehicle = vehicles.get_vehicle(uow, actor, application.vehicle_id)
        found["vehicle"] = {
            "id": vehicle.id, "vin": vehicle.vin, "maker": vehicle.maker or "", "plate": vehicle.plate or "",
            "condition": vehicle.condition, "powertrain": vehicle.powertrain, "use": vehicle.use,
            "mileage_km": vehicle.mileage_km, "invoice_price": money(vehicle.invoice_price),
            "first_registration": vehicle.first_registration.isoformat() if vehicle.first_registration else "",
        }
        found["appraisals"] = [
            {"id": a.id, "method": a.method, "value": money(a.value), "appraised_on": a.appraised_on.isoformat(),
             "appraiser": a.appraiser}
            for a in vehicles.list_appraisals(uow, actor, vehicle.id)
        ]
        ltv = vehicles.loan_to_value(uow, actor, vehicle.id, application.amount)
        found["ltv"] = {"basis": money(ltv.basis), "ltv": f"{ltv.ltv * 100:.2f}",  # a ratio: shown in percent
                        "appraisal": money(ltv.appraisal), "price": money(ltv.price)}
    except DomainError:
        found["vehicle"], found["appraisals"], found["ltv"] = None, [], None
    found["checks"] = [
        {"name": c.name, "outcome": c.outcome, "reason_zh": c.reason_zh, "reason_en": c.reason_en,
         "round": c.round}
        for c in detail.checks
    ]
    found["timeline"] = [
        {"at": t.at, "stage": t.stage, "action": t.action, "outcome": t.outcome or "", "actor": t.actor_name,
         "reason_code": t.reason_code or "", "comment": t.comment or ""}
        for t in detail.timeline
    ]
    names = user_names(uow, {t.assignee_id for t in detail.tasks} | {t.completed_by for t in detail.tasks})
    found["tasks"] = [
        {"id": t.id, "stage": t.stage, "status": t.status, "assignee_id": t.assignee_id,
         "assignee": names.get(t.assignee_id or 0, ""), "due_at": t.due_at, "overdue": t.overdue,
         "outcome": t.outcome or "", "version": t.version, "round": t.round,
         "completed_by": names.get(t.completed_by or 0, "")}
        for t in detail.tasks
    ]
    open_tasks = [t for t in found["tasks"] if t["status"] == "open"]
    found["open_task"] = open_tasks[-1] if open_tasks else None
    votes = []
    for task in detail.tasks:
        if task.stage == "committee":
            votes += [
                {"member": v.member_name, "member_id": v.member_id, "vote": v.vote, "comment": v.comment or "",
                 "at": v.voted_at}
                for v in service.votes_of(uow, task.id)
            ]
    found["votes"] = votes
    return found


def raw_figures(application: Application) -> dict[str, Any]:
    """The figures a decision form starts from (the request, or the terms an earlier stage proposed)."""
    proposal = application.proposal or {}
    return {
        "amount": Decimal(proposal.get("amount") or application.amount),
        "rate": Decimal(proposal.get("rate") or application.rate),
        "term": int(proposal.get("term") or application.term),
        "method": proposal.get("method") or application.method,
        "conditions": list(proposal.get("conditions") or []),
        "requested_amount": application.amount,
        "requested_term": application.term,
        "approved_amount": application.approved_amount,
        "approved_rate": application.approved_rate,
        "approved_term": application.approved_term,
        "approved_method": application.approved_method,
        "approval_expires_at": application.approval_expires_at,
        "conditions_approved": list(application.conditions or []),
        "status": application.status,
        "owner_id": application.owner_id,
        "submitted_by": application.submitted_by,
        "required_documents": list(application.required_documents or []),
        "document_ids": list(application.document_ids or []),
        "purpose": application.purpose,
        "co_borrower_id": application.co_borrower_id,
        "guarantor_ids": list(application.guarantor_ids or []),
        "decision_reason": application.decision_reason,
        "product_code": application.product_code,
        "product_version": application.product_version,
        "balloon": application.balloon,
        "risk_grade": application.risk_grade,
    }


def queue(uow: UnitOfWork, actor: Actor, *, stage: str | None = None) -> list[dict[str, Any]]:
    """My review queue as rows, most urgent first, with the time left to the SLA (negative when overdue)."""
    items, _total = service.list_my_tasks(uow, actor, page=1, size=service.QUEUE_LIMIT)
    now = utcnow()
    names = user_names(uow, {i.task.assignee_id for i in items})
    rows = []
    for item in items:
        task, application = item.task, item.application
        if stage and task.stage != stage:
            continue
        due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=UTC)
        rows.append({
            "id": task.id, "application_id": application.id, "number": application.number or "",
            "applicant_name": application.applicant_name, "amount": money(application.amount),
            "product_code": application.product_code, "stage": task.stage, "mine": item.mine,
            "assignee_id": task.assignee_id, "assignee": names.get(task.assignee_id or 0, ""),
            "due_at": _local(task.due_at), "seconds_left": int((due - now).total_seconds()),
            "overdue": task.overdue, "version": task.version,
        })
    return rows


def reviewers_for(uow: UnitOfWork, actor: Actor, permission: str) -> dict[int, str]:
    """Active users holding ``permission`` (the reassignment choices of a stage)."""
    users, _total = org.list_users(uow, actor, status="active", size=200)
    return {
        u.id: f"{u.display_name or u.username}（{u.username}）"
        for u in users
        if not u.is_superuser and permission in org.permissions_of(u)
    }


# ------------------------------------------------------------------------------------------------ contract
def signing_sessions(uow: UnitOfWork, actor: Actor, application_id: int) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "contract_no": s.contract_no, "state": s.state, "borrower_name": s.borrower_name,
         "identity_outcome": s.identity_outcome or "", "recording_sha256": s.recording_sha256 or "",
         "recording_size": s.recording_size, "consent_at": s.consent_at, "consent_ip": s.consent_ip or "",
         "signed_sha256": s.signed_sha256 or "", "signer": s.signer or "", "version": s.version,
         "created_at": s.created_at, "institution_signed_at": s.institution_signed_at}
        for s in contracts.list_signing_sessions(uow, actor, application_id=application_id)
    ]


def all_open_tasks(uow: UnitOfWork, actor: Actor, *, stage: str | None = None) -> list[dict[str, Any]]:
    """Every open review task (a supervisor's view for reassignment), most urgent first."""
    actor.require(TASK_REASSIGN)
    statement = (
        select(ReviewTask, Application)
        .join(Application, Application.id == ReviewTask.application_id)
        .where(ReviewTask.status == TaskStatus.OPEN, ReviewTask.stage != "committee")
        .order_by(ReviewTask.due_at, ReviewTask.id)
        .limit(service.QUEUE_LIMIT)
    )
    if stage:
        statement = statement.where(ReviewTask.stage == stage)
    pairs = uow.session.execute(statement).all()
    now = utcnow()
    names = user_names(uow, {task.assignee_id for task, _application in pairs})
    rows = []
    for task, application in pairs:
        due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=UTC)
        rows.append({
            "id": task.id, "application_id": application.id, "number": application.number or "",
            "applicant_name": application.applicant_name, "amount": money(application.amount),
            "product_code": application.product_code, "stage": task.stage,
            "mine": task.assignee_id == actor.user_id, "assignee_id": task.assignee_id,
            "assignee": names.get(task.assignee_id or 0, ""), "due_at": _local(task.due_at),
            "seconds_left": int((due - now).total_seconds()), "overdue": task.overdue, "version": task.version,
        })
    return rows


# ------------------------------------------------------------------------------------------------ disbursement
def disbursement_row(d: Disbursement) -> dict[str, Any]:
    return {
        "id": d.id, "number": d.number, "application_id": d.application_id, "status": d.status,
        "applicant_name": d.applicant_name, "contract_no": d.contract_no, "amount": money(d.amount),
        "fee_amount": money(d.fee_amount), "payout_amount": money(d.payout_amount), "payee_kind": d.payee_kind,
        "payee_account": d.payee_account, "payee_name": d.payee_name, "payee_bank": d.payee_bank,
        "registered_by": d.registered_by, "registered_by_name": d.registered_by_name,
        "registered_at": _local(d.registered_at), "register_comment": d.register_comment or "",
        "reviewed_by_name": d.reviewed_by_name or "", "reviewed_at": _local(d.reviewed_at),
        "review_comment": d.review_comment or "", "failure_reason": d.failure_reason or "",
        "bank_reference": d.bank_reference or "", "loan_id": d.loan_id, "version": d.version,
        "settled_at": _local(d.settled_at),
    }


def disbursement_view(uow: UnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    """The application's disbursement page: checklist, down payments, the borrower's cards, the disbursement."""
    application = service.get_application(uow, actor, application_id)
    checklist = disbursement.disbursement_checklist(uow, actor, application_id)
    current = disbursement.disbursement_for_application(uow, actor, application_id)
    found: dict[str, Any] = {
        "application": application_row(application),
        "raw": raw_figures(application),
        "checklist": [{"code": c.code, "label_zh": c.label_zh, "label_en": c.label_en, "met": c.met,
                       "detail": c.detail} for c in checklist],
        "all_met": disbursement.disbursement_conditions_met(checklist),
        "down_payments": [{"amount": money(p.amount), "received_on": p.received_on.isoformat(),
                           "reference": p.reference, "recorded_at": _local(p.recorded_at)}
                          for p in disbursement.list_down_payments(uow, actor, application_id)],
        "disbursement": None,
        "cards": {},
    }
    if actor.can(DISBURSEMENT_REGISTER):
        # the registrar chooses the payee card among the borrower's active cards, shown masked (bin + last 4) as
        # the disbursement itself keeps it; finance holds no customer-card permission of its own
        found["cards"] = {
            c.id: f"{c.bank_name} {c.bin}******{c.last4}（{c.holder_name}）"
            for c in customers.list_cards(uow, SYSTEM, application.applicant_id) if c.status == "active"
        }
    if current is not None:
        row = disbursement_row(current)
        row["payment_state"], row["payment_error"] = disbursement.payment_state(uow, current)
        found["disbursement"] = row
    return found
