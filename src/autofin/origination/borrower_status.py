"""The borrower's status page (进度查询): where an application stands, for the borrower, without an account.

:func:`borrower_status` finds an application by its number and answers only when the ID number **and** the phone
given match the applicant's (compared through the customers domain's keyed look-up hashes). Any mismatch, or a
number that does not exist, raises the same :func:`status_not_found` — the answer never says which part was wrong.
The answer carries no personal data and no staff names: the number, product, amount and term, the status and stage
in words, a milestone timeline with Beijing dates (reason *categories* only, never a reviewer's comment) and what
happens next.

Callers are public (the API route and the console page): they take a token of the ``status`` limiter
(``partners.api.limiter_of(app, "status")``) per client IP first (:func:`check_rate`).
"""

from __future__ import annotations

import hmac
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import DomainError, NotFound, RateLimited, Text
from autofin.origination.models import Application, ApplicationStatus, TimelineEntry
from autofin.origination.partners.ratelimit import Limiter
from autofin.platform import service as platform
from autofin.products import service as products
from autofin.schemas import MoneyStr, PublicModel, StrictModel

TRIES_PER_MINUTE = 10

StepState = Literal["done", "current", "pending", "failed"]

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "draft": ("申请资料录入中", "Being prepared"),
    "submitted": ("已提交", "Submitted"),
    "in_review": ("审核中", "In review"),
    "approved": ("已批准", "Approved"),
    "rejected": ("未获批准", "Not approved"),
    "returned": ("需补充资料", "More information needed"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "expired": ("批复已过期", "Approval expired"),
    "contracted": ("已签约，放款办理中", "Contract signed, payout in progress"),
    "disbursed": ("已放款", "Paid out"),
}
# status -> (stage code, stage zh, stage en)
STAGES: dict[str, tuple[str, str, str]] = {
    "draft": ("application", "申请", "Application"),
    "submitted": ("review", "审核", "Review"),
    "in_review": ("review", "审核", "Review"),
    "returned": ("review", "审核", "Review"),
    "approved": ("contract", "签约", "Contract"),
    "contracted": ("disbursement", "放款", "Payout"),
    "disbursed": ("repayment", "还款", "Repayment"),
    "rejected": ("closed", "已结束", "Closed"),
    "withdrawn": ("closed", "已结束", "Closed"),
    "expired": ("closed", "已结束", "Closed"),
}
_BEING_REVIEWED = ("我们正在审核您的申请，您无需操作，结果将由经销商通知您。",
                   "We are reviewing your application. Nothing to do for now: your dealer will tell you the result.")
NEXT_STEPS: dict[str, tuple[str, str]] = {
    "draft": ("经销商正在为您录入申请，提交后即进入审核。",
              "Your dealer is preparing the application; review starts once they submit it."),
    "submitted": _BEING_REVIEWED,
    "in_review": _BEING_REVIEWED,
    "returned": ("请联系您的经销商补充资料，经销商将重新提交申请。",
                 "Please contact your dealer to provide what is missing; they will submit the application again."),
    "approved": ("请到您的经销商处签署贷款合同。", "Sign the loan contract at your dealer."),
    "contracted": ("合同已签署，正在办理放款（抵押登记、GPS、保险等），放款后将通知您。",
                   "The contract is signed; the payout is being arranged (registration, GPS, insurance). "
                   "You will be told when the loan is paid out."),
    "disbursed": ("贷款已发放，请按还款计划按时还款。", "The loan is paid out: repay on the dates of your schedule."),
    "rejected": ("本次申请未获批准。如有疑问，请咨询您的经销商。",
                 "This application was not approved. Ask your dealer if you have questions."),
    "withdrawn": ("申请已撤回。如仍需贷款，请联系您的经销商重新申请。",
                  "The application was withdrawn. Contact your dealer to apply again."),
    "expired": ("批复已过有效期。如仍需贷款，请联系您的经销商重新申请。",
                "The approval has expired. Contact your dealer to apply again."),
}
# the reviewers' reason codes, as categories a borrower may read (never the comment; never "fraud")
REASON_CATEGORIES: dict[str, tuple[str, str, str]] = {
    "income_insufficient": ("income", "收入情况", "Income"),
    "credit_history": ("credit", "信用记录", "Credit history"),
    "documents_missing": ("documents", "申请资料", "Application documents"),
    "vehicle_value": ("vehicle", "车辆情况", "The vehicle"),
    "policy": ("policy", "信贷政策", "Lending policy"),
    "checks.decline": ("policy", "信贷政策", "Lending policy"),
}
OTHER_CATEGORY = ("assessment", "综合评估", "Overall assessment")
STEP_WORDS: dict[str, tuple[str, str]] = {
    "submitted": ("提交申请", "Submitted"),
    "in_review": ("审核", "Review"),
    "approved": ("审核通过", "Approved"),
    "rejected": ("未获批准", "Not approved"),
    "returned": ("退回补充资料", "Returned for more information"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "expired": ("批复过期", "Approval expired"),
    "decision": ("审核结果", "Decision"),
    "contracted": ("签署合同", "Contract signed"),
    "disbursed": ("放款", "Paid out"),
}
MAIN_PATH = ("submitted", "in_review", "decision", "contracted", "disbursed")


def status_not_found() -> NotFound:
    """The one answer to every refused look-up: unknown number, wrong ID number, wrong phone, or all three."""
    return NotFound(
        "origination.status.not_found",
        Text(
            "No application matches this number, ID number and phone. Check all three and try again, "
            "or ask your dealer.",
            "未找到与该申请编号、证件号码和手机号码相符的申请，请核对后重试，或咨询您的经销商。",
        ),
    )


def status_rate_limited(limit: int, retry_after: int) -> RateLimited:
    return RateLimited(
        "origination.status.rate_limited",
        Text(
            f"Too many look-ups: at most {limit} a minute. Try again in {retry_after} s.",
            f"查询过于频繁：每分钟最多 {limit} 次，请在 {retry_after} 秒后重试。",
        ),
        retry_after=retry_after,
    )


# ---- schemas ---------------------------------------------------------------------------------------------------


class StatusQuery(StrictModel):
    """What the borrower types: the application number and the applicant's ID number and phone."""

    application_number: str = Field(min_length=1, max_length=32, examples=["AP-20261124-000123"])
    id_number: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=1, max_length=20)


