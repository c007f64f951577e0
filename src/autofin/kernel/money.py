"""One way to make money (beancount's ``D()``): Decimal only, explicit rounding at the boundaries.

Amounts are ``Decimal`` in Python and integer minor units (分) in the database. Build them with :func:`D`,
round them with :func:`quantize` where an amount is posted, paid or shown, never in the middle of a formula.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

ZERO: Final = Decimal("0")
ONE: Final = Decimal("1")
HUNDRED: Final = Decimal("100")
CENT: Final = Decimal("0.01")
MINOR_UNITS_PER_UNIT: Final = 100

HALF_UP: Final = ROUND_HALF_UP
HALF_EVEN: Final = ROUND_HALF_EVEN

RoundingName = Literal["half_up", "half_even"]
ROUNDING_MODES: Final[dict[str, str]] = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal from a string, an int or a Decimal. Floats are refused: they are not exact."""
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be built from {type(value).__name__}: pass a string such as '12.34'")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    else:
        raise TypeError(f"cannot build a Decimal from {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def rounding_mode(name: str) -> str:
    """The ``decimal`` rounding constant for a rounding name (``half_up`` or ``half_even``)."""
    try:
        return ROUNDING_MODES[name]
    except KeyError:
        raise ValueError(f"unknown rounding {name!r}: use one of {', '.join(ROUNDING_MODES)}") from None


def quantize(amount: Decimal, places: int = 2, mode: str = ROUND_HALF_UP) -> Decimal:
    """Round ``amount`` to ``places`` decimal places with an explicit rounding mode (default half-up)."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=mode)


def round_to_multiple(amount: Decimal, multiple: Decimal, mode: str = ROUND_HALF_UP) -> Decimal:
    """Round ``amount`` to a multiple of ``multiple`` (e.g. whole yuan with ``D('1')``)."""
    if multiple <= 0:
        raise ValueError("the rounding multiple must be positive")
    return (amount / multiple).quantize(ONE, rounding=mode) * multiple


def to_minor(amount: Decimal) -> int:
    """Integer minor units (分) of an amount that has at most two decimal places; more is an error, not a rounding."""
    scaled = amount * MINOR_UNITS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places; round it before storing")
    return int(scaled)


def from_minor(minor: int) -> Decimal:
    """The amount of ``minor`` minor units, with exactly two decimal places."""
    return (Decimal(minor) / MINOR_UNITS_PER_UNIT).quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """Money as shown to people: thousands separators and two places, e.g. ``1,234.50``."""
    return f"{quantize(amount):,.2f}"
