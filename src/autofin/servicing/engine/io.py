"""JSON ⇄ engine for ``autofin loan simulate``: the terms of ``autofin calc schedule`` (parsed by
:mod:`autofin.calc.io`) plus the servicing options, the transactions and ``as_of``.

Money travels as strings with two places; every problem raises ``ValidationFailed`` naming the JSON field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from autofin.calc import io as calc_io
from autofin.kernel.errors import ValidationFailed, invalid
from autofin.kernel.money import ZERO

from .replay import (
    ADVANCE_PAYMENTS,
    TRANSACTION_TYPES,
    LoanSetup,
    LoanState,
    PenaltySettings,
    Transaction,
    replay,
)

CODE: Final = "servicing.simulate.invalid"
SERVICING_KEYS: Final = frozenset({"interest_recalculation", "advance_payment", "penalty", "transactions", "as_of",
                                   "allocation_order"})
SIMULATE_KEYS: Final = calc_io.TERMS_KEYS | SERVICING_KEYS
PENALTY_KEYS: Final = frozenset({"rate", "compound", "compound_rate"})
TRANSACTION_KEYS: Final = frozenset({"date", "type", "amount", "reversed", "reference"})


def _refuse(field: str, en: str, zh: str) -> ValidationFailed:
    return invalid(field, en, zh, code=CODE)


def _flag(data: Mapping[str, Any], key: str, field: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _refuse(field, f"{field} must be true or false", f"{field} 必须为 true 或 false")
    return value


def parse_penalty(value: Any) -> PenaltySettings | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _refuse("penalty", "penalty must be an object {\"rate\", \"compound\", \"compound_rate\"}",
                      "penalty 必须是对象 {\"rate\", \"compound\", \"compound_rate\"}")
    unknown = sorted(set(value) - PENALTY_KEYS)
    if unknown:
        raise _refuse(f"penalty.{unknown[0]}", f"unknown key {unknown[0]!r}: use rate, compound, compound_rate",
                      f"未知字段 {unknown[0]!r}：可用 rate、compound、compound_rate")
    if "rate" not in value:
        raise _refuse("penalty.rate", "penalty.rate is required: the annual penalty rate in percent, e.g. \"18\"",
                      "缺少 penalty.rate：年化罚息利率（百分比），例如 \"18\"")
    rate = calc_io.parse_decimal(value["rate"], "penalty.rate")
    if rate < 0 or rate > 100:
        raise _refuse("penalty.rate", "penalty.rate must be from 0 to 100 (percent a year)",
                      "penalty.rate 必须在 0 到 100 之间（年化百分比）")
    compound_rate = None
    if value.get("compound_rate") is not None:
        compound_rate = calc_io.parse_decimal(value["compound_rate"], "penalty.compound_rate")
        if compound_rate < 0 or compound_rate > 100:
            raise _refuse("penalty.compound_rate", "penalty.compound_rate must be from 0 to 100",
                          "penalty.compound_rate 必须在 0 到 100 之间")
    return PenaltySettings(rate, _flag(value, "compound", "penalty.compound"), compound_rate)


def parse_transactions(value: Any) -> list[Transaction]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse("transactions", "transactions must be a JSON array of {\"date\", \"type\", \"amount\"}",
                      "transactions 必须是 {\"date\", \"type\", \"amount\"} 对象数组")
    result = []
    for i, item in enumerate(value):
        field = f"transactions[{i}]"
        if not isinstance(item, dict):
            raise _refuse(field, f"{field} must be an object", f"{field} 必须是对象")
        unknown = sorted(set(item) - TRANSACTION_KEYS)
        if unknown:
            raise _refuse(f"{field}.{unknown[0]}", f"unknown key {unknown[0]!r}: use date, type, amount, reversed",
                          f"未知字段 {unknown[0]!r}：可用 date、type、amount、reversed")
        for key in ("date", "type", "amount"):
            if key not in item:
                raise _refuse(f"{field}.{key}", f"{field}.{key} is required", f"缺少 {field}.{key}")
        kind = item["type"]
        if kind not in TRANSACTION_TYPES:
            raise _refuse(f"{field}.type", f"type {kind!r} is unknown: use one of {', '.join(TRANSACTION_TYPES)}",
                          f"交易类型 {kind!r} 无效：应为 {'、'.join(TRANSACTION_TYPES)} 之一")
        amount = calc_io.parse_decimal(item["amount"], f"{field}.amount")
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise _refuse(f"{field}.amount", "an amount must be more than 0 with at most 2 decimal places",
                          "金额必须大于 0，且最多两位小数")
        result.append(Transaction(calc_io.parse_date(item["date"], f"{field}.date"), kind, amount,
                                  _flag(item, "reversed", f"{field}.reversed"),
                                  str(item.get("reference", ""))))
    return result


def parse_setup(data: Mapping[str, Any]) -> LoanSetup:
    """:class:`LoanSetup` from the terms and servicing options of a JSON object (other keys ignored)."""
    terms = calc_io.parse_terms({k: v for k, v in data.items() if k in calc_io.TERMS_KEYS})
    advance = data.get("advance_payment", "reschedule_next")
    if advance not in ADVANCE_PAYMENTS:
        raise _refuse("advance_payment", f"advance_payment {advance!r} is unknown: use one of "
                      f"{', '.join(ADVANCE_PAYMENTS)}", f"advance_payment {advance!r} 无效：应为 "
                      f"{'、'.join(ADVANCE_PAYMENTS)} 之一")
    order = data.get("allocation_order", "default")
    if not isinstance(order, (str, list)):
        raise _refuse("allocation_order", "allocation_order must be a name or a list of the four buckets",
                      "allocation_order 必须是名称或四个科目的列表")
    return LoanSetup(terms, _flag(data, "interest_recalculation", "interest_recalculation"), advance,
                     parse_penalty(data.get("penalty")), order if isinstance(order, str) else tuple(order))


def run_simulate_one(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _refuse("input", "the input must be a JSON object", "输入必须是 JSON 对象")
    unknown = sorted(set(value) - SIMULATE_KEYS)
    if unknown:
        raise _refuse(unknown[0], f"unknown key {unknown[0]!r}: valid keys are {', '.join(sorted(SIMULATE_KEYS))}",
                      f"未知字段 {unknown[0]!r}")
    if "as_of" not in value:
        raise _refuse("as_of", "as_of is required: the date to show the loan on, YYYY-MM-DD",
                      "缺少必填字段 as_of（查询日期 YYYY-MM-DD）")
    setup = parse_setup(value)
    transactions = parse_transactions(value.get("transactions"))
    as_of = calc_io.parse_date(value["as_of"], "as_of")
    return state_to_json(replay(setup, transactions, as_of))


def run_simulate(payload: Any) -> Any:
    return calc_io.run_many(run_simulate_one, payload)


def state_to_json(state: LoanState) -> dict[str, Any]:
    money = calc_io.money
    installments = []
    for row in state.rows:
        if row.total_owed <= 0:
            status = "paid"
        elif row.due_date < state.as_of:
            status = "overdue"
        elif row.due_date == state.as_of:
            status = "due"
        else:
            status = "future"
        installments.append({
            "number": row.number, "due_date": row.due_date.isoformat(), "principal": money(row.principal),
            "interest": money(row.interest), "fees": money(row.fees), "penalties": money(row.penalty),
            "total": money(row.total), "paid": money(row.total_paid),
            "paid_by_bucket": {b: money(v) for b, v in row.paid.items()},
            "waived": money(sum(row.waived.values(), ZERO)), "outstanding": money(row.total_owed),
            "status": status,
        })
    transactions = []
    for applied in state.applied:
        tx = applied.transaction
        allocation: dict[str, Any] = {b: money(applied.bucket_total(b)) for b in
                                      ("principal", "interest", "fees", "penalty", "prepayment_fee")}
        allocation["credit"] = money(applied.credit)
        allocation["lines"] = [{"installment": line.installment, "bucket": line.bucket, "amount": money(line.amount)}
                               for line in applied.lines]
        if tx.type == "waiver":
            allocation["unapplied"] = money(applied.unapplied)
        transactions.append({"index": applied.index, "date": tx.on.isoformat(), "type": tx.type,
                             "amount": money(tx.amount), "status": "reversed" if tx.reversed else "applied",
                             "allocation": allocation})
    payoff = state.payoff
    return {
        "as_of": state.as_of.isoformat(),
        "interest_recalculation": state.setup.interest_recalculation,
        "advance_payment": state.setup.advance_payment,
        "installments": installments,
        "transactions": transactions,
        "balances": {"principal": money(state.principal_outstanding),
                     "overdue": money(sum((r.total_owed for r in state.overdue_rows), ZERO)),
                     "credit": money(state.credit), "days_past_due": state.days_past_due,
                     "settled": state.settled},
        "payoff": {"as_of": payoff.as_of.isoformat(), "principal": money(payoff.principal),
                   "interest": money(payoff.interest), "fees": money(payoff.fees),
                   "penalties": money(payoff.penalties), "prepayment_fee": money(payoff.prepayment_fee),
                   "credit": money(payoff.credit), "total": money(payoff.total)},
    }
