"""The warnings hook of the end-of-day batch (预警): rules other domains (risk, collections) register later.

A rule is ``fn(uow, business_date, lo, hi) -> int`` (rows it acted on) run for each loan-id partition inside the
partition's transaction, after delinquency and classification; it must be set-based and write only through the
caller's unit of work (so a crashed partition leaves nothing behind and a rerun does it once). Register with
``autofin.servicing.service.register_warning_rule(code, fn)``.

Shipped rule ``bucket_crossed``: a loan whose days past due crossed a bucket boundary today (DPD 1 → M1, 31 → M2,
61 → M3, 91 → M4+) — one in-app message per loan owner listing the contracts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import text

from autofin.db.uow import UnitOfWork
from autofin.platform import service as platform

WarningRule = Callable[[UnitOfWork, date, int, int], int]
_RULES: dict[str, WarningRule] = {}
BOUNDARIES: dict[int, str] = {1: "M1", 31: "M2", 61: "M3", 91: "M4+"}


def register_warning_rule(code: str, rule: WarningRule) -> None:
    """Add (or replace) the rule ``code``; rules run in the order they were first registered."""
    _RULES[code] = rule


def warning_rules() -> dict[str, WarningRule]:
    return dict(_RULES)


def bucket_crossed(uow: UnitOfWork, business_date: date, lo: int, hi: int) -> int:
    rows = uow.session.execute(text("""
        SELECT owner_id, days_past_due, contract_no FROM servicing_loans
        WHERE id BETWEEN :lo AND :hi AND status = 'overdue' AND owner_id IS NOT NULL
          AND days_past_due IN (1, 31, 61, 91)
        ORDER BY owner_id, days_past_due, id"""), {"lo": lo, "hi": hi}).all()
    by_owner: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for owner_id, dpd, contract_no in rows:
        by_owner[int(owner_id)][int(dpd)].append(str(contract_no))
    for owner_id, crossed in by_owner.items():
        lines = []
        for dpd, contracts in sorted(crossed.items()):
            shown = "、".join(contracts[:50]) + (f" 等 {len(contracts)} 笔" if len(contracts) > 50 else "")
            lines.append(f"进入 {BOUNDARIES[dpd]}（逾期 {dpd} 天）{len(contracts)} 笔：{shown}")
        count = sum(len(c) for c in crossed.values())
        platform.notify(uow, owner_id, f"逾期预警 {business_date}：{count} 笔贷款进入新的逾期阶段", "\n".join(lines),
                        link="/servicing/loans", template="servicing.warning.bucket_crossed",
                        payload={"business_date": business_date.isoformat(), "partition": [lo, hi]})
    return len(rows)


register_warning_rule("bucket_crossed", bucket_crossed)
