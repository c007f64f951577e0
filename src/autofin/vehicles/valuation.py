"""Baseline appraisal rule and loan-to-value, pure (a learned valuation model comes later).

Rule value = price × retention(age, powertrain) × mileage factor, rounded to whole yuan:
* retention: first year keeps 80 % (ICE), 75 % (PHEV), 70 % (BEV); each further year keeps 88 % / 86 % / 84 %;
* mileage factor: 1 − 1 % per 5,000 km above 20,000 km a year (+ up to 5 % for low mileage), floored at 60 %;
* never below 5 % of the price.
LTV = loan ÷ min(price, appraisal) over the values known.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from autofin.kernel.money import ONE, ZERO, quantize

FIRST_YEAR = {"ice": Decimal("0.80"), "phev": Decimal("0.75"), "bev": Decimal("0.70")}
LATER_YEARS = {"ice": Decimal("0.88"), "phev": Decimal("0.86"), "bev": Decimal("0.84")}
NORMAL_KM_PER_YEAR = 20_000
FLOOR = Decimal("0.05")


def age_in_years(first_registration: date | None, on: date) -> Decimal:
    if first_registration is None or first_registration >= on:
        return ZERO
    return Decimal((on - first_registration).days) / Decimal("365.25")


def baseline_value(
    price: Decimal, powertrain: str, first_registration: date | None, mileage_km: int, on: date
) -> Decimal:
    """The rule-based value of a vehicle bought new at ``price``."""
    age = age_in_years(first_registration, on)
    retention = ONE
    if age > 0:
        retention = FIRST_YEAR[powertrain] if age >= 1 else ONE - (ONE - FIRST_YEAR[powertrain]) * age
        full_years = int(age) - 1
        if full_years > 0:
            retention *= LATER_YEARS[powertrain] ** full_years
        if age > 1:
            retention *= LATER_YEARS[powertrain] ** (age - int(age))
    expected_km = Decimal(NORMAL_KM_PER_YEAR) * max(age, ONE)
    excess = (Decimal(mileage_km) - expected_km) / Decimal(5000) / Decimal(100)
    factor = min(Decimal("1.05"), max(Decimal("0.60"), ONE - excess))
    value = price * max(retention * factor, FLOOR)
    return quantize(value, 0)


def ltv(loan: Decimal, price: Decimal | None, appraisal: Decimal | None) -> Decimal:
    """Loan-to-value as a fraction: loan ÷ the lower of price and appraisal (whichever are known)."""
    values = [v for v in (price, appraisal) if v is not None and v > 0]
    if not values:
        raise ValueError("LTV needs a price or an appraisal above zero")
    return loan / min(values)


def estimate_value(model_dir: str, vehicle: dict[str, object]) -> dict[str, object]:
    """A learned appraisal (one appraisal method): the valuation model in ``model_dir`` values one vehicle.

    ``vehicle`` holds the model's columns (e.g. 品牌, 年份 "2019-11", 里程数, 排量/续航 …); returns
    ``{"predicted", "low", "high", "missing_inputs"}`` in the training data's currency (万元 prices come back in yuan).
    The model and its loading belong to the risk domain.
    """
    from pathlib import Path

    from autofin.risk import service as risk

    return risk.estimate_vehicle_value(Path(model_dir), vehicle)
