"""Disbursement (放款管理): conditions checklist → registration by one operator → double review by another →
a two-phase payment instruction through the bank channel → the loan account opens on the bank's answer.

Use cases take ``(uow, actor, …)``, check the permission and the data scope, audit, emit events and never commit.
``send_disbursement_payment`` talks to the bank, so it runs after the caller's commit, in its own short transactions
(through ``channels.service.send_payment``). The bank's callback arrives as ``PaymentPosted`` / ``PaymentFailed``;
``on_payment_posted`` / ``on_payment_failed`` (subscribed in ``subscribers.py``) finish the disbursement inside the
callback's transaction.

Never pays twice: the payment key is ``disbursement:{id}`` (a retried approval finds the same instruction), only
a ``registered`` disbursement can be approved (the row is locked and versioned: of two concurrent approvals one
gets 409), an application has at most one live disbursement (a unique column), the bank deduplicates a re-sent
instruction on its end-to-end id, and a repeated callback changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from autofin import calc
from autofin.audit import service as audit
from autofin.channels import permissions as channel_permissions
from autofin.channels import service as channels
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict, visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import DomainError, invalid
from autofin.kernel.money import ZERO, quantize
from autofin.org import service as org
from autofin.origination import errors
from autofin.origination import service as origination
from autofin.origination.contracts.events import ContractSigned
from autofin.origination.contracts.models import SigningSession, SigningState
from autofin.origination.disbursing.models import Disbursement, DisbursementStatus, DownPayment
from autofin.origination.disbursing.schemas import DisbursementRegister, DisbursementReview, DownPaymentCreate
from autofin.origination.events import (
    ApplicationApproved,
    ApplicationContracted,
    DisbursementApproved,
    DisbursementFailed,
    DisbursementFeeCharged,
    DisbursementPaid,
    DisbursementRegistered,
)
from autofin.origination.models import Application, ApplicationStatus, TimelineEntry
from autofin.origination.permissions import (
    DISBURSEMENT_REGISTER,
    DISBURSEMENT_REVIEW,
    DISBURSEMENT_VIEW,
    DOWN_PAYMENT_RECORD,
)
from autofin.platform import service as platform
from autofin.products import service as products
from autofin.servicing import service as servicing
from autofin.vehicles import service as vehicles

if TYPE_CHECKING:
    from autofin.bootstrap import App
    from autofin.channels.events import PaymentFailed, PaymentPosted

log = logging.getLogger("autofin.origination.disbursement")

ENTITY = "disbursement"
STAGE = "disbursement"  # the timeline stage of everything here
PAYMENT_PURPOSE = "disbursement"
CONDITIONS_PARAMETER = "origination.disbursement_conditions"
INSTITUTION_PARAMETER = "origination.institution_name"
DEFAULT_INSTITUTION = "autofin"  # the default creditor of a lien (vehicles.LienCreate)
CONDITION_LABELS: dict[str, tuple[str, str]] = {
    "contract_signed": ("合同已签署", "Contract signed"),
    "mortgage_registered": ("抵押已登记", "Mortgage registered"),
    "gps_installed": ("GPS 已安装", "GPS installed"),
    "insurance_beneficiary": ("保险第一受益人为本机构", "Insurance names the institution as beneficiary"),
    "down_payment_received": ("首付款已到账", "Down payment received"),
}
DEFAULT_CONDITIONS: tuple[str, ...] = tuple(CONDITION_LABELS)
_ACCOUNT = re.compile(r"^\d{8,32}$")


@dataclass(frozen=True)
class ConditionResult:
    """One disbursement condition (放款条件) of an application: met or not, and why."""

    code: str
    label_zh: str
    label_en: str
    met: bool
    detail: str


def _link(disbursement: Disbursement) -> str:
    return f"/disbursements/{disbursement.id}"


def _application_link(application_id: int) -> str:
    return f"/applications/{application_id}"


def _timeline(uow: UnitOfWork, application: Application, action: str, actor: Actor, *, outcome: str | None = None,
              comment: str | None = None) -> None:
    uow.session.add(TimelineEntry(application_id=application.id, at=utcnow(), stage=STAGE, action=action,
                                  outcome=outcome, actor_id=actor.user_id, actor_name=actor.username,
                                  comment=comment))


def _snapshot(d: Disbursement) -> dict[str, Any]:
    return {
        "number": d.number,
        "application_id": d.application_id,
        "status": d.status,
        "amount": str(d.amount),
        "fee_amount": str(d.fee_amount),
        "payout_amount": str(d.payout_amount),
        "payee_kind": d.payee_kind,
        "payee_account": d.payee_account,
        "payment_instruction_id": d.payment_instruction_id,
        "loan_id": d.loan_id,
        "version": d.version,
    }


# =================================================================================================================
# Conditions checklist (放款条件)
# =================================================================================================================


def signed_contract(uow: UnitOfWork, application_id: int) -> SigningSession | None:
    """The latest signing session of the application that the institution has signed, if any."""
    return uow.session.execute(
        select(SigningSession)
        .where(SigningSession.application_id == application_id,
               SigningSession.state == SigningState.INSTITUTION_SIGNED.value)
        .order_by(SigningSession.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def institution_name(uow: UnitOfWork) -> str:
    return str(platform.get_parameter(uow, INSTITUTION_PARAMETER, default=DEFAULT_INSTITUTION))


def conditions_for(uow: UnitOfWork, product_code: str) -> list[str]:
    """The condition codes a product's disbursements must meet: config-centre parameter
    ``origination.disbursement_conditions`` (a JSON list, product-scoped), else all five."""
    value = platform.get_parameter(uow, CONDITIONS_PARAMETER, product=product_code, default=None)
    if value is None:
        return list(DEFAULT_CONDITIONS)
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return [str(code) for code in value]


def down_payment_received(uow: UnitOfWork, application_id: int) -> Decimal:
    amounts = uow.session.execute(select(DownPayment.amount).where(DownPayment.application_id == application_id))
    return sum(amounts.scalars(), ZERO)


def _condition(uow: UnitOfWork, application: Application, code: str) -> ConditionResult:
    zh, en = CONDITION_LABELS.get(code, (code, code))
    today = platform.business_today()

    def result(met: bool, detail: str) -> ConditionResult:
        return ConditionResult(code, zh, en, met, detail)

    if code == "contract_signed":
        session = signed_contract(uow, application.id)
        if session is None:
            return result(False, "合同尚未完成机构签章 / the contract is not signed by both parties yet")
        return result(True, f"{session.contract_no} · {session.signer or ''}".strip(" ·"))
    if code == "mortgage_registered":
        liens, _count = vehicles.list_liens(uow, SYSTEM, vin=application.vin, status="registered")
        if not liens:
            return result(False, f"车辆 {application.vin} 无已登记的抵押 / no registered lien on {application.vin}")
        lien = liens[0]
        return result(True, f"{lien.creditor} · {lien.certificate_number or ''} · {lien.registered_on or ''}")
    if code == "gps_installed":
        devices = [d for d in vehicles.list_gps_devices(uow, SYSTEM, vehicle_id=application.vehicle_id)
                   if d.status == "installed"]
        if not devices:
            return result(False, "车辆未安装 GPS 设备 / no GPS device installed on the vehicle")
        return result(True, ", ".join(d.serial for d in devices))
    if code == "insurance_beneficiary":
        name = institution_name(uow)
        policies = vehicles.list_policies(uow, SYSTEM, application.vehicle_id)
        good = [p for p in policies if (p.beneficiary or "").strip() == name and p.starts_on <= today <= p.ends_on]
        if not good:
            return result(False, f"无有效保单以“{name}”为第一受益人 / no policy in force names {name} as beneficiary")
        return result(True, ", ".join(f"{p.insurer} {p.policy_number} (→ {p.ends_on})" for p in good))
    if code == "down_payment_received":
        received = down_payment_received(uow, application.id)
        due = application.down_payment
        return result(received >= due, f"{received} / {due}")
    return result(False, f"未知的放款条件代码 / unknown condition code {code!r}: fix {CONDITIONS_PARAMETER}")


def disbursement_checklist(uow: UnitOfWork, actor: Actor, application_id: int) -> list[ConditionResult]:
    """The disbursement conditions of the application's product, each met or not with its evidence."""
    if not (actor.can(DISBURSEMENT_VIEW) or actor.can(DISBURSEMENT_REGISTER) or actor.can(DISBURSEMENT_REVIEW)):
        actor.require(DISBURSEMENT_VIEW)
    application = origination.visible_application(uow, actor, application_id)
    return [_condition(uow, application, code) for code in conditions_for(uow, application.product_code)]


