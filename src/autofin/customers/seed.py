"""Built-in customer grades (客户等级), added once; administrators may change their criteria afterwards."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from autofin.customers.models import Grade
from autofin.db.uow import UnitOfWork

GRADES = (
    ("A", "优质客户", "Prime", 40, Decimal("30000.00"), 700),
    ("B", "良好客户", "Good", 30, Decimal("15000.00"), 650),
    ("C", "一般客户", "Standard", 20, Decimal("5000.00"), None),
    ("D", "关注客户", "Watch", 10, None, None),
)


def seed(uow: UnitOfWork) -> None:
    existing = set(uow.session.execute(select(Grade.code)).scalars())
    for code, zh, en, rank, income, score in GRADES:
        if code not in existing:
            uow.session.add(
                Grade(code=code, name_zh=zh, name_en=en, rank=rank, min_monthly_income=income, min_credit_score=score)
            )
    uow.flush()
