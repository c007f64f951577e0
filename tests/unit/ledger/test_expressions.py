"""Posting-rule amount expressions: safe, exact, and price-and-tax separation that always adds up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autofin.ledger.rules.expressions import ExpressionError, parse

D = Decimal


def test_an_expression_adds_the_named_amounts_of_an_event():
    assert parse("principal + interest + fee").evaluate({"principal": D("100"), "interest": D("5.5")}) == D("105.5")


def test_missing_amounts_count_as_zero_and_constants_are_exact_decimals():
    assert parse("amount * 0.1").evaluate({"amount": D("3")}) == D("0.3")
    assert parse("amount").evaluate({}) == 0


def test_net_and_tax_split_a_tax_inclusive_amount_at_the_vat_rate():
    amounts = {"interest": D("1060.00")}
    assert parse("net(interest)").evaluate(amounts, D("0.06")) == D("1000.00")
    assert parse("tax(interest)").evaluate(amounts, D("0.06")) == D("60.00")


def test_with_vat_switched_off_the_whole_amount_is_net():
    assert parse("net(fee)").evaluate({"fee": D("500.00")}, D("0")) == D("500.00")
    assert parse("tax(fee)").evaluate({"fee": D("500.00")}, D("0")) == 0


def test_pos_keeps_only_a_positive_difference():
    assert parse("pos(change)").evaluate({"change": D("-5")}) == 0
    assert parse("pos(-change)").evaluate({"change": D("-5")}) == D("5")


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.sampled_from(["0.06", "0.03", "0.13", "0"]))
def test_net_plus_tax_is_always_exactly_the_gross_amount(gross, rate):
    amounts = {"x": gross}
    assert parse("net(x)").evaluate(amounts, D(rate)) + parse("tax(x)").evaluate(amounts, D(rate)) == gross


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('true')",
        "principal ** 2",
        "principal // 2",
        "principal / interest",
        "open('x')",
        "principal.real",
        "[principal]",
        "principal if fee else interest",
        "'text'",
        "lambda: 1",
        "net",
        "net(a, b)",
        "",
    ],
)
def test_anything_but_arithmetic_over_names_and_constants_is_refused(source):
    with pytest.raises(ExpressionError):
        parse(source)


def test_division_by_an_expression_of_constants_and_the_vat_rate_is_allowed():
    assert parse("interest / (1 + vat_rate)").evaluate({"interest": D("106")}, D("0.06")) == D("100")
    assert parse("principal + interest").names == frozenset({"principal", "interest"})
