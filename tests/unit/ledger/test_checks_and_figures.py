"""Pure ledger checks and finance-centre figures (average daily balance, weighted average rate)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from autofin.ledger import checks
from autofin.ledger.figures import BalanceSheet, average_daily_balance, weighted_average_rate
from autofin.ledger.rules.engine import PostingLine

D = Decimal


def test_a_balanced_entry_has_no_errors_and_an_unbalanced_one_says_by_how_much():
    balanced = [PostingLine("1002", D("10"), D(0)), PostingLine("4001", D(0), D("10"))]
    assert checks.entry_balance_errors(balanced) == []
    unbalanced = [PostingLine("1002", D("10"), D(0)), PostingLine("4001", D(0), D("9.99"))]
    assert any("0.01" in error for error in checks.entry_balance_errors(unbalanced))


def test_a_line_with_both_or_neither_side_and_a_lone_line_are_errors():
    assert checks.entry_balance_errors([PostingLine("1002", D(0), D(0))])
    assert checks.entry_balance_errors([PostingLine("1002", D(1), D(1)), PostingLine("4001", D(0), D(0))])


def test_off_balance_memoranda_must_balance_among_themselves():
    lines = [PostingLine("7001", D("5"), D(0)), PostingLine("1002", D(0), D("5"))]
    assert checks.entry_balance_errors(lines, {"7001": "off_balance", "1002": "asset"})


def test_voucher_numbers_must_run_from_one_without_gaps_or_duplicates():
    assert checks.voucher_sequence_errors("2025-11", [3, 1, 2]) == []
    assert checks.voucher_sequence_errors("2025-11", [1, 3])
    assert checks.voucher_sequence_errors("2025-11", [1, 1])
    assert checks.voucher_range_errors("2025-11", 3, 3, 1, 3) == []
    assert checks.voucher_range_errors("2025-11", 3, 3, 1, 4)


def test_a_balance_sheet_that_does_not_balance_is_reported_with_the_difference():
    sheet = BalanceSheet(date(2025, 11, 30), (), (), (), D(0), D("100"), D("30"), D("60"))
    assert "difference 10" in checks.balance_sheet_errors(sheet)[0]


def test_average_daily_balance_weights_each_day_by_its_end_of_day_balance():
    # 1,000 for 10 days, then 4,000 for 20 days → (10×1000 + 20×4000) / 30 = 3,000
    movements = {date(2025, 11, 11): D("3000")}
    assert average_daily_balance(D("1000"), movements, date(2025, 11, 1), date(2025, 11, 30)) == D("3000")


def test_weighted_average_rate_weights_rates_by_balances():
    assert weighted_average_rate([(D("100"), D("0.06")), (D("300"), D("0.10"))]) == D("0.09")
    assert weighted_average_rate([]) == 0


@given(st.lists(st.tuples(st.decimals(0, 10**6, places=2), st.decimals(0, 1, places=4)), min_size=1))
def test_the_weighted_average_rate_lies_between_the_lowest_and_highest_rate(pairs):
    rate = weighted_average_rate(pairs)
    weighted = [r for b, r in pairs if b > 0]
    if weighted:
        assert min(weighted) <= rate <= max(weighted)
