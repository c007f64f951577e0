"""Servicing events → ledger postings (``autofin.ledger.service.post_events``) in the same transaction.

The ledger knows nothing of loans: it receives an event type, a source and named amounts. Zero amounts are
dropped; an event whose amounts are all zero books nothing. A reversed repayment reverses its journal entry.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from autofin.kernel.actor import SYSTEM
from autofin.kernel.events import subscribe
from autofin.ledger import service as ledger
from autofin.servicing import events, reconciliation

POSTED = (events.LoanDisbursed, events.RepaymentAllocated, events.PrepaymentReceived, events.CreditBalanceCreated,
          events.InterestAccrued, events.PenaltyAccrued, events.ProvisionChanged, events.WaiverGranted,
          events.LoanWrittenOff)


def post(uow: Any, event: events.ServicingEvent) -> None:
    amounts = {k: v for k, v in event.amounts.items() if v != Decimal(0)}
    if not amounts:
        return
    dimensions = {"loan_id": event.loan_id} if event.loan_id is not None else {}
    ledger.post_event(uow, SYSTEM, ledger.PostingRequest(
        event_type=type(event).event_type, source_type="servicing", source_id=event.source,  # type: ignore[attr-defined]
        business_date=event.business_date, amounts=amounts, dimensions=dimensions))


def reverse(uow: Any, event: events.RepaymentReversed) -> None:
    """Reverse the journal entries of the original repayment (and of its credit balance, when one was booked)."""
    original = event.source.removesuffix(":reversal")
    for source_id in (original, f"{original}:credit"):
        entries, _count = ledger.list_entries(uow, SYSTEM, source_type="servicing", source_id=source_id)
        for entry in entries:
            if entry.reverses_entry_id is None:
                ledger.reverse_entry(uow, SYSTEM, entry.id, reason=f"repayment reversed ({event.source})",
                                     business_date=event.business_date)


for _event_type in POSTED:
    subscribe(_event_type, post)
subscribe(events.RepaymentReversed, reverse)
for _special_event in (events.LoanRestructured, events.DebtTransferred, events.RecoveryReceived):  # special/
    subscribe(_special_event, post)

# The ledger's month-end checklist and daily check compare the loan subledger with 1303, and the finance centre
# weights its average rate by servicing's loan balances.
ledger.register_subledger_check("servicing.loan_principal", reconciliation.principal_reconciliation)
ledger.register_rate_provider("servicing", reconciliation.loan_rates)

from autofin.servicing.payments import debit as _debit  # noqa: E402,F401 - direct debits settle on the bank's callback
from autofin.servicing.payments import refunds as _refunds  # noqa: E402,F401 - refunds settle on the bank's callback

subscribe(events.RefundPaid, post)
