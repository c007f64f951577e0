"""Built-in ledger records: the chart of accounts, the posting rules and the default settings. Idempotent:
only what is missing is added; what finance changed since is left alone.
"""

from __future__ import annotations

from sqlalchemy import select

from autofin.db.uow import UnitOfWork
from autofin.ledger.models import LedgerAccount, PostingRuleLineRow, PostingRuleRow
from autofin.ledger.rules.defaults import CHART, NORMAL_BALANCE_OF_TYPE, RULES


def seed(uow: UnitOfWork) -> None:
    session = uow.session
    existing_codes = set(session.scalars(select(LedgerAccount.code)))
    for account in CHART:
        if account.code in existing_codes:
            continue
        session.add(
            LedgerAccount(
                code=account.code,
                name_zh=account.name_zh,
                name_en=account.name_en,
                type=account.type,
                parent_code=account.parent,
                currency="CNY",
                normal_balance=account.normal_balance or NORMAL_BALANCE_OF_TYPE[account.type],
                active=True,
            )
        )
    existing_rules = {
        (row[0], row[1]) for row in session.execute(select(PostingRuleRow.event_type, PostingRuleRow.basis))
    }
    for rule in RULES:
        if (rule.event_type, rule.basis.value) in existing_rules:
            continue
        session.add(
            PostingRuleRow(
                event_type=rule.event_type,
                basis=rule.basis.value,
                description_en=rule.description_en,
                description_zh=rule.description_zh,
                active=True,
                lines=[
                    PostingRuleLineRow(
                        line_no=number,
                        account_code=line.account_code,
                        side=line.side.value,
                        expression=line.expression,
                        memo=line.memo,
                        activity=line.activity,
                    )
                    for number, line in enumerate(rule.lines, start=1)
                ],
            )
        )
    session.flush()
    _backfill_activities(uow)


def _backfill_activities(uow: UnitOfWork) -> None:
    """Rules seeded before cash-flow activities existed get the default activity on their cash lines (only where
    none is set, so finance's own choice stays)."""
    defaults = {
        (rule.event_type, rule.basis.value, line.account_code): line.activity
        for rule in RULES
        for line in rule.lines
        if line.activity
    }
    rows = uow.session.execute(
        select(PostingRuleLineRow, PostingRuleRow.event_type, PostingRuleRow.basis)
        .join(PostingRuleRow, PostingRuleRow.id == PostingRuleLineRow.rule_id)
        .where(PostingRuleLineRow.activity.is_(None))
    ).all()
    for line, event_type, basis in rows:
        activity = defaults.get((event_type, basis, line.account_code))
        if activity:
            line.activity = activity
    uow.session.flush()
