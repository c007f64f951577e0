"""Bank statement import (银行流水导入): credit lines of a CSV export matched to loans.

**Format** (see docs.md): a header row with 交易日期, 金额, 对方户名, 对方账号, 摘要 (or 附言 / 摘要/附言); rows
above the header (bank preamble) are skipped; UTF-8 (with or without BOM) or GB18030. Dates ``YYYY-MM-DD``,
``YYYY/MM/DD`` or ``YYYYMMDD``; amounts in yuan with at most two decimals (thousands separators allowed). Lines
with a negative or zero amount (money out) are not ours and are skipped. Any bad line refuses the whole file,
naming the line and the column; nothing is written.

**Matching.** 1. a live loan's contract number in the memo (``reference``); 2. else the payer account's lookup hash
equals a card of exactly one borrower with exactly one live loan whose oldest unpaid installment (or whole
overdue amount) equals the amount (``account_amount``). A matched line becomes a repayment **pending
confirmation** (the importer is the maker; another person confirms). Everything else waits in the unmatched queue
for a person to match by hand (:func:`match_line`) or ignore with a note.

**Re-import.** Each line has a hash of its content and its occurrence in the file; a file imported before, or the
lines of an overlapping export, change nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from autofin.audit import service as audit
from autofin.customers import service as customers
from autofin.db.base import ensure_version
from autofin.db.paging import fetch_page
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import Conflict, DomainError, FieldError, NotFound, Text, ValidationFailed, invalid
from autofin.kernel.money import ZERO
from autofin.kernel.text import decode_upload
from autofin.servicing import service
from autofin.servicing.models import Installment, LoanAccount
from autofin.servicing.payments.models import StatementImport, StatementLine
from autofin.servicing.permissions import DEBIT_VIEW, REPAYMENT_RECORD, STATEMENT_IMPORT
from autofin.servicing.schemas import RepaymentCreate

COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "日期"),
    "amount": ("金额", "交易金额", "收入金额", "贷方金额"),
    "payer_name": ("对方户名", "对方名称", "付款人户名"),
    "payer_account": ("对方账号", "付款人账号"),
    "memo": ("摘要/附言", "摘要", "附言", "用途", "备注"),
}
REQUIRED = ("date", "amount", "payer_name", "payer_account", "memo")
MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 100_000
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]{2,39}")
_DIGITS = re.compile(r"^\d{6,32}$")
LIVE = ("active", "overdue")


@dataclass(frozen=True)
class ParsedLine:
    row: int
    value_date: date
    amount: Decimal
    payer_name: str
    payer_account: str
    memo: str


@dataclass
class ImportResult:
    statement: StatementImport
    duplicate_file: bool
    skipped: int  # money-out lines


def _bad(field: str, en: str, zh: str) -> ValidationFailed:
    text = Text(en, zh)
    return ValidationFailed("servicing.statement.invalid", text, [FieldError(field, text)])


def _decode(content: bytes) -> str:
    text = decode_upload(content)
    if text is not None:
        return text
    raise _bad("file", "The file is neither UTF-8 nor GB18030 text: export the statement as CSV.",
               "文件不是 UTF-8 或 GB18030 文本，请将流水导出为 CSV 格式。")


def _date(raw: str, row: int) -> date:
    text = raw.strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    raise _bad(f"line {row}: 交易日期", f"Line {row}: {raw!r} is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD).",
               f"第 {row} 行：交易日期 {raw!r} 格式不对（应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）。")


def _amount(raw: str, row: int) -> Decimal:
    text = raw.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e12"):
        raise _bad(f"line {row}: 金额", f"Line {row}: {raw!r} is not an amount in yuan with at most two decimals.",
                   f"第 {row} 行：金额 {raw!r} 不是最多两位小数的元金额。")
    return value


def parse_statement(content: bytes) -> tuple[list[ParsedLine], int]:
    """The credit lines of a statement and how many money-out lines were skipped; refuses a malformed file."""
    if not content.strip():
        raise _bad("file", "The file is empty.", "文件为空。")
    if len(content) > MAX_BYTES:
        raise _bad("file", "The file is larger than 10 MB: split the statement.", "文件超过 10 MB，请分段导出。")
    rows = list(csv.reader(io.StringIO(_decode(content))))
    header_at = next((n for n, r in enumerate(rows) if any(c.strip() in COLUMNS["date"] for c in r)
                      and any(c.strip() in COLUMNS["amount"] for c in r)), None)
    if header_at is None:
        raise _bad("file", "No header row with 交易日期 and 金额 was found.", "未找到包含“交易日期”和“金额”的表头行。")
    header = [c.strip() for c in rows[header_at]]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name in header:
                where[key] = header.index(name)
                break
    missing = [COLUMNS[k][0] if k != "memo" else "摘要/附言" for k in REQUIRED if k not in where]
    if missing:
        raise _bad("file", f"Columns missing: {', '.join(missing)}.", f"缺少列：{'、'.join(missing)}。")
    lines: list[ParsedLine] = []
    skipped = 0
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        amount = _amount(row[where["amount"]], number)
        value_date = _date(row[where["date"]], number)
        if amount <= ZERO:
            skipped += 1
            continue
        account = re.sub(r"\s", "", row[where["payer_account"]])
        lines.append(ParsedLine(number, value_date, amount, row[where["payer_name"]].strip()[:100], account[:40],
                                row[where["memo"]].strip()[:200]))
        if len(lines) > MAX_LINES:
            raise _bad("file", f"More than {MAX_LINES:,} lines: split the statement.",
                       f"超过 {MAX_LINES:,} 行，请分段导出。")
    return lines, skipped


def _line_hash(line: ParsedLine, occurrence: int) -> str:
    key = f"{line.value_date}|{line.amount}|{line.payer_account}|{line.payer_name}|{line.memo}|{occurrence}"
    return hashlib.sha256(key.encode()).hexdigest()


def _mask(account: str) -> str:
    return account if len(account) <= 8 else f"{account[:4]}****{account[-4:]}"


def _owed(rows: list[Installment]) -> tuple[Decimal, Decimal]:
    """(oldest unpaid installment's owed amount, everything due or overdue) of a loan."""
    owed = [(r.principal_due + r.interest_due + r.fee_due + r.penalty_due - r.principal_paid - r.interest_paid
             - r.fee_paid - r.penalty_paid - r.waived, r.status) for r in rows]
    unpaid = [amount for amount, _status in owed if amount > ZERO]
    due = sum((amount for amount, status in owed if status in ("due", "overdue") and amount > ZERO), ZERO)
    return (unpaid[0] if unpaid else ZERO), due


def _candidate(uow: UnitOfWork, line: ParsedLine, digest: str) -> tuple[int | None, str]:
    tokens = {t.upper() for t in _TOKEN.findall(line.memo)} | {t for t in _TOKEN.findall(line.memo)}
    if tokens:
        by_reference = list(uow.session.scalars(select(LoanAccount.id).where(
            LoanAccount.contract_no.in_(sorted(tokens)), LoanAccount.status.in_(LIVE))))
        if len(by_reference) == 1:
            return by_reference[0], "reference"
    if not digest:
        return None, ""
    owners = customers.customers_with_card_hash(uow, digest)
    if not owners:
        return None, ""
    loans = list(uow.session.scalars(select(LoanAccount).where(LoanAccount.customer_id.in_(owners),
                                                               LoanAccount.status.in_(LIVE))))
    fitting = []
    for loan in loans:
        rows = list(uow.session.scalars(select(Installment).where(Installment.loan_id == loan.id)
                                        .order_by(Installment.number)))
        oldest, due = _owed(rows)
        if line.amount in (oldest, due):
            fitting.append(loan.id)
    if len(fitting) == 1:
        return fitting[0], "account_amount"
    return None, ""


def _book(uow: UnitOfWork, actor: Actor, line: StatementLine, loan_id: int, rule: str) -> None:
    """Record the pending repayment of a line (the importer is the maker); a refusal keeps the line unmatched."""
    command = RepaymentCreate(date=line.value_date, amount=line.amount, channel="statement",
                              reference=f"stmt:{line.id}")
    try:
        with uow.session.begin_nested():
            tx = service.record_repayment(uow, actor, loan_id, command, idempotency_key=f"stmt:{line.line_hash[:60]}")
    except DomainError as error:
        line.status, line.loan_id, line.match_rule = "unmatched", None, ""
        line.note = f"{error.message.zh} / {error.message.en}"[:200]
        return
    line.status, line.loan_id, line.match_rule, line.transaction_id = "matched", loan_id, rule, tx.id


def import_statement(uow: UnitOfWork, actor: Actor, file_name: str, content: bytes) -> ImportResult:
    """导入银行流水: parse, keep new lines only, match; matched lines become repayments pending confirmation."""
    actor.require(STATEMENT_IMPORT)
    actor.require(REPAYMENT_RECORD)
    name = (file_name or "statement.csv").strip()[-200:]
    file_hash = hashlib.sha256(content).hexdigest()
    parsed, skipped = parse_statement(content)
    earlier = uow.session.scalar(select(StatementImport).where(StatementImport.file_hash == file_hash)
                                 .order_by(StatementImport.id))
    if earlier is not None:
        return ImportResult(earlier, True, skipped)
    seen: Counter[tuple[object, ...]] = Counter()
    hashed: list[tuple[ParsedLine, str]] = []
    for line in parsed:
        identity = (line.value_date, line.amount, line.payer_account, line.payer_name, line.memo)
        seen[identity] += 1
        hashed.append((line, _line_hash(line, seen[identity])))
    known = set()
    digests = [h for _line, h in hashed]
    for start in range(0, len(digests), 500):
        known |= set(uow.session.scalars(select(StatementLine.line_hash).where(
            StatementLine.line_hash.in_(digests[start:start + 500]))))
    statement = StatementImport(file_name=name, file_hash=file_hash, lines=len(parsed), imported_by=actor.user_id)
    uow.session.add(statement)
    uow.flush()
    for parsed_line, digest in hashed:
        if digest in known:
            continue
        known.add(digest)
        account_hash = customers.card_number_hash(uow, parsed_line.payer_account) \
            if _DIGITS.match(parsed_line.payer_account) else ""
        row = StatementLine(import_id=statement.id, line_hash=digest, value_date=parsed_line.value_date,
                            amount=parsed_line.amount, payer_name=parsed_line.payer_name,
                            payer_account_masked=_mask(parsed_line.payer_account), payer_account_hash=account_hash,
                            memo=parsed_line.memo, status="unmatched", match_rule="", note="")
        uow.session.add(row)
        uow.flush()
        statement.new_lines += 1
        loan_id, rule = _candidate(uow, parsed_line, account_hash)
        if loan_id is not None:
            _book(uow, actor, row, loan_id, rule)
        if row.status == "matched":
            statement.matched += 1
        else:
            statement.unmatched += 1
    uow.flush()
    audit.record(uow, actor, "servicing.statement.import", "statement_import", statement.id,
                 after={"file_name": name, "lines": statement.lines, "new_lines": statement.new_lines,
                        "matched": statement.matched, "unmatched": statement.unmatched, "skipped": skipped})
    return ImportResult(statement, False, skipped)


def _can_view(actor: Actor) -> None:
    if not actor.can(DEBIT_VIEW):
        actor.require(STATEMENT_IMPORT)


def list_imports(uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 50
                 ) -> tuple[list[StatementImport], int]:
    _can_view(actor)
    return fetch_page(uow.session, select(StatementImport), (StatementImport.id.desc(),), page, size)


def list_lines(uow: UnitOfWork, actor: Actor, *, status: str | None = None, import_id: int | None = None,
               page: int = 1, size: int = 50) -> tuple[list[StatementLine], int]:
    """The lines of the statements; ``status="unmatched"`` is the queue waiting for a person."""
    _can_view(actor)
    stmt = select(StatementLine)
    if status:
        stmt = stmt.where(StatementLine.status == status)
    if import_id is not None:
        stmt = stmt.where(StatementLine.import_id == import_id)
    return fetch_page(uow.session, stmt, (StatementLine.value_date.desc(), StatementLine.id.desc()), page, size)


def unmatched_count(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count(StatementLine.id)).where(StatementLine.status == "unmatched"))
               or 0)