class StatusStep(PublicModel):
    """One milestone of the borrower's timeline: ``code``, words, state, Beijing date, a reason category."""

    code: str
    label_zh: str
    label_en: str
    state: StepState
    on: date | None = None
    reason_category: str | None = None
    reason_zh: str | None = None
    reason_en: str | None = None


class BorrowerStatus(PublicModel):
    """Where the application stands, for its borrower: no personal data, no staff names."""

    application_number: str
    product_name: str
    amount: MoneyStr
    term: int
    status: str
    status_zh: str
    status_en: str
    stage: str
    stage_zh: str
    stage_en: str
    steps: list[StatusStep]
    next_zh: str
    next_en: str
    approval_valid_until: date | None = None


# ---- the use case ----------------------------------------------------------------------------------------------


def _same(stored: str | None, given: str) -> bool:
    return stored is not None and hmac.compare_digest(stored.encode(), given.encode())


def _applicant_matches(uow: UnitOfWork, applicant_id: int, id_digest: str, phone_digest: str) -> bool:
    """The applicant (or the customer it was merged into) has both this ID number and this phone."""
    try:
        customer: Any = customers.get_customer(uow, SYSTEM, applicant_id)
    except DomainError:
        return False
    seen: set[int] = set()
    while customer is not None and customer.id not in seen:
        seen.add(customer.id)
        if _same(customer.id_number_hash, id_digest) and _same(customer.phone_hash, phone_digest):
            return True
        merged_into = customer.merged_into_id
        customer = customers.get_customer(uow, SYSTEM, merged_into) if merged_into else None
    return False


def _day(moment: datetime | None) -> date | None:
    """The Beijing date of a stored UTC moment: the date the borrower lived it."""
    return moment.astimezone(platform.BUSINESS_TZ).date() if moment is not None else None


def _reason(code: str | None) -> tuple[str, str, str] | None:
    if not code:
        return None
    return REASON_CATEGORIES.get(code, OTHER_CATEGORY)


def _step(code: str, state: StepState, on: date | None = None, reason_code: str | None = None,
          words: str | None = None) -> StatusStep:
    zh, en = STEP_WORDS[words or code]
    category = _reason(reason_code)
    return StatusStep(
        code=code, label_zh=zh, label_en=en, state=state, on=on,
        reason_category=category[0] if category else None,
        reason_zh=category[1] if category else None,
        reason_en=category[2] if category else None,
    )


def _timeline(uow: UnitOfWork, application: Application) -> list[TimelineEntry]:
    return list(
        uow.session.execute(
            select(TimelineEntry).where(TimelineEntry.application_id == application.id).order_by(TimelineEntry.id)
        ).scalars()
    )


