"""Demo products: new-car annuity, used-car, NEV balloon (each with an active first version)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM
from autofin.products import service
from autofin.products.models import Product
from autofin.products.schemas import FeeSpec, ProductCreate

PRODUCTS = (
    ProductCreate(
        code="NEW-ANNUITY",
        product_name="新车等额本息贷",
        conditions=["new"],
        uses=["self", "commercial"],
        methods=["annuity", "equal_principal"],
        terms=[12, 24, 36, 48, 60],
        max_term=60,
        rate_min=Decimal("3.5"),
        rate_max=Decimal("12"),
        rate_default=Decimal("5.88"),
        fees=[FeeSpec(name="GPS费", amount=Decimal("800.00"))],
        min_down_payment_percent=Decimal("15"),
    ),
    ProductCreate(
        code="USED-CAR",
        product_name="二手车贷",
        conditions=["used"],
        methods=["annuity", "flat"],
        terms=[12, 24, 36],
        max_term=36,
        rate_min=Decimal("6"),
        rate_max=Decimal("15"),
        rate_default=Decimal("8.5"),
        min_down_payment_percent=Decimal("30"),
        fees=[FeeSpec(name="咨询费", percent=Decimal("1"))],
    ),
    ProductCreate(
        code="NEV-BALLOON",
        product_name="新能源弹性尾付",
        conditions=["new"],
        powertrains=["nev"],
        methods=["balloon"],
        terms=[24, 36],
        max_term=36,
        rate_min=Decimal("2.99"),
        rate_max=Decimal("9"),
        rate_default=Decimal("4.99"),
        max_balloon_percent=Decimal("40"),
        min_down_payment_percent=Decimal("20"),
    ),
)


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    added = []
    for cmd in PRODUCTS:
        if uow.session.execute(select(Product.id).where(Product.code == cmd.code)).first():
            continue
        service.create_product(uow, SYSTEM, cmd)
        service.activate_version(uow, SYSTEM, cmd.code, 1)
        added.append(cmd.code)
    if added:  # a draft v2 of the first product, to show editing a draft next to its read-only active version
        service.create_version(uow, SYSTEM, PRODUCTS[0].code, PRODUCTS[0].model_copy(update={"name": "2027 草稿"}))
    return [f"products: {len(added)} demo products added ({', '.join(added) or 'already there'})"]
