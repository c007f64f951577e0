"""The special-business demo: a review queue on the demo loans, loaded once however often the demo runs."""

from __future__ import annotations

from sqlalchemy import select

from autofin.bootstrap import App
from autofin.customers import demo as customers_demo
from autofin.products import demo as products_demo
from autofin.servicing import demo
from autofin.servicing.special.models import SpecialRequest


def test_the_demo_leaves_a_queue_of_special_business_for_reviewers_once(app_ctx: App) -> None:
    with app_ctx.uow() as uow:
        customers_demo.load(uow, app_ctx.settings)
        products_demo.load(uow, app_ctx.settings)
        uow.commit()
    for _ in range(2):
        with app_ctx.uow() as uow:
            lines = demo.load(uow, app_ctx.settings)
            uow.commit()
    assert any("special business" in line for line in lines)
    with app_ctx.uow() as uow:
        requests = uow.session.scalars(select(SpecialRequest).order_by(SpecialRequest.id)).all()
        assert [(r.kind, r.status) for r in requests] == [("extension", "pending"), ("waiver", "pending"),
                                                          ("reclassification", "pending")]
        assert all(r.preview for r in requests)
