"""Use cases of origination. Each checks the actor, validates, changes, audits, emits; none commits.

Applications: :func:`create_application`, :func:`update_application`, :func:`quote_application`,
:func:`submit_application` (checks → dispatch), :func:`withdraw_application`, :func:`get_application`,
:func:`application_detail`, :func:`list_applications`, :func:`record_blacklist_refusal`.
Review: :func:`list_my_tasks`, :func:`claim_task`, :func:`release_task`, :func:`reassign_task`,
:func:`review_application`, :func:`vote_committee`, :func:`expire_approvals`.
Configuration: :func:`create_rule`, :func:`update_rule`, :func:`delete_rule`, :func:`list_rules`,
:func:`create_chain`, :func:`list_chains`, :func:`set_reviewer_products`.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from autofin import calc
from autofin.audit import service as audit
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.documents import service as documents
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError, FieldError, Text, ValidationFailed, invalid
from autofin.kernel.money import HUNDRED, ZERO, quantize
from autofin.org import service as org
from autofin.origination import checks as checks_module
from autofin.origination import errors
from autofin.origination.events import (
    ApplicationApproved,
    ApplicationExpired,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from autofin.origination.models import (
    EDITABLE,
    Application,
    ApplicationCheck,
    ApplicationStatus,
    ChainStage,
    CommitteeVote,
    IntakeRule,
    ReviewChain,
    ReviewerSkill,
    ReviewTask,
    Stage,
    Strategy,
    TaskStatus,
    TimelineEntry,
)
from autofin.origination.permissions import (
    APPLICATION_CREATE,
    APPLICATION_SUBMIT,
    APPLICATION_UPDATE,
    APPLICATION_VIEW,
    APPLICATION_WITHDRAW,
    REVIEW_COMMITTEE,
    RULE_MANAGE,
    STAGE_PERMISSIONS,
    TASK_REASSIGN,
)
from autofin.origination.schemas import (
    ApplicationCreate,
    ApplicationUpdate,
    ChainCreate,
    ReviewRequest,
    RuleCreate,
    RuleUpdate,
    VoteRequest,
)
from autofin.platform import service as platform
from autofin.products import errors as product_errors
from autofin.products import service as products
from autofin.vehicles import service as vehicles

DEFAULT_DOCUMENTS = ["id_card", "driving_licence", "income_proof", "bank_statement", "vehicle_invoice"]
USED_CAR_DOCUMENTS = ["vehicle_registration", "appraisal_report"]
DEFAULT_APPROVAL_DAYS = 30
REASON_CODES: dict[str, tuple[str, str]] = {
    "income_insufficient": ("Income insufficient", "收入不足"),
    "credit_history": ("Adverse credit history", "征信不良"),
    "documents_missing": ("Documents missing or unclear", "资料缺失或不清晰"),
    "documents_suspect": ("Documents suspected forged", "资料疑似伪造"),
    "vehicle_value": ("Vehicle value or condition", "车辆价值或车况问题"),
    "policy": ("Outside credit policy", "不符合信贷政策"),
    "fraud_suspected": ("Fraud suspected", "疑似欺诈"),
    "other": ("Other (see comment)", "其他（见备注）"),
}
STAGE_NAMES = {
    "first_review": "初审",
    "second_review": "复审",
    "final_review": "终审",
    "committee": "贷审会",
    "checks": "进件检查",
    "intake": "进件",
}
QUEUE_LIMIT = 1000


def _link(application: Application) -> str:
    return f"/applications/{application.id}"


def _timeline(
    uow: UnitOfWork,
    application: Application,
    stage: str,
    action: str,
    actor: Actor,
    *,
    outcome: str | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        application_id=application.id,
        at=utcnow(),
        stage=stage,
        action=action,
        outcome=outcome,
        actor_id=actor.user_id,
        actor_name=actor.username,
        reason_code=reason_code,
        comment=comment,
    )
    uow.session.add(entry)
    return entry


def _attach_documents(uow: UnitOfWork, actor: Actor, application: Application, document_ids: list[int]) -> list[int]:
    """Link the documents a reviewer attached (审批附件) to the application; the acting entry keeps their ids."""
    return [
        documents.link_document(uow, actor, document_id, "application", application.id, kind="review_note").id
        for document_id in dict.fromkeys(document_ids)
    ]


def _snapshot(application: Application) -> dict[str, Any]:
    return {
        "number": application.number,
        "status": application.status,
        "amount": str(application.amount),
        "term": application.term,
        "rate": str(application.rate),
        "method": application.method,
        "product": application.product_code,
        "version": application.version,
    }


# =================================================================================================================
# Applications
# =================================================================================================================


def visible_application(uow: UnitOfWork, actor: Actor, application_id: int, *, lock: bool = False) -> Application:
    """The application if the actor's data scope covers it (404 otherwise); ``lock``: SELECT … FOR UPDATE, for use
    cases that change it after checking its state (no permission check: the caller's use case has its own)."""
    statement = select(Application).where(Application.id == application_id)
    if lock:
        statement = statement.with_for_update()
    application = uow.session.execute(statement).scalar_one_or_none()
    if application is None or not visible(actor, application.department_id, application.owner_id):
        raise errors.application_not_found(application_id)
    return application


def _active_version(uow: UnitOfWork, actor: Actor, code: str) -> Any:
    product = products.get_product(uow, actor, code)
    version = products.active_version(uow, product)
    if version is None:
        raise product_errors.no_active_version(code)
    return version


def _validate_figures(application: Application, version: Any) -> None:
    if application.price <= ZERO:
        raise invalid("price", "The price must be more than 0.", "车价必须大于0。", "origination.application.price")
    if not ZERO <= application.down_payment < application.price:
        raise invalid(
            "down_payment",
            "The down payment must be at least 0 and below the price.",
            "首付款应不小于0且小于车价。",
            "origination.application.down_payment",
        )
    financed = application.price - application.down_payment
    if not ZERO < application.amount <= financed:
        raise invalid(
            "amount",
            f"The amount must be above 0 and at most price − down payment ({financed}).",
            f"贷款金额应大于0且不超过车价减首付（{financed}）。",
            "origination.application.amount",
        )
    if application.method == "balloon":
        if not ZERO < application.balloon < application.amount:
            raise invalid(
                "balloon",
                "A balloon loan needs a balloon amount between 0 and the loan amount.",
                "尾款贷须填写大于0且小于贷款金额的尾款。",
                "origination.application.balloon",
            )
    elif application.balloon != ZERO:
        raise invalid(
            "balloon",
            "Only a balloon loan has a balloon amount.",
            "只有尾款贷可填写尾款。",
            "origination.application.balloon",
        )


def _required_documents(uow: UnitOfWork, product_code: str, condition: str) -> list[str]:
    kinds = platform.get_parameter(
        uow, "origination.required_documents", product=product_code, default=DEFAULT_DOCUMENTS
    )
    documents = list(kinds) if isinstance(kinds, list) else list(DEFAULT_DOCUMENTS)
    if condition == "used":
        documents += [kind for kind in USED_CAR_DOCUMENTS if kind not in documents]
    return documents


def _parties(uow: UnitOfWork, actor: Actor, co_borrower_id: int | None, guarantor_ids: list[int]) -> None:
    """Co-borrower and guarantors must be customers the actor can see."""
    for customer_id in [c for c in [co_borrower_id, *guarantor_ids] if c is not None]:
        customers.get_customer(uow, actor, customer_id)


def create_application(uow: UnitOfWork, actor: Actor, cmd: ApplicationCreate) -> Application:
    """A draft application (草稿) with its number ``AP-YYYYMMDD-NNNNNN``."""
    actor.require(APPLICATION_CREATE)
    applicant = customers.get_customer(uow, actor, cmd.applicant_id)
    if cmd.applicant_id in [c for c in [cmd.co_borrower_id, *cmd.guarantor_ids] if c is not None]:
        raise invalid(
            "guarantor_ids",
            "The applicant cannot also be co-borrower or guarantor.",
            "申请人不能同时为共同借款人或担保人。",
            "origination.application.parties",
        )
    _parties(uow, actor, cmd.co_borrower_id, cmd.guarantor_ids)
    vehicle = vehicles.get_vehicle(uow, actor, cmd.vehicle_id)
    version = _active_version(uow, actor, cmd.product_code)
    department_id = cmd.department_id if cmd.department_id is not None else actor.department_id
    if (
        cmd.department_id is not None
        and not visible(actor, cmd.department_id)
        and cmd.department_id != actor.department_id
    ):
        raise invalid(
            "department_id",
            "You can enter applications only for your own dealer or branch.",
            "只能为本经销商或本机构录入申请。",
            "origination.application.department",
        )
    application = Application(
        status=ApplicationStatus.DRAFT,
        applicant_id=applicant.id,
        applicant_name=applicant.name,
        co_borrower_id=cmd.co_borrower_id,
        guarantor_ids=list(cmd.guarantor_ids),
        vehicle_id=vehicle.id,
        vin=vehicle.vin,
        channel=cmd.channel,
        department_id=department_id,
        owner_id=actor.user_id,
        product_code=cmd.product_code,
        product_version_id=version.id,
        product_version=version.number,
        price=cmd.price,
        down_payment=cmd.down_payment,
        amount=cmd.amount if cmd.amount is not None else cmd.price - cmd.down_payment,
        term=cmd.term,
        method=cmd.method,
        rate=cmd.rate if cmd.rate is not None else version.rate_default,
        balloon=cmd.balloon or Decimal("0.00"),
        purpose=cmd.purpose,
        required_documents=_required_documents(uow, cmd.product_code, vehicle.condition),
        document_ids=list(cmd.document_ids),
        submission_round=0,
        conditions=[],
    )
    _validate_figures(application, version)
    uow.session.add(application)
    uow.flush()
    number = f"AP-{platform.business_today():%Y%m%d}-{application.id:06d}"
    # a plain UPDATE: the number is part of creation, not an edit (the optimistic-lock version stays 1)
    uow.session.execute(update(Application).where(Application.id == application.id).values(number=number))
    set_committed_value(application, "number", number)
    _timeline(uow, application, "intake", "created", actor, outcome=ApplicationStatus.DRAFT)
    audit.record(
        uow, actor, "origination.application.create", "application", application.id, after=_snapshot(application)
    )
    return application


def update_application(uow: UnitOfWork, actor: Actor, application_id: int, cmd: ApplicationUpdate) -> Application:
    """Edit a draft or returned application (409 when the version seen is stale)."""
    actor.require(APPLICATION_UPDATE)
    application = visible_application(uow, actor, application_id)
    ensure_version(application, cmd.version, "application")
    if application.status not in EDITABLE:
        raise errors.wrong_status(application.status, "draft or returned", "edit it", "修改")
    before = _snapshot(application)
    changes = cmd.model_dump(exclude_unset=True, exclude={"version"})
    if "co_borrower_id" in changes or "guarantor_ids" in changes:
        _parties(
            uow,
            actor,
            changes.get("co_borrower_id", application.co_borrower_id),
            changes.get("guarantor_ids", application.guarantor_ids) or [],
        )
    if "vehicle_id" in changes and changes["vehicle_id"] is not None:
        vehicle = vehicles.get_vehicle(uow, actor, changes["vehicle_id"])
        application.vin = vehicle.vin
    for name, value in changes.items():
        if name == "guarantor_ids" or name == "document_ids":
            value = list(value or [])
        if name == "balloon" and value is None:
            value = Decimal("0.00")
        if value is None and name not in ("co_borrower_id",):
            continue
        setattr(application, name, value)
    if ("price" in changes or "down_payment" in changes) and "amount" not in changes:
        application.amount = application.price - application.down_payment
    _validate_figures(application, None)
    uow.flush()
    audit.record(
        uow,
        actor,
        "origination.application.update",
        "application",
        application.id,
        before=before,
        after=_snapshot(application),
    )
    return application


def get_application(uow: UnitOfWork, actor: Actor, application_id: int) -> Application:
    actor.require(APPLICATION_VIEW)
    return visible_application(uow, actor, application_id)


@dataclass(frozen=True)
class ApplicationDetail:
    application: Application
    checks: list[ApplicationCheck]
    timeline: list[TimelineEntry]
    tasks: list[ReviewTask]


def application_detail(uow: UnitOfWork, actor: Actor, application_id: int) -> ApplicationDetail:
    """The application with the checks of its latest submission, its timeline and review tasks."""
    application = get_application(uow, actor, application_id)
    return ApplicationDetail(
        application, latest_checks(uow, application), timeline_of(uow, application), tasks_of(uow, application)
    )


def latest_checks(uow: UnitOfWork, application: Application) -> list[ApplicationCheck]:
    return list(
        uow.session.execute(
            select(ApplicationCheck)
            .where(
                ApplicationCheck.application_id == application.id,
                ApplicationCheck.round == application.submission_round,
            )
            .order_by(ApplicationCheck.id)
        ).scalars()
    )


def timeline_of(uow: UnitOfWork, application: Application) -> list[TimelineEntry]:
    return list(
        uow.session.execute(
            select(TimelineEntry).where(TimelineEntry.application_id == application.id).order_by(TimelineEntry.id)
        ).scalars()
    )


def tasks_of(uow: UnitOfWork, application: Application) -> list[ReviewTask]:
    return list(
        uow.session.execute(
            select(ReviewTask).where(ReviewTask.application_id == application.id).order_by(ReviewTask.id)
        ).scalars()
    )


def list_applications(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    channel: str | None = None,
    product_code: str | None = None,
    applicant_id: int | None = None,
    department_id: int | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Application], int]:
    """Applications within the actor's data scope (department and owner), newest first."""
    actor.require(APPLICATION_VIEW)
    statement = restrict(
        select(Application), actor, department_column=Application.department_id, owner_column=Application.owner_id
    )
    if status:
        statement = statement.where(Application.status == status)
    if channel:
        statement = statement.where(Application.channel == channel)
    if product_code:
        statement = statement.where(Application.product_code == product_code)
    if applicant_id is not None:
        statement = statement.where(Application.applicant_id == applicant_id)
    if department_id is not None:
        statement = statement.where(Application.department_id == department_id)
    if q:
        statement = statement.where(
            or_(
                Application.number.startswith(q.upper()),
                Application.applicant_name.startswith(q),
                Application.vin == q.upper(),
            )
        )
    return fetch_page(uow.session, statement, (Application.id.desc(),), page, size)