def disbursement_conditions_met(checklist: list[ConditionResult]) -> bool:
    return all(c.met for c in checklist)


def _require_conditions(uow: UnitOfWork, application: Application) -> None:
    checklist = [_condition(uow, application, code) for code in conditions_for(uow, application.product_code)]
    missing = [(c.code, f"{c.label_en} ({c.detail})", f"{c.label_zh}（{c.detail}）") for c in checklist if not c.met]
    if missing:
        raise errors.conditions_not_met(missing)


# =================================================================================================================
# Down payment receipts (首付款到账)
# =================================================================================================================


def record_down_payment(uow: UnitOfWork, actor: Actor, application_id: int, cmd: DownPaymentCreate) -> DownPayment:
    actor.require(DOWN_PAYMENT_RECORD)
    application = origination.visible_application(uow, actor, application_id)
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.CONTRACTED):
        raise errors.wrong_status(application.status, "approved or contracted", "record a down payment",
                                  "登记首付款")
    if cmd.received_on > platform.business_today():
        raise invalid("received_on", "The receipt date cannot be in the future.", "到账日期不能晚于今天。",
                      "origination.down_payment.date_invalid")
    receipt = DownPayment(application_id=application.id, amount=quantize(cmd.amount), received_on=cmd.received_on,
                          reference=cmd.reference, recorded_by=actor.user_id, recorded_at=utcnow())
    uow.session.add(receipt)
    uow.flush()
    _timeline(uow, application, "down_payment_recorded", actor, outcome=str(receipt.amount), comment=cmd.reference)
    audit.record(uow, actor, "origination.down_payment.record", "application", application.id,
                 after={"receipt_id": receipt.id, "amount": str(receipt.amount), "reference": receipt.reference,
                        "received_on": receipt.received_on})
    return receipt


