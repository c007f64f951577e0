"""Demo of direct debit and statement import on the demo loans: mandates for the two current loans (a card is
added to the borrower when they have none) and a small bank statement whose two lines wait in the unmatched queue
(a relative paying without the contract number, a service fee). Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow
from autofin.servicing.models import LoanAccount
from autofin.servicing.payments import debit, statements

MANDATED = ("DEMO-LN-0001", "DEMO-LN-0002")
DEMO_CARD = "62220202000009999"  # + the loan number and a Luhn check digit


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def load(uow: UnitOfWork) -> list[str]:
    lines: list[str] = []
    today = utcnow().date()
    for n, contract in enumerate(MANDATED):
        loan = uow.session.scalar(select(LoanAccount).where(LoanAccount.contract_no == contract))
        if loan is None or loan.status not in ("active", "overdue") or debit.active_mandate(uow, loan.id):
            continue
        cards = [c for c in customers.list_cards(uow, SYSTEM, loan.customer_id) if c.status == "active"]
        if not cards:
            cards = [customers.add_card_number(uow, SYSTEM, loan.customer_id, _luhn(f"{DEMO_CARD}{n}"),
                                               loan.customer_name or "客户")]
        debit.authorise_mandate(uow, SYSTEM, loan.id, cards[0].id, today - timedelta(days=30), f"DEMO-AUTH-{n + 1}")
        lines.append(contract)
    overdue = uow.session.scalar(select(LoanAccount).where(LoanAccount.contract_no == "DEMO-LN-0003"))
    imported = ""
    if overdue is not None and overdue.status in ("active", "overdue"):
        day = (today - timedelta(days=1)).isoformat()
        content = ("交易日期,金额,对方户名,对方账号,摘要/附言\n"
                   f"{day},2000.00,{overdue.customer_name}之父,6222000011112222333,代儿子还车贷\n"
                   f"{day},350.00,某汽车服务公司,6222000011112222444,服务费\n").encode()
        result = statements.import_statement(uow, SYSTEM, "demo-statement.csv", content)
        imported = "" if result.duplicate_file else f", statement import {result.statement.id}"
    return [f"servicing: direct-debit mandates for {', '.join(lines) or 'no new loans'}{imported}"]