def _line(uow: UnitOfWork, line_id: int, version: int | None) -> StatementLine:
    line = uow.session.get(StatementLine, line_id)
    if line is None:
        raise NotFound("servicing.statement.line_not_found", Text(f"Statement line {line_id} does not exist.",
                                                                  f"流水 {line_id} 不存在。"))
    ensure_version(line, version, "银行流水 statement line")
    if line.status != "unmatched":
        raise Conflict("servicing.statement.line_not_unmatched", Text(
            f"Statement line {line_id} is {line.status}: only an unmatched line can be matched or ignored.",
            f"流水 {line_id} 状态为 {line.status}：只有未匹配的流水可以匹配或忽略。"))
    return line


def match_line(uow: UnitOfWork, actor: Actor, line_id: int, loan_id: int, version: int | None = None
               ) -> StatementLine:
    """人工匹配: the line becomes a repayment of ``loan_id`` pending confirmation (the matcher is the maker)."""
    actor.require(STATEMENT_IMPORT)
    line = _line(uow, line_id, version)
    loan = service.get_loan(uow, actor, loan_id)
    if loan.status not in LIVE:
        raise invalid("loan_id", f"Loan {loan.contract_no} is {loan.status}: match the line to an active loan.",
                      f"贷款 {loan.contract_no} 状态为 {loan.status}，请匹配到正常或逾期的贷款。",
                      "servicing.statement.loan_closed")
    command = RepaymentCreate(date=line.value_date, amount=line.amount, channel="statement",
                              reference=f"stmt:{line.id}")
    tx = service.record_repayment(uow, actor, loan.id, command, idempotency_key=f"stmt:{line.line_hash[:60]}")
    line.status, line.loan_id, line.match_rule, line.transaction_id, line.note = "matched", loan.id, "manual", tx.id, ""
    uow.flush()
    audit.record(uow, actor, "servicing.statement.match", "statement_line", line.id,
                 after={"loan_id": loan.id, "transaction_id": tx.id, "amount": str(line.amount)})
    return line


def ignore_line(uow: UnitOfWork, actor: Actor, line_id: int, note: str, version: int | None = None
                ) -> StatementLine:
    """Not a loan repayment (e.g. a deposit for something else): out of the queue, with the reason."""
    actor.require(STATEMENT_IMPORT)
    text = note.strip()
    if len(text) < 2:
        raise invalid("note", "Say why the line is not a repayment (at least 2 characters).",
                      "请说明该流水为何不是还款（至少 2 个字符）。", "servicing.statement.invalid")
    line = _line(uow, line_id, version)
    line.status, line.note = "ignored", text[:200]
    uow.flush()
    audit.record(uow, actor, "servicing.statement.ignore", "statement_line", line.id, after={"note": line.note})
    return line


def line_view(line: StatementLine) -> dict[str, Any]:
    return {"id": line.id, "import_id": line.import_id, "value_date": line.value_date, "amount": line.amount,
            "payer_name": line.payer_name, "payer_account": line.payer_account_masked, "memo": line.memo,
            "status": line.status, "match_rule": line.match_rule, "loan_id": line.loan_id,
            "transaction_id": line.transaction_id, "note": line.note, "version": line.version}
