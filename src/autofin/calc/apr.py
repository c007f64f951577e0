"""Annualised rates: the PBOC 2021 IRR method and the US Regulation Z Appendix J actuarial method.

* **PBOC** (中国人民银行公告〔2021〕第3号, 年化利率): the periodic IRR ``r`` of every borrower cash flow, fees
  included; simple = ``r`` × periods a year, compound = (1 + r)^(periods a year) − 1.
* **Regulation Z, Appendix J** (actuarial method): each flow is discounted by (1 + f·i)(1 + i)^t, where ``t`` is the
  number of whole unit-periods and ``f`` the fraction of a unit-period counted back from the flow to the start of
  the term (a month's odd days count over 30); APR = ``i`` × unit-periods a year.

Both are rounded half-up to 0.01 percentage point. The root is found in binary floating point (Newton's method
guarded by bisection, to 1e-13); money never passes through floats anywhere else.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Final, Literal

from autofin.kernel.errors import invalid
from autofin.kernel.money import HUNDRED, ONE, ZERO, quantize

from .dates import add_months, is_regular_period, step_date
from .schedule import Schedule

AprMethod = Literal["pboc", "us-reg-z"]
UnitKind = Literal["month", "week", "day", "year"]

CODE: Final = "calc.apr.invalid"
_PERCENT_PLACES: Final = 2
_ONE_DAY: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CashFlow:
    """Money moving on a date: an advance to the borrower or a payment by the borrower (amount > 0)."""

    date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class UnitPeriod:
    """The unit-period of a transaction: ``size`` months, weeks or days (or one year)."""

    kind: UnitKind
    size: int
    per_year: Decimal

    @property
    def label(self) -> str:
        return f"{self.size} {self.kind}" + ("s" if self.size != 1 else "")


@dataclass(frozen=True, slots=True)
class AnnualizedRate:
    """Annualised rate in percent, rounded to 0.01: ``simple`` (nominal) and ``compound`` (effective)."""

    simple: Decimal
    compound: Decimal


@dataclass(frozen=True, slots=True)
class AprResult:
    """The result of :func:`annual_percentage_rate`: ``apr`` in percent (the nominal rate of the method), the
    effective ``compound`` rate, the ``unit_period`` and the periodic rate found."""

    method: AprMethod
    apr: Decimal
    compound: Decimal
    unit_period: UnitPeriod
    periodic_rate: Decimal


def _percent(fraction: float) -> Decimal:
    return quantize(Decimal(repr(fraction)) * HUNDRED, _PERCENT_PLACES)


def _solve(value: Callable[[float], float], slope: Callable[[float], float]) -> float:
    """The root of ``value`` for a periodic rate above −1: Newton from 1 %, falling back to bisection."""
    rate = 0.01
    for _ in range(60):
        v = value(rate)
        s = slope(rate)
        if s == 0 or not math.isfinite(v):
            break
        step = v / s
        nxt = rate - step
        if nxt <= -0.999999 or not math.isfinite(nxt):
            break
        rate = nxt
        if abs(step) < 1e-14:
            return rate
    low, high = -0.999, 10.0
    v_low = value(low)
    if v_low * value(high) > 0:
        raise invalid("payments", "the cash flows have no rate that balances them: check amounts and dates",
                      "现金流无法求出内部收益率：请检查金额和日期", code=CODE)
    for _ in range(200):
        mid = (low + high) / 2
        v_mid = value(mid)
        if (v_mid > 0) == (v_low > 0):
            low, v_low = mid, v_mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return (low + high) / 2


def periodic_irr(flows: Sequence[tuple[float, float]]) -> float:
    """The periodic rate ``r`` with Σ amount ÷ (1 + r)^time = 0, for (time in periods, signed amount) pairs."""

    def value(r: float) -> float:
        base = 1.0 + r
        return math.fsum(a * math.pow(base, -t) for t, a in flows)

    def slope(r: float) -> float:
        base = 1.0 + r
        return math.fsum(-t * a * math.pow(base, -t - 1.0) for t, a in flows)

    return _solve(value, slope)


def pboc_rate(net_advance: Decimal, payments: Sequence[Decimal], periods_per_year: Decimal,
              times: Sequence[float] | None = None) -> AnnualizedRate:
    """PBOC annualised rate of ``net_advance`` received now and ``payments`` at the end of periods 1, 2, …
    (or at ``times`` in periods): simple = IRR × periods a year, compound = (1 + IRR)^periods a year − 1."""
    if times is None:
        times = [float(k) for k in range(1, len(payments) + 1)]
    flows = [(0.0, float(net_advance))] + [(t, -float(p)) for t, p in zip(times, payments, strict=True)]
    r = periodic_irr(flows)
    n = float(periods_per_year)
    return AnnualizedRate(_percent(r * n), _percent((1.0 + r) ** n - 1.0))


def annualized_rate(schedule: Schedule) -> AnnualizedRate:
    """The PBOC annualised rate of a schedule: the borrower receives ``net_disbursed`` and pays every
    installment's total (fees included). A broken first period counts as its share of a regular period."""
    terms = schedule.terms
    rows = schedule.installments
    first = rows[0]
    first_fraction = 1.0
    if not is_regular_period(first.period_start, first.period_end, terms.frequency, terms.every):
        regular_start = step_date(first.period_end, terms.frequency, terms.every, -1)
        regular_days = (first.period_end - regular_start).days
        first_fraction = (first.period_end - first.period_start).days / regular_days if regular_days else 1.0
    times = [k + first_fraction for k in range(len(rows))]
    return pboc_rate(schedule.net_disbursed, [row.total for row in rows], terms.periods_per_year, times)


