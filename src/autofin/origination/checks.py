"""Checks at submission, as a registry of providers, and intake rules written as expressions (``rule-engine``).

A provider is ``fn(ctx: CheckContext) -> list[CheckResult]``; each result is pass / refer / decline with a reason
in both languages. The built-in providers are KYC, in-flight duplicates, product policy and the intake rules; the
risk issue adds score and fraud providers with :func:`register_check_provider` (and may set ``ctx.risk_grade``,
which picks the review chain). The blacklist is not a provider: a hit refuses the submission outright.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import rule_engine
from sqlalchemy import select

from autofin import calc
from autofin.customers import service as customers
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError
from autofin.kernel.money import HUNDRED, quantize
from autofin.origination import errors
from autofin.origination.models import IN_FLIGHT, Application, IntakeRule
from autofin.products import service as products

PASS, REFER, DECLINE = "pass", "refer", "decline"
SEVERITY = {PASS: 0, REFER: 1, DECLINE: 2}
MAX_TERM_USED = 36


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: str
    en: str
    zh: str
    detail: dict[str, Any] | None = None


@dataclass
class CheckContext:
    """Everything a check may look at. Built once per submission by the service."""

    uow: UnitOfWork
    actor: Actor
    application: Application
    customer: Any  # customers' Customer (read through customers.service)
    vehicle: Any  # vehicles' Vehicle
    version: Any  # products' ProductVersion in force
    today: date
    ltv_percent: Decimal
    ltv_cap_percent: Decimal
    risk_grade: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def age(self) -> int | None:
        birth = self.customer.birth_date
        return None if birth is None else _age_on(birth, self.today)

    @property
    def age_at_maturity(self) -> int | None:
        birth = self.customer.birth_date
        if birth is None:
            return None
        return _age_on(birth, calc.add_months(self.today, self.application.term))


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


CheckProvider = Callable[[CheckContext], list[CheckResult]]
_PROVIDERS: dict[str, tuple[int, CheckProvider]] = {}


def register_check_provider(name: str, provider: CheckProvider, order: int = 100) -> None:
    """Plug a check in (e.g. ``risk.score``, ``risk.fraud``); providers run by ``order`` then name."""
    _PROVIDERS[name] = (order, provider)


def unregister_check_provider(name: str) -> None:
    _PROVIDERS.pop(name, None)


def providers() -> list[tuple[str, CheckProvider]]:
    return [(name, entry[1]) for name, entry in sorted(_PROVIDERS.items(), key=lambda item: (item[1][0], item[0]))]


def run_checks(ctx: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for name, provider in providers():
        try:
            results.extend(provider(ctx))
        except DomainError as exc:  # a provider that cannot decide refers the case to a person
            results.append(
                CheckResult(name, REFER, f"Check could not run: {exc.message.en}", f"检查无法执行：{exc.message.zh}")
            )
    return results


def worst(results: list[CheckResult]) -> str:
    return max((r.outcome for r in results), key=lambda o: SEVERITY[o], default=PASS)


# ---- built-in providers ----------------------------------------------------------------------------------------


def kyc_check(ctx: CheckContext) -> list[CheckResult]:
    """The applicant exists, is active, and its identity document is valid today."""
    customer = ctx.customer
    if customer.status != "active":
        return [
            CheckResult(
                "kyc",
                DECLINE,
                f"The applicant record is {customer.status}, not active.",
                f"申请人客户记录状态为{customer.status}，不是有效状态。",
            )
        ]
    if customer.kind == "individual" and customer.id_type == "resident_id":
        number = customers.reveal_fields(ctx.uow, customer, "identity")["id_number"]
        try:
            customers.validate_resident_id(number, today=ctx.today)
        except DomainError as exc:
            return [
                CheckResult(
                    "kyc",
                    DECLINE,
                    f"The applicant's ID is not valid: {exc.message.en}",
                    f"申请人身份证件无效：{exc.message.zh}",
                )
            ]
    if customer.kind == "individual" and customer.birth_date is None:
        return [
            CheckResult(
                "kyc",
                REFER,
                "The applicant's birth date is unknown; verify the identity in person.",
                "申请人出生日期未知，请人工核实身份。",
            )
        ]
    return [CheckResult("kyc", PASS, "Identity on file and valid.", "身份信息完整有效。")]


def in_flight_check(ctx: CheckContext) -> list[CheckResult]:
    """No other live application for the same applicant (ID) or the same vehicle (VIN)."""
    app = ctx.application
    others = ctx.uow.session.execute(
        select(Application.number, Application.applicant_id, Application.vin).where(
            Application.id != app.id,
            Application.status.in_([s.value for s in IN_FLIGHT]),
            (Application.applicant_id == app.applicant_id) | (Application.vin == app.vin),
        )
    ).all()
    if not others:
        return [
            CheckResult(
                "in_flight",
                PASS,
                "No other application in progress for this ID or VIN.",
                "该证件号及车架号无其他在途申请。",
            )
        ]
    numbers = [row.number for row in others]
    same = "ID" if any(row.applicant_id == app.applicant_id for row in others) else "VIN"
    return [
        CheckResult(
            "in_flight",
            DECLINE,
            f"Another application for the same {same} is in progress: {', '.join(numbers)}.",
            f"同一{'证件号' if same == 'ID' else '车架号'}已有在途申请：{'、'.join(numbers)}。",
            {"applications": numbers},
        )
    ]


def _pct(value: Decimal) -> str:
    return format(quantize(value), "f")


def policy_checks(ctx: CheckContext) -> list[CheckResult]:
    """Product policy: age, LTV cap, term cap, rate range, minimum down payment, method, vehicle scope."""
    app, version = ctx.application, ctx.version
    out: list[CheckResult] = []
    age, at_maturity = ctx.age, ctx.age_at_maturity
    if age is None or at_maturity is None:
        out.append(CheckResult("policy.age", REFER, "Age unknown (no birth date).", "无法确定年龄（无出生日期）。"))
    elif age < version.min_age or at_maturity > version.max_age:
        out.append(
            CheckResult(
                "policy.age",
                DECLINE,
                f"The applicant is {age} and would be {at_maturity} at maturity; the product lends from "
                f"{version.min_age} to {version.max_age} at maturity.",
                f"申请人现年{age}岁，到期时{at_maturity}岁；产品要求{version.min_age}岁以上且到期不超过{version.max_age}岁。",
                {"age": age, "age_at_maturity": at_maturity},
            )
        )
    else:
        out.append(
            CheckResult(
                "policy.age", PASS, f"Age {age}, {at_maturity} at maturity.", f"年龄{age}岁，到期{at_maturity}岁。"
            )
        )
    if ctx.ltv_percent > ctx.ltv_cap_percent:
        out.append(
            CheckResult(
                "policy.ltv",
                DECLINE,
                f"LTV {_pct(ctx.ltv_percent)}% is above the cap of {_pct(ctx.ltv_cap_percent)}%; "
                "raise the down payment.",
                f"贷款成数{_pct(ctx.ltv_percent)}%超过上限{_pct(ctx.ltv_cap_percent)}%，请提高首付。",
                {"ltv": str(quantize(ctx.ltv_percent)), "cap": str(quantize(ctx.ltv_cap_percent))},
            )
        )
    else:
        out.append(
            CheckResult(
                "policy.ltv",
                PASS,
                f"LTV {_pct(ctx.ltv_percent)}% within {_pct(ctx.ltv_cap_percent)}%.",
                f"贷款成数{_pct(ctx.ltv_percent)}%，未超过{_pct(ctx.ltv_cap_percent)}%。",
            )
        )
    limit = min(version.max_term, MAX_TERM_USED if ctx.vehicle.condition == "used" else version.max_term)
    if app.term not in version.terms or app.term > limit:
        allowed = [t for t in version.terms if t <= limit]
        out.append(
            CheckResult(
                "policy.term",
                DECLINE,
                f"Term {app.term} months is outside the product ({allowed}).",
                f"期限{app.term}个月不在产品范围内（{allowed}）。",
                {"allowed": allowed},
            )
        )
    else:
        out.append(
            CheckResult("policy.term", PASS, f"Term {app.term} months allowed.", f"期限{app.term}个月符合产品。")
        )
    if not version.rate_min <= app.rate <= version.rate_max:
        out.append(
            CheckResult(
                "policy.rate",
                DECLINE,
                f"Rate {app.rate}% is outside {version.rate_min}%–{version.rate_max}%.",
                f"利率{app.rate}%超出{version.rate_min}%至{version.rate_max}%的范围。",
            )
        )
    else:
        out.append(CheckResult("policy.rate", PASS, f"Rate {app.rate}% within range.", f"利率{app.rate}%在范围内。"))
    down_percent = app.down_payment / app.price * HUNDRED
    if down_percent < version.min_down_payment_percent:
        out.append(
            CheckResult(
                "policy.down_payment",
                DECLINE,
                f"Down payment {_pct(down_percent)}% is below the minimum {version.min_down_payment_percent}%.",
                f"首付比例{_pct(down_percent)}%低于最低要求{version.min_down_payment_percent}%。",
            )
        )
    else:
        out.append(
            CheckResult(
                "policy.down_payment", PASS, f"Down payment {_pct(down_percent)}%.", f"首付比例{_pct(down_percent)}%。"
            )
        )
    problems = []
    if app.method not in version.methods:
        problems.append(
            (f"method {app.method} not offered ({', '.join(version.methods)})", f"不支持还款方式{app.method}")
        )
    condition = ctx.vehicle.condition
    powertrain = products.powertrain_class(ctx.vehicle.powertrain)
    if (
        condition not in version.conditions
        or powertrain not in version.powertrains
        or ctx.vehicle.use not in version.uses
    ):
        problems.append(
            (
                f"vehicle ({condition}, {powertrain}, {ctx.vehicle.use}) outside the product's scope",
                "车辆不在产品适用范围内",
            )
        )
    if problems:
        out.append(
            CheckResult(
                "policy.scope",
                DECLINE,
                "; ".join(p[0] for p in problems) + ".",
                "；".join(p[1] for p in problems) + "。",
            )
        )
    else:
        out.append(CheckResult("policy.scope", PASS, "Method and vehicle fit the product.", "还款方式与车辆符合产品。"))
    return out


# ---- rules as data ---------------------------------------------------------------------------------------------

_T = rule_engine.DataType
CONTEXT_TYPES: dict[str, Any] = {
    "applicant": _T.MAPPING(_T.STRING, _T.UNDEFINED),  # age, age_at_maturity, kind, monthly_income, credit_score, grade
    "vehicle": _T.MAPPING(_T.STRING, _T.UNDEFINED),  # powertrain, condition, used, use, mileage_km, age_years
    "amount": _T.FLOAT,
    "price": _T.FLOAT,
    "down_payment": _T.FLOAT,
    "down_payment_percent": _T.FLOAT,
    "term": _T.FLOAT,
    "rate": _T.FLOAT,
    "ltv": _T.FLOAT,  # percent
    "method": _T.STRING,
    "product": _T.STRING,
    "channel": _T.STRING,
    "purpose": _T.STRING,
    "has_co_borrower": _T.BOOLEAN,
    "guarantor_count": _T.FLOAT,
}
SAMPLE_CONTEXT: dict[str, Any] = {
    "applicant": {
        "age": 40,
        "age_at_maturity": 43,
        "kind": "individual",
        "monthly_income": Decimal(10000),
        "credit_score": 650,
        "grade": "B",
    },
    "vehicle": {"powertrain": "ice", "condition": "new", "used": False, "use": "self", "mileage_km": 0, "age_years": 0},
    "amount": Decimal(100000),
    "price": Decimal(150000),
    "down_payment": Decimal(50000),
    "down_payment_percent": Decimal(33),
    "term": Decimal(36),
    "rate": Decimal("5.88"),
    "ltv": Decimal(66),
    "method": "annuity",
    "product": "NEW-ANNUITY",
    "channel": "console",
    "purpose": "",
    "has_co_borrower": False,
    "guarantor_count": Decimal(0),
}


# ``applicant.age`` is the documented rule syntax (what risk officers write). rule-engine reads a dot on a mapping only
# through a deprecated fallback that its version 6 removes, so the dots on our two mappings are rewritten into
# ``applicant['age']`` before compiling; the stored expression stays as the officer wrote it.
_MAPPING_ATTRIBUTE = re.compile(r"\b(applicant|vehicle)\.([A-Za-z_][A-Za-z0-9_]*)\b")


def bracket_attributes(expression: str) -> str:
    """``applicant.age > 60`` → ``applicant['age'] > 60`` (only for the context's mapping values)."""
    return _MAPPING_ATTRIBUTE.sub(lambda m: f"{m.group(1)}['{m.group(2)}']", expression)


@lru_cache(maxsize=1)
def _rule_context() -> rule_engine.Context:
    return rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dict(CONTEXT_TYPES), mapping_attribute_lookup=False
    )


