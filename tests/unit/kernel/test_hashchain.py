"""Hash chains: the row hash format is fixed (stored chains must keep verifying), and values become plain JSON."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum

import pytest

from autofin.kernel.hashchain import GENESIS_HASH, chain_hash, json_safe

CONTENT = {
    "sequence": 1,
    "occurred_at": "2026-11-24T09:30:00+00:00",
    "action": "vehicles.lien.register",
    "data": {"amount": "120000.00", "holder": "汽车金融有限公司", "notes": None, "tags": ["a", "b"]},
    "actor_name": "张三",
    "ok": True,
}
# Computed with the audit trail's and lien registry's own hashing before it moved here; never change these.
FIRST_HASH = "94ca1656bdcd55497b880c114fa80d944fac9aca014a1ee6205623120279d7d3"
SECOND_HASH = "1a131b489a9f49aad96137c71e74523d994ee418d7f6f5388ddfd8ab372ccccb"


class Colour(Enum):
    RED = "red"


class Status(StrEnum):
    ACTIVE = "active"


def test_the_first_row_links_to_sixty_four_zeros():
    assert GENESIS_HASH == "0" * 64


def test_a_fixed_content_always_hashes_to_the_same_pinned_value():
    assert chain_hash(GENESIS_HASH, CONTENT) == FIRST_HASH
    assert chain_hash(FIRST_HASH, CONTENT) == SECOND_HASH


def test_the_hash_does_not_depend_on_the_order_of_keys():
    reordered = dict(reversed(list(CONTENT.items())))
    assert chain_hash(GENESIS_HASH, reordered) == FIRST_HASH


def test_changing_the_content_or_the_previous_hash_changes_the_hash():
    assert chain_hash(GENESIS_HASH, {**CONTENT, "actor_name": "李四"}) != FIRST_HASH
    assert chain_hash("f" * 64, CONTENT) != FIRST_HASH


def test_content_that_is_not_plain_json_is_refused_rather_than_hashed_loosely():
    with pytest.raises(TypeError):
        chain_hash(GENESIS_HASH, {"amount": Decimal("1.00")})


def test_decimals_keep_their_exact_digits_as_strings():
    assert json_safe(Decimal("120000.00")) == "120000.00"
    assert json_safe(Decimal("-0.01")) == "-0.01"


def test_dates_and_datetimes_become_iso_8601():
    assert json_safe(date(2026, 11, 24)) == "2026-11-24"
    assert json_safe(datetime(2026, 11, 24, 9, 30, tzinfo=UTC)) == "2026-11-24T09:30:00+00:00"


def test_enums_become_their_values():
    assert json_safe(Colour.RED) == "red"
    assert json_safe(Status.ACTIVE) == "active"
    assert type(json_safe(Status.ACTIVE)) is str


def test_containers_are_converted_all_the_way_down():
    value = {1: [Decimal("2.50"), (date(2026, 1, 2), Colour.RED)], "nested": {"at": None, "flag": False}}
    assert json_safe(value) == {"1": ["2.50", ["2026-01-02", "red"]], "nested": {"at": None, "flag": False}}


def test_sets_become_lists_in_a_stable_order():
    assert json_safe({"b", "c", "a"}) == ["a", "b", "c"]
    assert json_safe(frozenset({Decimal("2"), Decimal("10")})) == ["10", "2"]


def test_plain_values_are_returned_unchanged():
    for value in ("文本", 7, 1.5, True, None):
        assert json_safe(value) == value
