"""Financial statements read from the daily balances table (not the lines): trial balance, balance sheet,
income statement; account detail (明细账) reads the lines of one account for a date range.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.money import ZERO, from_minor
from autofin.ledger import errors
from autofin.ledger.figures import (
    AccountDetail,
    BalanceSheet,
    CashFlowStatement,
    CashLine,
    Category,
    DetailLine,
    FinanceFigures,
    IncomeStatement,
    StatementLine,
    TrialBalance,
    TrialBalanceRow,
    build_cash_flow,
    classify_cash_entry,
    daily_balances,
    debit_credit_columns,
    weighted_average_rate,
)
from autofin.ledger.models import DailyBalance, JournalEntry, JournalLine, LedgerAccount
from autofin.ledger.permissions import VIEW_ENTRIES, VIEW_REPORTS
from autofin.ledger.service import YEAR_END_EVENTS, account_ids_under, parse_period


def _minor(expression: ColumnElement[object]) -> ColumnElement[int]:
    """A sum over a Money column as raw integer minor units (the Money type would convert it otherwise)."""
    return type_coerce(func.coalesce(expression, 0), BigInteger)


def _sums(uow: UnitOfWork, start: date | None, end: date) -> dict[int, tuple[Decimal, Decimal]]:
    table = DailyBalance.__table__
    statement = select(table.c.account_id, _minor(func.sum(table.c.debit)), _minor(func.sum(table.c.credit))).where(
        table.c.balance_date <= end
    )
    if start is not None:
        statement = statement.where(table.c.balance_date >= start)
    rows = uow.session.execute(statement.group_by(table.c.account_id)).all()
    return {row[0]: (from_minor(int(row[1])), from_minor(int(row[2]))) for row in rows}


def balances_until(uow: UnitOfWork, end: date) -> dict[int, Decimal]:
    """Net debit balance (debit − credit) of every account at the end of ``end``."""
    return {account_id: debit - credit for account_id, (debit, credit) in _sums(uow, None, end).items()}


def _accounts(uow: UnitOfWork) -> list[LedgerAccount]:
    return list(uow.session.scalars(select(LedgerAccount).order_by(LedgerAccount.code)).all())


def _ancestors(accounts: list[LedgerAccount]) -> dict[str, list[str]]:
    parent_of = {a.code: a.parent_code for a in accounts}
    result: dict[str, list[str]] = {}
    for account in accounts:
        chain: list[str] = []
        parent = account.parent_code
        while parent:
            chain.append(parent)
            parent = parent_of.get(parent)
        result[account.code] = chain
    return result


def trial_balance(uow: UnitOfWork, actor: Actor, period: str) -> TrialBalance:
    actor.require(VIEW_REPORTS)
    return build_trial_balance(uow, period)


def build_trial_balance(uow: UnitOfWork, period: str) -> TrialBalance:
    """科目余额表 of a ``YYYY-MM`` period; parents are summary rows, totals are over the posting accounts."""
    start, end = parse_period(period)
    before = balances_until_day_before(uow, start)
    during = _sums(uow, start, end)
    accounts = _accounts(uow)
    parents = {a.parent_code for a in accounts if a.parent_code}
    ancestors = _ancestors(accounts)
    figures: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])  # opening net, debit, credit
    for account in accounts:
        if account.code in parents:
            continue
        opening = before.get(account.id, ZERO)
        debit, credit = during.get(account.id, (ZERO, ZERO))
        if opening == ZERO and debit == ZERO and credit == ZERO:
            continue
        for code in [account.code, *ancestors[account.code]]:
            figure = figures[code]
            figure[0] += opening
            figure[1] += debit
            figure[2] += credit
    rows: list[TrialBalanceRow] = []
    totals = [ZERO] * 6
    for account in accounts:
        if account.code not in figures:
            continue
        opening, debit, credit = figures[account.code]
        opening_debit, opening_credit = debit_credit_columns(opening)
        closing_debit, closing_credit = debit_credit_columns(opening + debit - credit)
        summary = account.code in parents
        row = TrialBalanceRow(
            account.code,
            account.name_zh,
            account.name_en,
            account.type,
            summary,
            opening_debit,
            opening_credit,
            debit,
            credit,
            closing_debit,
            closing_credit,
        )
        rows.append(row)
        if not summary:
            for index, value in enumerate(
                (opening_debit, opening_credit, debit, credit, closing_debit, closing_credit)
            ):
                totals[index] += value
    return TrialBalance(period, start, end, tuple(rows), *totals)


def balances_until_day_before(uow: UnitOfWork, start: date) -> dict[int, Decimal]:
    table = DailyBalance.__table__
    rows = uow.session.execute(
        select(table.c.account_id, _minor(func.sum(table.c.debit)) - _minor(func.sum(table.c.credit)))
        .where(table.c.balance_date < start)
        .group_by(table.c.account_id)
    ).all()
    return {row[0]: from_minor(int(row[1])) for row in rows}


def balance_sheet(uow: UnitOfWork, actor: Actor, as_of: date) -> BalanceSheet:
    actor.require(VIEW_REPORTS)
    return build_balance_sheet(uow, as_of)


def build_balance_sheet(uow: UnitOfWork, as_of: date) -> BalanceSheet:
    """资产负债表 at the end of ``as_of``: income less expense not yet carried shows as 本年利润 in equity."""
    balances = balances_until(uow, as_of)
    sections: dict[str, list[StatementLine]] = {"asset": [], "liability": [], "equity": []}
    profit = ZERO
    for account in _accounts(uow):
        net_debit = balances.get(account.id, ZERO)
        if net_debit == ZERO:
            continue
        if account.type == "asset":
            sections["asset"].append(StatementLine(account.code, account.name_zh, account.name_en, net_debit))
        elif account.type in ("liability", "equity"):
            sections[account.type].append(StatementLine(account.code, account.name_zh, account.name_en, -net_debit))
        elif account.type in ("income", "expense"):
            profit -= net_debit
    total_assets = sum((line.amount for line in sections["asset"]), ZERO)
    total_liabilities = sum((line.amount for line in sections["liability"]), ZERO)
    total_equity = sum((line.amount for line in sections["equity"]), ZERO) + profit
    return BalanceSheet(
        as_of,
        tuple(sections["asset"]),
        tuple(sections["liability"]),
        tuple(sections["equity"]),
        profit,
        total_assets,
        total_liabilities,
        total_equity,
    )


def income_statement(uow: UnitOfWork, actor: Actor, period: str) -> IncomeStatement:
    actor.require(VIEW_REPORTS)
    start, end = parse_period(period)
    return build_income_statement(uow, start, end, period)


def build_income_statement(uow: UnitOfWork, start: date, end: date, label: str = "") -> IncomeStatement:
    """利润表 from ``start`` to ``end``; the year-end carry entries are left out (they are not activity)."""
    during = _sums(uow, start, end)
    carried = uow.session.execute(
        select(JournalLine.account_id, _minor(func.sum(JournalLine.debit)), _minor(func.sum(JournalLine.credit)))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalEntry.event_type.in_(YEAR_END_EVENTS),
            JournalLine.business_date >= start,
            JournalLine.business_date <= end,
        )
        .group_by(JournalLine.account_id)
    ).all()
    adjustment = {row[0]: from_minor(int(row[1])) - from_minor(int(row[2])) for row in carried}
    income: list[StatementLine] = []
    expenses: list[StatementLine] = []
    for account in _accounts(uow):
        if account.type not in ("income", "expense"):
            continue
        debit, credit = during.get(account.id, (ZERO, ZERO))
        net_debit = debit - credit - adjustment.get(account.id, ZERO)
        if net_debit == ZERO:
            continue
        if account.type == "income":
            income.append(StatementLine(account.code, account.name_zh, account.name_en, -net_debit))
        else:
            expenses.append(StatementLine(account.code, account.name_zh, account.name_en, net_debit))
    return IncomeStatement(
        label or f"{start}..{end}",
        start,
        end,
        tuple(income),
        tuple(expenses),
        sum((line.amount for line in income), ZERO),
        sum((line.amount for line in expenses), ZERO),
    )


def account_detail(uow: UnitOfWork, actor: Actor, code: str, start: date, end: date) -> AccountDetail:
    """明细账: opening balance, each line with a running balance on the account's normal side, closing."""
    actor.require(VIEW_ENTRIES)
    account = uow.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        raise errors.account_not_found(code)
    ids = account_ids_under(uow, code)
    sign = Decimal(1) if account.normal_balance == "debit" else Decimal(-1)
    before = balances_until_day_before(uow, start)
    opening = sign * sum((before.get(account_id, ZERO) for account_id in ids), ZERO)
    rows = uow.session.execute(
        select(
            JournalLine.entry_id,
            JournalEntry.voucher_no,
            JournalLine.business_date,
            JournalEntry.description,
            JournalLine.memo,
            JournalLine.debit,
            JournalLine.credit,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_id.in_(ids), JournalLine.business_date >= start, JournalLine.business_date <= end)
        .order_by(JournalLine.business_date, JournalLine.entry_id, JournalLine.line_no)
    ).all()
    balance = opening
    lines: list[DetailLine] = []
    total_debit = total_credit = ZERO
    for row in rows:
        balance += sign * (row.debit - row.credit)
        total_debit += row.debit
        total_credit += row.credit
        lines.append(
            DetailLine(
                row.entry_id,
                row.voucher_no,
                row.business_date,
                row.description,
                row.memo,
                row.debit,
                row.credit,
                balance,
            )
        )
    return AccountDetail(
        account.code,
        account.name_zh,
        account.name_en,
        account.normal_balance,
        start,
        end,
        opening,
        tuple(lines),
        total_debit,
        total_credit,
        balance,
    )


