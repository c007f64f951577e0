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
from autofin.org import service as org
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
    department: str = "EAST-SH"  # the department (org demo code) that keeps the loan: its data scope


# Current loans stay with the branch that sold them; delinquent ones are kept by the collection department, so a
# department-scoped user (collector1 of org's demo) sees the loans of their department.
LOANS: tuple[DemoLoan, ...] = (
    DemoLoan("DEMO-LN-0001", "86000.00", 36, 13, 13),  # current, every installment on time
    DemoLoan("DEMO-LN-0002", "120000.00", 24, 1, 1),  # new, first installment paid
    DemoLoan("DEMO-LN-0003", "65000.00", 36, 6, 5, department="COLLECTION"),  # one installment overdue (M1)
    DemoLoan("DEMO-LN-0004", "150000.00", 36, 9, 7, department="COLLECTION"),  # two installments overdue (M2)
    DemoLoan("DEMO-LN-0005", "98000.00", 24, 10, 4, "pending", "COLLECTION"),  # 91+ days past due, a payment waits
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


def department_ids(uow: UnitOfWork) -> dict[str, int]:
    """Department id by code for the departments the demo loans name, falling back to the root department (org's
    demo not loaded); empty when there is no organisation at all."""
    wanted = {demo.department for demo in LOANS}
    found: dict[str, int] = {}
    for code in sorted(wanted):
        rows, _total = org.list_departments(uow, SYSTEM, q=code, size=50)
        found.update({d.code: d.id for d in rows if d.code == code})
    roots, _count = org.list_departments(uow, SYSTEM, size=50)
    root = next((d.id for d in roots if d.parent_id is None), None)
    answer = {code: found.get(code, root) for code in wanted}
    return {code: value for code, value in answer.items() if value is not None}


def _give_departments(uow: UnitOfWork, departments: dict[str, int]) -> int:
    """Demo loans opened before they had a department get theirs (older demo databases)."""
    changed = 0
    for demo in LOANS:
        loan = uow.session.scalar(select(LoanAccount).where(LoanAccount.contract_no == demo.contract_no))
        if loan is not None and loan.department_id is None and demo.department in departments:
            loan.department_id = departments[demo.department]
            changed += 1
    return changed


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    people, _count = customers.list_customers(uow, SYSTEM, kind="individual", size=len(LOANS))
    catalogue, _total = products.list_products(uow, SYSTEM, size=20)
    versions = [(p, products.active_version(uow, p)) for p in catalogue]
    product, version = next(((p, v) for p, v in versions if v is not None and "annuity" in (v.methods or [])),
                            (None, None))
    if not people or version is None or product is None:
        return ["servicing: no demo customers or annuity product yet, no demo loans (load those demos first)"]
    today = utcnow().date()
    departments = department_ids(uow)
    _give_departments(uow, departments)
    added: list[str] = []
    for index, demo in enumerate(LOANS):
        if uow.session.scalar(select(LoanAccount.id).where(LoanAccount.contract_no == demo.contract_no)):
            continue
        person = people[index % len(people)]
        disbursed = _months_back(today - timedelta(days=10), demo.months_ago)
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no=demo.contract_no, customer_id=person.id, customer_name=person.name,
            product_code=product.code, product_version=version.number, terms=_terms(version, demo, disbursed),
            department_id=departments.get(demo.department)))
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
    from autofin.servicing.special import demo as special_demo  # special business queue on the demo loans

    return [f"servicing: {len(added)} demo loans opened ({', '.join(added) or 'already there'})",
            *special_demo.load(uow), *_payment_demo(uow)]


def _payment_demo(uow: UnitOfWork) -> list[str]:
    from autofin.servicing.payments import demo as payment_demo  # mandates and a bank statement on the demo loans

    return payment_demo.load(uow)
