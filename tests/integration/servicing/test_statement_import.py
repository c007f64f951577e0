"""Bank statement import (银行流水导入): matching by contract number and by payer account + amount, the unmatched
queue, manual matching, re-imports that change nothing, and refused files (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from tests.integration.servicing.payments_world import (
    CHECKER,
    FIRST_INSTALLMENT,
    MAKER,
    borrower,
    open_loan,
)

from autofin.bootstrap import App
from autofin.kernel.errors import Conflict, ValidationFailed
from autofin.servicing import service
from autofin.servicing.models import LoanTransaction
from autofin.servicing.payments import statements
from autofin.servicing.payments.models import StatementImport, StatementLine

D = Decimal
HEADER = "交易日期,金额,对方户名,对方账号,摘要/附言\n"


def csv(*lines: str, preamble: str = "") -> bytes:
    return (preamble + HEADER + "".join(line + "\n" for line in lines)).encode("utf-8-sig")


def do_import(app: App, content: bytes, name: str = "icbc-2025-02.csv") -> statements.ImportResult:
    with app.uow() as uow:
        result = statements.import_statement(uow, MAKER, name, content)
        uow.commit()
        uow.session.expunge(result.statement)
        return result


def lines(app: App) -> list[tuple[object, ...]]:
    with app.uow() as uow:
        rows = uow.session.execute(select(StatementLine.amount, StatementLine.status, StatementLine.match_rule,
                                          StatementLine.loan_id).order_by(StatementLine.id)).all()
    return [tuple(r) for r in rows]


def pending(app: App) -> list[tuple[object, ...]]:
    with app.uow() as uow:
        rows = uow.session.execute(select(LoanTransaction.loan_id, LoanTransaction.amount, LoanTransaction.status,
                                          LoanTransaction.channel, LoanTransaction.value_date)
                                   .where(LoanTransaction.type == "repayment").order_by(LoanTransaction.id)).all()
    return [tuple(r) for r in rows]


def test_lines_are_matched_by_contract_number_or_by_payer_account_and_amount(app_ctx: App) -> None:
    zhang = borrower(app_ctx, 1)
    li = borrower(app_ctx, 2, "李四")
    by_contract = open_loan(app_ctx, zhang, "HT-2025-0001")
    by_account = open_loan(app_ctx, li, "HT-2025-0002")
    content = csv(
        "2025-02-15,1066.19,张三,6222000011112222333,还款 HT-2025-0001 二月",
        f"2025/02/15,\"1,066.19\",李四,{li.card_number},车贷",
        "20250215,500.00,某某公司,6222000099998888777,货款",
        "2025-02-15,-20.00,手续费,,银行扣费",
        preamble="中国工商银行 账户明细\n账号: 1234\n",
    )
    result = do_import(app_ctx, content)
    s = result.statement
    assert (s.lines, s.new_lines, s.matched, s.unmatched, result.skipped) == (3, 3, 2, 1, 1)
    assert lines(app_ctx) == [(FIRST_INSTALLMENT, "matched", "reference", by_contract),
                              (FIRST_INSTALLMENT, "matched", "account_amount", by_account),
                              (D("500.00"), "unmatched", "", None)]
    assert pending(app_ctx) == [(by_contract, FIRST_INSTALLMENT, "pending", "statement", date(2025, 2, 15)),
                                (by_account, FIRST_INSTALLMENT, "pending", "statement", date(2025, 2, 15))]
    with app_ctx.uow() as uow:  # a second person confirms as for any repayment
        tx_id = uow.session.scalar(select(StatementLine.transaction_id).order_by(StatementLine.id))
        assert tx_id is not None
        service.confirm_repayment(uow, CHECKER, tx_id)
        uow.commit()
    assert pending(app_ctx)[0][2] == "confirmed"


def test_an_account_with_two_loans_owing_the_same_amount_is_not_guessed(app_ctx: App) -> None:
    zhang = borrower(app_ctx, 1)
    open_loan(app_ctx, zhang, "HT-A")
    open_loan(app_ctx, zhang, "HT-B")
    do_import(app_ctx, csv(f"2025-02-15,1066.19,张三,{zhang.card_number},车贷"))
    assert lines(app_ctx) == [(FIRST_INSTALLMENT, "unmatched", "", None)]
    assert pending(app_ctx) == []


def test_reimporting_the_same_file_or_an_overlapping_export_changes_nothing_twice(app_ctx: App) -> None:
    open_loan(app_ctx, borrower(app_ctx, 1), "HT-2025-0001")
    first = csv("2025-02-15,1066.19,张三,6222000011112222333,HT-2025-0001",
                "2025-02-16,10.00,王五,6222000011112222999,转账",
                "2025-02-16,10.00,王五,6222000011112222999,转账")  # two equal lines are two payments
    assert do_import(app_ctx, first).statement.new_lines == 3
    again = do_import(app_ctx, first, "the-same-file-again.csv")
    assert again.duplicate_file
    overlapping = csv("2025-02-16,10.00,王五,6222000011112222999,转账",
                      "2025-02-16,10.00,王五,6222000011112222999,转账",
                      "2025-02-17,20.00,王五,6222000011112222999,转账")
    result = do_import(app_ctx, overlapping, "icbc-2025-02-16-17.csv")
    assert (result.statement.lines, result.statement.new_lines) == (3, 1)
    assert len(lines(app_ctx)) == 4 and len(pending(app_ctx)) == 1
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count(StatementImport.id))) == 2


def test_an_unmatched_line_is_matched_by_hand_or_ignored_with_a_reason(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-2025-0001")
    do_import(app_ctx, csv("2025-02-15,1066.19,张三之父,6222000011112222333,代付车款",
                           "2025-02-15,300.00,某公司,6222000011112222444,押金"))
    with app_ctx.uow() as uow:
        queue, total = statements.list_lines(uow, MAKER, status="unmatched")
        assert total == 2
        first, second = sorted(queue, key=lambda line: line.id)
        statements.match_line(uow, MAKER, first.id, loan_id, first.version)
        statements.ignore_line(uow, MAKER, second.id, "押金，非还款")
        uow.commit()
    assert lines(app_ctx) == [(FIRST_INSTALLMENT, "matched", "manual", loan_id), (D("300.00"), "ignored", "", None)]
    assert pending(app_ctx) == [(loan_id, FIRST_INSTALLMENT, "pending", "statement", date(2025, 2, 15))]
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        statements.match_line(uow, MAKER, first.id, loan_id)
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed):
        statements.ignore_line(uow, MAKER, second.id, " ")


@pytest.mark.parametrize(("content", "field", "words"), [
    (b"", "file", "empty"),
    ("交易日期,金额,对方户名\n2025-02-15,1.00,张三\n".encode(), "file", "对方账号"),
    ("日期说明\n1,2\n".encode(), "file", "交易日期"),
    (csv("2025-02-30,1.00,张三,6222000011112222333,x"), "line 2: 交易日期", "2025-02-30"),
    (csv("2025-02-15,1.005,张三,6222000011112222333,x"), "line 2: 金额", "1.005"),
    (csv("2025-02-15,abc,张三,6222000011112222333,x"), "line 2: 金额", "abc"),
])
def test_a_malformed_file_is_refused_naming_the_line_and_column_and_nothing_is_written(
        app_ctx: App, content: bytes, field: str, words: str) -> None:
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        statements.import_statement(uow, MAKER, "bad.csv", content)
    problem = caught.value.errors[0]
    assert problem.field == field and (words in problem.message.en or words in problem.message.zh)
    assert problem.message.zh and problem.message.en
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count(StatementImport.id))) == 0


def test_a_gb18030_export_is_read(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-2025-0001")
    content = (HEADER + "2025-02-15,1066.19,张三,6222000011112222333,HT-2025-0001\n").encode("gb18030")
    do_import(app_ctx, content)
    assert lines(app_ctx) == [(FIRST_INSTALLMENT, "matched", "reference", loan_id)]
