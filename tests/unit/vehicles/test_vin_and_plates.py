"""VINs and plates are checked at the door: real VINs pass, NHTSA's check-digit exceptions fail."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from autofin.kernel.errors import ValidationFailed
from autofin.vehicles.plates import check_plate
from autofin.vehicles.vin import check_vin, make_vin, model_year

DATA = Path(__file__).parents[2] / "data" / "vin"
TODAY = date(2026, 11, 24)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_97_decoded_vins_pass_and_decode_to_their_model_year():
    rows = _rows("vin_decodes_vpic_test_decode.csv")
    assert len(rows) == 97
    for row in rows:
        decoded = check_vin(row["vin"], today=TODAY)
        assert str(decoded.model_year) == row["model_year"], row["vin"]


# NHTSA names the brand sold; a WMI names the manufacturer (a Hyundai built in Kia's Georgia plant has Kia's WMI)
SAME_GROUP = {"Hyundai": {"Kia"}, "Infiniti": {"Nissan"}, "Scion": {"Toyota"}, "Toyota": {"Scion"},
              "Jeep": {"Dodge", "Chrysler"}, "Chrysler": {"Dodge"}, "Acura": {"Honda"}, "Lexus": {"Toyota"}}


def test_makers_are_decoded_from_the_wmi_for_nearly_all_real_vins():
    rows = _rows("vin_decodes_vpic_test_decode.csv")
    exact = grouped = unknown = 0
    for row in rows:
        maker = check_vin(row["vin"], today=TODAY).maker
        if maker is None:
            unknown += 1
        elif row["make"].lower() in maker.lower():
            exact += 1
        else:
            assert any(name.lower() in maker.lower() for name in SAME_GROUP.get(row["make"], ())), (row, maker)
            grouped += 1
    assert unknown == 0
    assert exact >= 85 and exact + grouped == 97


@pytest.mark.parametrize(
    ("vin", "maker"),
    [
        ("SCFFDECNXCGG14038", "Aston Martin"),  # WMIs our small table does not hold: vininfo's table
        ("TRUWT28N251018665", "Audi"),
        ("2GCEC19Z0S1245490", "Chevrolet"),
        ("1JCMR7849JT185834", "Jeep"),
    ],
)
def test_vininfo_decodes_makers_beyond_the_local_table(vin, maker):
    assert maker in (check_vin(vin, today=TODAY).maker or "")


def test_chinese_joint_ventures_keep_their_chinese_names():
    vin = make_vin("LFV2A21K", "G", "3", "012345")
    decoded = check_vin(vin, today=TODAY)
    assert decoded.maker == "FAW-Volkswagen 一汽-大众"
    assert decoded.model_year == 2016
    assert check_vin(make_vin("LGXC16DF", "R", "1", "000123"), today=TODAY).maker == "BYD 比亚迪"


def test_an_unknown_wmi_passes_without_a_maker_but_with_its_model_year():
    vin = make_vin("LZZ12345", "R", "1", "000123")  # valid check digit, a WMI nobody knows
    decoded = check_vin(vin, today=TODAY)
    assert decoded.maker is None
    assert decoded.model_year == 2024


def test_the_model_year_is_one_of_vininfos_candidates():
    from vininfo import Vin

    for row in _rows("vin_decodes_vpic_test_decode.csv"):
        year = model_year(row["vin"], TODAY)
        assert year in [int(y) for y in Vin(row["vin"]).years], row["vin"]


def test_every_vin_on_the_exceptions_list_fails_its_check_digit():
    rows = _rows("vin_decodes_vpic_exceptions.csv")
    assert len(rows) == 299
    for row in rows:
        with pytest.raises(ValidationFailed) as caught:
            check_vin(row["vin"])
        assert caught.value.errors[0].field == "vin"
        assert "check digit" in caught.value.message.en


@pytest.mark.parametrize(
    ("vin", "fragment"),
    [("JH4DC4340RS00320", "17 characters"), ("JH4DC4340RS0032O5", "except I, O and Q"), ("", "17 characters")],
)
def test_malformed_vins_are_refused_naming_vin(vin, fragment):
    with pytest.raises(ValidationFailed) as caught:
        check_vin(vin)
    assert fragment in caught.value.message.en
    assert caught.value.errors[0].field == "vin"


def test_chinese_market_vins_take_the_latest_model_year_not_after_next_year():
    vin = make_vin("LFV2A21K", "R", "3", "123456")
    assert check_vin(vin, today=TODAY).maker == "FAW-Volkswagen 一汽-大众"
    assert model_year(vin, TODAY) == 2024
    assert model_year(make_vin("LGXC16DF", "B", "1", "000001"), TODAY) == 2011


@pytest.mark.parametrize("plate", ["京A12345", "粤B·D12345", "沪AF1234", "苏E12345D", "鲁B1234学", "浙a12345"])
def test_mainland_plates_are_accepted(plate):
    assert check_plate(plate).province in "京粤沪苏鲁浙"


def test_new_energy_plates_say_whether_the_car_is_pure_electric():
    assert check_plate("粤BD12345").pure_electric is True
    assert check_plate("粤BF12345").pure_electric is False
    assert check_plate("粤B12345F").new_energy is True
    assert check_plate("京A12345").new_energy is False


@pytest.mark.parametrize("plate", ["京A1234", "京I12345", "京AO1234", "A12345", "粤BA12345", "粤BD1234A", "XX12345"])
def test_malformed_plates_are_refused_naming_plate(plate):
    with pytest.raises(ValidationFailed) as caught:
        check_plate(plate)
    assert caught.value.errors[0].field == "plate"
