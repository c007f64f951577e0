"""The customer edit form sends only what changed, with the version the user saw, and never pre-fills masked data."""

from __future__ import annotations

from decimal import Decimal

from autofin.customers.console import edit_changes, edit_start_value, editable_fields

VIEW = {
    "kind": "individual", "name": "王五", "phone": "137****5678", "address": "南京市玄武区***",
    "marital_status": "single", "education": "本科", "employer": None, "occupation": None, "monthly_income": None,
    "masked": ["identity", "contact", "finance", "credit"], "version": 3,
}


def test_masked_values_start_empty_and_plain_ones_start_with_their_value():
    assert edit_start_value(VIEW, "phone") is None and edit_start_value(VIEW, "address") is None
    assert edit_start_value(VIEW, "monthly_income") is None
    assert edit_start_value(VIEW, "name") == "王五"
    revealed = {**VIEW, "masked": ["identity", "contact", "credit"], "monthly_income": Decimal("25000.00")}
    assert edit_start_value(revealed, "monthly_income") == "25000.00"


def test_only_changed_fields_are_sent_with_the_version_and_empty_keeps_the_stored_value():
    values = {"name": "王五", "phone": "13912345678", "address": "", "marital_status": "married", "education": "本科",
              "employer": "", "occupation": None, "monthly_income": ""}
    assert edit_changes(VIEW, values) == {"version": 3, "phone": "13912345678", "marital_status": "married"}
    assert edit_changes(VIEW, {"name": "王五"}) == {"version": 3}


def test_enterprises_edit_their_own_fields():
    enterprise = {**VIEW, "kind": "enterprise", "industry": "制造业", "registered_capital": None}
    assert "industry" in editable_fields(enterprise) and "employer" not in editable_fields(enterprise)
    assert edit_changes(enterprise, {"industry": "物流", "employer": "X"}) == {"version": 3, "industry": "物流"}
