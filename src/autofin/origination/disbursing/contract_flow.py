"""From an approved application to its signing session: number the contract, render the PDF with the approved
terms (the same ``calc`` figures as the quote and the loan account) and open the session (合同生成与面签发起).

The signing steps themselves are ``contracts.service``; the institution's signature emits ``ContractSigned`` and
the application becomes ``contracted`` (``disbursement.on_contract_signed``).
"""

from __future__ import annotations

from sqlalchemy import select

from autofin import calc
from autofin.customers import service as customers
from autofin.db.scoping import visible
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM, Actor
from autofin.kernel.money import ZERO
from autofin.origination import errors
from autofin.origination.contracts import service as contracts
from autofin.origination.contracts.document import ContractData, Party, VehicleInfo, render_contract_pdf
from autofin.origination.contracts.models import SigningSession, SigningState
from autofin.origination.contracts.template import template_for
from autofin.origination.disbursing.service import institution_name
from autofin.origination.models import Application, ApplicationStatus
from autofin.platform import service as platform
from autofin.products import service as products
from autofin.vehicles import service as vehicles


def prepare_contract(uow: UnitOfWork, actor: Actor, application_id: int) -> SigningSession:
    """The contract of an approved application and its signing session; an open session is returned as it is."""
    from autofin.origination.service import _calc_fees

    application = uow.session.get(Application, application_id)
    if application is None or not visible(actor, application.department_id, application.owner_id):
        raise errors.application_not_found(application_id)
    if application.status != ApplicationStatus.APPROVED:
        raise errors.wrong_status(application.status, "approved", "prepare its contract", "生成合同")
    open_session = uow.session.execute(
        select(SigningSession).where(SigningSession.application_id == application.id,
                                     SigningSession.state != SigningState.CANCELLED.value)
        .order_by(SigningSession.id.desc()).limit(1)
    ).scalar_one_or_none()
    if open_session is not None:
        return open_session
    customer = customers.get_customer(uow, SYSTEM, application.applicant_id)
    vehicle = vehicles.get_vehicle(uow, SYSTEM, application.vehicle_id)
    version = products.get_version(uow, SYSTEM, application.product_version_id)
    today = platform.business_today()
    method = application.approved_method or application.method
    terms = calc.LoanTerms(
        principal=application.approved_amount or application.amount,
        annual_rate=application.approved_rate if application.approved_rate is not None else application.rate,
        term=application.approved_term or application.term, disbursement_date=today,
        method=method,  # type: ignore[arg-type]
        balloon=application.balloon if method == "balloon" else ZERO,
        fees=_calc_fees((version.fees if version is not None else []) or []),
        penalty_rate=version.penalty_rate if version is not None else None,
    )
    number = contracts.next_contract_number(uow, actor, today.year)
    pdf = render_contract_pdf(ContractData(
        contract_no=number, product_code=application.product_code, lender=Party(name=institution_name(uow)),
        borrower=Party(name=customer.name, id_number=customer.id_number_masked or "",
                       phone=customer.phone_masked or ""),
        vehicle=VehicleInfo(vin=vehicle.vin, plate=vehicle.plate or "",
                            description=" ".join(x for x in (vehicle.maker, vehicle.model_code) if x)),
        terms=terms, issued_on=today,
    ), template_for(application.product_code))
    return contracts.start_signing_session(uow, actor, contract_no=number, contract_pdf=pdf,
                                           borrower_name=customer.name, application_id=application.id)
