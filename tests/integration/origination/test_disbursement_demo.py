"""The demo walks one application the real way to an active loan (and leaves one contracted), once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from autofin.customers import demo as customer_demo
from autofin.org import demo as org_demo
from autofin.origination import demo
from autofin.origination.disbursing.models import Disbursement
from autofin.origination.models import Application
from autofin.products import demo as product_demo
from autofin.servicing.models import LoanAccount
from autofin.vehicles import demo as vehicle_demo


def test_the_demo_pays_one_application_out_to_an_active_loan_once(app_ctx):
    with app_ctx.uow() as uow:
        lines = []
        for module in (org_demo, customer_demo, product_demo, vehicle_demo, demo):
            lines += module.load(uow, app_ctx.settings)
        uow.commit()
    assert any("demo disbursement paid" in line for line in lines), lines
    with app_ctx.uow() as uow:
        again = demo.load(uow, app_ctx.settings)
        assert "origination: demo disbursement already there" in again
        statuses = Counter(uow.session.execute(select(Application.status)).scalars())
        assert statuses["disbursed"] == 1 and statuses["contracted"] == 1
        paid = uow.session.scalars(select(Disbursement)).one()
        assert paid.status == "paid" and paid.registered_by != paid.reviewed_by
        loan = uow.session.get(LoanAccount, paid.loan_id)
        assert loan.status == "active" and loan.principal == paid.amount
