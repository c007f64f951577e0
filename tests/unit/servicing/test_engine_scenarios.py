"""Scenario tables for the servicing engine: 12,000 at 12 % over 12 months from 2025-01-15 (EMI 1,066.19).

Installment 1: interest 120.00, principal 946.19; installment 2: 110.54 / 955.65; installment 3: 100.98 / 965.21.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from autofin.calc import LoanTerms
from autofin.kernel.errors import ValidationFailed
from autofin.servicing.engine import LoanSetup, PenaltySettings, Transaction, replay

D = Decimal
TERMS = LoanTerms(D("12000"), D("12"), 12, date(2025, 1, 15))
EMI = D("1066.19")


def pay(on: str, amount: str | Decimal, kind: str = "repayment", reversed_: bool = False) -> Transaction:
    return Transaction(date.fromisoformat(on), kind, D(amount), reversed_)  # type: ignore[arg-type]


def total_interest(state) -> Decimal:  # type: ignore[no-untyped-def]
    return sum((r.interest for r in state.rows), D(0))


@pytest.mark.parametrize("recalculation", [False, True])
def test_on_time_payments_follow_the_schedule_in_both_modes(recalculation: bool) -> None:
    payments = [pay("2025-02-15", EMI), pay("2025-03-15", EMI), pay("2025-04-15", EMI)]
    state = replay(LoanSetup(TERMS, recalculation), payments, date(2025, 4, 15))
    assert [r.interest for r in state.rows[:4]] == [D("120.00"), D("110.54"), D("100.98"), D("91.33")]
    assert state.days_past_due == 0
    assert state.principal_outstanding == D("12000") - D("946.19") - D("955.65") - D("965.21")


def test_a_late_payment_costs_penalty_and_under_recalculation_more_interest() -> None:
    payments = [pay("2025-02-15", EMI), pay("2025-03-25", EMI)]
    fixed = replay(LoanSetup(TERMS, False), payments, date(2025, 4, 15))
    recalculated = replay(LoanSetup(TERMS, True), payments, date(2025, 4, 15))
    # penalty: 955.65 overdue 10 days at 18 % (1.5 × 12 %) / 360 = 4.78, then 4.78 of principal 21 days more
    assert fixed.rows[1].penalty == recalculated.rows[1].penalty == D("4.83")
    assert fixed.rows[2].interest == D("100.98")
    assert recalculated.rows[2].interest == D("104.10")  # installment 2's principal stayed out 10 days longer


def test_an_early_payment_costs_less_interest_only_under_recalculation() -> None:
    payments = [pay("2025-02-05", EMI)]
    fixed = replay(LoanSetup(TERMS, False), payments, date(2025, 3, 15))
    recalculated = replay(LoanSetup(TERMS, True), payments, date(2025, 3, 15))
    assert fixed.rows[0].interest == D("120.00")
    assert recalculated.rows[0].interest == D("81.29")  # 12,000 × 1 % × 21/31 days: paid off on day 21
    assert recalculated.rows[0].principal == EMI - D("81.29")  # the installment keeps its amount (the EMI)
    assert total_interest(recalculated) < total_interest(fixed)
    assert recalculated.rows[0].owed("principal") == 0 and recalculated.rows[0].owed("interest") == 0


def test_under_recalculation_principal_is_the_emi_less_the_interest_and_never_less_than_paid() -> None:
    # 1,000 on 5 February is not enough to pay installment 1 off: it repays principal of installments 1 and 2 now
    state = replay(LoanSetup(TERMS, True), [pay("2025-02-05", "1000")], date(2025, 2, 15))
    first, second = state.rows[0], state.rows[1]
    assert first.paid["principal"] == D("946.19") and second.paid["principal"] == D("53.81")
    # installment 1: 12,000 for 21 days and 11,000 for 10 days (81.29 + 35.48); its principal = EMI − 116.77
    assert (first.interest, first.principal) == (D("116.77"), D("949.42"))
    assert first.owed("principal") + first.owed("interest") == EMI - D("946.19")
    assert second.principal + second.interest == EMI and second.principal >= second.paid["principal"]
    assert sum((r.principal for r in state.rows), D(0)) == D("12000")


def test_a_partial_payment_leaves_the_installment_overdue_and_counts_days_past_due() -> None:
    state = replay(LoanSetup(TERMS), [pay("2025-02-15", "500")], date(2025, 3, 1))
    first = state.rows[0]
    assert first.paid["interest"] == D("120.00") and first.paid["principal"] == D("380.00")
    assert first.owed("principal") == D("566.19")
    assert state.days_past_due == 14


@pytest.mark.parametrize(
    ("strategy", "count", "third"),
    [("reduce_term", 8, EMI), ("reduce_installment", 12, D("645.01")), ("reschedule_next", 12, EMI)],
)
def test_a_prepayment_under_recalculation_follows_the_advance_payment_strategy(
    strategy: str, count: int, third: Decimal
) -> None:
    payments = [pay("2025-02-15", EMI), pay("2025-03-01", "5000", "prepayment")]
    state = replay(LoanSetup(TERMS, True, strategy), payments, date(2025, 3, 1))  # type: ignore[arg-type]
    # the running installment 2 is paid off first with the interest earned to 1 March (55.27 = 110.54 × 14/28)
    assert state.rows[1].interest == D("55.27") and state.rows[1].total_owed == 0
    assert state.rows[1].principal == EMI - D("55.27")  # closed early: the EMI less the interest earned
    assert len(state.rows) == count
    assert state.rows[2].total == third
    # every later installment but the last keeps the (re-amortised) amount, whatever its recalculated interest
    assert {r.principal + r.interest for r in state.rows[2:-1]} == {third}
    assert state.principal_outstanding == D("12000") - D("946.19") - D("5000") + D("55.27")


def test_reduce_term_ends_sooner_and_reduce_installment_lowers_the_payment_in_fixed_mode() -> None:
    payments = [pay("2025-02-15", EMI), pay("2025-03-01", "5000", "prepayment")]
    term = replay(LoanSetup(TERMS, False, "reduce_term"), payments, date(2025, 3, 1))
    installment = replay(LoanSetup(TERMS, False, "reduce_installment"), payments, date(2025, 3, 1))
    assert len(term.rows) == 7 and term.rows[1].total == EMI
    assert len(installment.rows) == 12 and installment.rows[1].total == D("586.31")
    # 4,975.12 principal + 24.88 interest the prepaid principal earned from 15 Feb to 1 Mar = 5,000
    assert term.applied[1].bucket_total("principal") == D("4975.12")
    assert term.applied[1].bucket_total("interest") == D("24.88")


def test_a_reversed_payment_is_left_out_and_later_payments_are_reapplied() -> None:
    payments = [pay("2025-02-15", EMI, reversed_=True), pay("2025-03-15", EMI)]
    state = replay(LoanSetup(TERMS), payments, date(2025, 3, 15))
    assert state.applied[0].lines == ()
    second = state.applied[1]
    assert {line.installment for line in second.lines} == {1}  # now pays the oldest installment
    assert state.rows[0].penalty > 0
    assert state.rows[1].owed("principal") == D("955.65")


def test_an_overpayment_settles_the_loan_and_leaves_a_credit_balance() -> None:
    state = replay(LoanSetup(TERMS), [pay("2025-02-15", "20000")], date(2025, 2, 15))
    assert state.settled
    assert state.credit == D("20000") - D("12000") - D("120.00")
    assert state.payoff.total == 0


def test_a_waiver_removes_penalty_before_interest_and_a_fee_is_charged_to_the_next_installment() -> None:
    payments = [pay("2025-03-01", "50", "fee"), pay("2025-03-20", "1", "waiver")]
    state = replay(LoanSetup(TERMS, penalty=PenaltySettings(D("18"))), payments, date(2025, 3, 20))
    assert state.rows[1].fees == D("50")
    assert state.applied[1].lines[0].bucket == "penalty"


def test_compound_interest_accrues_on_overdue_interest_when_enabled() -> None:
    plain = replay(LoanSetup(TERMS, penalty=PenaltySettings(D("18"))), [], date(2025, 3, 15))
    compound = replay(LoanSetup(TERMS, penalty=PenaltySettings(D("18"), True)), [], date(2025, 3, 15))
    # 946.19 × 18 % × 28/360 = 13.25; + 120.00 × 18 % × 28/360 = 1.68
    assert plain.rows[0].penalty == D("13.25")
    assert compound.rows[0].penalty == D("14.93")


def test_payoff_on_a_date_includes_interest_accrued_in_the_running_period() -> None:
    state = replay(LoanSetup(TERMS), [pay("2025-02-15", EMI)], date(2025, 3, 1))
    assert state.payoff.principal == D("11053.81")
    assert state.payoff.interest == D("55.27")  # 110.54 × 14/28 days


def test_bad_setup_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as error:
        LoanSetup(LoanTerms(D("1000"), D("12"), 3, date(2025, 1, 1), method="flat"), True)
    assert error.value.errors[0].field == "interest_recalculation"


def _simulate(payload: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autofin.cli", "loan", "simulate", "-"], input=json.dumps(payload),
                          capture_output=True, text=True, check=False)


def test_the_simulate_command_prints_installments_allocations_and_payoff() -> None:
    from autofin.calc import io as calc_io
    from autofin.servicing.engine import io

    result = io.run_simulate(calc_io.load_json(json.dumps({
        "principal": "12000", "annual_rate": "12", "term": 12, "disbursement_date": "2025-01-15",
        "interest_recalculation": True, "advance_payment": "reduce_term", "penalty": {"rate": "18"},
        "transactions": [{"date": "2025-02-15", "type": "repayment", "amount": "1066.19"}], "as_of": "2025-03-01"})))
    assert result["installments"][0]["status"] == "paid"
    assert result["installments"][0]["outstanding"] == "0.00"
    assert result["transactions"][0]["allocation"]["principal"] == "946.19"
    assert result["payoff"]["principal"] == "11053.81"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"advance_payment": "later"}, "advance_payment"), ({"as_of": "2025-02-30"}, "as_of"),
     ({"transactions": [{"date": "2025-02-01", "type": "refund", "amount": "1"}]}, "transactions[0].type"),
     ({"penalty": {"rate": "x"}}, "penalty.rate"), ({"colour": 1}, "colour")],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(change: dict[str, object], field: str) -> None:
    payload = {"principal": "1000", "annual_rate": "12", "term": 3, "disbursement_date": "2025-01-01",
               "as_of": "2025-02-01", **change}
    completed = subprocess.run([sys.executable, "-c", "from autofin.cli import app; app()", "loan", "simulate", "-"],
                               input=json.dumps(payload), capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0
    assert completed.stderr.startswith(f"error: {field}:")