@lru_cache(maxsize=512)
def compile_expression(expression: str) -> rule_engine.Rule:
    """Parse an expression against the documented context; refuse it (422 naming ``expression``) otherwise."""
    try:
        rule = rule_engine.Rule(bracket_attributes(expression), context=_rule_context())
        rule.matches(SAMPLE_CONTEXT)  # catches unknown attributes such as applicant.agee
    except rule_engine.errors.EngineError as exc:
        raise errors.invalid_expression(getattr(exc, "message", str(exc))) from exc
    return rule


def rule_context(ctx: CheckContext) -> dict[str, Any]:
    app, customer, vehicle = ctx.application, ctx.customer, ctx.vehicle
    first_registration = vehicle.first_registration
    return {
        "applicant": {
            "age": ctx.age,
            "age_at_maturity": ctx.age_at_maturity,
            "kind": customer.kind,
            "monthly_income": customer.monthly_income,
            "credit_score": customer.credit_score,
            "grade": customer.grade_code,
        },
        "vehicle": {
            "powertrain": vehicle.powertrain,
            "condition": vehicle.condition,
            "used": vehicle.condition == "used",
            "use": vehicle.use,
            "mileage_km": vehicle.mileage_km,
            "age_years": 0 if first_registration is None else _age_on(first_registration, ctx.today),
        },
        "amount": app.amount,
        "price": app.price,
        "down_payment": app.down_payment,
        "down_payment_percent": quantize(app.down_payment / app.price * HUNDRED),
        "term": Decimal(app.term),
        "rate": app.rate,
        "ltv": quantize(ctx.ltv_percent),
        "method": app.method,
        "product": app.product_code,
        "channel": app.channel,
        "purpose": app.purpose,
        "has_co_borrower": app.co_borrower_id is not None,
        "guarantor_count": Decimal(len(app.guarantor_ids or [])),
    }


