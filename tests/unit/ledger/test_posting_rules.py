"""Every seeded posting rule, applied to an event's amounts, books a balanced entry to the expected accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autofin.ledger.checks import entry_balance_errors
from autofin.ledger.rules.defaults import CHART, EVENT_TYPES, RULES
from autofin.ledger.rules.engine import Basis, NegativeAmount, apply_rule, select_rule

D = Decimal
TYPES = {account.code: account.type for account in CHART}
VAT = D("0.06")

# event type, basis, amounts, expected net debit per account (debit positive, credit negative)
CASES = [
    ("capital.contributed", Basis.ACCRUAL, {"amount": "1000000.00"}, {"1002": "1000000.00", "4001": "-1000000.00"}),
    ("loan.disbursed", Basis.ACCRUAL, {"principal": "100000.00"}, {"130301": "100000.00", "1002": "-100000.00"}),
    ("principal.became_overdue", Basis.ACCRUAL, {"principal": "800.00"}, {"130302": "800.00", "130301": "-800.00"}),
    (
        "repayment.allocated",
        Basis.ACCRUAL,
        {
            "principal": "8000.00",
            "overdue_principal": "500.00",
            "interest": "530.00",
            "fee": "106.00",
            "penalty": "21.20",
        },
        {
            "1002": "9157.20",
            "130301": "-8000.00",
            "130302": "-500.00",
            "1132": "-551.20",
            "6021": "-100.00",
            "222101": "-6.00",
        },
    ),
    (
        "repayment.allocated",
        Basis.CASH,
        {"principal": "8000.00", "interest": "530.00", "fee": "106.00", "penalty": "21.20"},
        {
            "1002": "8657.20",
            "130301": "-8000.00",
            "6011": "-500.00",
            "6117": "-20.00",
            "6021": "-100.00",
            "222101": "-37.20",
        },
    ),
    (
        "interest.accrued",
        Basis.ACCRUAL,
        {"interest": "530.00"},
        {"1132": "530.00", "6011": "-500.00", "222101": "-30.00"},
    ),
    ("penalty.accrued", Basis.ACCRUAL, {"penalty": "10.60"}, {"1132": "10.60", "6117": "-10.00", "222101": "-0.60"}),
    ("fee.charged", Basis.ACCRUAL, {"fee": "2120.00"}, {"1002": "2120.00", "6021": "-2000.00", "222101": "-120.00"}),
    (
        "prepayment.received",
        Basis.ACCRUAL,
        {"principal": "50000.00", "interest": "106.00", "fee": "530.00"},
        {"1002": "50636.00", "130301": "-50000.00", "1132": "-106.00", "6021": "-500.00", "222101": "-30.00"},
    ),
    (
        "prepayment.received",
        Basis.CASH,
        {"principal": "50000.00", "interest": "106.00", "fee": "530.00"},
        {"1002": "50636.00", "130301": "-50000.00", "6011": "-100.00", "6021": "-500.00", "222101": "-36.00"},
    ),
    (
        "waiver.granted",
        Basis.ACCRUAL,
        {"interest": "106.00", "penalty": "10.60"},
        {"6011": "100.00", "6117": "10.00", "222101": "6.60", "1132": "-116.60"},
    ),
    (  # servicing special business: arrears capitalised by a restructure
        "loan.restructured",
        Basis.ACCRUAL,
        {"interest": "106.00", "penalty": "10.60", "fee": "53.00"},
        {"130301": "169.60", "1132": "-116.60", "6021": "-50.00", "222101": "-3.00"},
    ),
    (
        "loan.restructured",
        Basis.CASH,
        {"interest": "106.00", "penalty": "10.60", "fee": "53.00"},
        {"130301": "169.60", "6011": "-100.00", "6117": "-10.00", "6021": "-50.00", "222101": "-9.60"},
    ),
    ("provision.changed", Basis.ACCRUAL, {"change": "1500.00"}, {"6701": "1500.00", "1304": "-1500.00"}),
    ("provision.changed", Basis.ACCRUAL, {"change": "-400.00"}, {"1304": "400.00", "6701": "-400.00"}),
    (
        "loan.written_off",
        Basis.ACCRUAL,
        {"principal": "3000.00", "overdue_principal": "2000.00", "interest": "100.00"},
        {
            "1304": "5100.00",
            "130301": "-3000.00",
            "130302": "-2000.00",
            "1132": "-100.00",
            "7001": "5100.00",
            "7002": "-5100.00",
        },
    ),
    (
        "recovery.received",
        Basis.ACCRUAL,
        {"amount": "700.00"},
        {"1002": "700.00", "6301": "-700.00", "7002": "700.00", "7001": "-700.00"},
    ),
    (
        "debt.transferred",
        Basis.ACCRUAL,
        {"consideration": "9000.00", "principal": "8000.00", "overdue_principal": "1500.00", "interest": "200.00"},
        {"1002": "9000.00", "130301": "-8000.00", "130302": "-1500.00", "1132": "-200.00", "6711": "700.00"},
    ),
    (
        "debt.transferred",
        Basis.ACCRUAL,
        {"consideration": "10000.00", "principal": "9500.00"},
        {"1002": "10000.00", "130301": "-9500.00", "6301": "-500.00"},
    ),
    ("credit_balance.created", Basis.ACCRUAL, {"amount": "88.00"}, {"1002": "88.00", "2241": "-88.00"}),
    ("refund.paid", Basis.ACCRUAL, {"amount": "88.00"}, {"2241": "88.00", "1002": "-88.00"}),
]


def _net(lines):
    result: dict[str, Decimal] = {}
    for line in lines:
        result[line.account_code] = result.get(line.account_code, D(0)) + line.debit - line.credit
    return {code: value for code, value in result.items() if value}


@pytest.mark.parametrize(("event_type", "basis", "amounts", "expected"), CASES, ids=[c[0] + "/" + c[1] for c in CASES])
def test_each_rule_books_the_expected_balanced_entry(event_type, basis, amounts, expected):
    rule = select_rule(RULES, event_type, basis)
    lines = apply_rule(rule, {k: D(v) for k, v in amounts.items()}, VAT)
    assert entry_balance_errors(lines, TYPES) == []
    assert _net(lines) == {code: D(value) for code, value in expected.items()}


def test_every_event_type_has_a_case_above_and_a_rule_on_each_basis():
    covered = {case[0] for case in CASES}
    assert set(EVENT_TYPES) <= covered
    for event_type in EVENT_TYPES:
        for basis in (Basis.ACCRUAL, Basis.CASH):
            assert select_rule(RULES, event_type, basis) is not None, (event_type, basis)


def test_accruals_and_waivers_book_nothing_on_a_cash_basis():
    for event_type in ("interest.accrued", "penalty.accrued", "waiver.granted"):
        assert select_rule(RULES, event_type, Basis.CASH).lines == ()


def test_every_rule_refers_only_to_posting_accounts_of_the_chart():
    parents = {account.parent for account in CHART if account.parent}
    for rule in RULES:
        for line in rule.lines:
            assert line.account_code in TYPES and line.account_code not in parents, (rule.event_type, line)


def test_a_rule_that_would_book_a_negative_amount_is_refused():
    rule = select_rule(RULES, "loan.disbursed", Basis.ACCRUAL)
    with pytest.raises(NegativeAmount):
        apply_rule(rule, {"principal": D("-1.00")}, VAT)


def test_vat_separation_switched_off_books_the_whole_interest_as_income():
    rule = select_rule(RULES, "interest.accrued", Basis.ACCRUAL)
    assert _net(apply_rule(rule, {"interest": D("530.00")}, D(0))) == {"1132": D("530.00"), "6011": D("-530.00")}