# ---- live quote ------------------------------------------------------------------------------------------------


def _calc_fees(specs: list[dict[str, Any]]) -> tuple[calc.Fee, ...]:
    fees = []
    for spec in specs:
        timing: Literal["upfront", "per_installment"] = (
            "per_installment" if spec.get("timing") == "per_installment" else "upfront"
        )
        treatment: Literal["deducted", "financed"] = (
            "financed" if spec.get("treatment") == "financed" and timing == "upfront" else "deducted"
        )
        fees.append(
            calc.Fee(
                name=spec["name"],
                timing=timing,
                treatment=treatment,
                amount=Decimal(spec["amount"]) if spec.get("amount") is not None else None,
                percent=Decimal(str(spec["percent"])) if spec.get("percent") is not None else None,
            )
        )
    return tuple(fees)


@dataclass(frozen=True)
class ApplicationQuote:
    principal: Decimal
    annual_rate: Decimal
    term: int
    method: str
    total_interest: Decimal
    total_fees: Decimal
    total_repayment: Decimal
    annualized_rate_simple: Decimal
    annualized_rate_compound: Decimal
    schedule: list[dict[str, Any]]


def quote_application(uow: UnitOfWork, actor: Actor, application_id: int) -> ApplicationQuote:
    """The schedule and PBOC annualised rate of the application as it stands (试算), under its product version."""
    application = get_application(uow, actor, application_id)
    version = products.get_version(uow, SYSTEM, application.product_version_id)
    terms = calc.LoanTerms(
        principal=application.amount,
        annual_rate=application.rate,
        term=application.term,
        disbursement_date=platform.business_today(),
        method=application.method,  # type: ignore[arg-type]
        balloon=application.balloon,
        fees=_calc_fees(version.fees if version else []),
        penalty_rate=version.penalty_rate if version else None,
    )
    try:
        schedule = calc.build_schedule(terms)
    except ValueError as exc:
        raise invalid(
            "term",
            f"No schedule for these terms: {exc}",
            f"无法按此条件生成还款计划：{exc}",
            "origination.quote.invalid",
        ) from exc
    rate = calc.annualized_rate(schedule)
    totals = schedule.totals
    return ApplicationQuote(
        principal=application.amount,
        annual_rate=application.rate,
        term=application.term,
        method=application.method,
        total_interest=totals.interest,
        total_fees=totals.fees,
        total_repayment=totals.total,
        annualized_rate_simple=rate.simple,
        annualized_rate_compound=rate.compound,
        schedule=[
            {
                "number": r.number,
                "due_date": r.due_date.isoformat(),
                "principal": r.principal,
                "interest": r.interest,
                "fees": r.fees,
                "total": r.total,
                "balance": r.balance,
            }
            for r in schedule.installments
        ],
    )