def daily_net_movements(uow: UnitOfWork, code: str, start: date, end: date) -> tuple[Decimal, dict[date, Decimal]]:
    """Opening balance (normal side) and each day's net movement of an account and its children (for 日均余额)."""
    account = uow.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        raise errors.account_not_found(code)
    ids = account_ids_under(uow, code)
    sign = Decimal(1) if account.normal_balance == "debit" else Decimal(-1)
    before = balances_until_day_before(uow, start)
    opening = sign * sum((before.get(account_id, ZERO) for account_id in ids), ZERO)
    table = DailyBalance.__table__
    rows = uow.session.execute(
        select(table.c.balance_date, _minor(func.sum(table.c.debit)) - _minor(func.sum(table.c.credit)))
        .where(table.c.account_id.in_(ids), table.c.balance_date >= start, table.c.balance_date <= end)
        .group_by(table.c.balance_date)
    ).all()
    return opening, {row[0]: sign * from_minor(int(row[1])) for row in rows}


def average_daily_balance(uow: UnitOfWork, actor: Actor, code: str, start: date, end: date) -> Decimal:
    """贷款日均余额 of an account (e.g. 1303) from the daily balances, rounded to the cent."""
    from autofin.kernel.money import quantize
    from autofin.ledger.figures import average_daily_balance as average

    actor.require(VIEW_REPORTS)
    opening, movements = daily_net_movements(uow, code, start, end)
    return quantize(average(opening, movements, start, end))


