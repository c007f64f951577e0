"""Built-in review chains (idempotent): ≤ 100,000 初审 → 终审; above 初审 → 复审 → 贷审会."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.origination.models import ChainStage, ReviewChain

LIMIT = Decimal("100000.00")
CHAINS = (
    (
        "standard-small",
        "标准审批链（10万元及以下）",
        None,
        LIMIT,
        (("first_review", "least_loaded", 24, 0), ("final_review", "least_loaded", 24, 0)),
    ),
    (
        "standard-large",
        "标准审批链（10万元以上）",
        LIMIT,
        None,
        (
            ("first_review", "least_loaded", 24, 0),
            ("second_review", "round_robin", 24, 0),
            ("committee", "least_loaded", 72, 3),
        ),
    ),
)


def seed(uow: UnitOfWork) -> None:
    existing = set(uow.session.execute(select(ReviewChain.code)).scalars())
    for code, name, above, up_to, stages in CHAINS:
        if code in existing:
            continue
        chain = ReviewChain(
            code=code,
            name=name,
            product_code=None,
            amount_above=above,
            amount_up_to=up_to,
            risk_grades=[],
            priority=0,
            active=True,
        )
        uow.session.add(chain)
        uow.flush()
        for sequence, (stage, strategy, sla_hours, quorum) in enumerate(stages, start=1):
            uow.session.add(
                ChainStage(
                    chain_id=chain.id,
                    sequence=sequence,
                    stage=stage,
                    strategy=strategy,
                    sla_hours=sla_hours,
                    quorum=quorum,
                    committee_member_ids=[],
                    approval_ratio=Decimal("0.5"),
                )
            )
    uow.flush()
