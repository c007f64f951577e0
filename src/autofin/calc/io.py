"""JSON ⇄ dataclasses for the calculation engine: parsing, validation and serialisation in one place.

Money and rates travel as strings (``"5000"``, ``"12"``); JSON numbers are read as exact decimals, never floats.
Dates are ISO ``YYYY-MM-DD``. Every problem raises :class:`ValidationFailed` whose field names the JSON key
(``[3].principal`` inside an array) and whose message says what would be valid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from autofin.kernel.errors import FieldError, Text, ValidationFailed, invalid
from autofin.kernel.money import ZERO, quantize

from .apr import AprResult, CashFlow, annual_percentage_rate, annualized_rate
from .payoff import PayoffQuote, payoff_quote
from .schedule import Schedule, build_schedule
from .terms import BusinessDayRule, Fee, LoanTerms

CODE: Final = "calc.input.invalid"
TERMS_KEYS: Final = frozenset({
    "principal", "annual_rate", "term", "frequency", "every", "method", "interest_period", "day_count",
    "disbursement_date", "first_due_date", "installment_multiple", "grace_on_principal",
    "grace_on_interest_payment", "grace_on_interest_charged", "balloon", "rounding", "fees", "business_day",
    "penalty_rate", "compound_overdue_interest", "compound_rate", "prepayment_fee_percent",
})
PAYOFF_KEYS: Final = TERMS_KEYS | {"as_of", "payments_made"}
APR_KEYS: Final = frozenset({"method", "advances", "payments", "fees"})
FEE_KEYS: Final = frozenset({"name", "timing", "amount", "percent", "treatment"})


def _refuse(field: str, en: str, zh: str) -> ValidationFailed:
    return invalid(field, en, zh, code=CODE)


def load_json(text: str) -> Any:
    """Parse JSON text with exact decimals for numbers."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _refuse("input", f"the input is not valid JSON ({exc.msg} at line {exc.lineno}): give a JSON object",
                      f"输入不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）：请提供 JSON 对象") from None


