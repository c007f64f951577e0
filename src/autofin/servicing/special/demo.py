"""Demo special business on the demo loans (``servicing/demo.py`` calls :func:`load` after opening them): a queue
for reviewers: an extension of the current loan, a penalty waiver of the M2 loan, a downgrade of the 91+ loan.
Idempotent: a loan that has requests is left alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor, DataScope
from autofin.servicing import service as servicing
from autofin.servicing.models import LoanAccount
from autofin.servicing.special import service
from autofin.servicing.special.models import SpecialRequest
from autofin.servicing.special.schemas import ExtensionApply, ReclassificationApply, WaiverApply

# The demo applicant: a named clerk, so any reviewer (not the applicant) can take the requests.
APPLICANT = Actor(user_id=None, username="demo-clerk", is_superuser=True, scope=DataScope.unrestricted())


def _loan(uow: UnitOfWork, contract_no: str) -> LoanAccount | None:
    loan = uow.session.scalar(select(LoanAccount).where(LoanAccount.contract_no == contract_no))
    if loan is None or uow.session.scalar(select(SpecialRequest.id).where(SpecialRequest.loan_id == loan.id)):
        return None
    return loan


def load(uow: UnitOfWork) -> list[str]:
    made: list[str] = []
    plans: list[tuple[str, str, Any]] = [
        ("DEMO-LN-0001", "extension", ExtensionApply(extra_terms=6, reason="客户收入阶段性下降，申请展期")),
        ("DEMO-LN-0004", "waiver", None),
        ("DEMO-LN-0005", "reclassification", ReclassificationApply(to_class="doubtful",
                                                                   reason="贷后检查：车辆失联，下调为可疑")),
    ]
    for contract_no, kind, cmd in plans:
        loan = _loan(uow, contract_no)
        if loan is None:
            continue
        try:
            if kind == "waiver":
                owed = service._waivable(uow, loan, servicing.business_date(uow))
                penalty = owed["penalty"]
                if penalty <= 0:
                    continue
                half = (penalty / 2).quantize(Decimal("0.01"))
                service.apply_waiver(uow, APPLICANT, loan.id, WaiverApply(amount=half, reason="首次逾期，减免部分罚息"))
            else:
                service.APPLY[kind](uow, APPLICANT, loan.id, cmd)
        except Exception as exc:
            made.append(f"{contract_no} {kind} skipped ({exc})")
            continue
        made.append(f"{contract_no} {kind}")
    return [f"servicing special business: {len(made)} demo requests ({'; '.join(made) or 'already there'})"]

