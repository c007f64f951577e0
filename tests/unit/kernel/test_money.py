from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autofin.kernel.money import (
    HALF_EVEN,
    D,
    format_amount,
    from_minor,
    quantize,
    round_to_multiple,
    rounding_mode,
    to_minor,
)


def test_money_is_built_from_strings_and_ints_but_never_from_floats():
    assert D("12.30") == Decimal("12.30")
    assert D(7) == Decimal(7)
    assert D(" 1,234.50 ") == Decimal("1234.50")
    with pytest.raises(TypeError, match="string"):
        D(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a decimal"):
        D("abc")
    with pytest.raises(ValueError, match="finite"):
        D("NaN")


def test_half_up_is_the_default_and_half_even_is_selectable():
    assert quantize(D("2.345")) == D("2.35")
    assert quantize(D("2.345"), mode=HALF_EVEN) == D("2.34")
    assert quantize(D("-2.345")) == D("-2.35")
    assert rounding_mode("half_even") == HALF_EVEN
    with pytest.raises(ValueError, match="half_up"):
        rounding_mode("bankers")


def test_rounding_to_a_multiple_gives_whole_yuan_installments():
    assert round_to_multiple(D("304.58"), D("1")) == D("305")
    assert round_to_multiple(D("304.49"), D("1")) == D("304")
    assert round_to_multiple(D("1234"), D("10")) == D("1230")


def test_minor_units_refuse_hidden_fractions_of_a_cent():
    assert to_minor(D("1234.56")) == 123456
    assert from_minor(123456) == D("1234.56")
    with pytest.raises(ValueError, match="two decimal places"):
        to_minor(D("0.001"))


def test_amounts_are_shown_with_thousands_separators():
    assert format_amount(D("1234567.5")) == "1,234,567.50"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip_exactly(minor):
    assert to_minor(from_minor(minor)) == minor
