"""Which configured end-of-day steps run together: consecutive installment steps make one pass."""

from __future__ import annotations

import pytest

from autofin.servicing.eod.steps import STEPS, passes


@pytest.mark.parametrize(("names", "expected"), [
    (list(STEPS), [("mark_overdue", "penalty", "interest_accrual"), ("delinquency",), ("classification",),
                   ("direct_debit",), ("warnings",), ("postings",), ("subledger_check",)]),
    (["mark_overdue", "interest_accrual", "postings"], [("mark_overdue", "interest_accrual"), ("postings",)]),
    (["penalty"], [("penalty",)]),
    (["delinquency", "classification"], [("delinquency",), ("classification",)]),
    ([], []),
])
def test_consecutive_installment_steps_form_one_pass_and_every_other_step_its_own(
        names: list[str], expected: list[tuple[str, ...]]) -> None:
    assert passes(names) == expected
