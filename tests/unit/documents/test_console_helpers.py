"""Pure helpers of the issue-4 console pages (documents widget, product quote, customer labels)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autofin.customers.console import label_of, shown
from autofin.documents.console import content_url, human_size, kind_label
from autofin.kernel.errors import ValidationFailed
from autofin.products.console import money, parse_money, pct, schedule_chart_options


def test_sizes_read_like_a_person_would_say_them() -> None:
    assert human_size(483) == "483 B"
    assert human_size(2048) == "2.0 KB"
    assert human_size(10 * 1024 * 1024) == "10.0 MB"


def test_a_preview_comes_from_the_console_content_route() -> None:
    assert content_url(12) == "/console/documents/12/content"


def test_kinds_and_codes_are_shown_in_chinese_by_default_and_unknown_codes_as_they_are() -> None:
    assert kind_label("id_photo") == "身份证照片"
    assert kind_label("mystery") == "mystery"
    assert label_of("customers.kind", "individual") == "个人"
    assert label_of("customers.kind", None) == "—"


def test_values_of_a_customer_file_are_shown_plainly() -> None:
    assert shown(None) == "—"
    assert shown(date(1991, 7, 12)) == "1991-07-12"
    assert shown({"revenue": "100"}) == "revenue: 100"


def test_rates_drop_trailing_zeros_and_amounts_keep_two_decimals() -> None:
    assert pct(Decimal("6.1700")) == "6.17%"
    assert pct(Decimal("100")) == "100%"
    assert pct(None) == "—"
    assert money(Decimal("140000")) == "140,000.00"


def test_an_amount_typed_with_commas_is_understood_and_nonsense_names_its_field() -> None:
    assert parse_money("200,000.00", "price") == Decimal("200000.00")
    with pytest.raises(ValidationFailed) as refused:
        parse_money("abc", "down_payment")
    assert [e.field for e in refused.value.errors] == ["down_payment"]
    with pytest.raises(ValidationFailed):
        parse_money("NaN", "price")


def test_the_schedule_chart_stacks_principal_and_interest_per_installment_without_floats() -> None:
    lines = [{"number": 1, "principal": Decimal("3559.07"), "interest": Decimal("700.00")},
             {"number": 2, "principal": Decimal("3576.87"), "interest": Decimal("682.20")}]
    options = schedule_chart_options(lines, "本金", "利息")
    assert options["xAxis"]["data"] == ["1", "2"]
    principal, interest = options["series"]
    assert principal["data"] == ["3559.07", "3576.87"] and interest["data"] == ["700.00", "682.20"]
    assert principal["stack"] == interest["stack"]
