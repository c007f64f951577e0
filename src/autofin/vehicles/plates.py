"""Mainland China licence plates (机动车号牌, GA 36-2018), pure.

* Ordinary plates, 7 characters: province abbreviation + issuing-authority letter + 5 serial characters
  (digits and letters except I and O); the last may be 学 (driving school), 警 (police), 挂 (trailer), 港/澳.
* New-energy plates (新能源), 8 characters: province + letter + 6 serial characters.
  Small vehicles: ``D`` (pure electric, 纯电动) or ``F`` (non-pure-electric: plug-in hybrid, fuel cell) first,
  then a letter or digit, then 4 digits. Large vehicles: 5 digits, then ``D`` or ``F`` last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autofin.kernel.errors import invalid

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTER = "A-HJ-NP-Z"
SERIAL = f"[{LETTER}0-9]"
ORDINARY = re.compile(rf"^[{PROVINCES}][{LETTER}]({SERIAL}{{5}}|{SERIAL}{{4}}[学警挂港澳])$")
NEV_SMALL = re.compile(rf"^[{PROVINCES}][{LETTER}][DF]{SERIAL}\d{{4}}$")
NEV_LARGE = re.compile(rf"^[{PROVINCES}][{LETTER}]\d{{5}}[DF]$")


@dataclass(frozen=True)
class Plate:
    plate: str
    province: str
    new_energy: bool
    pure_electric: bool | None  # for NEV plates: D = True, F = False; None for ordinary plates


def check_plate(value: str, field: str = "plate") -> Plate:
    plate = value.strip().upper().replace(" ", "").replace("·", "").replace("-", "")
    if len(plate) == 7 and ORDINARY.match(plate):
        return Plate(plate, plate[0], False, None)
    if len(plate) == 8:
        if NEV_SMALL.match(plate):
            return Plate(plate, plate[0], True, plate[2] == "D")
        if NEV_LARGE.match(plate):
            return Plate(plate, plate[0], True, plate[7] == "D")
        raise invalid(
            field,
            "An 8-character new-energy plate has D or F right after the authority letter "
            "(small vehicles, e.g. 粤BD12345) or last (large vehicles, e.g. 粤B12345D).",
            "8位新能源号牌的D/F应在发牌机关代号之后（小型车，如粤BD12345）或在末位（大型车，如粤B12345D）。",
            "vehicles.plate.invalid",
        )
    raise invalid(
        field,
        "A plate is a province abbreviation, an authority letter and 5 characters (e.g. 京A12345), "
        "or 6 for new-energy vehicles (e.g. 沪AD12345); letters I and O are not used.",
        "号牌应为省份简称+发牌机关字母+5位号码（如京A12345），新能源为6位（如沪AD12345），不使用字母I和O。",
        "vehicles.plate.invalid",
    )
