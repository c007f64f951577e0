"""Cash journal and bank reconciliation use cases (资金日记账 / 银行对账).

The cash journal holds no money of its own: it lists the journal lines on a bank account's cash account, with
the counterparty taken from the entry's ``dimensions["counterparty"]`` (emitters and manual vouchers put it
there). Bank statement lines are imported from CSV (``bankcsv``) and matched to those journal lines
(``reconcile``); the match is kept on the statement line, because journal lines never change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.db.base import ensure_version
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, FieldError, NotFound, RuleViolation, Text, ValidationFailed, invalid
from autofin.kernel.money import ZERO
from autofin.kernel.text import mask_middle
from autofin.ledger import errors
from autofin.ledger.bankcsv import StatementFileError, parse_statement
from autofin.ledger.models import (
    BankAccount,
    BankStatement,
    BankStatementLine,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)
from autofin.ledger.permissions import MANAGE_CASH, VIEW_ENTRIES
from autofin.ledger.reconcile import BankItem, BookItem, match
from autofin.ledger.service import load_accounts
from autofin.ledger.statements import balances_until_day_before, cash_account_ids

DEFAULT_WINDOW_DAYS = 3
MAX_WINDOW_DAYS = 31


# ------------------------------------------------------------------------------------------------ outputs
@dataclass(frozen=True)
class CashJournalLine:
    line_id: int
    entry_id: int
    voucher_no: str
    business_date: date
    description: str
    counterparty: str
    memo: str
    receipt: Decimal  # 收入 (debit to cash)
    payment: Decimal  # 支出 (credit to cash)
    balance: Decimal
    activity: str | None
    statement_line_id: int | None  # the bank line it is matched to


@dataclass(frozen=True)
class CashJournal:
    bank_account_id: int
    name: str
    bank_name: str
    number_masked: str
    account_code: str
    start: date
    end: date
    opening: Decimal
    lines: tuple[CashJournalLine, ...]
    total_receipts: Decimal
    total_payments: Decimal
    closing: Decimal


@dataclass(frozen=True)
class ImportResult:
    statement_id: int
    line_count: int
    first_date: date
    last_date: date
    total_in: Decimal
    total_out: Decimal
    matched: int  # matched automatically right after the import


@dataclass(frozen=True)
class Unmatched:
    bank_account_id: int
    start: date | None
    end: date | None
    statement_lines: tuple[BankStatementLine, ...]
    journal_lines: tuple[CashJournalLine, ...]


# ------------------------------------------------------------------------------------------------ errors
def _bank_account_not_found(bank_account_id: int) -> NotFound:
    return NotFound(
        "ledger.bank_account.not_found",
        Text(f"There is no bank account {bank_account_id}.", f"银行账户 {bank_account_id} 不存在。"),
    )


def _statement_line_not_found(line_id: int) -> NotFound:
    return NotFound(
        "ledger.statement_line.not_found",
        Text(f"There is no bank statement line {line_id}.", f"银行对账单明细 {line_id} 不存在。"),
    )


# ------------------------------------------------------------------------------------------------ bank accounts
def list_bank_accounts(uow: UnitOfWork, actor: Actor, *, include_inactive: bool = True) -> list[BankAccount]:
    actor.require(VIEW_ENTRIES)
    statement = select(BankAccount).order_by(BankAccount.account_code)
    if not include_inactive:
        statement = statement.where(BankAccount.active.is_(True))
    return list(uow.session.scalars(statement).all())


def get_bank_account(uow: UnitOfWork, actor: Actor, bank_account_id: int) -> BankAccount:
    actor.require(VIEW_ENTRIES)
    account = uow.session.get(BankAccount, bank_account_id)
    if account is None:
        raise _bank_account_not_found(bank_account_id)
    return account


def mask_account_number(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isalnum())
    if len(digits) < 8:
        raise invalid(
            "number",
            "A bank account number has at least 8 digits.",
            "银行账号至少 8 位。",
            "ledger.bank_account.number",
        )
    return mask_middle(digits, 4, 4)


def create_bank_account(
    uow: UnitOfWork, actor: Actor, *, name: str, bank_name: str, number: str, account_code: str
) -> BankAccount:
    """Register a bank account on a cash account of the chart (1002 or one of its sub-accounts, a leaf); only
    the masked number is stored."""
    actor.require(MANAGE_CASH)
    problems: list[FieldError] = []
    if not name.strip():
        problems.append(FieldError("name", Text("Name the account.", "请填写账户名称。")))
    if not bank_name.strip():
        problems.append(FieldError("bank_name", Text("Name the bank.", "请填写开户银行。")))
    if problems:
        raise ValidationFailed(
            "ledger.bank_account.invalid", Text("The bank account is incomplete.", "银行账户信息不完整。"), problems
        )
    masked = mask_account_number(number)
    accounts = load_accounts(uow)
    info = accounts.get(account_code)
    if info is None:
        raise errors.account_not_found(account_code)
    if info.id not in set(cash_account_ids(uow)) or info.is_parent or not info.active:
        raise errors.account_not_postable(
            account_code,
            "a bank account books to an active cash account without sub-accounts (e.g. 1002 or 100201)",
            "银行账户须对应一个启用的、无下级的现金类科目（如 1002 或 100201）",
        )
    taken = uow.session.scalar(select(BankAccount.id).where(BankAccount.account_code == account_code))
    if taken is not None:
        raise Conflict(
            "ledger.bank_account.duplicate",
            Text(
                f"Account {account_code} already books another bank account; give each bank account its own "
                "sub-account of 1002.",
                f"科目 {account_code} 已对应其他银行账户，请为每个银行账户设立 1002 的明细科目。",
            ),
        )
    account = BankAccount(
        name=name.strip()[:100],
        bank_name=bank_name.strip()[:100],
        number_masked=masked,
        account_code=account_code,
        active=True,
    )
    uow.session.add(account)
    uow.flush()
    audit.record(
        uow,
        actor,
        "ledger.bank_account.create",
        "ledger_bank_account",
        account.id,
        after={"name": account.name, "bank": account.bank_name, "number": masked, "account_code": account_code},
    )
    return account


def set_bank_account_active(
    uow: UnitOfWork, actor: Actor, bank_account_id: int, active: bool, version: int | None = None
) -> BankAccount:
    actor.require(MANAGE_CASH)
    account = uow.session.get(BankAccount, bank_account_id)
    if account is None:
        raise _bank_account_not_found(bank_account_id)
    ensure_version(account, version, "bank account 银行账户")
    before = {"active": account.active}
    account.active = active
    uow.flush()
    audit.record(
        uow, actor, "ledger.bank_account.set_active", "ledger_bank_account", account.id, before=before,
        after={"active": active},
    )
    return account


# ------------------------------------------------------------------------------------------------ cash journal
def _account_id(uow: UnitOfWork, code: str) -> int:
    account_id = uow.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    if account_id is None:
        raise errors.account_not_found(code)
    return int(account_id)


def _counterparty(dimensions: dict[str, Any] | None) -> str:
    dimensions = dimensions or {}
    for key in ("counterparty", "counterparty_name", "payee", "payer"):
        value = dimensions.get(key)
        if value:
            return str(value)[:200]
    return ""


def _journal_rows(
    uow: UnitOfWork, account_id: int, start: date | None, end: date | None, *, unmatched_only: bool = False
) -> list[Any]:
    statement = (
        select(
            JournalLine.id,
            JournalLine.entry_id,
            JournalLine.business_date,
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.memo,
            JournalLine.activity,
            JournalEntry.voucher_no,
            JournalEntry.description,
            JournalEntry.dimensions,
            JournalEntry.source_id,
            BankStatementLine.id.label("statement_line_id"),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .outerjoin(BankStatementLine, BankStatementLine.matched_line_id == JournalLine.id)
        .where(JournalLine.account_id == account_id)
    )
    if start is not None:
        statement = statement.where(JournalLine.business_date >= start)
    if end is not None:
        statement = statement.where(JournalLine.business_date <= end)
    if unmatched_only:
        statement = statement.where(BankStatementLine.id.is_(None))
    return list(uow.session.execute(statement.order_by(JournalLine.business_date, JournalLine.id)).all())


def cash_journal(uow: UnitOfWork, actor: Actor, bank_account_id: int, start: date, end: date) -> CashJournal:
    """资金日记账 of one bank account: opening, each receipt and payment with counterparty and voucher, closing."""
    bank = get_bank_account(uow, actor, bank_account_id)
    if end < start:
        raise invalid("end", "The end date must not be before the start date.", "结束日期不能早于开始日期。")
    account_id = _account_id(uow, bank.account_code)
    opening = balances_until_day_before(uow, start).get(account_id, ZERO)
    balance = opening
    lines: list[CashJournalLine] = []
    receipts = payments = ZERO
    for row in _journal_rows(uow, account_id, start, end):
        balance += row.debit - row.credit
        receipts += row.debit
        payments += row.credit
        lines.append(_journal_line(row, balance))
    return CashJournal(
        bank.id, bank.name, bank.bank_name, bank.number_masked, bank.account_code, start, end, opening,
        tuple(lines), receipts, payments, balance,
    )


def _journal_line(row: Any, balance: Decimal) -> CashJournalLine:
    return CashJournalLine(
        row.id,
        row.entry_id,
        row.voucher_no,
        row.business_date,
        row.description,
        _counterparty(row.dimensions),
        row.memo,
        row.debit,
        row.credit,
        balance,
        row.activity,
        row.statement_line_id,
    )


# ------------------------------------------------------------------------------------------------ statements
def import_statement(
    uow: UnitOfWork,
    actor: Actor,
    bank_account_id: int,
    filename: str,
    content: bytes,
    *,
    auto_match: bool = True,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> ImportResult:
    """Import a bank statement CSV (layout in ``bankcsv``). A file with any bad row imports nothing: every
    problem is listed with its row number. The same file twice for one account is refused."""
    actor.require(MANAGE_CASH)
    bank = get_bank_account(uow, actor, bank_account_id)
    if not bank.active:
        raise RuleViolation(
            "ledger.bank_account.inactive",
            Text(f"Bank account {bank.name} is inactive.", f"银行账户 {bank.name} 已停用。"),
        )
    try:
        rows = parse_statement(content)
    except StatementFileError as exc:
        problems = [
            FieldError(
                f"rows.{p.row_no}" if p.row_no else "file",
                Text(f"row {p.row_no}: {p.en}", f"第 {p.row_no} 行：{p.zh}"),
            )
            for p in exc.problems[:100]
        ]
        raise ValidationFailed(
            "ledger.statement.invalid",
            Text(
                f"The statement file has {len(exc.problems)} problem(s); nothing was imported. Fix the rows and "
                "import it again.",
                f"对账单文件有 {len(exc.problems)} 处错误，未导入任何数据，请修正后重新导入。",
            ),
            problems,
        ) from None
    digest = hashlib.sha256(content).hexdigest()
    if uow.session.scalar(
        select(BankStatement.id).where(BankStatement.bank_account_id == bank.id, BankStatement.content_hash == digest)
    ):
        raise Conflict(
            "ledger.statement.duplicate",
            Text("This statement file was already imported for this account.", "该对账单文件已导入过本账户。"),
        )
    statement = BankStatement(
        bank_account_id=bank.id,
        filename=(filename or "statement.csv")[:200],
        content_hash=digest,
        line_count=len(rows),
        first_date=min(r.value_date for r in rows),
        last_date=max(r.value_date for r in rows),
        imported_by=actor.username,
        imported_at=utcnow(),
    )
    uow.session.add(statement)
    uow.flush()
    uow.session.add_all(
        BankStatementLine(
            statement_id=statement.id,
            bank_account_id=bank.id,
            row_no=r.row_no,
            value_date=r.value_date,
            amount=r.amount,
            counterparty=r.counterparty,
            reference=r.reference,
            balance=r.balance,
        )
        for r in rows
    )
    uow.flush()
    total_in = sum((r.amount for r in rows if r.amount > ZERO), ZERO)
    total_out = -sum((r.amount for r in rows if r.amount < ZERO), ZERO)
    audit.record(
        uow,
        actor,
        "ledger.statement.import",
        "ledger_bank_statement",
        statement.id,
        after={"bank_account": bank.id, "file": statement.filename, "lines": len(rows), "in": total_in,
               "out": total_out},
    )
    matched = len(_auto_match(uow, actor, bank, window_days)) if auto_match else 0
    return ImportResult(
        statement.id, len(rows), statement.first_date, statement.last_date, total_in, total_out, matched
    )


def list_statement_lines(
    uow: UnitOfWork,
    actor: Actor,
    bank_account_id: int,
    *,
    matched: bool | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[BankStatementLine]:
    get_bank_account(uow, actor, bank_account_id)
    statement = select(BankStatementLine).where(BankStatementLine.bank_account_id == bank_account_id)
    if matched is True:
        statement = statement.where(BankStatementLine.matched_line_id.is_not(None))
    elif matched is False:
        statement = statement.where(BankStatementLine.matched_line_id.is_(None))
    if start is not None:
        statement = statement.where(BankStatementLine.value_date >= start)
    if end is not None:
        statement = statement.where(BankStatementLine.value_date <= end)
    return list(
        uow.session.scalars(statement.order_by(BankStatementLine.value_date, BankStatementLine.id)).all()
    )


# ------------------------------------------------------------------------------------------------ matching
def auto_match(
    uow: UnitOfWork, actor: Actor, bank_account_id: int, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[tuple[int, int]]:
    """Match unmatched statement lines to unmatched journal lines (same account, same amount, dates at most
    ``window_days`` apart, reference first). Returns the pairs made."""
    actor.require(MANAGE_CASH)
    return _auto_match(uow, actor, get_bank_account(uow, actor, bank_account_id), window_days)


def _auto_match(uow: UnitOfWork, actor: Actor, bank: BankAccount, window_days: int) -> list[tuple[int, int]]:
    if not 0 <= window_days <= MAX_WINDOW_DAYS:
        raise invalid(
            "window_days",
            f"The date window is 0 to {MAX_WINDOW_DAYS} days.",
            f"日期容差为 0 到 {MAX_WINDOW_DAYS} 天。",
            "ledger.match.window",
        )
    open_bank = list(
        uow.session.scalars(
            select(BankStatementLine).where(
                BankStatementLine.bank_account_id == bank.id, BankStatementLine.matched_line_id.is_(None)
            )
        ).all()
    )
    if not open_bank:
        return []
    first = min(line.value_date for line in open_bank)
    last = max(line.value_date for line in open_bank)
    window = timedelta(days=window_days)
    rows = _journal_rows(
        uow, _account_id(uow, bank.account_code), first - window, last + window, unmatched_only=True
    )
    book = [
        BookItem(
            row.id,
            row.business_date,
            row.debit - row.credit,
            (row.voucher_no, row.source_id, row.description, _counterparty(row.dimensions)),
        )
        for row in rows
    ]
    bank_items = [BankItem(line.id, line.value_date, line.amount, line.reference) for line in open_bank]
    pairs = match(bank_items, book, window_days)
    by_id = {line.id: line for line in open_bank}
    now = utcnow()
    for statement_line_id, journal_line_id in pairs:
        line = by_id[statement_line_id]
        line.matched_line_id = journal_line_id
        line.match_kind = "auto"
        line.matched_by = actor.username
        line.matched_at = now
    uow.flush()
    if pairs:
        audit.record(
            uow,
            actor,
            "ledger.statement.auto_match",
            "ledger_bank_account",
            bank.id,
            after={"pairs": [[s, j] for s, j in pairs][:200], "count": len(pairs), "window_days": window_days},
        )
    return pairs


def match_manually(uow: UnitOfWork, actor: Actor, statement_line_id: int, journal_line_id: int) -> BankStatementLine:
    """勾对: match one statement line to one journal line of the same cash account, with the same amount."""
    actor.require(MANAGE_CASH)
    line = uow.session.get(BankStatementLine, statement_line_id, with_for_update=True)
    if line is None:
        raise _statement_line_not_found(statement_line_id)
    bank = get_bank_account(uow, actor, line.bank_account_id)
    journal = uow.session.get(JournalLine, journal_line_id)
    if journal is None:
        raise NotFound(
            "ledger.line.not_found",
            Text(f"There is no journal line {journal_line_id}.", f"凭证分录 {journal_line_id} 不存在。"),
        )
    if journal.account_id != _account_id(uow, bank.account_code):
        raise RuleViolation(
            "ledger.match.other_account",
            Text(
                f"The journal line is not on {bank.account_code}, the cash account of {bank.name}.",
                f"该分录不在银行账户 {bank.name} 对应的科目 {bank.account_code} 上。",
            ),
        )
    if line.matched_line_id is not None:
        raise Conflict(
            "ledger.match.already_matched",
            Text("The statement line is already matched; unmatch it first.", "该对账单明细已勾对，请先取消勾对。"),
        )
    taken = uow.session.scalar(select(BankStatementLine.id).where(BankStatementLine.matched_line_id == journal.id))
    if taken is not None:
        raise Conflict(
            "ledger.match.line_taken",
            Text(
                "The journal line is already matched to another statement line.", "该分录已与其他对账单明细勾对。"
            ),
        )
    amount = journal.debit - journal.credit
    if amount != line.amount:
        raise RuleViolation(
            "ledger.match.amount_differs",
            Text(
                f"The amounts differ: the statement says {line.amount}, the journal line {amount}; only equal "
                "amounts can be matched.",
                f"金额不一致：对账单 {line.amount}，分录 {amount}，只能勾对金额相同的记录。",
            ),
        )
    line.matched_line_id = journal.id
    line.match_kind = "manual"
    line.matched_by = actor.username
    line.matched_at = utcnow()
    uow.flush()
    audit.record(
        uow,
        actor,
        "ledger.statement.match",
        "ledger_bank_statement_line",
        line.id,
        after={"journal_line": journal.id, "amount": amount},
    )
    return line


def unmatch(uow: UnitOfWork, actor: Actor, statement_line_id: int) -> BankStatementLine:
    actor.require(MANAGE_CASH)
    line = uow.session.get(BankStatementLine, statement_line_id, with_for_update=True)
    if line is None:
        raise _statement_line_not_found(statement_line_id)
    if line.matched_line_id is None:
        raise Conflict(
            "ledger.match.not_matched",
            Text("The statement line is not matched.", "该对账单明细尚未勾对。"),
        )
    before = {"journal_line": line.matched_line_id, "kind": line.match_kind}
    line.matched_line_id = None
    line.match_kind = None
    line.matched_by = None
    line.matched_at = None
    uow.flush()
    audit.record(uow, actor, "ledger.statement.unmatch", "ledger_bank_statement_line", line.id, before=before)
    return line


def unmatched_items(
    uow: UnitOfWork, actor: Actor, bank_account_id: int, start: date | None = None, end: date | None = None
) -> Unmatched:
    """未达账项: statement lines without a journal line, and journal lines on the account without a statement
    line (both within the dates when given)."""
    bank = get_bank_account(uow, actor, bank_account_id)
    statement_lines = list_statement_lines(uow, actor, bank.id, matched=False, start=start, end=end)
    rows = _journal_rows(uow, _account_id(uow, bank.account_code), start, end, unmatched_only=True)
    return Unmatched(
        bank.id,
        start,
        end,
        tuple(statement_lines),
        tuple(_journal_line(row, ZERO) for row in rows),
    )


def statement_summary(uow: UnitOfWork, actor: Actor, bank_account_id: int) -> dict[str, int]:
    """Counts for the console: statement lines matched / unmatched."""
    get_bank_account(uow, actor, bank_account_id)
    rows = uow.session.execute(
        select(BankStatementLine.matched_line_id.is_(None), func.count())
        .where(BankStatementLine.bank_account_id == bank_account_id)
        .group_by(BankStatementLine.matched_line_id.is_(None))
    ).all()
    counts = {"matched": 0, "unmatched": 0}
    for unmatched, count in rows:
        counts["unmatched" if unmatched else "matched"] += int(count)
    return counts
