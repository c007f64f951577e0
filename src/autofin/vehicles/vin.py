"""Vehicle identification numbers (车辆识别代号, ISO 3779 / GB 16735), pure.

17 characters, no I, O or Q; position 9 is a check digit (weighted transliteration sum mod 11, 10 = ``X``),
mandatory in North America and in China. Position 10 codes the model year on a 30-year cycle; position 7 being a
letter (North American passenger cars) places the year in 2010–2039, a digit in 1980–2009. For other VINs (e.g. the
Chinese market, WMI starting with ``L``) the latest year not after next year is taken. Positions 1–3 (WMI) name the
maker: first a small bilingual table of makers common in China (joint ventures named as Chinese users know them),
then the ``vininfo`` package's worldwide WMI table, then a 2-character prefix of the small table. The model year is
one of ``vininfo``'s candidate years, chosen by the position-7 rule above (``vininfo`` alone cannot tell 1989 from
2019). Our own check-digit validation and its bilingual messages stay in front of the decode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from vininfo import Vin as VininfoVin

from autofin.kernel.errors import invalid

TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 30 codes: 1980 (A) … 2009 (9), then again from 2010
VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

# WMI (first 3 characters; a 2-character key matches any third character) → maker. Makers common in China.
WMI_MAKERS: dict[str, str] = {
    "LFV": "FAW-Volkswagen 一汽-大众",
    "LSV": "SAIC Volkswagen 上汽大众",
    "LBV": "BMW Brilliance 华晨宝马",
    "LE4": "Beijing Benz 北京奔驰",
    "LFP": "FAW Car 一汽轿车",
    "LFM": "FAW Toyota 一汽丰田",
    "LVG": "GAC Toyota 广汽丰田",
    "LHG": "GAC Honda 广汽本田",
    "LVH": "Dongfeng Honda 东风本田",
    "LGB": "Dongfeng Nissan 东风日产",
    "LSG": "SAIC-GM 上汽通用",
    "LVS": "Changan Ford 长安福特",
    "LS5": "Changan 长安汽车",
    "LGX": "BYD 比亚迪",
    "LC0": "BYD 比亚迪",
    "LGW": "Great Wall 长城汽车",
    "L6T": "Geely 吉利汽车",
    "LB3": "Geely 吉利汽车",
    "LVV": "Chery 奇瑞汽车",
    "LSJ": "SAIC MG/Roewe 上汽乘用车",
    "LRW": "Tesla Shanghai 特斯拉（上海）",
    "LNB": "BAIC 北汽",
    "LZW": "SAIC-GM-Wuling 上汽通用五菱",
    "LDC": "Dongfeng Citroën/Peugeot 神龙汽车",
    "LJD": "Dongfeng Yueda Kia 东风悦达起亚",
    "LBE": "Beijing Hyundai 北京现代",
    "LVR": "Changan Mazda 长安马自达",
    "LYV": "Volvo Asia 沃尔沃亚太",
    "LRB": "SAIC-GM Buick 上汽通用别克",
    "LUR": "Chery Jaguar Land Rover 奇瑞捷豹路虎",
    "LGJ": "Dongfeng Fengshen 东风风神",
    "LMG": "GAC Motor 广汽乘用车",
    "LNP": "NIO 蔚来",
    "LJ1": "JAC 江淮汽车",
    "LWV": "GAC Fiat Chrysler 广汽菲克",
    "LFB": "FAW Hongqi 一汽红旗",
    "WVW": "Volkswagen",
    "WAU": "Audi",
    "WBA": "BMW",
    "WDD": "Mercedes-Benz",
    "WDB": "Mercedes-Benz",
    "WP0": "Porsche",
    "VF1": "Renault",
    "VF3": "Peugeot",
    "YV1": "Volvo",
    "ZFA": "Fiat",
    "SAL": "Land Rover",
    "SAJ": "Jaguar",
    "JT": "Toyota",
    "JH": "Honda",
    "JN": "Nissan",
    "JM": "Mazda",
    "JF": "Subaru",
    "JA": "Isuzu",
    "KM": "Hyundai",
    "KN": "Kia",
    "KL": "Daewoo/GM Korea",
    "1F": "Ford",
    "1G": "General Motors",
    "1C": "Chrysler",
    "1H": "Honda",
    "1N": "Nissan",
    "2T": "Toyota",
    "4T": "Toyota",
    "5Y": "Tesla",
    "5N1": "Nissan",
    "5N3": "Nissan",
    "5NP": "Hyundai",
    "5FN": "Honda",
    "WBS": "BMW",
    "1J4": "Jeep",
    "4S": "Subaru",
    "2H": "Honda",
    "3VW": "Volkswagen",
    "5UX": "BMW",
    "4J": "Mercedes-Benz",
}


def check_digit(vin: str) -> str:
    total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def has_valid_check_digit(vin: str) -> bool:
    return bool(VIN_PATTERN.match(vin)) and vin[8] == check_digit(vin)


def model_year(vin: str, today: date | None = None) -> int | None:
    """The model year coded in position 10 (one of ``vininfo``'s candidates), or None when it is not a year code."""
    year = _rule_year(vin, today)
    decoded = _vininfo(vin)
    candidates: list[int] = []
    if decoded is not None:
        try:
            candidates = [int(y) for y in decoded.years]
        except Exception:  # no year decode for this VIN
            candidates = []
    if year is None or not candidates or year in candidates:
        return year
    latest = (today or date.today()).year + 1  # noqa: DTZ011 - a calendar year, zone does not matter
    fitting = [y for y in candidates if y <= latest]
    return max(fitting) if fitting else year


def _rule_year(vin: str, today: date | None) -> int | None:
    """Position 10 on the 30-year cycle, placed by position 7 (North America) or the latest plausible year."""
    code = vin[9]
    if code not in YEAR_CODES:
        return None
    offset = YEAR_CODES.index(code)
    if not vin.startswith("L") and vin[6].isalpha():
        return 2010 + offset
    if not vin.startswith("L") and vin[6].isdigit():
        return 1980 + offset
    latest = (today or date.today()).year + 1  # noqa: DTZ011 - a calendar year, zone does not matter
    candidates = [1980 + offset + 30 * k for k in range(4)]
    fitting = [year for year in candidates if year <= latest]
    return max(fitting) if fitting else candidates[0]


def _vininfo(vin: str) -> VininfoVin | None:
    try:
        return VininfoVin(vin)
    except Exception:  # the package refuses some VINs we accept (e.g. unknown regions): no decode
        return None


def vininfo_maker(vin: str) -> str | None:
    """The manufacturer ``vininfo`` knows for this WMI, or None where it does not know it."""
    decoded = _vininfo(vin)
    if decoded is None:
        return None
    try:
        name = decoded.manufacturer
    except Exception:  # an unknown WMI
        return None
    if not name or name == "UnsupportedBrand":
        return None
    return str(name)


def maker(vin: str) -> str | None:
    return WMI_MAKERS.get(vin[:3]) or vininfo_maker(vin) or WMI_MAKERS.get(vin[:2])


@dataclass(frozen=True)
class DecodedVin:
    vin: str
    wmi: str
    maker: str | None
    model_year: int | None


def check_vin(value: str, field: str = "vin", today: date | None = None) -> DecodedVin:
    """A valid VIN, decoded; otherwise a field error saying what is wrong."""
    vin = normalize_vin(value)
    code = "vehicles.vin.invalid"
    if len(vin) != 17:
        raise invalid(
            field,
            f"A VIN has 17 characters; this one has {len(vin)}.",
            f"车辆识别代号（VIN）应为17位，当前为{len(vin)}位。",
            code,
        )
    if not VIN_PATTERN.match(vin):
        raise invalid(
            field,
            "A VIN uses digits and the letters A–Z except I, O and Q.",
            "车辆识别代号只能由数字和除I、O、Q以外的大写字母组成。",
            code,
        )
    expected = check_digit(vin)
    if vin[8] != expected:
        raise invalid(
            field,
            f"The check digit (9th character) of this VIN is {vin[8]} but should be {expected}: "
            "check the VIN was copied correctly.",
            f"VIN第9位校验位为{vin[8]}，按其余各位应为{expected}，请核对VIN。",
            code,
        )
    return DecodedVin(vin, vin[:3], maker(vin), model_year(vin, today))


def make_vin(prefix8: str, year_code: str, plant: str, serial: str) -> str:
    """A VIN with a correct check digit from its parts (8 + 1 + 1 + 6 characters); for demo data and tests."""
    body = f"{prefix8}0{year_code}{plant}{serial}"
    if len(body) != 17:
        raise ValueError("VIN parts must make 17 characters")
    return body[:8] + check_digit(body) + body[9:]