# ---- submission ------------------------------------------------------------------------------------------------


def _blacklist_hits(uow: UnitOfWork, application: Application, vehicle_vin: str) -> list[Any]:
    hits: list[Any] = []
    people = [application.applicant_id, application.co_borrower_id, *(application.guarantor_ids or [])]
    for index, customer_id in enumerate(p for p in people if p is not None):
        try:
            customer = customers.get_customer(uow, SYSTEM, customer_id)
        except DomainError:
            continue
        identity = customers.reveal_fields(uow, customer, "identity")
        contact = customers.reveal_fields(uow, customer, "contact")
        number = identity.get("id_number")
        hits += customers.check_blacklist(
            uow,
            id_number=number if customer.kind == "individual" else None,
            uscc=number if customer.kind == "enterprise" else None,
            phone=contact.get("phone"),
            vin=vehicle_vin if index == 0 else None,
        )
    unique = {hit.entry_id: hit for hit in hits}
    return list(unique.values())


def record_blacklist_refusal(uow: UnitOfWork, actor: Actor, refusal: errors.ApplicantBlacklisted) -> None:
    """The risk alert for a refused submission; call it in a fresh transaction after the refusal rolled back."""
    customers.record_alert(
        uow,
        actor,
        "blacklist_hit",
        f"application {refusal.number or refusal.application_id}",
        {
            "application_id": refusal.application_id,
            "entries": [h.entry_id for h in refusal.hits],
            "kinds": sorted({h.kind for h in refusal.hits}),
        },
    )


def _ltv(uow: UnitOfWork, application: Application, vehicle: Any, version: Any) -> tuple[Decimal, Decimal]:
    basis = application.price
    with suppress(DomainError):  # neither invoice nor appraisal: the price entered is the basis
        basis = min(basis, vehicles.loan_to_value(uow, SYSTEM, vehicle.id, application.amount).basis)
    ltv = application.amount / basis * HUNDRED
    cap = products.ltv_cap(
        uow, use=vehicle.use, powertrain=vehicle.powertrain, condition=vehicle.condition, on=platform.business_today()
    )
    cap_percent = cap.cap_percent if cap is not None else HUNDRED
    if version.max_ltv_percent is not None:
        cap_percent = min(cap_percent, version.max_ltv_percent)
    return ltv, cap_percent


