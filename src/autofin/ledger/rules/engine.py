"""The rule engine: a posting rule (data) applied to an event's named amounts gives the lines of an entry.

Pure: no database, no framework. The service loads rules from their tables into these frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from autofin.kernel.money import ZERO, quantize
from autofin.ledger.rules.expressions import parse


class Side(StrEnum):
    DEBIT = "debit"  # 借
    CREDIT = "credit"  # 贷


class Basis(StrEnum):
    """Which accounting basis a rule applies under; ``both`` rules apply always."""

    BOTH = "both"
    ACCRUAL = "accrual"  # 权责发生制
    CASH = "cash"  # 收付实现制


@dataclass(frozen=True)
class RuleLine:
    account_code: str
    side: Side
    expression: str
    memo: str = ""
    activity: str | None = None  # cash-flow activity of a cash-account line: operating / investing / financing


@dataclass(frozen=True)
class Rule:
    event_type: str
    basis: Basis
    lines: tuple[RuleLine, ...]
    description_en: str = ""
    description_zh: str = ""

    def amount_names(self) -> frozenset[str]:
        names: set[str] = set()
        for line in self.lines:
            names |= parse(line.expression).names
        return frozenset(names)


@dataclass(frozen=True)
class PostingLine:
    """One line of an entry: exactly one of debit and credit is positive."""

    account_code: str
    debit: Decimal
    credit: Decimal
    memo: str = ""
    activity: str | None = None


class NegativeAmount(ValueError):
    def __init__(self, event_type: str, account_code: str, expression: str, value: Decimal) -> None:
        super().__init__(f"{event_type}: {expression} gave {value} for {account_code}")
        self.event_type = event_type
        self.account_code = account_code
        self.expression = expression
        self.value = value


def rule_applies(rule: Rule, basis: Basis) -> bool:
    return rule.basis in (Basis.BOTH, basis)


def select_rule(rules: Iterable[Rule], event_type: str, basis: Basis) -> Rule | None:
    """The rule for ``event_type`` under ``basis``: a basis-specific rule wins over a ``both`` rule."""
    found: Rule | None = None
    for rule in rules:
        if rule.event_type != event_type or not rule_applies(rule, basis):
            continue
        if found is None or rule.basis == basis:
            found = rule
    return found


def apply_rule(rule: Rule, amounts: Mapping[str, Decimal], vat_rate: Decimal = ZERO) -> list[PostingLine]:
    """Evaluate every line, round each to the cent (half up) and drop zero lines. Negative amounts are errors."""
    lines: list[PostingLine] = []
    for line in rule.lines:
        value = quantize(parse(line.expression).evaluate(amounts, vat_rate))
        if value < ZERO:
            raise NegativeAmount(rule.event_type, line.account_code, line.expression, value)
        if value == ZERO:
            continue
        debit, credit = (value, ZERO) if line.side == Side.DEBIT else (ZERO, value)
        lines.append(PostingLine(line.account_code, debit, credit, line.memo, line.activity))
    return lines
