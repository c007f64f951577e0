"""Parameter values parse as their type, and resolution picks the most specific scope in effect on a date."""

from datetime import date
from decimal import Decimal

import pytest

from autofin.kernel.errors import ValidationFailed
from autofin.platform.config_center import ParameterEntry, canonical_value, resolve, typed_value
from autofin.platform.job_runner import parse_cron


@pytest.mark.parametrize(
    ("value_type", "raw", "stored", "typed"),
    [
        ("decimal", "0.06", "0.06", Decimal("0.06")),
        ("decimal", "1E-2", "0.01", Decimal("0.01")),
        ("decimal", 3, "3", Decimal("3")),
        ("integer", "3", "3", 3),
        ("integer", 65, "65", 65),
        ("boolean", True, "true", True),
        ("boolean", "no", "false", False),
        ("date", "2025-05-20", "2025-05-20", date(2025, 5, 20)),
        ("json", {"b": 1, "a": ["x"]}, '{"a":["x"],"b":1}', {"a": ["x"], "b": 1}),
        ("json", '{"used": "0.70"}', '{"used":"0.70"}', {"used": "0.70"}),
        ("string", "08:00", "08:00", "08:00"),
    ],
)
def test_a_value_is_stored_canonically_and_read_back_as_its_type(value_type, raw, stored, typed):
    assert canonical_value(value_type, raw) == stored
    assert typed_value(value_type, stored) == typed


def test_decimals_come_back_exact_never_as_float():
    value = typed_value("decimal", canonical_value("decimal", "0.1"))
    assert isinstance(value, Decimal) and value + value + value == Decimal("0.3")


@pytest.mark.parametrize(
    ("value_type", "raw"),
    [
        ("decimal", 0.06),  # a float: decimals must travel as strings
        ("decimal", "six percent"),
        ("decimal", "NaN"),
        ("integer", "3.5"),
        ("integer", True),
        ("boolean", "maybe"),
        ("date", "2025-02-30"),
        ("json", "{not json"),
        ("string", 42),
    ],
)
def test_a_value_that_does_not_parse_as_its_type_is_refused_on_the_value_field(value_type, raw):
    with pytest.raises(ValidationFailed) as caught:
        canonical_value(value_type, raw)
    assert caught.value.code == "platform.parameter.invalid_value"
    assert [e.field for e in caught.value.errors] == ["value"]
    assert caught.value.errors[0].message.zh


def _entry(version, value, scope="global", scope_value="", start=date(2025, 1, 1), end=None):
    return ParameterEntry("risk.max_dti", version, "decimal", scope, scope_value, Decimal(value), start, end)


GLOBAL_ONLY = [("global", "")]


def test_the_latest_start_date_in_effect_wins_and_earlier_dates_see_the_older_value():
    entries = (_entry(1, "3.1", start=date(2024, 10, 21)), _entry(2, "3.0", start=date(2025, 5, 20)))
    assert resolve(entries, date(2025, 5, 19), GLOBAL_ONLY).value == Decimal("3.1")
    assert resolve(entries, date(2025, 5, 20), GLOBAL_ONLY).value == Decimal("3.0")
    assert resolve(entries, date(2024, 1, 1), GLOBAL_ONLY) is None


def test_a_correction_of_an_old_entry_does_not_override_a_later_one():
    entries = (
        _entry(1, "3.1", start=date(2024, 10, 21)),
        _entry(2, "3.0", start=date(2025, 5, 20)),
        _entry(3, "3.15", start=date(2024, 10, 21)),  # corrects version 1
    )
    assert resolve(entries, date(2025, 1, 1), GLOBAL_ONLY).value == Decimal("3.15")
    assert resolve(entries, date(2025, 6, 1), GLOBAL_ONLY).value == Decimal("3.0")


def test_a_temporary_value_ends_and_the_standing_one_shows_again():
    entries = (_entry(1, "0.55"), _entry(2, "0.50", start=date(2025, 3, 1), end=date(2025, 3, 31)))
    assert resolve(entries, date(2025, 3, 31), GLOBAL_ONLY).value == Decimal("0.50")
    assert resolve(entries, date(2025, 4, 1), GLOBAL_ONLY).value == Decimal("0.55")


def test_ending_an_entry_with_a_new_version_retires_it_for_good():
    entries = (_entry(1, "0.55"), _entry(2, "0.55", end=date(2025, 6, 30)))
    assert resolve(entries, date(2025, 6, 30), GLOBAL_ONLY) is not None
    assert resolve(entries, date(2025, 7, 1), GLOBAL_ONLY) is None


def test_the_most_specific_scope_in_effect_wins():
    entries = (
        _entry(1, "0.55"),
        _entry(2, "0.50", scope="region", scope_value="310000"),
        _entry(3, "0.45", scope="product", scope_value="NEW01"),
        _entry(4, "0.40", scope="channel", scope_value="DEALER9", start=date(2026, 1, 1)),
    )
    everything = [("channel", "DEALER9"), ("product", "NEW01"), ("region", "310000"), ("global", "")]
    assert resolve(entries, date(2026, 1, 1), everything).value == Decimal("0.40")
    assert resolve(entries, date(2025, 12, 31), everything).value == Decimal("0.45")  # channel not yet in effect
    assert resolve(entries, date(2025, 12, 31), [("region", "310000"), ("global", "")]).value == Decimal("0.50")
    assert resolve(entries, date(2025, 12, 31), [("region", "440000"), ("global", "")]).value == Decimal("0.55")


@pytest.mark.parametrize("cron", ["0 2 * * *", "*/5 * * * *", "17 * * * 1-5"])
def test_five_field_crontabs_are_accepted(cron):
    assert parse_cron(cron) is not None


@pytest.mark.parametrize("cron", ["every day", "0 25 * * *", "* * * *", "0 2 * * * *"])
def test_malformed_crontabs_are_refused_on_the_cron_field(cron):
    with pytest.raises(ValidationFailed) as caught:
        parse_cron(cron)
    assert caught.value.code == "platform.job.invalid_cron" and caught.value.errors[0].field == "cron"