def submit_application(
    uow: UnitOfWork, actor: Actor, application_id: int, version: int | None = None
) -> tuple[Application, list[ApplicationCheck]]:
    """Run the checks, record them, and dispatch to the first review stage (or decline automatically).

    A blacklist hit raises :class:`errors.ApplicantBlacklisted` (422) before anything is written; the caller
    rolls back and records the alert with :func:`record_blacklist_refusal`.
    """
    actor.require(APPLICATION_SUBMIT)
    application = visible_application(uow, actor, application_id)
    ensure_version(application, version, "application")
    if application.status not in EDITABLE:
        raise errors.wrong_status(application.status, "draft or returned", "submit it", "提交")
    vehicle = vehicles.get_vehicle(uow, SYSTEM, application.vehicle_id)
    # Read the applicant before the blacklist check and hold it: the session keeps only objects still referenced,
    # so the check's own look-up of the applicant is then answered without a second SELECT.
    try:
        customer = customers.get_customer(uow, SYSTEM, application.applicant_id)
    except DomainError:
        customer = None
    hits = _blacklist_hits(uow, application, vehicle.vin)
    if hits:
        raise errors.applicant_blacklisted(hits, application.id, application.number or "")
    product_version = _active_version(uow, SYSTEM, application.product_code)
    if product_version.id != application.product_version_id:
        application.product_version_id, application.product_version = product_version.id, product_version.number
    if customer is None:
        results = [
            checks_module.CheckResult(
                "kyc", checks_module.DECLINE, "The applicant no longer exists.", "申请人客户记录不存在。"
            )
        ]
        risk_grade = None
    else:
        ltv, cap = _ltv(uow, application, vehicle, product_version)
        ctx = checks_module.CheckContext(
            uow=uow,
            actor=actor,
            application=application,
            customer=customer,
            vehicle=vehicle,
            version=product_version,
            today=platform.business_today(),
            ltv_percent=ltv,
            ltv_cap_percent=cap,
        )
        results = checks_module.run_checks(ctx)
        risk_grade = ctx.risk_grade
    now = utcnow()
    application.submission_round += 1
    recorded = [
        {
            "application_id": application.id,
            "round": application.submission_round,
            "name": r.name,
            "outcome": r.outcome,
            "reason_en": r.en[:500],
            "reason_zh": r.zh[:500],
            "detail": r.detail,
            "checked_at": now,
        }
        for r in results
    ]
    # One executemany, and no flush of the application first (it is written once, below): added to the session,
    # the checks went in one INSERT each on SQLite, where the ORM cannot match RETURNING rows to parameter sets to
    # read back ids that nothing here needs.
    with uow.session.no_autoflush:
        uow.session.execute(insert(ApplicationCheck), recorded)
    rows = [ApplicationCheck(**values) for values in recorded]  # the answer's copy; the table holds the record
    outcome = checks_module.worst(results)
    before = _snapshot(application)
    application.check_outcome = outcome
    application.risk_grade = risk_grade
    application.submitted_at, application.submitted_by = now, actor.user_id
    application.status = ApplicationStatus.SUBMITTED
    application.proposal = None
    _timeline(uow, application, "checks", "submitted", actor, outcome=outcome)
    uow.emit(
        ApplicationSubmitted(
            application.id,
            application.number or "",
            application.applicant_id,
            application.amount,
            application.product_code,
            outcome,
        )
    )
    if outcome == checks_module.DECLINE:
        declined = ", ".join(r.name for r in results if r.outcome == checks_module.DECLINE)
        _reject(uow, SYSTEM, application, "checks", "checks.decline", f"Declined by checks: {declined}", by_checks=True)
    else:
        _dispatch_first(uow, application)
    audit.record(
        uow,
        actor,
        "origination.application.submit",
        "application",
        application.id,
        before=before,
        after={**_snapshot(application), "checks": outcome},
    )
    return application, rows


def withdraw_application(
    uow: UnitOfWork, actor: Actor, application_id: int, version: int | None = None, reason: str | None = None
) -> Application:
    actor.require(APPLICATION_WITHDRAW)
    application = visible_application(uow, actor, application_id)
    ensure_version(application, version, "application")
    allowed = (*EDITABLE, ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.APPROVED)
    if application.status not in allowed:
        raise errors.wrong_status(application.status, "not yet contracted or decided against", "withdraw it", "撤回")
    before = _snapshot(application)
    _close_open_tasks(uow, application, TaskStatus.CANCELLED)
    application.status = ApplicationStatus.WITHDRAWN
    application.current_stage = None
    _timeline(uow, application, "intake", "withdrawn", actor, outcome=ApplicationStatus.WITHDRAWN, comment=reason)
    uow.emit(ApplicationWithdrawn(application.id, application.number or ""))
    audit.record(
        uow,
        actor,
        "origination.application.withdraw",
        "application",
        application.id,
        before=before,
        after=_snapshot(application),
    )
    return application


# =================================================================================================================
# Dispatch (分单)
# =================================================================================================================


def select_chain(uow: UnitOfWork, application: Application) -> ReviewChain:
    chains = uow.session.execute(
        select(ReviewChain).where(ReviewChain.active.is_(True)).order_by(ReviewChain.priority.desc(), ReviewChain.id)
    ).scalars()
    for chain in chains:
        if chain.product_code and chain.product_code != application.product_code:
            continue
        if chain.amount_above is not None and application.amount <= chain.amount_above:
            continue
        if chain.amount_up_to is not None and application.amount > chain.amount_up_to:
            continue
        if chain.risk_grades and (application.risk_grade or "") not in chain.risk_grades:
            continue
        return chain
    raise errors.no_chain(application.amount, application.product_code)


def stages_of(uow: UnitOfWork, chain_id: int) -> list[ChainStage]:
    return list(
        uow.session.execute(
            select(ChainStage).where(ChainStage.chain_id == chain_id).order_by(ChainStage.sequence)
        ).scalars()
    )


def _acted(uow: UnitOfWork, application: Application) -> dict[int, set[str]]:
    """Who acted on which stages of this application (all rounds): tasks completed and committee votes."""
    acted: dict[int, set[str]] = {}
    for user_id, stage in uow.session.execute(
        select(ReviewTask.completed_by, ReviewTask.stage).where(
            ReviewTask.application_id == application.id,
            ReviewTask.completed_by.is_not(None),
            ReviewTask.outcome.in_(["approve", "reject", "return"]),
        )
    ):
        if user_id is not None:
            acted.setdefault(user_id, set()).add(stage)
    for (member_id,) in uow.session.execute(
        select(CommitteeVote.member_id).where(CommitteeVote.application_id == application.id)
    ):
        acted.setdefault(member_id, set()).add(Stage.COMMITTEE)
    return acted


def _check_separation(uow: UnitOfWork, application: Application, user_id: int | None, stage: str) -> None:
    if user_id is not None and user_id in (application.submitted_by, application.owner_id):
        raise errors.submitter_cannot_review()
    other = _acted(uow, application).get(user_id or -1, set()) - {stage}
    if other:
        raise errors.one_stage_per_person(STAGE_NAMES.get(sorted(other)[0], sorted(other)[0]))


def _eligible(uow: UnitOfWork, application: Application, stage_row: ChainStage) -> list[int]:
    """Active, non-superuser users holding the stage's permission, minus the submitter and other-stage actors."""
    permission = STAGE_PERMISSIONS[stage_row.stage]
    department = stage_row.department_id if stage_row.strategy == Strategy.BY_DEPARTMENT else None
    region = None
    if stage_row.strategy == Strategy.BY_REGION:
        # an application without a branch has no region: it waits in the stage queue for a supervisor
        region = org.region_department_ids(uow, application.department_id) if application.department_id else set()
    holders = org.active_user_ids_with_permission(
        uow, permission, department_id=department, department_ids=region, include_superusers=False
    )
    acted = _acted(uow, application)
    excluded = {application.submitted_by, application.owner_id}
    ids = [
        user_id
        for user_id in holders
        if user_id not in excluded and not (acted.get(user_id, set()) - {stage_row.stage})
    ]
    if stage_row.strategy == Strategy.BY_PRODUCT:
        skilled = set(
            uow.session.execute(
                select(ReviewerSkill.user_id).where(ReviewerSkill.product_code == application.product_code)
            ).scalars()
        )
        ids = [i for i in ids if i in skilled]
    return sorted(ids)


