"""What most servicing tests start from: the 12,000 / 12 % / 12-month loan (EMI 1,066.19), a maker and a checker,
opening a loan and a counter repayment recorded by one and confirmed by the other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.servicing import service
from autofin.servicing.models import DailyAccrual, EodRun, EodStepProgress, Installment, LoanAccount, LoanTransaction
from autofin.servicing.schemas import LoanOpen, RepaymentCreate

D = Decimal
TERMS: dict[str, Any] = {"principal": "12000", "annual_rate": "12", "term": 12, "disbursement_date": "2025-01-15",
                         "penalty": {"rate": "18"}}
MAKER = Actor(user_id=101, username="maker", is_superuser=True, scope=DataScope.unrestricted())
CHECKER = Actor(user_id=102, username="checker", is_superuser=True, scope=DataScope.unrestricted())


def open_loan(app: App, contract: str = "HT-1", customer_id: int = 1, **terms: object) -> int:
    with app.uow() as uow:
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(contract_no=contract, customer_id=customer_id,
                                                                product_code="CAR", terms={**TERMS, **terms}))
        uow.commit()
        return loan.id


def repay(app: App, loan_id: int, on: str, amount: str) -> int:
    """A counter repayment recorded by MAKER and confirmed by CHECKER; the transaction id."""
    with app.uow() as uow:
        tx = service.record_repayment(uow, MAKER, loan_id, RepaymentCreate(date=date.fromisoformat(on),
                                                                          amount=D(amount)))
        uow.commit()
        tx_id = tx.id
    with app.uow() as uow:
        service.confirm_repayment(uow, CHECKER, tx_id)
        uow.commit()
    return tx_id


def wipe_loans(app: App) -> None:
    """Every loan, its schedule, transactions, accruals and batch runs gone, to open the same book afresh. The
    ledger keeps the first loans' disbursements, so a batch over the new book must leave out ``subledger_check``."""
    with app.uow() as uow:
        for model in (DailyAccrual, EodStepProgress, EodRun, Installment, LoanTransaction):
            uow.session.execute(delete(model))
        uow.session.execute(delete(LoanAccount).where(LoanAccount.id > 0))
        uow.commit()
