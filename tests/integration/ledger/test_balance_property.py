"""Property: whatever balanced events are posted, in any order, assets = liabilities + equity, and the trial
balance balances (on the database, through the service and the daily balances)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.kernel.actor import SYSTEM
from autofin.ledger import checks, service, statements

from .conftest import request

AMOUNT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
EVENTS = st.one_of(
    st.tuples(st.just("capital.contributed"), st.fixed_dictionaries({"amount": AMOUNT})),
    st.tuples(st.just("loan.disbursed"), st.fixed_dictionaries({"principal": AMOUNT})),
    st.tuples(st.just("interest.accrued"), st.fixed_dictionaries({"interest": AMOUNT})),
    st.tuples(st.just("penalty.accrued"), st.fixed_dictionaries({"penalty": AMOUNT})),
    st.tuples(st.just("fee.charged"), st.fixed_dictionaries({"fee": AMOUNT})),
    st.tuples(st.just("repayment.allocated"), st.fixed_dictionaries({"principal": AMOUNT, "interest": AMOUNT})),
    st.tuples(st.just("provision.changed"), st.fixed_dictionaries({"change": AMOUNT.map(lambda a: -a) | AMOUNT})),
    st.tuples(st.just("loan.written_off"), st.fixed_dictionaries({"overdue_principal": AMOUNT})),
    st.tuples(st.just("recovery.received"), st.fixed_dictionaries({"amount": AMOUNT})),
    st.tuples(st.just("debt.transferred"), st.fixed_dictionaries({"consideration": AMOUNT, "principal": AMOUNT})),
    st.tuples(st.just("waiver.granted"), st.fixed_dictionaries({"interest": AMOUNT})),
)
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(EVENTS, DAYS), min_size=1, max_size=12), st.booleans())
def test_any_sequence_of_postings_keeps_the_balance_sheet_balanced(app_ctx, events, cash_basis):
    with app_ctx.uow() as uow:
        if cash_basis != (service.ledger_config(uow).basis.value == "cash"):
            service.set_setting(uow, SYSTEM, "basis", "cash" if cash_basis else "accrual")
        requests = [
            request(event_type, day, **{k: str(v) for k, v in amounts.items()}) for (event_type, amounts), day in events
        ]
        service.post_events(uow, SYSTEM, requests)
        uow.commit()
    with app_ctx.uow() as uow:
        for day in sorted({day for _event, day in events}):
            assert checks.balance_sheet_errors(statements.build_balance_sheet(uow, day)) == []
            assert checks.trial_balance_errors(statements.build_trial_balance(uow, service.period_of(day))) == []