def _choose(uow: UnitOfWork, stage_row: ChainStage, candidates: list[int]) -> int | None:
    if not candidates:
        return None
    if stage_row.strategy == Strategy.ROUND_ROBIN:
        last = uow.session.execute(
            select(ReviewTask.assignee_id)
            .where(
                ReviewTask.chain_stage_id == stage_row.id,
                ReviewTask.assigned_at.is_not(None),
                ReviewTask.assignee_id.is_not(None),
            )
            .order_by(ReviewTask.assigned_at.desc(), ReviewTask.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        following = [c for c in candidates if last is not None and c > last]
        return following[0] if following else candidates[0]
    loads = dict(
        uow.session.execute(
            select(ReviewTask.assignee_id, func.count())
            .where(ReviewTask.status == TaskStatus.OPEN, ReviewTask.assignee_id.in_(candidates))
            .group_by(ReviewTask.assignee_id)
        ).all()
    )
    return min(candidates, key=lambda c: (loads.get(c, 0), c))


def committee_members(uow: UnitOfWork, application: Application, stage_row: ChainStage) -> list[int]:
    """The configured members, or else every eligible holder of the committee permission."""
    if stage_row.committee_member_ids:
        return sorted(stage_row.committee_member_ids)
    return _eligible(uow, application, stage_row)


def _open_task(uow: UnitOfWork, application: Application, stage_row: ChainStage) -> ReviewTask:
    now = utcnow()
    task = ReviewTask(
        application_id=application.id,
        chain_stage_id=stage_row.id,
        round=application.submission_round,
        stage=stage_row.stage,
        sequence=stage_row.sequence,
        status=TaskStatus.OPEN,
        due_at=now + timedelta(hours=stage_row.sla_hours),
    )
    application.current_stage = stage_row.stage
    application.status = ApplicationStatus.IN_REVIEW
    title = f"待审批：{application.number}（{STAGE_NAMES[stage_row.stage]}）"
    body = f"{application.applicant_name} · {application.product_code} · {application.amount}"
    if stage_row.stage == Stage.COMMITTEE:
        uow.session.add(task)
        for member in committee_members(uow, application, stage_row):
            platform.notify(uow, member, title, body, link=_link(application))
    else:
        assignee = _choose(uow, stage_row, _eligible(uow, application, stage_row))
        task.assignee_id, task.assigned_at = assignee, (now if assignee else None)
        uow.session.add(task)
        if assignee is not None:
            platform.notify(uow, assignee, title, body, link=_link(application))
    _timeline(uow, application, stage_row.stage, "dispatched", SYSTEM, outcome=str(task.assignee_id or "queue"))
    return task


def _dispatch_first(uow: UnitOfWork, application: Application) -> ReviewTask:
    # Chains and stages are configuration that this use case does not change: reading them need not flush the
    # application first, which would write it once more before the dispatch changes it again.
    with uow.session.no_autoflush:
        chain = select_chain(uow, application)
        first_stage = stages_of(uow, chain.id)[0]
    application.chain_id = chain.id
    return _open_task(uow, application, first_stage)


def _close_open_tasks(uow: UnitOfWork, application: Application, status: str) -> None:
    for task in uow.session.execute(
        select(ReviewTask).where(ReviewTask.application_id == application.id, ReviewTask.status == TaskStatus.OPEN)
    ).scalars():
        task.status = status
        task.completed_at = utcnow()


# =================================================================================================================
# Tasks: queue, claim, release, reassign
# =================================================================================================================


@dataclass(frozen=True)
class QueueItem:
    task: ReviewTask
    application: Application
    mine: bool


def list_my_tasks(
    uow: UnitOfWork, actor: Actor, *, include_pool: bool = True, page: int = 1, size: int = 50
) -> tuple[list[QueueItem], int]:
    """My queue: open tasks assigned to me, plus (``include_pool``) unassigned tasks of stages I review and
    committee tasks awaiting my vote. Applications I entered or submitted never appear."""
    stages = [stage for stage, permission in STAGE_PERMISSIONS.items() if actor.can(permission)]
    conditions = [ReviewTask.assignee_id == actor.user_id]
    if include_pool and stages:
        conditions.append(ReviewTask.assignee_id.is_(None) & ReviewTask.stage.in_(stages))
    rows = uow.session.execute(
        select(ReviewTask, Application)
        .join(Application, Application.id == ReviewTask.application_id)
        .where(ReviewTask.status == TaskStatus.OPEN, or_(*conditions))
        .order_by(ReviewTask.due_at, ReviewTask.id)
        .limit(QUEUE_LIMIT)
    ).all()
    items: list[QueueItem] = []
    for task, application in rows:
        if actor.user_id in (application.submitted_by, application.owner_id):
            continue
        if task.stage == Stage.COMMITTEE:
            stage_row = uow.session.get(ChainStage, task.chain_stage_id)
            voted = uow.session.execute(
                select(CommitteeVote.id).where(
                    CommitteeVote.task_id == task.id, CommitteeVote.member_id == actor.user_id
                )
            ).first()
            if (
                voted
                or stage_row is None
                or (stage_row.committee_member_ids and actor.user_id not in stage_row.committee_member_ids)
            ):
                continue
        items.append(QueueItem(task, application, task.assignee_id == actor.user_id))
    return items[(page - 1) * size : page * size], len(items)


def _task(uow: UnitOfWork, task_id: int) -> ReviewTask:
    task = uow.session.get(ReviewTask, task_id)
    if task is None or task.status != TaskStatus.OPEN:
        raise errors.task_not_found(task_id)
    return task


def claim_task(uow: UnitOfWork, actor: Actor, task_id: int, task_version: int | None = None) -> ReviewTask:
    task = _task(uow, task_id)
    actor.require(STAGE_PERMISSIONS[task.stage])
    if task.stage == Stage.COMMITTEE:
        raise errors.use_committee_vote()
    ensure_version(task, task_version, "review task")
    if task.assignee_id is not None and task.assignee_id != actor.user_id:
        raise errors.task_taken(task.assignee_id)
    application = _application_for_review(uow, task.application_id)
    _check_separation(uow, application, actor.user_id, task.stage)
    task.assignee_id, task.assigned_at = actor.user_id, utcnow()
    uow.flush()
    _timeline(uow, application, task.stage, "claimed", actor)
    audit.record(uow, actor, "origination.task.claim", "review_task", task.id, after={"assignee": actor.user_id})
    return task


def release_task(uow: UnitOfWork, actor: Actor, task_id: int, task_version: int | None = None) -> ReviewTask:
    task = _task(uow, task_id)
    actor.require(STAGE_PERMISSIONS[task.stage])
    ensure_version(task, task_version, "review task")
    if task.assignee_id != actor.user_id:
        raise errors.task_not_yours()
    task.assignee_id, task.assigned_at = None, None
    uow.flush()
    application = _application_for_review(uow, task.application_id)
    _timeline(uow, application, task.stage, "released", actor)
    audit.record(
        uow,
        actor,
        "origination.task.release",
        "review_task",
        task.id,
        before={"assignee": actor.user_id},
        after={"assignee": None},
    )
    return task


def reassign_task(
    uow: UnitOfWork, actor: Actor, task_id: int, assignee_id: int, task_version: int | None = None
) -> ReviewTask:
    """A supervisor moves a task to another reviewer who holds the stage's permission."""
    actor.require(TASK_REASSIGN)
    task = _task(uow, task_id)
    if task.stage == Stage.COMMITTEE:
        raise errors.use_committee_vote()
    ensure_version(task, task_version, "review task")
    target = org.get_user(uow, SYSTEM, assignee_id)
    if target.status != "active" or STAGE_PERMISSIONS[task.stage] not in org.permissions_of(target):
        raise invalid(
            "assignee_id",
            f"{target.username} is not an active reviewer for {task.stage}.",
            f"{target.username} 不是该环节（{STAGE_NAMES[task.stage]}）的在岗审核员。",
            "origination.task.assignee_not_reviewer",
        )
    application = _application_for_review(uow, task.application_id)
    _check_separation(uow, application, target.id, task.stage)
    before = task.assignee_id
    task.assignee_id, task.assigned_at = target.id, utcnow()
    uow.flush()
    platform.notify(
        uow,
        target.id,
        f"改派审批：{application.number}（{STAGE_NAMES[task.stage]}）",
        f"{application.applicant_name} · {application.amount}",
        link=_link(application),
    )
    _timeline(uow, application, task.stage, "reassigned", actor, outcome=target.username)
    audit.record(
        uow,
        actor,
        "origination.task.reassign",
        "review_task",
        task.id,
        before={"assignee": before},
        after={"assignee": target.id},
    )
    return task


# =================================================================================================================
# Review and decisions (多级审批)
# =================================================================================================================


def _current_task(uow: UnitOfWork, application: Application) -> ReviewTask:
    if application.status != ApplicationStatus.IN_REVIEW:
        raise errors.wrong_status(application.status, "in_review", "review it", "审批")
    task = uow.session.execute(
        select(ReviewTask)
        .where(ReviewTask.application_id == application.id, ReviewTask.status == TaskStatus.OPEN)
        .order_by(ReviewTask.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if task is None:
        raise errors.no_open_task()
    return task


def _application_for_review(uow: UnitOfWork, application_id: int) -> Application:
    application = uow.session.get(Application, application_id)
    if application is None:
        raise errors.application_not_found(application_id)
    return application


@dataclass(frozen=True)
class DecisionTerms:
    amount: Decimal
    rate: Decimal
    term: int
    method: str
    conditions: list[str]


def _decision_terms(uow: UnitOfWork, application: Application, cmd: ReviewRequest | None) -> DecisionTerms:
    """The terms a reviewer approves: what they set, else an earlier proposal, else the request — always
    within the request (amount, term) and the product (term list, rate range, methods)."""
    proposal = application.proposal or {}
    version = products.get_version(uow, SYSTEM, application.product_version_id)
    amount = (
        cmd.approved_amount
        if cmd and cmd.approved_amount is not None
        else Decimal(proposal.get("amount", application.amount))
    )
    rate = (
        cmd.approved_rate if cmd and cmd.approved_rate is not None else Decimal(proposal.get("rate", application.rate))
    )
    term = cmd.approved_term if cmd and cmd.approved_term is not None else int(proposal.get("term", application.term))
    method = cmd.approved_method if cmd and cmd.approved_method else str(proposal.get("method", application.method))
    conditions = list(cmd.conditions) if cmd and cmd.conditions else list(proposal.get("conditions", []))
    problems: list[FieldError] = []
    if not ZERO < amount <= application.amount:
        problems.append(
            FieldError(
                "approved_amount",
                Text(
                    f"The approved amount must be above 0 and at most the {application.amount} requested.",
                    f"批准金额应大于0且不超过申请金额{application.amount}。",
                ),
            )
        )
    if term > application.term or (version is not None and term not in version.terms):
        problems.append(
            FieldError(
                "approved_term",
                Text(
                    f"The approved term must be a product term not longer than the {application.term} months "
                    "requested.",
                    f"批准期限须为产品可选期限且不超过申请的{application.term}个月。",
                ),
            )
        )
    if version is not None and not version.rate_min <= rate <= version.rate_max:
        problems.append(
            FieldError(
                "approved_rate",
                Text(
                    f"The approved rate must be between {version.rate_min}% and {version.rate_max}%.",
                    f"批准利率应在{version.rate_min}%至{version.rate_max}%之间。",
                ),
            )
        )
    if version is not None and method not in version.methods:
        problems.append(
            FieldError(
                "approved_method",
                Text(
                    f"The product offers {', '.join(version.methods)}.",
                    f"该产品支持的还款方式为{'、'.join(version.methods)}。",
                ),
            )
        )
    if problems:
        raise ValidationFailed(
            "origination.decision.outside_limits",
            Text(
                "The decision is outside the request or the product; see the fields.",
                "审批结论超出申请或产品范围，请查看各字段说明。",
            ),
            problems,
        )
    return DecisionTerms(quantize(amount), rate, term, method, conditions)


def _approve(uow: UnitOfWork, actor: Actor, application: Application, terms: DecisionTerms, stage: str) -> None:
    now = utcnow()
    days = int(
        platform.get_parameter(
            uow, "origination.approval_valid_days", product=application.product_code, default=DEFAULT_APPROVAL_DAYS
        )
    )
    application.status = ApplicationStatus.APPROVED
    application.current_stage = None
    application.decided_at = now
    application.decision_reason = "approved"
    application.approved_amount, application.approved_rate = terms.amount, terms.rate
    application.approved_term, application.approved_method = terms.term, terms.method
    application.conditions = terms.conditions
    application.approval_expires_at = now + timedelta(days=days)
    _timeline(uow, application, stage, "approved", actor, outcome=ApplicationStatus.APPROVED)
    uow.emit(
        ApplicationApproved(
            application.id,
            application.number or "",
            terms.amount,
            terms.rate,
            terms.term,
            terms.method,
            application.approval_expires_at,
            tuple(terms.conditions),
        )
    )
    if application.owner_id:
        platform.notify(
            uow,
            application.owner_id,
            f"申请已批准：{application.number}",
            f"批准金额 {terms.amount}，期限 {terms.term} 期，年利率 {terms.rate}%，"
            f"有效期至 {application.approval_expires_at:%Y-%m-%d}",
            link=_link(application),
        )


def _reject(
    uow: UnitOfWork,
    actor: Actor,
    application: Application,
    stage: str,
    reason_code: str,
    comment: str | None,
    *,
    by_checks: bool = False,
) -> TimelineEntry:
    _close_open_tasks(uow, application, TaskStatus.CANCELLED)
    application.status = ApplicationStatus.REJECTED
    application.current_stage = None
    application.decided_at = utcnow()
    application.decision_reason = reason_code
    entry = _timeline(
        uow,
        application,
        stage,
        "rejected",
        actor,
        outcome=ApplicationStatus.REJECTED,
        reason_code=reason_code,
        comment=comment,
    )
    uow.emit(ApplicationRejected(application.id, application.number or "", reason_code, by_checks))
    if application.owner_id:
        platform.notify(
            uow,
            application.owner_id,
            f"申请未获批准：{application.number}",
            comment or REASON_CODES.get(reason_code, (reason_code, reason_code))[1],
            link=_link(application),
        )
    return entry


def _return(
    uow: UnitOfWork, actor: Actor, application: Application, stage: str, reason_code: str, comment: str | None
) -> TimelineEntry:
    _close_open_tasks(uow, application, TaskStatus.CANCELLED)
    application.status = ApplicationStatus.RETURNED
    application.current_stage = None
    application.decision_reason = reason_code
    entry = _timeline(
        uow,
        application,
        stage,
        "returned",
        actor,
        outcome=ApplicationStatus.RETURNED,
        reason_code=reason_code,
        comment=comment,
    )
    uow.emit(ApplicationReturned(application.id, application.number or "", reason_code))
    if application.owner_id:
        platform.notify(
            uow,
            application.owner_id,
            f"申请退回补件：{application.number}",
            comment or REASON_CODES.get(reason_code, (reason_code, reason_code))[1],
            link=_link(application),
        )
    return entry


def _check_reason(decision: str, reason_code: str | None) -> str:
    if decision == "approve":
        return reason_code or "approved"
    if not reason_code:
        raise errors.reason_code_required(decision)
    if reason_code not in REASON_CODES:
        raise invalid(
            "reason_code",
            f"Unknown reason code; choose one of {', '.join(REASON_CODES)}.",
            f"原因代码无效，请从{'、'.join(REASON_CODES)}中选择。",
            "origination.review.reason_unknown",
        )
    return reason_code


def review_application(uow: UnitOfWork, actor: Actor, application_id: int, cmd: ReviewRequest) -> Application:
    """Approve / reject / return the application's current stage. Approving the last stage decides it."""
    application = _application_for_review(uow, application_id)
    task = _current_task(uow, application)
    actor.require(STAGE_PERMISSIONS[task.stage])
    if task.stage == Stage.COMMITTEE:
        raise errors.use_committee_vote()
    _check_separation(uow, application, actor.user_id, task.stage)
    if task.assignee_id is not None and task.assignee_id != actor.user_id:
        raise errors.task_taken(task.assignee_id)
    ensure_version(task, cmd.task_version, "review task")
    reason_code = _check_reason(cmd.decision, cmd.reason_code)
    attachments = _attach_documents(uow, actor, application, cmd.attachment_ids)
    before = _snapshot(application)
    now = utcnow()
    task.status, task.outcome, task.completed_at, task.completed_by = TaskStatus.DONE, cmd.decision, now, actor.user_id
    task.assignee_id = task.assignee_id or actor.user_id
    task.reason_code, task.comment = reason_code, cmd.comment
    uow.flush()  # the optimistic lock: a second reviewer acting on the same task meanwhile gets 409 here
    if cmd.decision == "reject":
        acted = _reject(uow, actor, application, task.stage, reason_code, cmd.comment)
    elif cmd.decision == "return":
        acted = _return(uow, actor, application, task.stage, reason_code, cmd.comment)
    else:
        terms = _decision_terms(uow, application, cmd)
        acted = _timeline(uow, application, task.stage, "reviewed", actor, outcome="approve", comment=cmd.comment)
        stages = stages_of(uow, application.chain_id or 0)
        following = [s for s in stages if s.sequence > task.sequence]
        if following:
            application.proposal = {
                "amount": str(terms.amount),
                "rate": str(terms.rate),
                "term": terms.term,
                "method": terms.method,
                "conditions": terms.conditions,
            }
            _open_task(uow, application, following[0])
        else:
            _approve(uow, actor, application, terms, task.stage)
    acted.attachment_ids = attachments
    audit.record(
        uow,
        actor,
        f"origination.review.{cmd.decision}",
        "application",
        application.id,
        before=before,
        after={**_snapshot(application), "stage": task.stage, "reason_code": reason_code, "attachments": attachments},
    )
    return application


@dataclass(frozen=True)
class VoteOutcome:
    application: Application
    votes: list[CommitteeVote]
    decided: bool


def votes_of(uow: UnitOfWork, task_id: int) -> list[CommitteeVote]:
    return list(
        uow.session.execute(
            select(CommitteeVote).where(CommitteeVote.task_id == task_id).order_by(CommitteeVote.id)
        ).scalars()
    )


def vote_committee(uow: UnitOfWork, actor: Actor, application_id: int, cmd: VoteRequest) -> VoteOutcome:
    """A credit-committee member votes. Once the votes cast reach the quorum, the application is approved if
    approvals exceed ``approval_ratio`` of the votes cast (default: a simple majority), else rejected."""
    actor.require(REVIEW_COMMITTEE)
    application = _application_for_review(uow, application_id)
    task = _current_task(uow, application)
    if task.stage != Stage.COMMITTEE:
        raise errors.wrong_status(f"at {task.stage}", "at the credit committee", "vote", "投票")
    _check_separation(uow, application, actor.user_id, Stage.COMMITTEE)
    stage_row = uow.session.get(ChainStage, task.chain_stage_id)
    if stage_row is None:
        raise errors.no_open_task()
    if actor.user_id is None or actor.user_id not in committee_members(uow, application, stage_row):
        raise errors.not_committee_member()
    votes = votes_of(uow, task.id)
    if any(v.member_id == actor.user_id for v in votes):
        raise errors.already_voted()
    vote = CommitteeVote(
        task_id=task.id,
        application_id=application.id,
        member_id=actor.user_id,
        member_name=actor.username,
        vote=cmd.vote,
        comment=cmd.comment,
        voted_at=utcnow(),
    )
    uow.session.add(vote)
    task.updated_at = utcnow()  # bumps the task's version: concurrent votes are serialised (one gets 409)
    uow.flush()
    votes.append(vote)
    voted = _timeline(uow, application, Stage.COMMITTEE, "voted", actor, outcome=cmd.vote, comment=cmd.comment)
    voted.attachment_ids = _attach_documents(uow, actor, application, cmd.attachment_ids)
    audit.record(
        uow,
        actor,
        "origination.committee.vote",
        "application",
        application.id,
        after={"vote": cmd.vote, "task": task.id},
    )
    cast = len(votes)
    approvals = sum(1 for v in votes if v.vote == "approve")
    quorum = stage_row.quorum or len(committee_members(uow, application, stage_row))
    if cast < quorum:
        return VoteOutcome(application, votes, False)
    approved = Decimal(approvals) > stage_row.approval_ratio * cast
    task.status, task.completed_at = TaskStatus.DONE, utcnow()
    task.outcome = "approve" if approved else "reject"
    summary = f"{approvals} approve / {cast - approvals} reject of {cast} (quorum {quorum})"
    if approved:
        _approve(uow, SYSTEM, application, _decision_terms(uow, application, None), Stage.COMMITTEE)
    else:
        _reject(uow, SYSTEM, application, Stage.COMMITTEE, "committee_rejected", summary)
    audit.record(
        uow,
        SYSTEM,
        "origination.committee.decide",
        "application",
        application.id,
        after={"outcome": task.outcome, "votes": summary},
    )
    return VoteOutcome(application, votes, True)


def expire_approvals(uow: UnitOfWork, actor: Actor, now: datetime | None = None, limit: int = 500) -> int:
    """Approved applications past their validity without a contract become ``expired`` (批复失效)."""
    moment = now or utcnow()
    due = (
        uow.session.execute(
            select(Application)
            .where(Application.status == ApplicationStatus.APPROVED, Application.approval_expires_at < moment)
            .order_by(Application.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    for application in due:
        application.status = ApplicationStatus.EXPIRED
        _timeline(uow, application, "decision", "expired", actor, outcome=ApplicationStatus.EXPIRED)
        uow.emit(ApplicationExpired(application.id, application.number or ""))
        audit.record(
            uow,
            actor,
            "origination.application.expire",
            "application",
            application.id,
            before={"status": "approved"},
            after={"status": "expired"},
        )
        if application.owner_id:
            platform.notify(
                uow,
                application.owner_id,
                f"批复已失效：{application.number}",
                "批复有效期内未签约，已自动失效。",
                link=_link(application),
            )
    return len(due)


# =================================================================================================================
# Configuration: intake rules, review chains, reviewer skills
# =================================================================================================================


def _rule_view(rule: IntakeRule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "expression": rule.expression,
        "outcome": rule.outcome,
        "active": rule.active,
        "version": rule.version,
    }


def list_rules(uow: UnitOfWork, actor: Actor) -> list[IntakeRule]:
    actor.require(RULE_MANAGE)
    return list(uow.session.execute(select(IntakeRule).order_by(IntakeRule.code)).scalars())


def get_rule(uow: UnitOfWork, actor: Actor, rule_id: int) -> IntakeRule:
    actor.require(RULE_MANAGE)
    rule = uow.session.get(IntakeRule, rule_id)
    if rule is None:
        raise errors.rule_not_found(rule_id)
    return rule


def create_rule(uow: UnitOfWork, actor: Actor, cmd: RuleCreate) -> IntakeRule:
    """Store an intake rule; an expression the parser refuses is refused here with its message (422)."""
    actor.require(RULE_MANAGE)
    checks_module.compile_expression(cmd.expression)
    if uow.session.execute(select(IntakeRule.id).where(IntakeRule.code == cmd.code)).first():
        raise errors.rule_code_taken(cmd.code)
    rule = IntakeRule(
        code=cmd.code,
        name=cmd.name,
        expression=cmd.expression,
        outcome=cmd.outcome,
        active=cmd.active,
        description=cmd.description,
    )
    uow.session.add(rule)
    uow.flush()
    audit.record(uow, actor, "origination.rule.create", "intake_rule", rule.id, after=_rule_view(rule))
    return rule


def update_rule(uow: UnitOfWork, actor: Actor, rule_id: int, cmd: RuleUpdate) -> IntakeRule:
    rule = get_rule(uow, actor, rule_id)
    ensure_version(rule, cmd.version, "rule")
    before = _rule_view(rule)
    changes = cmd.model_dump(exclude_unset=True, exclude={"version"})
    if changes.get("expression"):
        checks_module.compile_expression(changes["expression"])
    for name, value in changes.items():
        if value is not None:
            setattr(rule, name, value)
    uow.flush()
    audit.record(uow, actor, "origination.rule.update", "intake_rule", rule.id, before=before, after=_rule_view(rule))
    return rule


def delete_rule(uow: UnitOfWork, actor: Actor, rule_id: int, version: int | None = None) -> None:
    rule = get_rule(uow, actor, rule_id)
    ensure_version(rule, version, "rule")
    before = _rule_view(rule)
    uow.session.delete(rule)
    uow.flush()
    audit.record(uow, actor, "origination.rule.delete", "intake_rule", rule_id, before=before)


def list_chains(uow: UnitOfWork, actor: Actor) -> list[tuple[ReviewChain, list[ChainStage]]]:
    actor.require(RULE_MANAGE)
    chains = uow.session.execute(select(ReviewChain).order_by(ReviewChain.priority.desc(), ReviewChain.code)).scalars()
    return [(chain, stages_of(uow, chain.id)) for chain in chains]


def create_chain(uow: UnitOfWork, actor: Actor, cmd: ChainCreate) -> ReviewChain:
    actor.require(RULE_MANAGE)
    if uow.session.execute(select(ReviewChain.id).where(ReviewChain.code == cmd.code)).first():
        raise invalid(
            "code",
            f"A chain with code {cmd.code} exists.",
            f"审批链代码 {cmd.code} 已存在。",
            "origination.chain.code_taken",
        )
    for index, spec in enumerate(cmd.stages):
        if spec.stage == "committee" and spec.committee_member_ids and spec.quorum > len(spec.committee_member_ids):
            raise invalid(
                f"stages.{index}.quorum",
                "The quorum cannot exceed the number of members.",
                "法定人数不能超过委员人数。",
                "origination.chain.quorum",
            )
    chain = ReviewChain(
        code=cmd.code,
        name=cmd.name,
        product_code=cmd.product_code,
        amount_above=cmd.amount_above,
        amount_up_to=cmd.amount_up_to,
        risk_grades=list(cmd.risk_grades),
        priority=cmd.priority,
        active=True,
    )
    uow.session.add(chain)
    uow.flush()
    for sequence, spec in enumerate(cmd.stages, start=1):
        uow.session.add(ChainStage(chain_id=chain.id, sequence=sequence, **spec.model_dump()))
    uow.flush()
    audit.record(
        uow,
        actor,
        "origination.chain.create",
        "review_chain",
        chain.id,
        after={"code": chain.code, "stages": [s.stage for s in cmd.stages]},
    )
    return chain


def set_reviewer_products(uow: UnitOfWork, actor: Actor, user_id: int, product_codes: list[str]) -> list[str]:
    """The products a reviewer handles (the ``by_product`` strategy)."""
    actor.require(RULE_MANAGE)
    org.get_user(uow, SYSTEM, user_id)
    existing = list(uow.session.execute(select(ReviewerSkill).where(ReviewerSkill.user_id == user_id)).scalars())
    for row in existing:
        uow.session.delete(row)
    uow.flush()
    for code in sorted(set(product_codes)):
        uow.session.add(ReviewerSkill(user_id=user_id, product_code=code))
    audit.record(
        uow,
        actor,
        "origination.reviewer.products",
        "user",
        user_id,
        before={"products": [r.product_code for r in existing]},
        after={"products": sorted(set(product_codes))},
    )
    return sorted(set(product_codes))
