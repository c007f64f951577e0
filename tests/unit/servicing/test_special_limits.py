"""贷款通则 art. 12 extension limits as a table: the category of the original term and the months allowed."""

from __future__ import annotations

import pytest

from autofin.servicing.special.service import extension_limit


@pytest.mark.parametrize(("original_months", "category", "allowed"), [
    (6, "short", 6), (12, "short", 12),            # short-term: up to the original term
    (13, "medium", 6), (24, "medium", 12), (36, "medium", 18), (60, "medium", 30),  # medium: half
    (61, "long", 36), (120, "long", 36),           # long-term: three years
])
def test_extension_limits_follow_the_general_rules_for_loans(original_months: int, category: str,
                                                            allowed: int) -> None:
    assert extension_limit(original_months) == (category, allowed)
