"""Matching statement lines to journal lines, and classifying cash movements for the cash-flow statement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from autofin.ledger.figures import CashLine, Category, build_cash_flow, classify_cash_entry, daily_balances
from autofin.ledger.reconcile import BankItem, BookItem, match

D = Decimal
DAY = date(2025, 11, 10)


def test_the_same_amount_within_the_window_matches_the_nearest_date():
    bank = [BankItem(1, DAY, D("100.00"))]
    book = [
        BookItem(10, date(2025, 11, 7), D("100.00")),
        BookItem(11, date(2025, 11, 11), D("100.00")),
        BookItem(12, DAY, D("-100.00")),
    ]
    assert match(bank, book, 3) == [(1, 11)]


def test_a_reference_match_wins_over_a_nearer_date():
    bank = [BankItem(1, DAY, D("50.00"), "RP-2025-77")]
    book = [BookItem(10, DAY, D("50.00"), ("记-2025-11-0001",)), BookItem(11, date(2025, 11, 12), D("50.00"),
                                                                         ("RP-2025-77",))]
    assert match(bank, book, 3) == [(1, 11)]


def test_nothing_matches_outside_the_window_or_with_another_amount():
    bank = [BankItem(1, DAY, D("50.00"))]
    assert match(bank, [BookItem(10, date(2025, 11, 14), D("50.00"))], 3) == []
    assert match(bank, [BookItem(10, DAY, D("50.01"))], 3) == []


def test_each_line_is_used_once():
    bank = [BankItem(1, DAY, D("10.00")), BankItem(2, DAY, D("10.00")), BankItem(3, DAY, D("10.00"))]
    book = [BookItem(10, DAY, D("10.00")), BookItem(11, DAY, D("10.00"))]
    pairs = match(bank, book, 0)
    assert len(pairs) == 2 and len({b for _a, b in pairs}) == 2


CATEGORIES = {
    "130301": Category("1303", "贷款", "Loans"),
    "1132": Category("1132", "应收利息", "Interest receivable"),
    "4001": Category("4001", "实收资本", "Paid-in capital"),
    "6021": Category("6021", "手续费及佣金收入", "Fees"),
    "222101": Category("2221", "应交税费", "Taxes payable"),
}


def _cash(debit="0", credit="0", activity=None):
    return CashLine("1002", "asset", True, D(debit), D(credit), activity)


def _other(code, kind, debit="0", credit="0"):
    return CashLine(code, kind, False, D(debit), D(credit))


def test_a_repayment_is_an_operating_inflow_split_by_counterpart_accounts():
    lines = [
        _cash(debit="1100.00", activity="operating"),
        _other("130301", "asset", credit="1000.00"),
        _other("1132", "asset", credit="100.00"),
    ]
    found = classify_cash_entry(lines, CATEGORIES)
    assert [(a, c.code, x) for a, c, x in found] == [
        ("operating", "1303", D("1000.00")),
        ("operating", "1132", D("100.00")),
    ]


def test_an_untagged_cash_line_against_equity_is_financing_else_operating():
    capital = classify_cash_entry([_cash(debit="5.00"), _other("4001", "equity", credit="5.00")], CATEGORIES)
    loan = classify_cash_entry([_cash(credit="5.00"), _other("130301", "asset", debit="5.00")], CATEGORIES)
    assert capital[0][0] == "financing" and loan == [("operating", CATEGORIES["130301"], D("-5.00"))]


def test_a_transfer_between_cash_accounts_is_no_cash_flow():
    lines = [_cash(debit="9.00"), CashLine("100201", "asset", True, D("0"), D("9.00"))]
    assert classify_cash_entry(lines, CATEGORIES) == []


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@given(st.lists(st.tuples(st.booleans(), amounts, amounts), min_size=1, max_size=20))
def test_the_statement_always_ties_to_the_change_in_cash(entries):
    movements = []
    cash_change = D("0")
    for money_in, principal, fee in entries:
        total = principal + fee
        if money_in:
            lines = [_cash(debit=total), _other("130301", "asset", credit=principal), _other("6021", "income",
                                                                                            credit=fee)]
            cash_change += total
        else:
            lines = [_cash(credit=total), _other("130301", "asset", debit=principal), _other("6021", "income",
                                                                                           debit=fee)]
            cash_change -= total
        movements += classify_cash_entry(lines, CATEGORIES)
    statement = build_cash_flow("p", DAY, DAY, movements, D("1000.00"), D("1000.00") + cash_change)
    assert statement.ties and statement.net_change == cash_change
    assert [s.activity for s in statement.sections] == ["operating", "investing", "financing"]


def test_daily_balances_carry_the_opening_forward_day_by_day():
    series = daily_balances(D("10"), {date(2025, 11, 2): D("5")}, date(2025, 11, 1), date(2025, 11, 3))
    assert series == [(date(2025, 11, 1), D("10")), (date(2025, 11, 2), D("15")), (date(2025, 11, 3), D("15"))]
