"""The servicing demo: loans in varied states for the console and the batch, loaded once however often it runs."""

from __future__ import annotations

from sqlalchemy import select

from autofin.bootstrap import App
from autofin.customers import demo as customers_demo
from autofin.products import demo as products_demo
from autofin.servicing import demo
from autofin.servicing.models import LoanAccount, LoanTransaction


def test_without_customers_the_demo_skips_quietly_with_a_line_saying_so(app_ctx: App) -> None:
    with app_ctx.uow() as uow:
        lines = demo.load(uow, app_ctx.settings)
        uow.commit()
    assert len(lines) == 1 and "no demo loans" in lines[0]


def test_the_demo_opens_loans_in_varied_states_once(app_ctx: App) -> None:
    with app_ctx.uow() as uow:
        customers_demo.load(uow, app_ctx.settings)
        products_demo.load(uow, app_ctx.settings)
        uow.commit()
    with app_ctx.uow() as uow:
        first = demo.load(uow, app_ctx.settings)
        uow.commit()
    with app_ctx.uow() as uow:
        second = demo.load(uow, app_ctx.settings)
        uow.commit()
    assert "6 demo loans" in first[0] and "0 demo loans" in second[0]
    with app_ctx.uow() as uow:
        loans = {row.contract_no: row for row in uow.session.scalars(select(LoanAccount))}
        pending = uow.session.scalars(select(LoanTransaction).where(LoanTransaction.status == "pending")).all()
        assert len(loans) == 6
        assert loans["DEMO-LN-0001"].status == "active" and loans["DEMO-LN-0001"].days_past_due == 0
        assert loans["DEMO-LN-0006"].status == "settled"
        assert 0 < loans["DEMO-LN-0003"].days_past_due <= 31
        assert loans["DEMO-LN-0005"].days_past_due > 90 and loans["DEMO-LN-0005"].classification == "substandard"
        assert {row.bucket for row in loans.values()} >= {"M0", "M1", "M4+"}
        assert len(pending) == 1
