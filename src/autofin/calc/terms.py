"""Loan terms: the frozen description of a loan every calculation starts from, validated when built.

Bad terms raise :class:`autofin.kernel.errors.ValidationFailed` with a bilingual message that names the field and
says what would be valid (codes ``calc.terms.invalid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final, Literal, get_args

from autofin.kernel.calendar import SUPPORTED_CALENDARS, BusinessDayAdjust
from autofin.kernel.errors import invalid
from autofin.kernel.money import HUNDRED, ROUNDING_MODES, ZERO

Method = Literal["annuity", "equal_principal", "flat", "interest_only", "balloon"]
Frequency = Literal["monthly", "weekly", "biweekly", "quarterly", "yearly"]
InterestPeriod = Literal["per_period", "daily"]
DayCount = Literal["actual/actual", "actual/365", "actual/360", "30/360"]
Rounding = Literal["half_up", "half_even"]
FeeTiming = Literal["upfront", "per_installment"]
FeeTreatment = Literal["deducted", "financed", "first_installment"]

METHODS: Final[tuple[str, ...]] = get_args(Method)
FREQUENCIES: Final[tuple[str, ...]] = get_args(Frequency)
INTEREST_PERIODS: Final[tuple[str, ...]] = get_args(InterestPeriod)
DAY_COUNTS: Final[tuple[str, ...]] = get_args(DayCount)
FEE_TIMINGS: Final[tuple[str, ...]] = get_args(FeeTiming)
FEE_TREATMENTS: Final[tuple[str, ...]] = get_args(FeeTreatment)

#: Periods a year of each frequency when ``every`` is 1.
PERIODS_PER_YEAR: Final[dict[str, int]] = {"monthly": 12, "weekly": 52, "biweekly": 26, "quarterly": 4, "yearly": 1}

CODE: Final = "calc.terms.invalid"


def _refuse(field_name: str, en: str, zh: str) -> None:
    raise invalid(field_name, en, zh, code=CODE)


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee: ``upfront`` (once, at disbursement) or ``per_installment``; a fixed ``amount`` or a ``percent`` of
    the principal. An upfront fee is ``deducted`` from the amount paid out, ``financed`` (added to the principal)
    or collected with the ``first_installment``."""

    name: str = "fee"
    timing: FeeTiming = "upfront"
    amount: Decimal | None = None
    percent: Decimal | None = None
    treatment: FeeTreatment = "deducted"

    def __post_init__(self) -> None:
        if self.timing not in FEE_TIMINGS:
            _refuse("fees.timing", f"fee timing {self.timing!r} is unknown: use upfront or per_installment",
                    f"费用收取时点 {self.timing!r} 无效：应为 upfront 或 per_installment")
        if self.treatment not in FEE_TREATMENTS:
            _refuse("fees.treatment",
                    f"fee treatment {self.treatment!r} is unknown: use deducted, financed or first_installment",
                    f"费用处理方式 {self.treatment!r} 无效：应为 deducted、financed 或 first_installment")
        if (self.amount is None) == (self.percent is None):
            _refuse("fees", "a fee needs exactly one of amount or percent",
                    "每项费用须且只能填写 amount（金额）或 percent（比例）之一")
        if self.amount is not None and self.amount < ZERO:
            _refuse("fees.amount", "a fee amount must be zero or more", "费用金额不能为负数")
        if self.percent is not None and not ZERO <= self.percent <= HUNDRED:
            _refuse("fees.percent", "a fee percent must be between 0 and 100", "费用比例应在 0 到 100 之间")

    def amount_on(self, principal: Decimal) -> Decimal:
        """The fee in money on a loan of ``principal`` (unrounded when given as a percent)."""
        if self.amount is not None:
            return self.amount
        return principal * (self.percent or ZERO) / HUNDRED


