"""Scheduled ledger work: the daily invariant check (the end-of-day batch calls it; the scheduler may too).

``run_daily_checks(uow, as_of)`` returns the list of problems found (empty = all fine): every open period's
trial balance, the balance sheet identity at ``as_of``, voucher numbering, and every registered subledger check.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import func, select

from autofin.db.uow import UnitOfWork
from autofin.ledger import checks, statements
from autofin.ledger.models import JournalEntry, LedgerPeriod
from autofin.ledger.service import period_of

log = logging.getLogger("autofin.ledger")


def run_daily_checks(uow: UnitOfWork, as_of: date) -> list[str]:
    problems: list[str] = []
    periods = set(uow.session.scalars(select(LedgerPeriod.period).where(LedgerPeriod.status == "open")))
    periods.add(period_of(as_of))
    for period in sorted(periods):
        problems += checks.trial_balance_errors(statements.build_trial_balance(uow, period))
        stats = uow.session.execute(
            select(
                func.count(JournalEntry.id),
                func.count(func.distinct(JournalEntry.sequence)),
                func.min(JournalEntry.sequence),
                func.max(JournalEntry.sequence),
            ).where(JournalEntry.period == period)
        ).one()
        problems += checks.voucher_range_errors(period, stats[0], stats[1], stats[2], stats[3])
    problems += checks.balance_sheet_errors(statements.build_balance_sheet(uow, as_of))
    for name, check in sorted(checks.subledger_checks().items()):
        problems += [f"{name}: {problem}" for problem in check(uow, as_of)]
    for problem in problems:
        log.error("ledger invariant broken", extra={"problem": problem, "as_of": as_of.isoformat()})
    return problems