def list_down_payments(uow: UnitOfWork, actor: Actor, application_id: int) -> list[DownPayment]:
    if not (actor.can(DISBURSEMENT_VIEW) or actor.can(DOWN_PAYMENT_RECORD)):
        actor.require(DISBURSEMENT_VIEW)
    application = origination.visible_application(uow, actor, application_id)
    return list(uow.session.execute(select(DownPayment).where(DownPayment.application_id == application.id)
                                    .order_by(DownPayment.id)).scalars())


# =================================================================================================================
# Figures: the approved terms, the deducted fees and the loan terms for servicing
# =================================================================================================================


@dataclass(frozen=True)
class Payout:
    amount: Decimal  # the loan principal
    fee: Decimal  # upfront fees deducted from the payout (service / consulting fee)
    payout: Decimal  # what the bank pays out
    terms: dict[str, Any]  # the loan terms for servicing (calc JSON + penalty)


def _calc_fee_specs(fees: tuple[calc.Fee, ...]) -> list[dict[str, Any]]:
    """The fees as the calculation engine's JSON (what servicing stores as the loan's terms)."""
    specs: list[dict[str, Any]] = []
    for fee in fees:
        spec: dict[str, Any] = {"name": fee.name, "timing": fee.timing, "treatment": fee.treatment}
        if fee.amount is not None:
            spec["amount"] = str(fee.amount)
        else:
            spec["percent"] = str(fee.percent)
        specs.append(spec)
    return specs


def payout_of(uow: UnitOfWork, application: Application, on: date) -> Payout:
    """The approved loan, what the product deducts from it up front, and what is paid out (from ``calc``)."""
    from autofin.origination.service import _calc_fees  # the quote's reading of product fees, one rule for both

    if application.approved_amount is None or application.approved_rate is None or application.approved_term is None:
        raise errors.wrong_status(application.status, "approved with terms", "disburse", "放款")
    version = products.get_version(uow, SYSTEM, application.product_version_id)
    # the product's fees read as the quote reads them: an upfront fee the borrower pays is kept out of the payout
    fees = _calc_fees((version.fees if version is not None else []) or [])
    specs = _calc_fee_specs(fees)
    method = application.approved_method or application.method
    balloon = application.balloon if method == "balloon" else ZERO
    loan_terms = calc.LoanTerms(
        principal=application.approved_amount, annual_rate=application.approved_rate,
        term=application.approved_term, disbursement_date=on, method=method,  # type: ignore[arg-type]
        balloon=balloon, fees=fees,
        penalty_rate=version.penalty_rate if version is not None else None,
    )
    schedule = calc.build_schedule(loan_terms)
    terms: dict[str, Any] = {
        "principal": str(application.approved_amount), "annual_rate": str(application.approved_rate),
        "term": application.approved_term, "method": method, "disbursement_date": on.isoformat(),
    }
    if balloon > ZERO:
        terms["balloon"] = str(balloon)
    if specs:
        terms["fees"] = specs
    if version is not None:
        terms["penalty"] = {"rate": str(version.penalty_rate)}
    return Payout(application.approved_amount, schedule.upfront_fees_deducted, schedule.net_disbursed, terms)


# =================================================================================================================
# Registration (放款登记)
# =================================================================================================================


