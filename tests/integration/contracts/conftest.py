"""Signing-session fixtures. The contracts models are imported here until origination's models module imports them
(so ``create_all`` builds their tables)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

import autofin.origination.contracts.models  # noqa: F401  (registers the tables)
from autofin.bootstrap import App
from autofin.calc import LoanTerms
from autofin.kernel.actor import Actor, DataScope
from autofin.origination.contracts import service
from autofin.origination.contracts.document import ContractData, Party, VehicleInfo, render_contract_pdf
from autofin.origination.contracts.models import SigningSession
from autofin.origination.contracts.permissions import SIGN_CONTRACTS, VIEW_CONTRACTS


@pytest.fixture()
def officer() -> Actor:
    return Actor(user_id=4101, username="officer1", permissions=frozenset({SIGN_CONTRACTS, VIEW_CONTRACTS}),
                 scope=DataScope.unrestricted())


@pytest.fixture()
def viewer() -> Actor:
    return Actor(user_id=4102, username="viewer1", permissions=frozenset({VIEW_CONTRACTS}))


def contract_pdf(contract_no: str = "HT-2026-000001") -> bytes:
    return bytes(render_contract_pdf(ContractData(
        contract_no=contract_no,
        product_code="new-car",
        lender=Party("示例汽车金融有限公司"),
        borrower=Party("李四", "110101199003078515"),
        vehicle=VehicleInfo("LSVAU2180N2183294"),
        terms=LoanTerms(principal=Decimal("50000"), annual_rate=Decimal("6"), term=6,
                        disbursement_date=date(2026, 11, 24)),
        issued_on=date(2026, 11, 24),
    )))


@pytest.fixture()
def start(app_ctx: App, officer: Actor) -> Callable[..., SigningSession]:
    def _start(contract_no: str = "HT-2026-000001", application_id: int | None = 77) -> SigningSession:
        with app_ctx.uow() as uow:
            session = service.start_signing_session(uow, officer, contract_no=contract_no,
                                                    contract_pdf=contract_pdf(contract_no), borrower_name="李四",
                                                    application_id=application_id)
            uow.commit()
            return session

    return _start
