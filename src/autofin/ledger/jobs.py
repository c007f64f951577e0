"""Scheduled ledger work: the daily invariant check, run by the scheduler after the end-of-day batch.

``run_daily_checks(uow, as_of)`` returns the list of problems found (empty = all fine): every open period's
trial balance, the balance sheet identity at ``as_of``, voucher numbering, and every registered subledger check
(servicing's loan principal = 1303). The job ``ledger.daily_checks`` alerts every holder of the finance reports
permission in their inbox, naming each difference, and its run is logged as failed until the books agree again.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import func, select

from autofin.db.uow import UnitOfWork
from autofin.ledger import checks, statements
from autofin.ledger.models import JournalEntry, LedgerPeriod
from autofin.ledger.permissions import VIEW_REPORTS
from autofin.ledger.service import period_of
from autofin.org import service as org
from autofin.platform import service as platform

log = logging.getLogger("autofin.ledger")
MAX_PROBLEMS_IN_ALERT = 20


class LedgerChecksFailed(RuntimeError):
    """The daily check found differences (the job run is recorded as failed, with them)."""


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


def alert_finance(uow: UnitOfWork, as_of: date, problems: list[str]) -> int:
    """Put the differences in the inbox of everyone who reads the finance reports; returns how many were told."""
    recipients = org.active_user_ids_with_permission(uow, VIEW_REPORTS)
    body = "\n".join(problems[:MAX_PROBLEMS_IN_ALERT])
    if len(problems) > MAX_PROBLEMS_IN_ALERT:
        body += f"\n… {len(problems) - MAX_PROBLEMS_IN_ALERT} more / 另有 {len(problems) - MAX_PROBLEMS_IN_ALERT} 项"
    for user_id in recipients:
        platform.notify(
            uow, user_id, f"总账核对发现差异 {as_of.isoformat()} / Ledger check found differences", body,
            link="/ledger/periods", template="ledger.daily_checks",
        )
    return len(recipients)


def _daily_checks_job(app: Any, run: Any) -> dict[str, Any]:
    as_of = platform.business_today()
    with app.uow() as uow:
        problems = run_daily_checks(uow, as_of)
        told = alert_finance(uow, as_of, problems) if problems else 0
        uow.commit()
    if problems:
        raise LedgerChecksFailed(f"{len(problems)} difference(s) on {as_of.isoformat()}, {told} user(s) alerted: "
                                 + "; ".join(problems[:3]))
    return {"as_of": as_of.isoformat(), "problems": 0}


platform.declare_job(
    "ledger.daily_checks", _daily_checks_job, "50 23 * * *", "总账日常核对", "Daily ledger checks",
)
