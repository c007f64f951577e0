"""The ``autofin calc`` commands: JSON in, JSON out, exit code 2 and one line naming the field on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from autofin.calc.cli import app

runner = CliRunner()

KNOWN = {"principal": "5000", "annual_rate": "12", "term": 18, "disbursement_date": "2022-11-01",
         "method": "annuity", "interest_period": "per_period", "installment_multiple": "1"}


def run(command: str, payload: Any) -> Any:
    result = runner.invoke(app, [command, "-"], input=json.dumps(payload))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_schedule_command_prints_the_known_annuity_schedule() -> None:
    out = run("schedule", KNOWN)
    assert [row["total"] for row in out["installments"][:17]] == ["305.00"] * 17
    assert out["installments"][17] | {} == {"number": 18, "due_date": "2024-05-01", "principal": "300.22",
                                            "interest": "3.00", "fees": "0.00", "total": "303.22",
                                            "balance": "0.00"}
    assert out["totals"] == {"principal": "5000.00", "interest": "488.22", "fees": "0.00", "total": "5488.22"}
    assert set(out["annualized_rate"]) == {"simple", "compound"}


def test_schedule_command_reads_a_file_and_answers_an_array_in_order(tmp_path: Any) -> None:
    path = tmp_path / "loans.json"
    path.write_text(json.dumps([KNOWN, KNOWN | {"method": "equal_principal", "installment_multiple": None}]))
    result = runner.invoke(app, ["schedule", str(path)])
    assert result.exit_code == 0
    first, second = json.loads(result.stdout)
    assert first["totals"]["interest"] == "488.22"
    assert second["totals"]["interest"] == "475.00"


def test_apr_command_gives_the_regulation_z_example_9_69() -> None:
    payments = [{"date": f"{1978 + (k + 1) // 12}-{(k + 1) % 12 + 1:02d}-10", "amount": "230"} for k in range(24)]
    out = run("apr", {"method": "us-reg-z", "advances": [{"date": "1978-01-10", "amount": "5000"}],
                      "payments": payments})
    assert out["apr"] == "9.69"


def test_apr_command_gives_the_pboc_example_with_its_fee() -> None:
    payments = [{"date": f"2021-{m:02d}-01", "amount": "8833.30"} for m in range(2, 13)]
    payments.append({"date": "2022-01-01", "amount": "8833.30"})
    out = run("apr", {"method": "pboc", "advances": [{"date": "2021-01-01", "amount": "100000"}],
                      "payments": payments, "fees": "1000"})
    assert (out["apr"], out["compound"]) == ("12.80", "13.58")


def test_payoff_command_on_the_disbursement_date_returns_the_principal() -> None:
    out = run("payoff", KNOWN | {"as_of": "2022-11-01", "payments_made": []})
    assert out == {"as_of": "2022-11-01", "principal": "5000.00", "interest": "0.00", "fees": "0.00",
                   "penalties": "0.00", "prepayment_fee": "0.00", "total": "5000.00"}


def test_payoff_command_after_the_first_installment_owes_the_balance_and_accrued_interest() -> None:
    out = run("payoff", KNOWN | {"as_of": "2022-12-16", "payments_made": [{"date": "2022-12-01",
                                                                            "amount": "305.00"}]})
    assert out["principal"] == "4745.00"
    assert out["interest"] == "22.96"  # 4,745 × 1 % × 15 of 31 days


BAD_SCHEDULES = [
    ({"principal": "-100"}, "principal"),
    ({"principal": "0"}, "principal"),
    ({"annual_rate": "101"}, "annual_rate"),
    ({"annual_rate": "-1"}, "annual_rate"),
    ({"term": 0}, "term"),
    ({"method": "balloonish"}, "method"),
    ({"disbursement_date": "2023-02-30"}, "disbursement_date"),
    ({"first_due_date": "2022-10-01"}, "first_due_date"),
    ({"grace_on_principal": 18}, "grace_on_principal"),
    ({"grace_on_interest_payment": 20}, "grace_on_interest_payment"),
    ({"grace_on_interest_charged": 18}, "grace_on_interest_charged"),
    ({"frequency": "daily"}, "frequency"),
    ({"day_count": "actual/364"}, "day_count"),
]


@pytest.mark.parametrize(("change", "field"), BAD_SCHEDULES)
def test_schedule_command_refuses_bad_input_with_exit_2_naming_the_field(change: dict[str, Any], field: str) -> None:
    result = runner.invoke(app, ["schedule", "-"], input=json.dumps(KNOWN | change))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {field}: ")
    assert result.stdout == ""


def test_schedule_command_names_the_position_of_a_bad_loan_in_an_array() -> None:
    result = runner.invoke(app, ["schedule", "-"], input=json.dumps([KNOWN, KNOWN | {"term": 0}]))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: [1].term: term must be a whole number of installments from 1")


def test_apr_command_refuses_an_unknown_method_with_exit_2() -> None:
    result = runner.invoke(app, ["apr", "-"], input=json.dumps({"method": "eu", "advances": [], "payments": []}))
    assert result.exit_code == 2
    assert "error: method: " in result.stderr and "pboc or us-reg-z" in result.stderr


def test_payoff_command_refuses_an_impossible_as_of_date_with_exit_2() -> None:
    result = runner.invoke(app, ["payoff", "-"], input=json.dumps(KNOWN | {"as_of": "2023-13-01"}))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: as_of: ")


def test_commands_refuse_text_that_is_not_json_with_exit_2() -> None:
    result = runner.invoke(app, ["schedule", "-"], input="{principal: 5000")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: input: the input is not valid JSON")
