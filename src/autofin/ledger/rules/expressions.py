"""A tiny, safe evaluator of posting-rule amount expressions over ``Decimal``.

An expression names the event's amounts (``principal + interest``), may use ``+ - * /``, parentheses, decimal
constants and three functions: ``net(x)`` (the amount without VAT, rounded to the cent), ``tax(x)`` (the VAT part,
``x - net(x)``, so the two always add up to ``x``) and ``pos(x)`` (``x`` when positive, else 0, for two-way rules
such as a provision that can grow or shrink). Expressions are parsed with :mod:`ast` and only a whitelist of
nodes is accepted; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache

from autofin.kernel.money import ONE, ZERO, quantize

FUNCTIONS = frozenset({"net", "tax", "pos"})
RESERVED_NAMES = frozenset({"vat_rate"})


class ExpressionError(ValueError):
    """An amount expression is not valid (refused when a rule is saved or seeded)."""


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, amounts: Mapping[str, Decimal], vat_rate: Decimal = ZERO) -> Decimal:
        """The value of the expression; unknown names count as zero (an event need not send every amount)."""
        return _evaluate(self.tree, amounts, vat_rate)


@lru_cache(maxsize=1024)
def parse(source: str) -> Expression:
    """Parse and whitelist ``source``; raises :class:`ExpressionError` with the reason."""
    if not source or len(source) > 500:
        raise ExpressionError("an amount expression must have 1 to 500 characters")
    try:
        module = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {source!r}") from exc
    names: set[str] = set()
    _check(module.body, names)
    return Expression(source, module.body, frozenset(names))


def _check(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed; use + - * /")
        _check(node.left, names)
        _check(node.right, names)
        if isinstance(node.op, ast.Div) and not _is_constant_expression(node.right):
            raise ExpressionError("divide only by constants (or by an expression of constants and vat_rate)")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExpressionError("only unary + and - are allowed")
        _check(node.operand, names)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"constant {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function; call it as {node.id}(amount)")
        if node.id not in RESERVED_NAMES:
            names.add(node.id)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"only the functions {', '.join(sorted(FUNCTIONS))} may be called")
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{node.func.id}() takes exactly one argument")
        _check(node.args[0], names)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed in an amount expression")


def _is_constant_expression(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in RESERVED_NAMES
    if isinstance(node, ast.BinOp):
        return _is_constant_expression(node.left) and _is_constant_expression(node.right)
    if isinstance(node, ast.UnaryOp):
        return _is_constant_expression(node.operand)
    return False


def _constant(value: object) -> Decimal:
    # A literal such as 0.06 is read from its source text, never through a binary float.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]


def _evaluate(node: ast.AST, amounts: Mapping[str, Decimal], vat_rate: Decimal) -> Decimal:
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.Name):
        if node.id == "vat_rate":
            return vat_rate
        return amounts.get(node.id, ZERO)
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, amounts, vat_rate)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, amounts, vat_rate)
        right = _evaluate(node.right, amounts, vat_rate)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        try:
            return left / right
        except (DivisionByZero, InvalidOperation) as exc:
            raise ExpressionError("division by zero in an amount expression") from exc
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        value = _evaluate(node.args[0], amounts, vat_rate)
        if node.func.id == "pos":
            return value if value > ZERO else ZERO
        net = quantize(value / (ONE + vat_rate))
        return net if node.func.id == "net" else value - net
    raise ExpressionError(f"{type(node).__name__} is not allowed in an amount expression")
