"""The products console's pure helpers: the draft form's values become a VersionUpdate (bad numbers name their
field), and the LTV chart draws one step line per key that runs past today when the row is open-ended."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from autofin.kernel.clock import utcnow
from autofin.kernel.errors import ValidationFailed
from autofin.products.console import ltv_chart_options, version_update

VALUES = {
    "name": "", "conditions": ["new"], "powertrains": ["nev"], "uses": ["self"], "methods": ["annuity"],
    "terms": [24, 12], "max_term": 36.0, "rate_min": "3", "rate_max": "12", "rate_default": "6.5",
    "penalty_rate": "9", "grace_days": 3.0, "allocation_order": "default", "prepayment_after_months": 6.0,
    "prepayment_fee_percent": "2", "min_down_payment_percent": "20", "max_ltv_percent": "",
    "max_balloon_percent": "", "min_age": 18.0, "max_age": 65.0,
}


def test_the_draft_form_becomes_a_version_update_with_numbers_and_fees():
    fees = [{"name": "GPS费", "basis": "amount", "value": "1,200", "timing": "upfront", "treatment": "paid"},
            {"name": "服务费", "basis": "percent", "value": "1.5", "timing": "per_installment", "treatment": "paid"}]
    update = version_update(VALUES, fees, 4)
    assert update.version == 4 and update.name is None
    assert (update.max_term, update.grace_days, update.terms) == (36, 3, [24, 12])
    assert update.rate_default == Decimal("6.5") and update.max_ltv_percent is None
    assert (update.fees[0].amount, update.fees[0].percent) == (Decimal("1200"), None)
    assert (update.fees[1].amount, update.fees[1].percent) == (None, Decimal("1.5"))


@pytest.mark.parametrize(("name", "value"), [("rate_default", "six"), ("grace_days", 2.5), ("max_term", "")])
def test_a_bad_number_names_its_field(name, value):
    with pytest.raises(ValidationFailed) as caught:
        version_update({**VALUES, name: value}, [], 1)
    assert caught.value.errors[0].field == name


def test_a_bad_fee_amount_names_the_fee():
    with pytest.raises(ValidationFailed) as caught:
        version_update(VALUES, [{"name": "x", "basis": "amount", "value": "abc", "timing": "upfront",
                                 "treatment": "paid"}], 1)
    assert caught.value.errors[0].field == "fees.0"


def test_the_ltv_chart_has_a_step_line_per_key_and_open_rows_run_past_today():
    caps = [
        SimpleNamespace(use="self", powertrain="nev", condition="new", effective_from=date(2018, 1, 1),
                        effective_to=date(2024, 3, 31), cap_percent=Decimal("85")),
        SimpleNamespace(use="self", powertrain="nev", condition="new", effective_from=date(2024, 4, 1),
                        effective_to=None, cap_percent=Decimal("100")),
        SimpleNamespace(use="commercial", powertrain="nev", condition="new", effective_from=date(2018, 1, 1),
                        effective_to=None, cap_percent=Decimal("40")),
    ]
    options = ltv_chart_options(caps, lambda c: f"{c.use}/{c.powertrain}/{c.condition}")
    lines = {s["name"]: s["data"] for s in options["series"]}
    assert lines["self/nev/new"][:3] == [["2018-01-01", "85"], ["2024-03-31", "85"], ["2024-04-01", "100"]]
    assert date.fromisoformat(lines["self/nev/new"][3][0]) > utcnow().date() + timedelta(days=30)
    assert all(s["step"] == "end" for s in options["series"])
    assert options["yAxis"]["min"] == 40  # low enough to show the lowest cap