def _steps(application: Application, entries: list[TimelineEntry]) -> list[StatusStep]:
    """The milestones submitted → in review → decision → contract → payout, each with its date.

    Only the last submission round counts (a returned application submitted again starts the review anew); a
    decision that ends the path (rejected, withdrawn, expired) is the last step shown."""
    status = application.status
    if status == ApplicationStatus.DRAFT:
        return [_step(code, "current" if code == "submitted" else "pending") for code in MAIN_PATH]
    last_submit = max((i for i, e in enumerate(entries) if e.action == "submitted"), default=0)
    first: dict[str, TimelineEntry] = {}
    last: dict[str, TimelineEntry] = {}
    for entry in entries[last_submit:]:
        first.setdefault(entry.action, entry)
        last[entry.action] = entry

    def on(action: str, fallback: datetime | None = None) -> date | None:
        entry = last.get(action)
        return _day(entry.at) if entry is not None else _day(fallback)

    def reason(action: str) -> str | None:
        entry = last.get(action)
        return entry.reason_code if entry is not None else application.decision_reason

    submitted_on = _day(application.submitted_at) or on("submitted")
    dispatched = first.get("dispatched")
    in_review_on = _day(dispatched.at) if dispatched is not None else submitted_on
    steps = [_step("submitted", "done", submitted_on)]
    waiting = [_step("decision", "pending"), _step("contracted", "pending"), _step("disbursed", "pending")]
    if status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW):
        return [*steps, _step("in_review", "current", in_review_on), *waiting]
    rejected = last.get("rejected")
    if not (status == ApplicationStatus.REJECTED and rejected is not None and rejected.stage == "checks"):
        steps.append(_step("in_review", "done", in_review_on))  # declined by the checks: never reached review
    if status == ApplicationStatus.RETURNED:
        return [*steps, _step("returned", "current", on("returned"), reason("returned")), *waiting]
    if status == ApplicationStatus.REJECTED:
        return [*steps, _step("rejected", "failed", on("rejected", application.decided_at), reason("rejected"))]
    if status == ApplicationStatus.WITHDRAWN:
        return [*steps, _step("withdrawn", "failed", on("withdrawn"))]
    steps.append(_step("approved", "done", on("approved", application.decided_at)))
    if status == ApplicationStatus.EXPIRED:
        return [*steps, _step("expired", "failed", on("expired"))]
    if status == ApplicationStatus.APPROVED:
        return [*steps, _step("contracted", "current"), _step("disbursed", "pending")]
    steps.append(_step("contracted", "done", on("contract_signed")))
    if status == ApplicationStatus.CONTRACTED:
        return [*steps, _step("disbursed", "current")]
    return [*steps, _step("disbursed", "done", on("paid"))]


def borrower_status(uow: UnitOfWork, application_number: str, id_number: str, phone: str) -> BorrowerStatus:
    """Where application ``application_number`` stands, if ``id_number`` and ``phone`` are its applicant's.

    Every refusal is :func:`status_not_found` (404 ``origination.status.not_found``). Read only: nothing is
    written, so the caller has nothing to commit. Public callers rate-limit first (:func:`check_rate`).
    """
    # the keyed hashes are computed before the look-up, so an unknown number costs the same as a wrong phone
    id_digest = customers.id_hash(uow, id_number or "")
    phone_digest = customers.phone_hash(uow, phone or "")
    number = (application_number or "").strip().upper()
    application = (
        uow.session.execute(select(Application).where(Application.number == number)).scalar_one_or_none()
        if number else None
    )
    if application is None or not _applicant_matches(uow, application.applicant_id, id_digest, phone_digest):
        raise status_not_found()
    status = application.status
    decided = status in (ApplicationStatus.APPROVED, ApplicationStatus.CONTRACTED, ApplicationStatus.DISBURSED)
    version = products.get_version(uow, SYSTEM, application.product_version_id)
    stage = STAGES.get(status, ("review", "审核", "Review"))
    words = STATUS_WORDS.get(status, (status, status))
    next_zh, next_en = NEXT_STEPS.get(status, ("", ""))
    valid_until = _day(application.approval_expires_at) if status == ApplicationStatus.APPROVED else None
    if valid_until is not None:
        next_zh = f"请在 {valid_until.isoformat()} 前到您的经销商处签署贷款合同。"
        next_en = f"Sign the loan contract at your dealer by {valid_until.isoformat()}."
    return BorrowerStatus(
        application_number=number,
        product_name=version.name if version is not None else application.product_code,
        amount=application.approved_amount if decided and application.approved_amount else application.amount,
        term=application.approved_term if decided and application.approved_term else application.term,
        status=status,
        status_zh=words[0],
        status_en=words[1],
        stage=stage[0],
        stage_zh=stage[1],
        stage_en=stage[2],
        steps=_steps(application, _timeline(uow, application)),
        next_zh=next_zh,
        next_en=next_en,
        approval_valid_until=valid_until,
    )


# ---- rate limit ------------------------------------------------------------------------------------------------


def check_rate(limiter: Limiter, client_ip: str | None, per_minute: int = TRIES_PER_MINUTE) -> None:
    """Take a token of this client's bucket or refuse with 429 (``origination.status.rate_limited``)."""
    verdict = limiter.take(f"ip:{client_ip or 'unknown'}", per_minute)
    if not verdict.allowed:
        raise status_rate_limited(per_minute, verdict.retry_after)
