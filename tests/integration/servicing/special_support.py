"""Shared helpers of the special-business tests: loans, people with the right permissions, apply → review →
execute in separate units of work (as the API does)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.integration.servicing.loans_support import open_loan as open_loan
from tests.integration.servicing.loans_support import repay

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.servicing import service
from autofin.servicing.special import service as special
from autofin.servicing.special.schemas import ExecuteCommand, ReviewCommand

BASE = frozenset({"servicing.loan.view", "servicing.special.apply", "servicing.special.execute",
                  "servicing.repayment.record", "servicing.repayment.confirm", "customers.customer.view",
                  "customers.card.view", "customers.customer.update"})


def person(user_id: int, name: str, *extra: str) -> Actor:
    return Actor(user_id=user_id, username=name, permissions=BASE | set(extra), scope=DataScope.unrestricted())


CLERK = person(201, "clerk")
REVIEWER = person(202, "reviewer", "servicing.special.review")
MANAGER = person(203, "manager", "servicing.special.review", "servicing.special.approve")
MANAGER2 = person(204, "manager2", "servicing.special.review", "servicing.special.approve")
ADMIN = Actor(user_id=205, username="admin", is_superuser=True, scope=DataScope.unrestricted())


def pay_installments(app: App, loan_id: int, count: int) -> None:
    """Pay the first ``count`` installments on their due dates, exactly."""
    for number in range(1, count + 1):
        with app.uow() as uow:
            loan = service.get_loan(uow, SYSTEM, loan_id)
            row = service.installments_of(uow, loan)[number - 1]
            owed = (row.principal_due + row.interest_due + row.fee_due + row.penalty_due - row.principal_paid
                    - row.interest_paid - row.fee_paid - row.penalty_paid - row.waived)
            due = row.due_date
        repay(app, loan_id, due.isoformat(), f"{owed:.2f}")


def apply(app: App, kind: str, loan_id: int, cmd: Any, actor: Actor = CLERK) -> int:
    with app.uow() as uow:
        request = special.APPLY[kind](uow, actor, loan_id, cmd)
        uow.commit()
        return request.id


def review(app: App, request_id: int, actor: Actor, decision: str = "approve", comment: str = "ok") -> str:
    with app.uow() as uow:
        request = special.review_request(uow, actor, request_id, ReviewCommand(decision=decision, comment=comment))
        uow.commit()
        return request.status


def execute(app: App, request_id: int, actor: Actor = CLERK) -> dict[str, Any]:
    with app.uow() as uow:
        request = special.execute_request(uow, actor, request_id, ExecuteCommand().version)
        uow.commit()
        return dict(request.result or {})


def through(app: App, kind: str, loan_id: int, cmd: Any, *approvers: Actor) -> dict[str, Any]:
    request_id = apply(app, kind, loan_id, cmd)
    for approver in approvers or (MANAGER,):
        review(app, request_id, approver)
    return execute(app, request_id)


def loan_view(app: App, loan_id: int) -> tuple[Any, list[Any]]:
    with app.uow() as uow:
        loan = service.get_loan(uow, SYSTEM, loan_id)
        rows = service.installments_of(uow, loan)
        uow.session.expunge_all()
        return loan, rows


def ledger_balance(app: App, code: str, on: date) -> Decimal:
    from autofin.ledger import service as ledger

    with app.uow() as uow:
        return ledger.account_balance(uow, code, on)
