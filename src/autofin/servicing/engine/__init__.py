"""The servicing engine, pure: a loan's state from its terms and its transactions (no database, no clock).

* ``replay(setup, transactions, as_of) -> LoanState`` — installments charged / paid / waived, each
  transaction's allocation, credit balance, days past due and the payoff on ``as_of``.
* ``LoanSetup(terms, interest_recalculation, advance_payment, penalty, allocation_order)``,
  ``PenaltySettings``, ``Transaction``.
* ``io.run_simulate(payload)`` — the ``autofin loan simulate`` contract (JSON in, JSON out).
"""

from .replay import (
    ADVANCE_PAYMENTS,
    TRANSACTION_TYPES,
    Applied,
    Line,
    LoanSetup,
    LoanState,
    Payoff,
    PenaltySettings,
    Row,
    Transaction,
    replay,
)

__all__ = [
    "ADVANCE_PAYMENTS",
    "TRANSACTION_TYPES",
    "Applied",
    "Line",
    "LoanSetup",
    "LoanState",
    "Payoff",
    "PenaltySettings",
    "Row",
    "Transaction",
    "replay",
]