def _object(value: Any, field: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        name = field or "input"
        raise _refuse(name, f"{name} must be a JSON object", f"{name} 必须是 JSON 对象")
    unknown = sorted(set(value) - allowed)
    if unknown:
        name = f"{field}.{unknown[0]}" if field else unknown[0]
        raise _refuse(name, f"unknown key {unknown[0]!r}: valid keys are {', '.join(sorted(allowed))}",
                      f"未知字段 {unknown[0]!r}：可用字段为 {', '.join(sorted(allowed))}")
    return value


def parse_decimal(value: Any, field: str) -> Decimal:
    """A decimal from a string, an int or a JSON number (never a float)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _refuse(field, f"{field} must be a number written as a string, e.g. \"12.5\"",
                      f"{field} 必须是以字符串表示的数字，例如 \"12.5\"")
    try:
        result = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise _refuse(field, f"{field} must be a number such as \"5000\" or \"12.5\", got {value!r}",
                      f"{field} 必须是数字，例如 \"5000\" 或 \"12.5\"，当前为 {value!r}") from None
    if not result.is_finite():
        raise _refuse(field, f"{field} must be a finite number", f"{field} 必须是有限数值")
    return result


def parse_int(value: Any, field: str) -> int:
    """A whole number from an int or a string of digits."""
    if isinstance(value, bool):
        raise _refuse(field, f"{field} must be a whole number", f"{field} 必须是整数")
    if isinstance(value, int):
        return value
    if isinstance(value, (str, Decimal)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise _refuse(field, f"{field} must be a whole number, got {value!r}", f"{field} 必须是整数，当前为 {value!r}")


def parse_date(value: Any, field: str) -> date:
    """A date from ``YYYY-MM-DD``; impossible dates (2023-02-30) are refused."""
    if not isinstance(value, str):
        raise _refuse(field, f"{field} must be a date written YYYY-MM-DD", f"{field} 必须是 YYYY-MM-DD 格式的日期")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _refuse(field, f"{field} {value!r} is not a real date: use YYYY-MM-DD, e.g. 2025-01-31",
                      f"{field} {value!r} 不是有效日期：应为 YYYY-MM-DD，例如 2025-01-31") from None


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _refuse(field, f"{field} must be a string", f"{field} 必须是字符串")
    return value


def _fee(value: Any, field: str) -> Fee:
    data = _object(value, field, FEE_KEYS)
    return Fee(
        name=_text(data.get("name", "fee"), f"{field}.name"),
        timing=_text(data.get("timing", "upfront"), f"{field}.timing"),  # type: ignore[arg-type]
        amount=parse_decimal(data["amount"], f"{field}.amount") if "amount" in data else None,
        percent=parse_decimal(data["percent"], f"{field}.percent") if "percent" in data else None,
        treatment=_text(data.get("treatment", "deducted"), f"{field}.treatment"),  # type: ignore[arg-type]
    )


def parse_terms(value: Any, allowed: frozenset[str] = TERMS_KEYS) -> LoanTerms:
    """:class:`LoanTerms` from a JSON object (see the command-line contract in ``docs.md``)."""
    data = _object(value, "", allowed)
    for required in ("principal", "annual_rate", "term", "disbursement_date"):
        if required not in data:
            raise _refuse(required, f"{required} is required", f"缺少必填字段 {required}")
    options: dict[str, Any] = {}
    for key in ("installment_multiple", "penalty_rate", "compound_rate"):
        if data.get(key) is not None:
            options[key] = parse_decimal(data[key], key)
    for key in ("balloon", "prepayment_fee_percent"):
        if key in data:
            options[key] = parse_decimal(data[key], key)
    for key in ("every", "grace_on_principal", "grace_on_interest_payment", "grace_on_interest_charged"):
        if key in data:
            options[key] = parse_int(data[key], key)
    for key in ("frequency", "method", "interest_period", "day_count", "rounding"):
        if key in data:
            options[key] = _text(data[key], key)
    if data.get("first_due_date") is not None:
        options["first_due_date"] = parse_date(data["first_due_date"], "first_due_date")
    if "compound_overdue_interest" in data:
        flag = data["compound_overdue_interest"]
        if not isinstance(flag, bool):
            raise _refuse("compound_overdue_interest", "compound_overdue_interest must be true or false",
                          "compound_overdue_interest 必须为 true 或 false")
        options["compound_overdue_interest"] = flag
    if "fees" in data:
        if not isinstance(data["fees"], list):
            raise _refuse("fees", "fees must be a JSON array of fee objects", "fees 必须是费用对象数组")
        options["fees"] = tuple(_fee(item, f"fees[{i}]") for i, item in enumerate(data["fees"]))
    if data.get("business_day") is not None:
        rule = _object(data["business_day"], "business_day", frozenset({"calendar", "adjust"}))
        options["business_day"] = BusinessDayRule(
            calendar=_text(rule.get("calendar", "CN"), "business_day.calendar"),
            adjust=_text(rule.get("adjust", "none"), "business_day.adjust"),  # type: ignore[arg-type]
        )
    return LoanTerms(
        principal=parse_decimal(data["principal"], "principal"),
        annual_rate=parse_decimal(data["annual_rate"], "annual_rate"),
        term=parse_int(data["term"], "term"),
        disbursement_date=parse_date(data["disbursement_date"], "disbursement_date"),
        **options,
    )


def money(amount: Decimal) -> str:
    """Money as JSON: a string with exactly two decimal places."""
    return str(quantize(amount))


def schedule_to_json(schedule: Schedule) -> dict[str, Any]:
    """The command-line shape of a schedule, with its PBOC annualised rate."""
    rate = annualized_rate(schedule)
    totals = schedule.totals
    return {
        "installments": [
            {"number": row.number, "due_date": row.due_date.isoformat(), "principal": money(row.principal),
             "interest": money(row.interest), "fees": money(row.fees), "total": money(row.total),
             "balance": money(row.balance)}
            for row in schedule.installments
        ],
        "totals": {"principal": money(totals.principal), "interest": money(totals.interest),
                   "fees": money(totals.fees), "total": money(totals.total)},
        "annualized_rate": {"simple": str(rate.simple), "compound": str(rate.compound)},
        "net_disbursed": money(schedule.net_disbursed),
    }


def _flows(value: Any, field: str) -> list[CashFlow]:
    if not isinstance(value, list):
        raise _refuse(field, f"{field} must be a JSON array of {{\"date\", \"amount\"}} objects",
                      f"{field} 必须是 {{\"date\", \"amount\"}} 对象数组")
    flows = []
    for i, item in enumerate(value):
        data = _object(item, f"{field}[{i}]", frozenset({"date", "amount"}))
        if "date" not in data or "amount" not in data:
            raise _refuse(f"{field}[{i}]", "each cash flow needs a date and an amount",
                          "每笔现金流须包含 date 和 amount")
        flows.append(CashFlow(parse_date(data["date"], f"{field}[{i}].date"),
                              parse_decimal(data["amount"], f"{field}[{i}].amount")))
    return flows


def apr_to_json(result: AprResult) -> dict[str, Any]:
    return {"method": result.method, "apr": str(result.apr), "compound": str(result.compound),
            "unit_period": result.unit_period.label, "unit_periods_per_year": str(result.unit_period.per_year)}


def payoff_to_json(quote: PayoffQuote) -> dict[str, Any]:
    return {"as_of": quote.as_of.isoformat(), "principal": money(quote.principal), "interest": money(quote.interest),
            "fees": money(quote.fees), "penalties": money(quote.penalties),
            "prepayment_fee": money(quote.prepayment_fee), "total": money(quote.total)}


def run_schedule_one(value: Any) -> dict[str, Any]:
    return schedule_to_json(build_schedule(parse_terms(value)))


def run_apr_one(value: Any) -> dict[str, Any]:
    data = _object(value, "", APR_KEYS)
    method = _text(data.get("method", "pboc"), "method")
    if method not in ("pboc", "us-reg-z"):
        raise _refuse("method", f"method {method!r} is unknown: use pboc or us-reg-z",
                      f"method {method!r} 无效：应为 pboc 或 us-reg-z")
    fees = parse_decimal(data["fees"], "fees") if data.get("fees") is not None else ZERO
    result = annual_percentage_rate(method, _flows(data.get("advances"), "advances"),  # type: ignore[arg-type]
                                    _flows(data.get("payments"), "payments"), fees)
    return apr_to_json(result)


def run_payoff_one(value: Any) -> dict[str, Any]:
    data = _object(value, "", PAYOFF_KEYS)
    if "as_of" not in data:
        raise _refuse("as_of", "as_of is required: the settlement date YYYY-MM-DD", "缺少必填字段 as_of（结清日期）")
    terms = parse_terms({k: v for k, v in data.items() if k in TERMS_KEYS})
    as_of = parse_date(data["as_of"], "as_of")
    payments = _flows(data.get("payments_made", []), "payments_made")
    return payoff_to_json(payoff_quote(terms, as_of, payments))


def _prefixed(error: ValidationFailed, prefix: str) -> ValidationFailed:
    fields = [FieldError(f"{prefix}.{e.field}" if not e.field.startswith("[") else f"{prefix}{e.field}",
                         e.message) for e in error.errors]
    return ValidationFailed(error.code, error.message, fields)


def run_many(handler: Callable[[Any], dict[str, Any]], payload: Any) -> Any:
    """``handler`` over one JSON object, or over each object of a JSON array (results in the same order)."""
    if isinstance(payload, list):
        results = []
        for index, item in enumerate(payload):
            try:
                results.append(handler(item))
            except ValidationFailed as error:
                raise _prefixed(error, f"[{index}]") from None
        return results
    return handler(payload)


def run_schedule(payload: Any) -> Any:
    return run_many(run_schedule_one, payload)


def run_apr(payload: Any) -> Any:
    return run_many(run_apr_one, payload)


def run_payoff(payload: Any) -> Any:
    return run_many(run_payoff_one, payload)


def error_line(error: ValidationFailed) -> str:
    """One line for stderr: ``error: <field>: <English message> / <Chinese message>``."""
    field = error.errors[0].field if error.errors else "input"
    message: Text = error.errors[0].message if error.errors else error.message
    return f"error: {field}: {message.en} / {message.zh}".replace("\n", " ")


def dumps(result: Any) -> str:
    return json.dumps(result, ensure_ascii=False)
