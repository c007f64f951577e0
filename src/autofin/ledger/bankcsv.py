"""Bank statement CSV (银行对账单) parsing. Pure: bytes in, checked lines out, or every bad row reported.

Column layout (first row = header; names are case-insensitive, Chinese or English, in any order):

=================  ======================================  =============================================
column             also accepted as                        content
=================  ======================================  =============================================
``date``           交易日期, 日期, value_date                YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD
``amount``         金额, 发生额                             signed: + money in (收入), − money out (支出)
``credit``         收入, 贷方发生额, 贷方, in                  money in (bank's credit), ≥ 0 — instead of amount
``debit``          支出, 借方发生额, 借方, out                 money out (bank's debit), ≥ 0 — instead of amount
``counterparty``   对方户名, 对方名称, 对方, payee             text (optional column)
``reference``      摘要, 流水号, 交易流水号, 附言, ref, memo    text (optional column); matched to vouchers first
``balance``        余额, 账户余额                            optional; account balance after the line
=================  ======================================  =============================================

Either ``amount`` or at least one of ``credit``/``debit`` must be present. Amounts may carry thousands
separators (``1,234.50``) and at most two decimals; they are read as Decimal, never float. A row with both a
credit and a debit, or with a zero amount, is an error. Files are UTF-8 (with or without BOM) or GB18030 (the
encoding Chinese banks' exports use). Blank rows are skipped.

A file with any bad row is refused as a whole: :class:`StatementFileError` lists every problem with its row
number (the header is row 1), so nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from autofin.kernel.text import decode_upload

MAX_ROWS = 20_000
MAX_BYTES = 5_000_000

ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "交易日期", "日期", "value_date", "记账日期"),
    "amount": ("amount", "金额", "发生额", "交易金额"),
    "credit": ("credit", "收入", "贷方发生额", "贷方", "收入金额", "in"),
    "debit": ("debit", "支出", "借方发生额", "借方", "支出金额", "out"),
    "counterparty": ("counterparty", "对方户名", "对方名称", "对方", "payee", "对方账户名称"),
    "reference": ("reference", "摘要", "流水号", "交易流水号", "附言", "ref", "memo", "用途"),
    "balance": ("balance", "余额", "账户余额"),
}


@dataclass(frozen=True)
class StatementRow:
    row_no: int  # line of the file (header = 1)
    value_date: date
    amount: Decimal  # + money in, − money out
    counterparty: str
    reference: str
    balance: Decimal | None


@dataclass(frozen=True)
class Problem:
    row_no: int  # 0: the file as a whole
    en: str
    zh: str


class StatementFileError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"row {p.row_no}: {p.en}" for p in problems[:5]))
        self.problems = problems


def decode(content: bytes) -> str:
    text = decode_upload(content)
    if text is not None:
        return text
    raise StatementFileError(
        [Problem(0, "the file is neither UTF-8 nor GB18030 text", "文件不是 UTF-8 或 GB18030 文本")]
    )


def _column_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = {alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases}
    for index, title in enumerate(header):
        name = wanted.get(title.strip().lower())
        if name is not None and name not in found:
            found[name] = index
    return found


def parse_date(text: str) -> date:
    value = text.strip()
    for layout in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(value, layout).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(value)


def parse_amount(text: str) -> Decimal | None:
    """A money amount with at most two decimals; '' → None. Raises ValueError when it is not one."""
    value = text.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if value == "":
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return amount.quantize(Decimal("0.01"))


def parse_statement(content: bytes) -> list[StatementRow]:
    """Every line of a statement file, or :class:`StatementFileError` with every bad row."""
    if len(content) > MAX_BYTES:
        raise StatementFileError([Problem(0, "the file is larger than 5 MB", "文件超过 5 MB")])
    text = decode(content)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise StatementFileError([Problem(0, "the file is empty", "文件为空")]) from None
    except csv.Error as exc:
        raise StatementFileError([Problem(1, f"not a CSV file ({exc})", f"不是 CSV 文件（{exc}）")]) from None
    columns = _column_map(header)
    problems: list[Problem] = []
    if "date" not in columns:
        problems.append(Problem(1, "the header has no 'date' (交易日期) column", "表头缺少“交易日期 date”列"))
    if "amount" not in columns and "credit" not in columns and "debit" not in columns:
        problems.append(
            Problem(
                1,
                "the header needs an 'amount' column or 'credit'/'debit' columns",
                "表头须有“金额 amount”列，或“收入 credit / 支出 debit”列",
            )
        )
    if problems:
        raise StatementFileError(problems)
    rows: list[StatementRow] = []
    row_no = 1
    try:
        for record in reader:
            row_no += 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(row_no, f"more than {MAX_ROWS} rows", f"超过 {MAX_ROWS} 行"))
                break
            row = _row(record, row_no, columns, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(Problem(row_no + 1, f"the CSV is malformed ({exc})", f"CSV 格式错误（{exc}）"))
    if not rows and not problems:
        problems.append(Problem(0, "the file has no statement lines", "文件中没有对账单明细"))
    if problems:
        raise StatementFileError(problems)
    return rows


def _cell(record: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(record):
        return ""
    return record[index].strip()


def _row(record: list[str], row_no: int, columns: dict[str, int], problems: list[Problem]) -> StatementRow | None:
    before = len(problems)
    day: date | None = None
    try:
        day = parse_date(_cell(record, columns, "date"))
    except ValueError:
        problems.append(
            Problem(
                row_no,
                f"'{_cell(record, columns, 'date')}' is not a date; write YYYY-MM-DD",
                f"“{_cell(record, columns, 'date')}”不是日期，格式为 YYYY-MM-DD",
            )
        )
    amount: Decimal | None = None
    amount_problems = len(problems)
    try:
        if "amount" in columns:
            amount = parse_amount(_cell(record, columns, "amount"))
        else:
            money_in = parse_amount(_cell(record, columns, "credit"))
            money_out = parse_amount(_cell(record, columns, "debit"))
            if (money_in is not None and money_in < 0) or (money_out is not None and money_out < 0):
                problems.append(
                    Problem(
                        row_no,
                        "credit and debit are written without a sign",
                        "收入/支出金额不带负号",
                    )
                )
            elif money_in and money_out:
                problems.append(
                    Problem(row_no, "a row has either a credit or a debit, not both", "一行只能有收入或支出之一")
                )
            else:
                amount = money_in if money_in else (-money_out if money_out is not None else None)
        if (amount is None or amount == 0) and len(problems) == amount_problems:
            problems.append(Problem(row_no, "the row has no amount (or a zero one)", "该行没有金额（或金额为零）"))
    except ValueError as exc:
        problems.append(
            Problem(
                row_no,
                f"'{exc}' is not an amount with at most two decimals",
                f"“{exc}”不是最多两位小数的金额",
            )
        )
    balance: Decimal | None = None
    try:
        balance = parse_amount(_cell(record, columns, "balance")) if "balance" in columns else None
    except ValueError as exc:
        problems.append(Problem(row_no, f"the balance '{exc}' is not an amount", f"余额“{exc}”不是金额"))
    if len(problems) != before or day is None or amount is None:
        return None
    return StatementRow(
        row_no,
        day,
        amount,
        _cell(record, columns, "counterparty")[:200],
        _cell(record, columns, "reference")[:200],
        balance,
    )
