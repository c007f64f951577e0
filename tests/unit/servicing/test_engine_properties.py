"""Properties of the engine: a payment is allocated exactly, no balance goes negative, reversal = never paid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from autofin.calc import LoanTerms
from autofin.servicing.engine import LoanSetup, Transaction, replay

TERMS = LoanTerms(Decimal("12000"), Decimal("12"), 12, date(2025, 1, 15))
START = date(2025, 1, 15)

transactions = st.lists(
    st.tuples(st.integers(0, 420), st.sampled_from(["repayment", "prepayment", "fee", "waiver"]),
              st.integers(1, 800_000)),
    max_size=8,
)


@settings(max_examples=60)
@given(transactions, st.booleans(), st.sampled_from(["reduce_installment", "reduce_term", "reschedule_next"]))
def test_allocations_add_up_to_each_payment_and_no_balance_is_negative(
    items: list[tuple[int, str, int]], recalculation: bool, strategy: str
) -> None:
    txs = [Transaction(START + timedelta(days=d), kind, Decimal(cents) / 100) for d, kind, cents in items]  # type: ignore[arg-type]
    state = replay(LoanSetup(TERMS, recalculation, strategy), txs, START + timedelta(days=430))  # type: ignore[arg-type]
    for applied in state.applied:
        allocated = sum((line.amount for line in applied.lines), Decimal(0))
        if applied.transaction.type in ("repayment", "prepayment"):
            assert allocated + applied.credit == applied.transaction.amount
        if applied.transaction.type == "waiver":
            assert allocated + applied.unapplied == applied.transaction.amount
    for row in state.rows:
        for bucket in ("principal", "interest", "fees", "penalty"):
            assert row.owed(bucket) >= 0, (row.number, bucket)
    assert state.credit >= 0
    prepaid = sum((line.amount for a in state.applied for line in a.lines
                   if line.installment is None and line.bucket == "principal"), Decimal(0))
    assert sum((row.principal for row in state.rows), Decimal(0)) + prepaid == Decimal("12000")
    if recalculation:  # equal installments keep their amount: principal = EMI − interest (last: what is left)
        for index, row in enumerate(state.rows[:-1]):
            floor = row.paid["principal"] + row.waived["principal"]
            later_at_floor = all(r.owed("principal") == 0 for r in state.rows[index + 1:])
            assert (row.principal + row.interest == row.level or row.principal in (0, floor) or later_at_floor), row


@settings(max_examples=30)
@given(transactions, st.booleans())
def test_a_reversed_transaction_leaves_the_loan_as_if_it_never_happened(
    items: list[tuple[int, str, int]], recalculation: bool
) -> None:
    txs = [Transaction(START + timedelta(days=d), kind, Decimal(cents) / 100) for d, kind, cents in items]  # type: ignore[arg-type]
    extra = Transaction(START + timedelta(days=40), "repayment", Decimal("777.77"), reversed=True)
    as_of = START + timedelta(days=430)
    with_reversal = replay(LoanSetup(TERMS, recalculation), [*txs, extra], as_of)
    without = replay(LoanSetup(TERMS, recalculation), txs, as_of)
    assert with_reversal.payoff == without.payoff
