"""Products at the service level: one active version per product, LTV caps by date, demo products."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autofin.products import demo, service
from autofin.products.models import ProductVersion


@pytest.mark.parametrize(
    ("use", "powertrain", "condition", "on", "cap"),
    [
        ("self", "ice", "new", date(2023, 12, 31), "80"),
        ("self", "bev", "new", date(2023, 12, 31), "85"),
        ("self", "phev", "new", date(2024, 4, 1), "100"),
        ("commercial", "ice", "new", date(2026, 11, 24), "70"),
        ("commercial", "bev", "new", date(2026, 11, 24), "75"),
        ("self", "ice", "used", date(2026, 11, 24), "70"),
    ],
)
def test_ltv_caps_follow_the_regulation_in_force_on_the_day(app_ctx, use, powertrain, condition, on, cap):
    with app_ctx.uow() as uow:
        found = service.ltv_cap(uow, use=use, powertrain=powertrain, condition=condition, on=on)
        assert found is not None and found.cap_percent == Decimal(cap)
        assert service.ltv_cap(uow, use=use, powertrain=powertrain, condition=condition, on=date(2017, 1, 1)) is None


def test_demo_products_are_active_and_the_database_allows_one_active_version(app_ctx, test_settings, system_actor):
    for _ in range(2):
        with app_ctx.uow() as uow:
            demo.load(uow, test_settings)
            uow.commit()
    with app_ctx.uow() as uow:
        products, total = service.list_products(uow, system_actor)
        assert total == 3
        assert all(service.active_version(uow, p) is not None for p in products)
        first = service.active_version(uow, products[0])
        assert first is not None
        values = {c.name: getattr(first, c.name) for c in ProductVersion.__table__.columns if c.name not in ("id",)}
        values["number"] = 99
        uow.session.add(ProductVersion(**values))
        with pytest.raises(Exception, match="integrity"):
            uow.commit()
