"""Demo customers: 200 individuals with valid IDs from real region codes (deterministic), a few blacklist entries."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from autofin.customers import identity, service
from autofin.customers.models import BlacklistEntry, Customer
from autofin.customers.schemas import BlacklistCreate, CustomerCreate
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import SYSTEM

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文博思远子涵欣怡浩然雨萱宇轩梓涵"
COUNT = 200
SEED = 2026


# Prefixes the three carriers have assigned, so every demo number passes the phonenumbers check.
MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "187", "189", "199")


def demo_people(count: int = COUNT, seed: int = SEED) -> list[dict[str, Any]]:
    """Deterministic people: name, a valid resident ID from a region code in use in 2020, phone, income."""
    rng = random.Random(seed)  # noqa: S311 - deterministic demo data, not secrets
    codes = [c for c in identity.county_codes() if identity.regions()[c].last_year == 2020]
    people = []
    for index in range(count):
        birth = date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
        people.append(
            {
                "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                "id_number": identity.make_resident_id(rng.choice(codes), birth, index),
                "phone": f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}",
                "monthly_income": Decimal(rng.randrange(4000, 60000, 500)),
            }
        )
    return people


def load(uow: UnitOfWork, settings: Any) -> list[str]:
    added = 0
    for person in demo_people():
        if uow.session.execute(
            select(Customer.id).where(Customer.id_number_hash == service.id_hash(uow, person["id_number"]))
        ).first():
            continue
        service.create_customer(
            uow,
            SYSTEM,
            CustomerCreate(
                kind="individual",
                name=person["name"],
                id_type="resident_id",
                id_number=person["id_number"],
                phone=person["phone"],
                monthly_income=person["monthly_income"].quantize(Decimal("0.01")),
            ),
        )
        added += 1
    blacklisted = 0
    if uow.session.execute(select(BlacklistEntry.id)).first() is None:
        fraud_id = identity.make_resident_id("440106", date(1985, 3, 3), 911)
        for entry in (
            BlacklistCreate(id_number=fraud_id, reason="伪造收入证明（演示）", source="demo"),
            BlacklistCreate(phone="13000000001", reason="团伙欺诈关联号码（演示）", source="demo"),
            BlacklistCreate(vin="LGXC16DF0B1000999", reason="盗抢车辆（演示）", source="demo"),
        ):
            service.add_blacklist_entry(uow, SYSTEM, entry)
            blacklisted += 1
    return [f"customers: {added} demo customers added, {blacklisted} blacklist entries"]
