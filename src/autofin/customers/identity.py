"""Pure checks of identity numbers and contact data (no database): each refuses with a bilingual
:class:`ValidationFailed` that names the field and says what would be right.

* Resident ID (居民身份证, GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check digit (``X`` = 10), a region
  code that exists in the dated division list (1980–2020), a real birth date not in the future, age in range.
* Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of the official alphabet, mod-31
  check character.
* Mainland mobile phone numbers (``1[3-9]`` + 9 digits, optional ``+86``).
* Bank card numbers: 12–19 digits with a Luhn check digit.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import phonenumbers

from autofin.kernel.errors import invalid

DATA = Path(__file__).parent / "data"

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # index = weighted sum mod 11
DEFAULT_MIN_AGE = 18
DEFAULT_MAX_AGE = 65

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
CARD_PATTERN = re.compile(r"^\d{12,19}$")


# --- regions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    code: str
    first_year: int
    last_year: int
    name: str


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """Every division code that ever existed 1980–2020, with its first and last year."""
    table: dict[str, Region] = {}
    with (DATA / "cn_region_codes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table[row["code"]] = Region(row["code"], int(row["first_year"]), int(row["last_year"]), row["name"])
    return table


def region_name(code: str) -> str | None:
    region = regions().get(code)
    return region.name if region else None


def preload() -> None:
    """Read the region and bank tables now (a server does this before its first request), not on first use."""
    regions()
    _bins()


def county_codes() -> list[str]:
    """Codes of county-level divisions (last two digits not 00), for generating test and demo IDs."""
    return sorted(code for code in regions() if not code.endswith("00"))


# --- resident ID -----------------------------------------------------------------------------------------------


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    region_name: str
    birth_date: date
    gender: str  # "male" / "female" (17th digit odd / even)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def normalize_resident_id(value: str) -> str:
    return value.strip().upper()


def parse_resident_id(
    value: str,
    *,
    today: date,
    min_age: int | None = DEFAULT_MIN_AGE,
    max_age: int | None = DEFAULT_MAX_AGE,
    field: str = "id_number",
) -> ResidentId:
    """Check a resident ID number in full and return what it says (region, birth date, gender)."""
    number = normalize_resident_id(value)
    code = "customers.id_number.invalid"
    if len(number) != 18:
        raise invalid(
            field,
            f"A resident ID number has 18 characters; this one has {len(number)}.",
            f"居民身份证号码应为18位，当前为{len(number)}位。",
            code,
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise invalid(
            field,
            "A resident ID number is 17 digits followed by a digit or X.",
            "居民身份证号码应为17位数字加1位数字或X。",
            code,
        )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise invalid(
            field,
            f"The check digit of this ID number is wrong (it should be {expected} for these 17 "
            "digits): check the number was typed correctly.",
            f"身份证号码校验位错误（按前17位应为{expected}），请核对号码。",
            code,
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise invalid(
            field,
            f"The birth date in this ID number ({number[6:14]}) is not a real date.",
            f"身份证号码中的出生日期（{number[6:14]}）不是有效日期。",
            code,
        ) from None
    if birth > today:
        raise invalid(
            field,
            f"The birth date in this ID number ({birth.isoformat()}) is in the future.",
            f"身份证号码中的出生日期（{birth.isoformat()}）晚于今天。",
            code,
        )
    if birth.year < 1900:
        raise invalid(
            field,
            f"The birth year in this ID number ({birth.year}) is before 1900.",
            f"身份证号码中的出生年份（{birth.year}）早于1900年。",
            code,
        )
    region = regions().get(number[:6])
    if region is None:
        raise invalid(
            field,
            f"The region code {number[:6]} of this ID number is not an administrative division "
            "code that has ever existed.",
            f"身份证号码的地区码{number[:6]}不是曾经存在的行政区划代码。",
            code,
        )
    age = age_on(birth, today)
    if min_age is not None and age < min_age:
        raise invalid(
            field,
            f"The applicant is {age}; the minimum age is {min_age}.",
            f"申请人年龄为{age}岁，低于最低年龄{min_age}岁。",
            "customers.id_number.age_out_of_range",
        )
    if max_age is not None and age > max_age:
        raise invalid(
            field,
            f"The applicant is {age}; the maximum age is {max_age}.",
            f"申请人年龄为{age}岁，超过最高年龄{max_age}岁。",
            "customers.id_number.age_out_of_range",
        )
    gender = "male" if int(number[16]) % 2 else "female"
    return ResidentId(number, region.code, region.name, birth, gender)


def make_resident_id(region_code: str, birth: date, sequence: int) -> str:
    """A well-formed resident ID number (for demo data and tests): region + birth date + 3-digit sequence + check."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


