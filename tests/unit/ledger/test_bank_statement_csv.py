"""Bank statement CSV: a documented layout read with Decimal; a bad file is refused whole, row by row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autofin.ledger.bankcsv import StatementFileError, parse_statement


def test_a_signed_amount_file_in_english_is_read_exactly():
    rows = parse_statement(
        b"date,amount,counterparty,reference,balance\n"
        b"2025-11-03,\"1,000.10\",Zhang San,RP-001,11000.10\n"
        b"2025-11-04,-250.00,Dealer A,DS-9,10750.10\n"
    )
    assert [(r.row_no, r.value_date, r.amount) for r in rows] == [
        (2, date(2025, 11, 3), Decimal("1000.10")),
        (3, date(2025, 11, 4), Decimal("-250.00")),
    ]
    assert rows[0].counterparty == "Zhang San" and rows[0].reference == "RP-001"
    assert rows[1].balance == Decimal("10750.10")


def test_a_chinese_bank_export_with_credit_and_debit_columns_in_gb18030_is_read():
    content = "交易日期,收入,支出,对方户名,摘要\n2025/11/05,800.00,,李四,还款\n20251106,,99.50,某某车行,放款\n".encode(
        "gb18030"
    )
    rows = parse_statement(content)
    assert [r.amount for r in rows] == [Decimal("800.00"), Decimal("-99.50")]
    assert rows[0].counterparty == "李四" and rows[1].value_date == date(2025, 11, 6)
    assert rows[0].balance is None


def test_blank_rows_are_skipped_and_a_bom_is_ignored():
    rows = parse_statement("\ufeffdate,amount\n2025-11-01,5.00\n,\n\n".encode())
    assert len(rows) == 1


def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_returned():
    with pytest.raises(StatementFileError) as refused:
        parse_statement(
            b"date,amount,reference\n"
            b"2025-11-01,10.00,ok\n"
            b"2025-13-01,10.00,bad date\n"
            b"2025-11-02,12.345,three decimals\n"
            b"2025-11-03,abc,not a number\n"
            b"2025-11-04,0,zero\n"
        )
    assert [p.row_no for p in refused.value.problems] == [3, 4, 5, 6]
    assert "YYYY-MM-DD" in refused.value.problems[0].en


def test_a_header_without_date_or_amount_columns_is_refused():
    with pytest.raises(StatementFileError) as refused:
        parse_statement(b"when,how much\n2025-11-01,1.00\n")
    assert {p.row_no for p in refused.value.problems} == {1}
    assert len(refused.value.problems) == 2


def test_a_row_with_both_credit_and_debit_is_refused():
    with pytest.raises(StatementFileError) as refused:
        parse_statement(b"date,credit,debit\n2025-11-01,1.00,2.00\n")
    assert refused.value.problems[0].row_no == 2


def test_an_empty_file_is_refused():
    with pytest.raises(StatementFileError):
        parse_statement(b"")
    with pytest.raises(StatementFileError):
        parse_statement(b"date,amount\n")
