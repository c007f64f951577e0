"""Identity numbers, phones and cards are checked at the door, with a message naming the field."""

from __future__ import annotations

import random
from datetime import date

import pytest

from autofin.customers import identity
from autofin.customers.identity import (
    bank_for,
    check_card_number,
    check_other_id,
    check_phone,
    check_uscc,
    luhn_check_digit,
    make_resident_id,
    parse_resident_id,
    uscc_check_char,
)
from autofin.kernel.errors import ValidationFailed

TODAY = date(2026, 11, 24)


def _refusal(call, *args, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_standard_example_id_number_is_accepted_and_decoded():
    parsed = parse_resident_id("11010519491231002x", today=TODAY, max_age=None)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.region_name == "朝阳区"
    assert parsed.gender == "female"


def test_ids_generated_from_real_region_codes_pass_the_full_check():
    rng = random.Random(11643)
    codes = identity.county_codes()
    for _ in range(300):
        birth = date(rng.randint(1962, 2007), rng.randint(1, 12), rng.randint(1, 28))
        number = make_resident_id(rng.choice(codes), birth, rng.randint(0, 999))
        assert parse_resident_id(number, today=TODAY).birth_date == birth


def test_a_region_code_abolished_long_ago_still_counts_as_having_existed():
    # 110103 崇文区 existed in the 1980 list and was merged into 东城区 in 2010
    assert identity.regions()["110103"].last_year < 2020
    assert parse_resident_id(make_resident_id("110103", date(1980, 5, 5), 1), today=TODAY).region_code == "110103"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "17 digits"),
        ("110105194912310021", "check digit"),
        (make_resident_id("110105", date(1990, 1, 1), 1)[:10] + "0230" + "0011", "check digit"),
    ],
)
def test_malformed_id_numbers_are_refused_naming_id_number(number, fragment):
    error = _refusal(parse_resident_id, number, today=TODAY)
    assert error.errors[0].field == "id_number"
    assert fragment in error.errors[0].message.en
    assert error.errors[0].message.zh


def test_an_impossible_birth_date_is_refused_even_with_a_correct_check_digit():
    first17 = "110105" + "19900230" + "001"
    error = _refusal(parse_resident_id, first17 + identity.id_check_char(first17), today=TODAY)
    assert "not a real date" in error.message.en


def test_a_birth_date_in_the_future_is_refused():
    error = _refusal(parse_resident_id, make_resident_id("110105", date(2027, 1, 1), 1), today=TODAY, min_age=None)
    assert "future" in error.message.en


def test_an_unknown_region_code_is_refused():
    error = _refusal(parse_resident_id, make_resident_id("999999", date(1990, 1, 1), 1), today=TODAY)
    assert "region code 999999" in error.message.en
    assert "地区码" in error.message.zh


def test_applicants_outside_the_age_range_are_refused_and_the_range_is_configurable():
    minor = make_resident_id("110105", date(2010, 1, 1), 1)
    old = make_resident_id("110105", date(1950, 1, 1), 1)
    assert _refusal(parse_resident_id, minor, today=TODAY).code == "customers.id_number.age_out_of_range"
    assert "maximum age is 65" in _refusal(parse_resident_id, old, today=TODAY).message.en
    assert parse_resident_id(old, today=TODAY, max_age=80).birth_date.year == 1950


def test_the_eighteenth_birthday_is_the_first_day_of_adulthood():
    assert parse_resident_id(make_resident_id("110105", date(2008, 11, 24), 1), today=TODAY)
    _refusal(parse_resident_id, make_resident_id("110105", date(2008, 11, 25), 1), today=TODAY)


def test_real_unified_social_credit_codes_pass_the_mod_31_check():
    assert check_uscc("91350100m000100y43") == "91350100M000100Y43"
    assert check_uscc("914403001922038216") == "914403001922038216"


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y4", "customers.uscc.invalid"),
        ("91350100M000100I43", "customers.uscc.invalid"),
        ("9135AB00M000100Y43", "customers.uscc.invalid"),
        ("91350100M000100Y44", "customers.uscc.check_failed"),
    ],
)
def test_bad_unified_social_credit_codes_are_refused_naming_uscc(code, error_code):
    error = _refusal(check_uscc, code)
    assert error.code == error_code
    assert error.errors[0].field == "uscc"


def test_every_check_character_is_from_the_official_alphabet():
    rng = random.Random(32100)
    for _ in range(200):
        body = (
            "91"
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(identity.USCC_ALPHABET) for _ in range(9))
        )
        code = body + uscc_check_char(body)
        assert check_uscc(code) == code


@pytest.mark.parametrize("phone", ["13812345678", "+86 139-1234-5678", "19912345678", "008615012345678"])
def test_mainland_mobile_numbers_are_accepted_and_normalised(phone):
    assert len(check_phone(phone)) == 11
    assert check_phone(phone)[0] == "1" and check_phone(phone).isdigit()


@pytest.mark.parametrize(
    "phone", ["12812345678", "14012345678", "1381234567", "138123456789", "021-12345678", "+85291234567", "abc"]
)
def test_other_phone_numbers_are_refused_naming_phone(phone):
    assert _refusal(check_phone, phone).errors[0].field == "phone"


def test_card_numbers_pass_luhn_and_the_bank_is_named_from_the_bin():
    number = "622202123456789012"
    number += luhn_check_digit(number)
    assert check_card_number(number) == number
    bank = bank_for(number)
    assert bank is not None and bank.code == "ICBC"
    assert bank_for("9999990000000000") is None


@pytest.mark.parametrize("number", ["6222021234567890124", "1234", "62220212345678901a3"])
def test_bad_card_numbers_are_refused_naming_card_number(number):
    if number.isdigit() and len(number) > 12:
        number = number[:-1] + str((int(luhn_check_digit(number[:-1])) + 1) % 10)
    assert _refusal(check_card_number, number).errors[0].field == "card_number"


def test_well_known_test_card_numbers_pass_luhn():
    assert identity.luhn_valid("4111111111111111")
    assert not identity.luhn_valid("4111111111111112")


def test_passports_and_permits_have_their_own_formats():
    assert check_other_id("passport", "e12345678") == "E12345678"
    assert check_other_id("hk_macau_permit", "H12345678") == "H12345678"
    assert _refusal(check_other_id, "hk_macau_permit", "X1234").errors[0].field == "id_number"