def rule_checks(ctx: CheckContext) -> list[CheckResult]:
    rules = (
        ctx.uow.session.execute(select(IntakeRule).where(IntakeRule.active.is_(True)).order_by(IntakeRule.code))
        .scalars()
        .all()
    )
    facts = rule_context(ctx)
    out: list[CheckResult] = []
    for rule in rules:
        try:
            matched = compile_expression(rule.expression).matches(facts)
        except (DomainError, rule_engine.errors.EngineError) as exc:
            message = exc.message.en if isinstance(exc, DomainError) else str(exc)
            out.append(
                CheckResult(
                    f"rule.{rule.code}",
                    REFER,
                    f"Rule {rule.code} could not be evaluated: {message}",
                    f"规则{rule.code}无法执行，请人工审核。",
                    {"version": rule.version},
                )
            )
            continue
        if matched:
            out.append(
                CheckResult(
                    f"rule.{rule.code}",
                    rule.outcome,
                    f"Rule {rule.name}: {rule.expression}",
                    f"命中规则“{rule.name}”：{rule.expression}",
                    {"version": rule.version, "expression": rule.expression},
                )
            )
    if not out:
        out.append(
            CheckResult(
                "rules",
                PASS,
                f"No intake rule matched ({len(rules)} active).",
                f"未命中进件规则（共{len(rules)}条生效）。",
            )
        )
    return out


register_check_provider("kyc", kyc_check, order=10)
register_check_provider("in_flight", in_flight_check, order=20)
register_check_provider("policy", policy_checks, order=30)
register_check_provider("rules", rule_checks, order=40)