# ------------------------------------------------------------------------------------------------ cash flow
CASH_ROOTS = ("1001", "1002", "1012")  # 库存现金, 银行存款, 其他货币资金 (those present in the chart)
LOAN_ACCOUNT = "1303"


def cash_account_ids(uow: UnitOfWork) -> list[int]:
    """The cash accounts (现金及现金等价物): the cash roots present in the chart and all their sub-accounts."""
    codes = set(uow.session.scalars(select(LedgerAccount.code).where(LedgerAccount.code.in_(CASH_ROOTS))))
    ids: list[int] = []
    for code in sorted(codes):
        ids += account_ids_under(uow, code)
    return ids


def _categories(accounts: list[LedgerAccount]) -> dict[str, Category]:
    by_code = {a.code: a for a in accounts}
    result: dict[str, Category] = {}
    for account in accounts:
        root = account
        while root.parent_code and root.parent_code in by_code:
            root = by_code[root.parent_code]
        result[account.code] = Category(root.code, root.name_zh, root.name_en)
    return result


def cash_flow_statement(uow: UnitOfWork, actor: Actor, period: str) -> CashFlowStatement:
    """现金流量表 (direct method) of a ``YYYY-MM`` period."""
    actor.require(VIEW_REPORTS)
    start, end = parse_period(period)
    return build_cash_flow_statement(uow, start, end, period)


