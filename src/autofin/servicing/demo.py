"""Demo loan accounts for the console and the end-of-day batch: a handful of loans of demo customers under the
first active demo product, in varied states (current, paid ahead, overdue 1–30 / 31–60 / 91+ days, settled,
a repayment waiting for its checker). Idempotent: a contract number already present is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow
from autofin.products import service as products
from autofin.servicing import service
from autofin.servicing.models import LoanAccount
from autofin.servicing.schemas import LoanOpen, RepaymentCreate


@dataclass(frozen=True)
class DemoLoan:
    contract_no: str
    principal: str
    term: int
    months_ago: int  # disbursed this many months (and ten days) before today
    paid_installments: int  # installments repaid on their due dates
    extra: str = ""  # "payoff": repaid in full after the paid installments; "pending": one repayment unconfirmed


LOANS: tuple[DemoLoan, ...] = (
    DemoLoan("DEMO-LN-0001", "86000.00", 36, 13, 13),  # current, every installment on time
    DemoLoan("DEMO-LN-0002", "120000.00", 24, 1, 1),  # new, first installment paid
    DemoLoan("DEMO-LN-0003", "65000.00", 36, 6, 5),  # one installment overdue (M1)
    DemoLoan("DEMO-LN-0004", "150000.00", 36, 9, 7),  # two installments overdue (M2)
    DemoLoan("DEMO-LN-0005", "98000.00", 24, 10, 4, "pending"),  # 91+ days past due (substandard), a payment waits
    DemoLoan("DEMO-LN-0006", "45000.00", 12, 8, 5, "payoff"),  # settled early
)


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, min(day.day, 28))


def _terms(version: Any, loan: DemoLoan, disbursed: date) -> dict[str, Any]:
    return {"principal": loan.principal, "annual_rate": str(version.rate_default), "term": loan.term,
            "method": "annuity", "disbursement_date": disbursed.isoformat(),
            "penalty": {"rate": str(version.penalty_rate)}}


def _repay(uow: UnitOfWork, loan_id: int, on: date, amount: Decimal, *, confirm: bool = True) -> None:
    tx = service.record_repayment(uow, SYSTEM, loan_id, RepaymentCreate(date=on, amount=amount, channel="transfer",
                                                                       reference=f"DEMO-{on:%Y%m%d}"))
    if confirm:
        service.confirm_repayment(uow, SYSTEM, tx.id)


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    people, _count = customers.list_customers(uow, SYSTEM, kind="individual", size=len(LOANS))
    catalogue, _total = products.list_products(uow, SYSTEM, size=20)
    versions = [(p, products.active_version(uow, p)) for p in catalogue]
    product, version = next(((p, v) for p, v in versions if v is not None and "annuity" in (v.methods or [])),
                            (None, None))
    if not people or version is None or product is None:
        return ["servicing: no demo customers or annuity product yet, no demo loans (load those demos first)"]
    today = utcnow().date()
    added: list[str] = []
    for index, demo in enumerate(LOANS):
        if uow.session.scalar(select(LoanAccount.id).where(LoanAccount.contract_no == demo.contract_no)):
            continue
        person = people[index % len(people)]
        disbursed = _months_back(today - timedelta(days=10), demo.months_ago)
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no=demo.contract_no, customer_id=person.id, customer_name=person.name,
            product_code=product.code, product_version=version.number, terms=_terms(version, demo, disbursed)))
        rows = [r for r in service.installments_of(uow, loan) if r.due_date <= today]
        for row in rows[:demo.paid_installments]:
            _repay(uow, loan.id, row.due_date, row.principal_due + row.interest_due + row.fee_due)
        if demo.extra == "payoff":
            quote = service.payoff_quote(uow, SYSTEM, loan.id, today - timedelta(days=3))
            _repay(uow, loan.id, quote["as_of"], quote["total"])
        elif demo.extra == "pending":
            _repay(uow, loan.id, today - timedelta(days=1), Decimal("1000.00"), confirm=False)
        service.bring_up_to_date(uow, SYSTEM, loan.id, today)
        added.append(demo.contract_no)
    return [f"servicing: {len(added)} demo loans opened ({', '.join(added) or 'already there'})"]
