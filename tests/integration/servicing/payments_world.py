"""Shared set-up of the direct-debit, statement and refund tests: borrowers with bank cards, loans, a fake bank
that accepts every instruction, and the bank's signed callback delivered through the real channels use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from tests.integration.servicing.loans_support import CHECKER as CHECKER
from tests.integration.servicing.loans_support import MAKER as MAKER
from tests.integration.servicing.loans_support import TERMS, D, repay

from autofin.bootstrap import App
from autofin.channels import service as channels
from autofin.channels.adapter import Ack, CallbackPayload, PaymentOrder, sign
from autofin.channels.config import callback_secret
from autofin.customers import identity
from autofin.customers import service as customers
from autofin.customers.schemas import CardCreate, CustomerCreate
from autofin.kernel.actor import SYSTEM
from autofin.platform import service as platform
from autofin.platform.schemas import ParameterCreate
from autofin.servicing import service
from autofin.servicing.schemas import LoanOpen

FIRST_INSTALLMENT = D("1066.19")
OWNER = 501


def luhn_ok(number: str) -> str:
    digits = [int(c) for c in number[:-1]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return number[:-1] + str((10 - total % 10) % 10)


@dataclass
class Borrower:
    customer_id: int
    card_id: int
    card_number: str
    name: str


def borrower(app: App, serial: int, name: str = "张三") -> Borrower:
    number = identity.make_resident_id("110101", date(1990, 5, 17), 300 + serial)
    card_number = luhn_ok(f"622202020000{serial:06d}0")
    with app.uow() as uow:
        customer = customers.create_customer(uow, SYSTEM, CustomerCreate(
            kind="individual", name=name, id_type="resident_id", id_number=number, phone=f"1391111{serial:04d}",
            monthly_income=D("20000.00")))
        uow.flush()
        card = customers.add_card(uow, SYSTEM, customer.id, CardCreate(card_number=card_number, holder_name=name))
        uow.commit()
        return Borrower(customer.id, card.id, card_number, name)


def open_loan(app: App, who: Borrower, contract: str, **terms: Any) -> int:
    with app.uow() as uow:
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no=contract, customer_id=who.customer_id, customer_name=who.name, product_code="CAR",
            owner_id=OWNER, terms={**TERMS, **terms}))
        uow.commit()
        return loan.id


def set_parameter(app: App, key: str, value: Any, value_type: str = "json") -> None:
    with app.uow() as uow:
        platform.create_parameter(uow, SYSTEM, ParameterCreate(key=key, value_type=value_type, value=value,
                                                               effective_from=date(2020, 1, 1)))
        uow.commit()


@dataclass
class FakeBank:
    """Accepts every instruction (or refuses the accounts in ``refuse``); results come by :func:`callback`."""

    code: str = "fake"
    orders: list[PaymentOrder] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send_payment(self, order: PaymentOrder) -> Ack:
        self.orders.append(order)
        if order.account in self.refuse:
            return Ack(False, "", "账户已冻结 account frozen")
        return Ack(True, f"BK-{len(self.orders)}")


def callback(app: App, instruction_id: int, status: str = "posted", reason: str = "") -> None:
    """The bank's signed callback, handled by channels as the HTTP route does (then committed)."""
    with app.uow() as uow:
        instruction = channels.get_payment(uow, SYSTEM, instruction_id)
        body = CallbackPayload(instruction.end_to_end_id, status, f"BANK-{instruction_id}", instruction.amount,
                               reason).to_json()
        channels.handle_callback(uow, body, sign(callback_secret(app.settings), body))
        uow.commit()


def inbox(app: App, user_id: int = OWNER) -> list[tuple[str, str]]:
    from autofin.platform.models import InboxMessage

    with app.uow() as uow:
        rows = uow.session.execute(select(InboxMessage.title, InboxMessage.body).where(
            InboxMessage.user_id == user_id).order_by(InboxMessage.id)).all()
    return [(str(t), str(b)) for t, b in rows]


repay_now = repay  # the counter repayment of loans_support (maker records, checker confirms)
