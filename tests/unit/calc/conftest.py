"""Shared builders for the loan-maths tests: terms with sensible defaults, written with strings for money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from autofin.calc import LoanTerms


def make_terms(**overrides: Any) -> LoanTerms:
    values: dict[str, Any] = {
        "principal": Decimal("5000"),
        "annual_rate": Decimal("12"),
        "term": 18,
        "disbursement_date": date(2022, 11, 1),
    }
    values.update(overrides)
    for key in ("principal", "annual_rate", "installment_multiple", "balloon", "penalty_rate",
                "prepayment_fee_percent", "compound_rate"):
        if isinstance(values.get(key), str):
            values[key] = Decimal(values[key])
    return LoanTerms(**values)


@pytest.fixture
def terms_of() -> Any:
    return make_terms