def _request_hash(application_id: int, cmd: DisbursementRegister) -> str:
    body = cmd.model_dump(mode="json", exclude={"version"})
    body["application_id"] = application_id
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _by_key(uow: UnitOfWork, key: str) -> Disbursement | None:
    return uow.session.execute(select(Disbursement).where(Disbursement.idempotency_key == key)).scalar_one_or_none()


def _live(uow: UnitOfWork, application_id: int) -> Disbursement | None:
    return uow.session.execute(
        select(Disbursement).where(Disbursement.open_application_id == application_id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Payee:
    kind: str
    card_id: int | None
    account_shown: str
    name: str
    bank: str


def _payee(uow: UnitOfWork, application: Application, cmd: DisbursementRegister) -> Payee:
    if cmd.payee == "borrower":
        if cmd.card_id is None:
            raise invalid("card_id", "Choose the borrower's bank card to pay into.", "请选择借款人的收款银行卡。",
                          "origination.disbursement.payee_invalid")
        found = customers.card_for_debit(uow, cmd.card_id)
        if found is None or found[0]["customer_id"] != application.applicant_id:
            raise invalid("card_id", "This bank card is not one of the applicant's cards.",
                          "该银行卡不属于本申请的借款人。", "origination.disbursement.payee_invalid")
        view, _number = found
        if view["status"] != "active":
            raise invalid("card_id", "This bank card is not active; choose an active card.",
                          "该银行卡已停用，请选择有效的银行卡。", "origination.disbursement.payee_invalid")
        return Payee("borrower", cmd.card_id, view["masked_number"], view["holder_name"], view["bank_name"] or "")
    account = (cmd.account_number or "").replace(" ", "")
    if not _ACCOUNT.match(account):
        raise invalid("account_number", "Give the dealer's account number: 8–32 digits.",
                      "请填写经销商收款账号：8–32 位数字。", "origination.disbursement.payee_invalid")
    if not (cmd.account_name or "").strip():
        raise invalid("account_name", "Give the name on the dealer's account.", "请填写经销商收款账户名称。",
                      "origination.disbursement.payee_invalid")
    return Payee("dealer", None, account, (cmd.account_name or "").strip(), (cmd.bank_name or "").strip())


def _finance_reviewers(uow: UnitOfWork, exclude: int | None) -> list[int]:
    return [u for u in org.active_user_ids_with_permission(uow, DISBURSEMENT_REVIEW, include_superusers=False)
            if u != exclude]


def register_disbursement(
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    cmd: DisbursementRegister,
    idempotency_key: str | None = None,
) -> Disbursement:
    """放款登记: a contracted application whose conditions all hold gets a disbursement awaiting double review.
    The same ``idempotency_key`` again returns the same disbursement; a second registration otherwise → 409."""
    actor.require(DISBURSEMENT_REGISTER)
    digest = _request_hash(application_id, cmd)
    if idempotency_key is not None:
        existing = _by_key(uow, idempotency_key)
        if existing is not None:
            if existing.request_hash != digest:
                raise errors.idempotency_key_reused()
            return existing
    application = origination.visible_application(uow, actor, application_id, lock=True)
    ensure_version(application, cmd.version, "贷款申请 application")
    live = _live(uow, application.id)
    if live is not None:
        raise errors.disbursement_exists(live.number, live.status)
    if application.status != ApplicationStatus.CONTRACTED:
        raise errors.wrong_status(application.status, "contracted", "register a disbursement", "登记放款")
    contract = signed_contract(uow, application.id)
    _require_conditions(uow, application)
    if contract is None:  # the product may not list the condition; a loan is never paid out without a contract
        raise errors.conditions_not_met([("contract_signed", "Contract signed", "合同已签署")])
    from autofin.origination.disbursing import credit_lines

    line_id = credit_lines.check_drawdown(uow, application, application.approved_amount or ZERO)
    payee = _payee(uow, application, cmd)
    figures = payout_of(uow, application, servicing.business_date(uow))
    if figures.payout <= ZERO:
        raise invalid("amount", "The fees deducted leave nothing to pay out.", "扣除费用后放款金额为零。",
                      "origination.disbursement.amount_invalid")
    disbursement = Disbursement(
        number=f"FK-PENDING-{uuid.uuid4().hex[:16]}", application_id=application.id,
        open_application_id=application.id, status=DisbursementStatus.REGISTERED.value,
        idempotency_key=idempotency_key, request_hash=digest, department_id=application.department_id,
        owner_id=application.owner_id, applicant_id=application.applicant_id,
        applicant_name=application.applicant_name, contract_no=contract.contract_no,
        product_code=application.product_code, product_version=application.product_version,
        credit_line_id=line_id, amount=figures.amount, fee_amount=figures.fee, payout_amount=figures.payout,
        rate=application.approved_rate, term=application.approved_term,
        method=application.approved_method or application.method, payee_kind=payee.kind,
        payee_card_id=payee.card_id, payee_account=payee.account_shown, payee_name=payee.name[:100],
        payee_bank=payee.bank[:64], registered_by=actor.user_id, registered_by_name=actor.username,
        registered_at=utcnow(), register_comment=cmd.comment,
    )
    try:
        with uow.session.begin_nested():  # a double click racing this one loses here, not at commit
            uow.session.add(disbursement)
    except IntegrityError:
        if idempotency_key is not None:
            existing = _by_key(uow, idempotency_key)
            if existing is not None and existing.request_hash == digest:
                return existing
        live = _live(uow, application.id)
        raise errors.disbursement_exists(live.number if live else "?", live.status if live else "?") from None
    number = f"FK-{servicing.business_date(uow):%Y%m%d}-{disbursement.id:06d}"
    # a plain UPDATE: the number is part of creation, not an edit (the optimistic-lock version stays 1)
    uow.session.execute(update(Disbursement).where(Disbursement.id == disbursement.id).values(number=number))
    set_committed_value(disbursement, "number", number)
    _timeline(uow, application, "registered", actor, outcome=DisbursementStatus.REGISTERED.value,
              comment=f"{disbursement.number} · {disbursement.payout_amount}")
    audit.record(uow, actor, "origination.disbursement.register", ENTITY, disbursement.id,
                 after=_snapshot(disbursement))
    uow.emit(DisbursementRegistered(disbursement.id, application.id, disbursement.payout_amount))
    for user_id in _finance_reviewers(uow, actor.user_id):
        platform.notify(uow, user_id, f"待放款复核：{disbursement.number}",
                        f"{application.number} · {application.applicant_name} · 放款 {disbursement.payout_amount}"
                        f"（登记人 {actor.username}）", link=_link(disbursement))
    return disbursement


# =================================================================================================================
# Double review (放款复核) and the payment instruction
# =================================================================================================================


def _locked(uow: UnitOfWork, actor: Actor, disbursement_id: int) -> Disbursement:
    found = uow.session.execute(
        select(Disbursement).where(Disbursement.id == disbursement_id).with_for_update()
    ).scalar_one_or_none()
    if found is None or not visible(actor, found.department_id, found.owner_id):
        raise errors.disbursement_not_found(disbursement_id)
    return found


def payment_key(disbursement: Disbursement) -> str:
    return f"disbursement:{disbursement.id}"


def _payee_account(uow: UnitOfWork, d: Disbursement) -> str:
    if d.payee_kind == "dealer":
        return d.payee_account
    found = customers.card_for_debit(uow, d.payee_card_id or 0)
    if found is None or found[0]["status"] != "active":
        raise invalid("card_id", "The borrower's bank card is no longer active; reject and register again.",
                      "借款人收款银行卡已停用，请退回后重新登记。", "origination.disbursement.payee_invalid")
    return found[1]


def _channel_actor(actor: Actor) -> Actor:
    """Approving a disbursement carries the right to reserve and send its payment (audited as the reviewer)."""
    extra = {channel_permissions.RESERVE_PAYMENTS, channel_permissions.SEND_PAYMENTS, channel_permissions.VIEW_PAYMENTS}
    return dataclasses.replace(actor, permissions=actor.permissions | extra)


def review_disbursement(uow: UnitOfWork, actor: Actor, disbursement_id: int, cmd: DisbursementReview) -> Disbursement:
    """放款复核 by a second person. Approve: the conditions are checked again and the payment instruction is
    reserved under ``disbursement:{id}`` (send it after commit with :func:`send_disbursement_payment`).
    Reject: the registration is closed and the application can be registered again."""
    actor.require(DISBURSEMENT_REVIEW)
    d = _locked(uow, actor, disbursement_id)
    if d.registered_by is not None and d.registered_by == actor.user_id:
        raise errors.disbursement_separation_of_duties()
    ensure_version(d, cmd.version, "放款记录 disbursement")
    if d.status != DisbursementStatus.REGISTERED:
        raise errors.disbursement_wrong_status(d.status, "registered", "review it", "复核")
    application = origination.visible_application(uow, SYSTEM, d.application_id, lock=True)
    before = _snapshot(d)
    d.reviewed_by, d.reviewed_by_name, d.reviewed_at = actor.user_id, actor.username, utcnow()
    d.review_comment = cmd.comment
    if cmd.decision == "reject":
        d.status, d.open_application_id = DisbursementStatus.REJECTED.value, None
        uow.flush()  # the optimistic lock: a concurrent review of the same row gets 409 here
        _timeline(uow, application, "review_rejected", actor, outcome=DisbursementStatus.REJECTED.value,
                  comment=cmd.comment)
        audit.record(uow, actor, "origination.disbursement.reject", ENTITY, d.id, before=before, after=_snapshot(d))
        if d.registered_by:
            platform.notify(uow, d.registered_by, f"放款复核退回：{d.number}",
                            cmd.comment or "复核未通过，请核对后重新登记。", link=_link(d))
        return d
    if application.status != ApplicationStatus.CONTRACTED:
        raise errors.wrong_status(application.status, "contracted", "approve its disbursement", "复核放款")
    _require_conditions(uow, application)
    from autofin.origination.disbursing import credit_lines

    credit_lines.check_drawdown(uow, application, d.amount, exclude_disbursement_id=d.id)
    d.status = DisbursementStatus.PAYING.value
    d.payment_key = payment_key(d)
    uow.flush()  # the optimistic lock first: of two concurrent approvals only one reserves the payment
    instruction = channels.reserve_payment(
        uow, _channel_actor(actor), d.payment_key, _payee_account(uow, d), d.payout_amount, PAYMENT_PURPOSE,
        d.number, account_name=d.payee_name,
    )
    d.payment_instruction_id = instruction.id
    uow.flush()
    _timeline(uow, application, "review_approved", actor, outcome=DisbursementStatus.PAYING.value,
              comment=cmd.comment)
    audit.record(uow, actor, "origination.disbursement.approve", ENTITY, d.id, before=before, after=_snapshot(d))
    uow.emit(DisbursementApproved(d.id, application.id, instruction.id))
    return d


def send_disbursement_payment(
    app: App, disbursement_id: int, *, adapter: Any = None, callback_url: str | None = None
) -> str | None:
    """Hand the approved disbursement's payment instruction to the bank (phase two), in its own transactions.
    Safe to call again at any time: the bank deduplicates. Returns the instruction's state, or ``None`` when there
    is nothing to send. An unreachable bank leaves the instruction reserved for the resend job (no error)."""
    with app.uow() as uow:
        d = uow.session.get(Disbursement, disbursement_id)
        if d is None or d.status != DisbursementStatus.PAYING or d.payment_instruction_id is None:
            return None
        instruction_id = d.payment_instruction_id
    try:
        instruction = channels.send_payment(app, instruction_id, actor=_channel_actor(SYSTEM), adapter=adapter,
                                            callback_url=callback_url)
    except DomainError as exc:
        if exc.code != "channels.bank.unavailable":
            raise
        log.warning("bank unavailable for disbursement %s; the resend job will retry", disbursement_id)
        return "reserved"
    return str(instruction.state)


def resend_unsent_payments(app: App, *, adapter: Any = None, limit: int = 200) -> int:
    """Send again every approved disbursement whose instruction is still ``reserved`` (a crash or an unreachable
    bank after approval). Returns how many were handed to the bank."""
    with app.uow() as uow:
        rows = list(uow.session.execute(
            select(Disbursement.id, Disbursement.payment_instruction_id)
            .where(Disbursement.status == DisbursementStatus.PAYING.value,
                   Disbursement.payment_instruction_id.is_not(None))
            .order_by(Disbursement.id).limit(limit)
        ).all())
        waiting = [d_id for d_id, instruction_id in rows if instruction_id is not None
                   and channels.get_payment(uow, _channel_actor(SYSTEM), instruction_id).state == "reserved"]
    sent = 0
    for disbursement_id in waiting:
        if send_disbursement_payment(app, disbursement_id, adapter=adapter) not in (None, "reserved"):
            sent += 1
    return sent


# =================================================================================================================
# Reading
# =================================================================================================================


def _require_view(actor: Actor) -> None:
    if not (actor.can(DISBURSEMENT_VIEW) or actor.can(DISBURSEMENT_REGISTER) or actor.can(DISBURSEMENT_REVIEW)):
        actor.require(DISBURSEMENT_VIEW)


def get_disbursement(uow: UnitOfWork, actor: Actor, disbursement_id: int) -> Disbursement:
    _require_view(actor)
    d = uow.session.get(Disbursement, disbursement_id)
    if d is None or not visible(actor, d.department_id, d.owner_id):
        raise errors.disbursement_not_found(disbursement_id)
    return d


def payment_state(uow: UnitOfWork, d: Disbursement) -> tuple[str | None, str | None]:
    """The payment instruction's state and last error (``None``s before approval)."""
    if d.payment_instruction_id is None:
        return None, None
    instruction = channels.get_payment(uow, _channel_actor(SYSTEM), d.payment_instruction_id)
    return str(instruction.state), instruction.last_error


def list_disbursements(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    application_id: int | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[Disbursement], int]:
    _require_view(actor)
    statement = restrict(select(Disbursement), actor, department_column=Disbursement.department_id,
                         owner_column=Disbursement.owner_id)
    if status:
        statement = statement.where(Disbursement.status == status)
    if application_id is not None:
        statement = statement.where(Disbursement.application_id == application_id)
    if q:
        like = f"%{q}%"
        statement = statement.where(Disbursement.number.ilike(like) | Disbursement.applicant_name.ilike(like)
                                    | Disbursement.contract_no.ilike(like))
    return fetch_page(uow.session, statement, (Disbursement.id.desc(),), page, size)


def disbursement_for_application(uow: UnitOfWork, actor: Actor, application_id: int) -> Disbursement | None:
    """The application's live disbursement, else its latest one (rejected / failed), else ``None``."""
    _require_view(actor)
    origination.visible_application(uow, actor, application_id)
    live = _live(uow, application_id)
    if live is not None:
        return live
    return uow.session.execute(select(Disbursement).where(Disbursement.application_id == application_id)
                               .order_by(Disbursement.id.desc()).limit(1)).scalar_one_or_none()


# =================================================================================================================
# Subscribers: contract signed, the bank's answer, re-approval after a failed payment, the fee in the ledger
# =================================================================================================================


def on_contract_signed(uow: UnitOfWork, event: ContractSigned) -> None:
    """Both parties signed: an approved application becomes ``contracted`` (已签约)."""
    if event.application_id is None:
        return
    application = uow.session.get(Application, event.application_id)
    if application is None or application.status != ApplicationStatus.APPROVED:
        return
    application.status = ApplicationStatus.CONTRACTED
    _timeline(uow, application, "contract_signed", SYSTEM, outcome=ApplicationStatus.CONTRACTED,
              comment=event.contract_no)
    audit.record(uow, SYSTEM, "origination.application.contracted", "application", application.id,
                 before={"status": "approved"}, after={"status": "contracted", "contract_no": event.contract_no})
    uow.emit(ApplicationContracted(application.id, application.number or "", event.contract_no))
    if application.owner_id:
        platform.notify(uow, application.owner_id, f"合同已签署：{application.number}",
                        f"合同 {event.contract_no} 已完成签署，可办理放款。", link=_application_link(application.id))
    registrars = org.active_user_ids_with_permission(uow, DISBURSEMENT_REGISTER, include_superusers=False)
    for user_id in registrars:  # finance: an application is ready for disbursement (once its conditions hold)
        platform.notify(uow, user_id, f"待放款：{application.number}",
                        f"{application.applicant_name} · 合同 {event.contract_no} 已签署，请核对放款条件并登记放款。",
                        link=_application_link(application.id))


def _by_instruction(uow: UnitOfWork, instruction_id: int) -> Disbursement | None:
    return uow.session.execute(
        select(Disbursement).where(Disbursement.payment_instruction_id == instruction_id).with_for_update()
    ).scalar_one_or_none()


def _notify_paid(uow: UnitOfWork, application: Application, d: Disbursement) -> None:
    recipients = {u for u in (application.owner_id, d.registered_by, d.reviewed_by) if u}
    for user_id in sorted(recipients):
        platform.notify(uow, user_id, f"已放款：{application.number}",
                        f"{d.number} 银行已入账 {d.payout_amount}（{d.payee_name}），贷款账户已开立。",
                        link=_application_link(application.id))


def _paying(uow: UnitOfWork, event: PaymentPosted | PaymentFailed) -> tuple[Disbursement, Application] | None:
    """The disbursement a bank answer is for, while it still waits for one (a repeated answer finds none)."""
    if event.purpose != PAYMENT_PURPOSE:
        return None
    d = _by_instruction(uow, event.instruction_id)
    if d is None or d.status != DisbursementStatus.PAYING:
        return None
    application = uow.session.get(Application, d.application_id)
    return None if application is None else (d, application)


def on_payment_posted(uow: UnitOfWork, event: PaymentPosted) -> None:
    """The bank paid: the loan account opens with the approved terms, the fee is booked, the application is
    ``disbursed``. A repeated event for a disbursement already paid changes nothing."""
    found = _paying(uow, event)
    if found is None:
        return
    d, application = found
    before = _snapshot(d)
    on = servicing.business_date(uow)
    figures = payout_of(uow, application, on)
    loan = servicing.open_loan_account(uow, SYSTEM, servicing.LoanOpen(
        contract_no=d.contract_no, customer_id=d.applicant_id, customer_name=d.applicant_name,
        product_code=d.product_code, product_version=d.product_version, department_id=application.department_id,
        owner_id=application.owner_id, terms=figures.terms, vehicle_id=application.vehicle_id))
    d.status, d.loan_id, d.settled_at = DisbursementStatus.PAID.value, loan.id, utcnow()
    d.bank_reference = event.bank_reference or d.bank_reference
    application.status = ApplicationStatus.DISBURSED
    uow.flush()
    if d.fee_amount > ZERO:
        uow.emit(DisbursementFeeCharged(f"disbursement:{d.id}:fee", on, d.fee_amount, loan.id))
    if d.credit_line_id is not None:
        from autofin.origination.disbursing import credit_lines

        credit_lines.record_drawn(uow, d.credit_line_id, d.amount)
    _timeline(uow, application, "paid", SYSTEM, outcome=ApplicationStatus.DISBURSED,
              comment=f"{d.number} · {event.bank_reference} · {d.payout_amount}")
    audit.record(uow, SYSTEM, "origination.disbursement.paid", ENTITY, d.id, before=before, after=_snapshot(d))
    uow.emit(DisbursementPaid(d.id, application.id, loan.id, d.amount, d.fee_amount, d.payout_amount))
    _notify_paid(uow, application, d)


def on_payment_failed(uow: UnitOfWork, event: PaymentFailed) -> None:
    """The bank refused: the disbursement fails with the bank's reason and the application goes back to review
    (a task at its chain's last stage). A repeated event changes nothing."""
    found = _paying(uow, event)
    if found is None:
        return
    d, application = found
    before = _snapshot(d)
    d.status, d.open_application_id = DisbursementStatus.FAILED.value, None
    d.failure_reason = (event.reason or "failed")[:500]
    d.settled_at = utcnow()
    d.bank_reference = event.bank_reference or d.bank_reference
    uow.flush()
    _timeline(uow, application, "payment_failed", SYSTEM, outcome=DisbursementStatus.FAILED.value,
              comment=d.failure_reason)
    stages = origination.stages_of(uow, application.chain_id or 0)
    if stages and application.status == ApplicationStatus.CONTRACTED:
        origination._open_task(uow, application, stages[-1])  # back to review: the final stage decides again
    audit.record(uow, SYSTEM, "origination.disbursement.failed", ENTITY, d.id, before=before,
                 after=_snapshot(d) | {"reason": d.failure_reason, "application_status": application.status})
    uow.emit(DisbursementFailed(d.id, application.id, d.failure_reason))
    for user_id in sorted({u for u in (application.owner_id, d.registered_by, d.reviewed_by) if u}):
        platform.notify(uow, user_id, f"放款失败：{d.number}", f"银行返回：{d.failure_reason}。申请已退回审批。",
                        link=_link(d))


def on_application_approved(uow: UnitOfWork, event: ApplicationApproved) -> None:
    """Re-approved after a failed payment with the same terms, and the contract still signed → ``contracted``
    again, ready for a new registration (new terms need a new contract)."""
    application = uow.session.get(Application, event.application_id)
    if application is None or application.status != ApplicationStatus.APPROVED:
        return
    failed = uow.session.execute(
        select(Disbursement).where(Disbursement.application_id == application.id,
                                   Disbursement.status == DisbursementStatus.FAILED.value)
        .order_by(Disbursement.id.desc()).limit(1)
    ).scalar_one_or_none()
    contract = signed_contract(uow, application.id)
    if failed is None or contract is None or contract.contract_no != failed.contract_no:
        return
    same = (failed.amount, failed.rate, failed.term, failed.method) == (
        event.approved_amount, event.approved_rate, event.approved_term, event.approved_method)
    if not same:
        return
    application.status = ApplicationStatus.CONTRACTED
    _timeline(uow, application, "contract_still_valid", SYSTEM, outcome=ApplicationStatus.CONTRACTED,
              comment=contract.contract_no)
    audit.record(uow, SYSTEM, "origination.application.contracted", "application", application.id,
                 before={"status": "approved"}, after={"status": "contracted", "contract_no": contract.contract_no})


def on_fee_charged(uow: UnitOfWork, event: DisbursementFeeCharged) -> None:
    """The service / consulting fee kept out of the payout: booked through the ledger's ``fee.charged`` rule."""
    from autofin.ledger import service as ledger

    ledger.post_event(uow, SYSTEM, ledger.PostingRequest(
        event_type="fee.charged", source_type="origination", source_id=event.source,
        business_date=event.business_date, amounts={"fee": event.fee}, dimensions={"loan_id": event.loan_id},
        description="放款扣收服务费 service fee deducted at disbursement"))