# --- other ID types --------------------------------------------------------------------------------------------

OTHER_ID_PATTERNS = {
    "passport": (re.compile(r"^[A-Z0-9]{5,17}$"), "5–17 letters or digits", "5至17位字母或数字"),
    "hk_macau_permit": (re.compile(r"^[HM]\d{8,10}$"), "H or M followed by 8–10 digits", "H或M开头加8至10位数字"),
    "taiwan_permit": (
        re.compile(r"^\d{8}$|^[A-Z]\d{8}$"),
        "8 digits (or a letter and 8 digits)",
        "8位数字（或1位字母加8位数字）",
    ),
}


def check_other_id(id_type: str, value: str, field: str = "id_number") -> str:
    number = value.strip().upper()
    pattern, en, zh = OTHER_ID_PATTERNS[id_type]
    if not pattern.match(number):
        raise invalid(
            field,
            f"This {id_type.replace('_', ' ')} number is not valid: expected {en}.",
            f"证件号码格式不正确：应为{zh}。",
            "customers.id_number.invalid",
        )
    return number


# --- unified social credit code -------------------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str, field: str = "uscc") -> str:
    """A unified social credit code with a correct check character, upper-cased."""
    code = value.strip().upper()
    error = "customers.uscc.invalid"
    if len(code) != 18:
        raise invalid(
            field,
            f"A unified social credit code has 18 characters; this one has {len(code)}.",
            f"统一社会信用代码应为18位，当前为{len(code)}位。",
            error,
        )
    if not USCC_PATTERN.match(code):
        raise invalid(
            field,
            "A unified social credit code uses digits and the letters A–Y except I, O, S, V, Z; "
            "characters 3–8 are the region code digits.",
            "统一社会信用代码由数字和除I、O、S、V、Z外的大写字母组成，第3至8位为行政区划码数字。",
            error,
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise invalid(
            field,
            f"The check character of this unified social credit code is wrong (it should be "
            f"{expected}); an early code that truly fails may be accepted by an authorised "
            "override with a reason.",
            f"统一社会信用代码校验位错误（应为{expected}）；确属早期合法代码的，可由授权人员填写理由后强制通过。",
            "customers.uscc.check_failed",
        )
    return code


# --- phones and cards ------------------------------------------------------------------------------------------


CHINA_COUNTRY_CODE = 86


def normalize_phone(value: str) -> str:
    """Digits of a mainland number without separators or country prefix, for look-ups and search."""
    digits = re.sub(r"[\s\-]", "", value.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def check_phone(value: str, field: str = "phone") -> str:
    """A mainland mobile number that ``phonenumbers`` knows as assigned, as its 11 national digits
    (``+86 138-1234-5678`` and ``008613812345678`` both become ``13812345678``)."""
    try:
        parsed = phonenumbers.parse(normalize_phone(value), "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (
        parsed is None
        or parsed.country_code != CHINA_COUNTRY_CODE
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.number_type(parsed) not in mobile_types
    ):
        raise invalid(
            field,
            "Enter a mainland mobile number in use: 11 digits with a carrier's prefix (e.g. 13812345678).",
            "请输入有效的中国大陆手机号码：11 位且号段已由运营商启用（如 13812345678）。",
            "customers.phone.invalid",
        )
    return str(parsed.national_number)


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return digit
    raise ValueError(partial)  # pragma: no cover - one digit always fits


def check_card_number(value: str, field: str = "card_number") -> str:
    number = re.sub(r"[\s\-]", "", value)
    if not CARD_PATTERN.match(number):
        raise invalid(
            field, "A bank card number is 12 to 19 digits.", "银行卡号应为12至19位数字。", "customers.card.invalid"
        )
    if not luhn_valid(number):
        raise invalid(
            field,
            "This bank card number fails its check digit (Luhn): check it was typed correctly.",
            "银行卡号校验失败（Luhn），请核对卡号。",
            "customers.card.invalid",
        )
    return number


@dataclass(frozen=True)
class Bank:
    code: str
    zh: str
    en: str


@lru_cache(maxsize=1)
def _bins() -> dict[str, Bank]:
    with (DATA / "bank_bins.csv").open(encoding="utf-8") as handle:
        return {row["bin"]: Bank(row["bank_code"], row["bank_zh"], row["bank_en"]) for row in csv.DictReader(handle)}


def bank_for(card_number: str) -> Bank | None:
    """The issuing bank of a card by the longest known BIN prefix, or None when not in the curated table."""
    table = _bins()
    for length in range(8, 3, -1):
        bank = table.get(card_number[:length])
        if bank is not None:
            return bank
    return None