@dataclass(frozen=True, slots=True)
class BusinessDayRule:
    """Move due dates that fall on a day off: ``calendar`` ``CN``, ``adjust`` none / following / preceding."""

    calendar: str = "CN"
    adjust: BusinessDayAdjust = "none"

    def __post_init__(self) -> None:
        if self.calendar not in SUPPORTED_CALENDARS:
            _refuse("business_day.calendar", f"calendar {self.calendar!r} is unknown: use CN",
                    f"日历 {self.calendar!r} 无效：应为 CN")
        if self.adjust not in ("none", "following", "preceding"):
            _refuse("business_day.adjust",
                    f"business-day adjustment {self.adjust!r} is unknown: use none, following or preceding",
                    f"节假日顺延规则 {self.adjust!r} 无效：应为 none、following 或 preceding")


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """Everything a schedule depends on. Money and rates are Decimal; ``annual_rate`` is a percent (``12`` = 12 %).

    ``penalty_rate`` (annual percent, default 1.5 × ``annual_rate``) prices overdue principal per day with the
    day count of the terms; ``compound_rate`` (annual percent, default the penalty rate) prices overdue interest
    when ``compound_overdue_interest`` is set. ``prepayment_fee_percent`` is charged on principal repaid early.
    """

    principal: Decimal
    annual_rate: Decimal
    term: int
    disbursement_date: date
    method: Method = "annuity"
    frequency: Frequency = "monthly"
    every: int = 1
    interest_period: InterestPeriod = "per_period"
    day_count: DayCount = "actual/360"
    first_due_date: date | None = None
    installment_multiple: Decimal | None = None
    grace_on_principal: int = 0
    grace_on_interest_payment: int = 0
    grace_on_interest_charged: int = 0
    balloon: Decimal = ZERO
    rounding: Rounding = "half_up"
    fees: tuple[Fee, ...] = field(default=())
    business_day: BusinessDayRule | None = None
    penalty_rate: Decimal | None = None
    compound_overdue_interest: bool = False
    compound_rate: Decimal | None = None
    prepayment_fee_percent: Decimal = ZERO

    def __post_init__(self) -> None:
        if not self.principal > ZERO:
            _refuse("principal", f"principal must be more than 0, got {self.principal}",
                    f"贷款本金必须大于 0，当前为 {self.principal}")
        if self.principal != self.principal.quantize(Decimal("0.01")):
            _refuse("principal", "principal must have at most 2 decimal places", "贷款本金最多保留两位小数")
        if not ZERO <= self.annual_rate <= HUNDRED:
            _refuse("annual_rate", f"annual_rate must be a percent between 0 and 100, got {self.annual_rate}",
                    f"年利率应为 0 到 100 之间的百分数，当前为 {self.annual_rate}")
        if isinstance(self.term, bool) or not isinstance(self.term, int) or not 1 <= self.term <= 1200:
            _refuse("term", f"term must be a whole number of installments from 1 to 1200, got {self.term}",
                    f"期数应为 1 到 1200 之间的整数，当前为 {self.term}")
        if self.method not in METHODS:
            _refuse("method", f"method {self.method!r} is unknown: use one of {', '.join(METHODS)}",
                    f"还款方式 {self.method!r} 无效：应为 {'、'.join(METHODS)} 之一")
        if self.frequency not in FREQUENCIES:
            _refuse("frequency", f"frequency {self.frequency!r} is unknown: use one of {', '.join(FREQUENCIES)}",
                    f"还款频率 {self.frequency!r} 无效：应为 {'、'.join(FREQUENCIES)} 之一")
        if isinstance(self.every, bool) or not isinstance(self.every, int) or not 1 <= self.every <= 12:
            _refuse("every", f"every must be a whole number from 1 to 12, got {self.every}",
                    f"every（每几个周期）应为 1 到 12 之间的整数，当前为 {self.every}")
        if self.interest_period not in INTEREST_PERIODS:
            _refuse("interest_period", f"interest_period {self.interest_period!r} is unknown: use per_period or daily",
                    f"计息方式 {self.interest_period!r} 无效：应为 per_period 或 daily")
        if self.day_count not in DAY_COUNTS:
            _refuse("day_count", f"day_count {self.day_count!r} is unknown: use one of {', '.join(DAY_COUNTS)}",
                    f"计息基准 {self.day_count!r} 无效：应为 {'、'.join(DAY_COUNTS)} 之一")
        if self.rounding not in ROUNDING_MODES:
            _refuse("rounding", f"rounding {self.rounding!r} is unknown: use half_up or half_even",
                    f"舍入方式 {self.rounding!r} 无效：应为 half_up 或 half_even")
        if self.first_due_date is not None and self.first_due_date <= self.disbursement_date:
            _refuse("first_due_date",
                    f"first_due_date {self.first_due_date} must be after the disbursement_date "
                    f"{self.disbursement_date}",
                    f"首期还款日 {self.first_due_date} 必须晚于放款日 {self.disbursement_date}")
        if self.installment_multiple is not None and not self.installment_multiple > ZERO:
            _refuse("installment_multiple", "installment_multiple must be more than 0, e.g. \"1\"",
                    "期供取整单位必须大于 0，例如 \"1\"")
        for name in ("grace_on_principal", "grace_on_interest_payment", "grace_on_interest_charged"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.term:
                _refuse(name, f"{name} must be a whole number from 0 to term - 1 ({self.term - 1}), got {value}",
                        f"{name}（宽限期数）应为 0 到期数减一（{self.term - 1}）之间的整数，当前为 {value}")
        if self.balloon != ZERO and self.method != "balloon":
            _refuse("balloon", "balloon is only used with method balloon", "尾款仅适用于 balloon（尾款贷）还款方式")
        if self.method == "balloon" and not ZERO < self.balloon < self.principal:
            _refuse("balloon", f"balloon must be more than 0 and less than the principal {self.principal}",
                    f"尾款必须大于 0 且小于贷款本金 {self.principal}")
        for name in ("penalty_rate", "compound_rate"):
            rate = getattr(self, name)
            if rate is not None and not ZERO <= rate <= HUNDRED * 10:
                _refuse(name, f"{name} must be an annual percent between 0 and 1000",
                        f"{name} 应为 0 到 1000 之间的年百分比")
        if not ZERO <= self.prepayment_fee_percent <= HUNDRED:
            _refuse("prepayment_fee_percent", "prepayment_fee_percent must be between 0 and 100",
                    "提前还款违约金比例应在 0 到 100 之间")

    @property
    def periods_per_year(self) -> Decimal:
        """Installment periods in a year: 12 for monthly, 52 for weekly, … divided by ``every``."""
        return Decimal(PERIODS_PER_YEAR[self.frequency]) / Decimal(self.every)

    @property
    def periodic_rate(self) -> Decimal:
        """The nominal rate of one period as a fraction: annual rate ÷ 100 ÷ periods per year."""
        return self.annual_rate / HUNDRED / self.periods_per_year

    @property
    def effective_penalty_rate(self) -> Decimal:
        """Annual penalty rate in percent: ``penalty_rate`` or, when not given, 1.5 × ``annual_rate``."""
        return self.penalty_rate if self.penalty_rate is not None else self.annual_rate * Decimal("1.5")

    @property
    def effective_compound_rate(self) -> Decimal:
        """Annual rate for compound interest on overdue interest: ``compound_rate`` or the penalty rate."""
        return self.compound_rate if self.compound_rate is not None else self.effective_penalty_rate

    @property
    def financed_fees(self) -> Decimal:
        """Upfront fees added to the principal (unrounded sum)."""
        return sum((f.amount_on(self.principal) for f in self.fees
                    if f.timing == "upfront" and f.treatment == "financed"), ZERO)