def build_cash_flow_statement(uow: UnitOfWork, start: date, end: date, label: str = "") -> CashFlowStatement:
    """Every entry with a line on a cash account in the range, classified by its cash lines' activity and its
    counterpart accounts (see :func:`figures.classify_cash_entry`); ties to the change in cash by construction,
    which :func:`checks.cash_flow_errors` verifies."""
    accounts = _accounts(uow)
    by_id = {a.id: a for a in accounts}
    cash_ids = set(cash_account_ids(uow))
    categories = _categories(accounts)
    movements: list[tuple[str, Category, Decimal]] = []
    if cash_ids:
        entry_ids = (
            select(JournalLine.entry_id)
            .where(
                JournalLine.account_id.in_(cash_ids),
                JournalLine.business_date >= start,
                JournalLine.business_date <= end,
            )
            .distinct()
        )
        rows = uow.session.execute(
            select(JournalLine.entry_id, JournalLine.account_id, JournalLine.debit, JournalLine.credit,
                   JournalLine.activity)
            .where(JournalLine.entry_id.in_(entry_ids))
            .order_by(JournalLine.entry_id, JournalLine.line_no)
        ).all()
        current: int | None = None
        lines: list[CashLine] = []
        for row in [*rows, None]:
            if row is None or row.entry_id != current:
                if lines:
                    movements += classify_cash_entry(lines, categories)
                lines = []
                if row is None:
                    break
                current = row.entry_id
            account = by_id[row.account_id]
            lines.append(
                CashLine(account.code, account.type, row.account_id in cash_ids, row.debit, row.credit, row.activity)
            )
    before = balances_until_day_before(uow, start)
    after = balances_until(uow, end)
    opening = sum((before.get(i, ZERO) for i in cash_ids), ZERO)
    closing = sum((after.get(i, ZERO) for i in cash_ids), ZERO)
    return build_cash_flow(label or f"{start}..{end}", start, end, movements, opening, closing)


# ------------------------------------------------------------------------------------------ finance figures
def finance_figures(
    uow: UnitOfWork, actor: Actor, start: date, end: date, code: str = LOAN_ACCOUNT
) -> FinanceFigures:
    """贷款日均余额 from the daily balances of ``code`` (default 1303 贷款) and 加权平均利率 from the registered
    loan-rate provider (servicing's); without one the rate is reported as not available, never invented."""
    from autofin.kernel.money import quantize
    from autofin.ledger import checks

    actor.require(VIEW_REPORTS)
    if end < start:
        from autofin.kernel.errors import invalid

        raise invalid("end", "The end date must not be before the start date.", "结束日期不能早于开始日期。",
                      "ledger.figures.range")
    opening, movements = daily_net_movements(uow, code, start, end)
    series = daily_balances(opening, movements, start, end)
    average = quantize(sum((balance for _day, balance in series), ZERO) / len(series))
    provider = checks.rate_provider()
    rate: Decimal | None = None
    source: str | None = None
    reason_en: str | None = None
    reason_zh: str | None = None
    if provider is None:
        reason_en = "No loan-rate source is registered yet (servicing registers one); the rate is not available."
        reason_zh = "尚未接入贷款利率来源（由贷后系统提供），暂无法计算加权平均利率。"
    else:
        source, fetch = provider
        pairs = list(fetch(uow, start, end))
        if not pairs or sum((balance for balance, _rate in pairs), ZERO) == ZERO:
            reason_en = "No loan balances in this period to weight the rates by."
            reason_zh = "该期间没有贷款余额，无法计算加权平均利率。"
        else:
            rate = weighted_average_rate(pairs).quantize(Decimal("0.000001"))
    return FinanceFigures(
        code, start, end, average, series[-1][1], tuple(series), rate, source, reason_en, reason_zh
    )