# --- dated cash flows: unit periods and the Appendix J time measure ------------------------------------------


def _is_month_end(day: date) -> bool:
    return (day + _ONE_DAY).month != day.month


def _months_between(earlier: date, later: date) -> int | None:
    """Whole months from ``earlier`` to ``later`` when they fall on the same day of month (or both on a month
    end, or on a clipped 29th–31st); otherwise None."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if months <= 0:
        return None
    if add_months(earlier, months) == later or (_is_month_end(earlier) and _is_month_end(later)):
        return months
    return None


def _interval(earlier: date, later: date) -> tuple[str, int]:
    months = _months_between(earlier, later)
    if months is not None:
        return "month", months
    days = (later - earlier).days
    if days % 7 == 0:
        return "week", days // 7
    return "day", days


def unit_period_of(start: date, payment_dates: Sequence[date]) -> UnitPeriod:
    """The unit-period of a transaction: the most frequent interval between payments (the shorter one on a
    tie); for a single payment, the term when under a year (in whole months, else in days), else a year."""
    dates = sorted(payment_dates)
    if len(dates) == 1:
        end = dates[0]
        months = _months_between(start, end)
        if months is not None and months < 12:
            return UnitPeriod("month", months, Decimal(12) / Decimal(months))
        days = (end - start).days
        if days < 365:
            return UnitPeriod("day", days, Decimal(365) / Decimal(days))
        return UnitPeriod("year", 1, ONE)
    counts = Counter(_interval(a, b) for a, b in pairwise(dates))
    by_length = {"month": 30, "week": 7, "day": 1}
    (kind, size), _ = min(counts.items(), key=lambda item: (-item[1], by_length[item[0][0]] * item[0][1]))
    if kind == "month":
        if size > 12:
            return UnitPeriod("year", 1, ONE)
        return UnitPeriod("month", size, Decimal(12) / Decimal(size))
    if kind == "week":
        return UnitPeriod("week", size, Decimal(52) / Decimal(size))
    return UnitPeriod("day", size, Decimal(365) / Decimal(size))


def unit_time(start: date, day: date, unit: UnitPeriod) -> tuple[int, float]:
    """Whole unit-periods and the remaining fraction from ``start`` to ``day``, counted back from ``day``
    (Appendix J (b)(5)): odd days of a month-based unit count over 30 days a month."""
    if day <= start:
        return 0, 0.0
    if unit.kind in ("month", "year"):
        months_per_unit = 12 if unit.kind == "year" else unit.size
        months = (day.year - start.year) * 12 + day.month - start.month
        month_end = _is_month_end(day)
        while months > 0:
            back = add_months(day, -months)
            if month_end:
                back = _month_end_of(back)
            if back >= start:
                break
            months -= 1
        back = add_months(day, -months) if months else day
        if month_end and months:
            back = _month_end_of(back)
        odd_days = (back - start).days
        whole, extra_months = divmod(months, months_per_unit)
        return whole, (extra_months + odd_days / 30.0) / months_per_unit
    unit_days = unit.size * (7 if unit.kind == "week" else 1)
    whole, rest = divmod((day - start).days, unit_days)
    return whole, rest / unit_days


def _month_end_of(day: date) -> date:
    return add_months(day.replace(day=1), 1) - _ONE_DAY


def annual_percentage_rate(method: AprMethod, advances: Sequence[CashFlow], payments: Sequence[CashFlow],
                           fees: Decimal = ZERO) -> AprResult:
    """The annual percentage rate of dated ``advances`` and ``payments``; ``fees`` (a prepaid finance charge)
    are deducted from the first advance. ``pboc``: periodic IRR compounded over fractions too; ``us-reg-z``:
    Appendix J actuarial method with simple interest for the odd fraction."""
    if method not in ("pboc", "us-reg-z"):
        raise invalid("method", f"APR method {method!r} is unknown: use pboc or us-reg-z",
                      f"年化利率算法 {method!r} 无效：应为 pboc 或 us-reg-z", code=CODE)
    if not advances:
        raise invalid("advances", "at least one advance is needed", "至少需要一笔放款", code=CODE)
    if not payments:
        raise invalid("payments", "at least one payment is needed", "至少需要一笔还款", code=CODE)
    for name, flows in (("advances", advances), ("payments", payments)):
        for flow in flows:
            if not flow.amount > ZERO:
                raise invalid(f"{name}.amount", f"every {name[:-1]} amount must be more than 0",
                              "每笔金额必须大于 0", code=CODE)
    if fees < ZERO:
        raise invalid("fees", "fees must be zero or more", "费用不能为负数", code=CODE)
    ordered = sorted(advances, key=lambda flow: flow.date)
    start = ordered[0].date
    if min(p.date for p in payments) <= start:
        raise invalid("payments.date", "every payment must be after the first advance",
                      "每笔还款日期必须晚于首笔放款日期", code=CODE)
    if fees >= ordered[0].amount:
        raise invalid("fees", "fees must be less than the first advance", "费用必须小于首笔放款金额", code=CODE)
    net_advanced = sum((flow.amount for flow in advances), ZERO) - fees
    repaid = sum((flow.amount for flow in payments), ZERO)
    if repaid < net_advanced:
        # A negative cost of credit is not a rate anyone can disclose: the cash flows are incomplete.
        raise invalid("payments", f"the payments ({repaid}) do not repay the net amount advanced ({net_advanced}); "
                      "list every payment of the loan",
                      f"还款合计（{repaid}）少于实际放款净额（{net_advanced}），请列出全部还款", code=CODE)
    unit = unit_period_of(start, [p.date for p in payments])
    signed: list[tuple[int, float, float]] = []
    for index, flow in enumerate(ordered):
        amount = flow.amount - fees if index == 0 else flow.amount
        whole, fraction = unit_time(start, flow.date, unit)
        signed.append((whole, fraction, float(amount)))
    for flow in payments:
        whole, fraction = unit_time(start, flow.date, unit)
        signed.append((whole, fraction, -float(flow.amount)))
    per_year = float(unit.per_year)
    if method == "pboc":
        r = periodic_irr([(w + f, a) for w, f, a in signed])
    else:

        def value(i: float) -> float:
            return sum(a / ((1.0 + f * i) * (1.0 + i) ** w) for w, f, a in signed)

        def slope(i: float) -> float:
            total = 0.0
            for w, f, a in signed:
                base = (1.0 + f * i) * (1.0 + i) ** w
                derivative = f * (1.0 + i) ** w + (1.0 + f * i) * w * (1.0 + i) ** (w - 1)
                total -= a * derivative / (base * base)
            return total

        r = _solve(value, slope)
    return AprResult(method, _percent(r * per_year), _percent((1.0 + r) ** per_year - 1.0), unit,
                     Decimal(repr(r)))
