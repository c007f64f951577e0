"""Intake rules are expressions over a documented context; bad ones are refused before they are stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autofin.kernel.errors import ValidationFailed
from autofin.origination import checks


def facts(**changes):
    context = {**checks.SAMPLE_CONTEXT, **changes}
    return context


@pytest.mark.parametrize(
    ("expression", "context", "matches"),
    [
        ("applicant.age > 60 and term > 36", facts(applicant={"age": 61}, term=Decimal(48)), True),
        ("applicant.age > 60 and term > 36", facts(applicant={"age": 61}, term=Decimal(36)), False),
        ("vehicle.used and ltv > 60", facts(vehicle={"used": True}, ltv=Decimal("65.5")), True),
        ("channel == 'partner' or amount >= 500000", facts(amount=Decimal(500000)), True),
        ("product == 'NEV-BALLOON' and vehicle.powertrain != 'bev'", facts(), False),
    ],
)
def test_rules_match_the_facts_they_describe(expression, context, matches):
    assert checks.compile_expression(expression).matches(context) is matches


@pytest.mark.parametrize("expression", ["term >", "nonsense_symbol == 1", "applicant.agee > 1", "amount == )"])
def test_expressions_the_parser_refuses_are_refused_naming_the_expression_field(expression):
    with pytest.raises(ValidationFailed) as refused:
        checks.compile_expression(expression)
    assert refused.value.errors[0].field == "expression"
    assert refused.value.code == "origination.rule.invalid_expression"


def test_the_worst_outcome_wins():
    results = [checks.CheckResult("a", "pass", "", ""), checks.CheckResult("b", "refer", "", "")]
    assert checks.worst(results) == "refer"
    assert checks.worst([*results, checks.CheckResult("c", "decline", "", "")]) == "decline"
    assert checks.worst([]) == "pass"


def test_the_built_in_providers_run_in_a_stable_order_and_more_can_plug_in():
    from autofin.origination.disbursing import credit_lines  # noqa: F401 - registers the drawdown check

    names = [name for name, _ in checks.providers()]
    assert names[:5] == ["kyc", "in_flight", "credit_line", "policy", "rules"]
    checks.register_check_provider("risk.fraud", lambda ctx: [], order=60)
    try:
        assert [name for name, _ in checks.providers()][-1] == "risk.fraud"
    finally:
        checks.unregister_check_provider("risk.fraud")


def test_the_documented_dot_syntax_is_read_without_the_deprecated_mapping_lookup():
    from autofin.origination.checks import bracket_attributes

    assert bracket_attributes("applicant.age > 60 and term > 36") == "applicant['age'] > 60 and term > 36"
    assert bracket_attributes("vehicle.used and ltv > 70") == "vehicle['used'] and ltv > 70"
    assert bracket_attributes("product == 'NEW-ANNUITY'") == "product == 'NEW-ANNUITY'"
