"""The demo data loads applications in several states, and loading twice adds nothing."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from autofin.customers import demo as customer_demo
from autofin.origination import demo
from autofin.origination.models import Application
from autofin.products import demo as product_demo
from autofin.vehicles import demo as vehicle_demo


def test_the_demo_loads_applications_in_different_states_once(app_ctx):
    with app_ctx.uow() as uow:
        for module in (customer_demo, product_demo, vehicle_demo, demo):
            module.load(uow, app_ctx.settings)
        uow.commit()
    with app_ctx.uow() as uow:
        assert "already there" in demo.load(uow, app_ctx.settings)[0]
        statuses = Counter(uow.session.execute(select(Application.status)).scalars())
    assert statuses["draft"] == 1 and statuses["in_review"] == 2
    assert statuses["rejected"] == 1 and statuses["withdrawn"] == 1
