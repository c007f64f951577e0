"""The loan as it stands: replay the transactions of a loan over its schedule, in date order.

Pure (no database, no clock): ``replay(setup, transactions, as_of)`` builds the schedule with
:func:`autofin.calc.build_schedule`, then applies each transaction that is not reversed, oldest first, and
returns a :class:`LoanState` (installments with what was charged, paid and waived, each transaction's
allocation, the credit balance and the payoff quote on ``as_of``). Because the state is always rebuilt from the
whole list, a reversal is simply a transaction left out, and every later transaction is re-applied.

Two interest modes:

* **fixed schedule** — interest as scheduled whatever the payment date. A repayment beyond what is due pays the
  next installments in advance (their penalty, fees, interest and principal, as scheduled).
* **interest recalculation** — interest of each installment is the interest that accrued over its period on the
  principal actually outstanding (a payment reduces the balance from its date on), fixed on the due date: a late
  payment costs more interest in the following period, an early one less. Money beyond what is due repays
  principal now, and ``advance_payment`` decides what the schedule does: ``reschedule_next`` (the principal of
  the next installments is paid in advance, the plan stays), ``reduce_term`` or ``reduce_installment``
  (re-amortised with :func:`autofin.calc.prepay`). Installments not yet due show the interest projected on the
  balance if what is owed is paid on time (overdue principal: today). With equal installments (annuity, balloon)
  the installment amount (EMI) is kept, as in Apache Fineract's progressive loans: each installment's principal
  is the EMI less its interest (never negative, never less than what is paid of it) and the last installment
  takes the principal left; after a ``reduce_installment`` / ``reduce_term`` prepayment the EMI is the
  re-amortised one.

Penalty interest (罚息) accrues on overdue principal from each due date (and compound interest on overdue
interest when enabled) through :func:`autofin.calc.penalty_interest`, brought up to date before every
transaction and on ``as_of``. Allocation of a repayment uses :func:`autofin.calc.allocate` in the product's
order; an overpayment becomes a credit balance.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise
from typing import Final, Literal

from autofin.calc import (
    DueItem,
    Installment,
    LoanTerms,
    Schedule,
    allocate,
    build_schedule,
    penalty_interest,
    prepay,
    year_fraction,
)
from autofin.calc.allocation import resolve_order
from autofin.calc.schedule import interest_factors, schedule_from_rows
from autofin.kernel.errors import invalid
from autofin.kernel.money import HUNDRED, ONE, ZERO, quantize, rounding_mode

AdvancePayment = Literal["reduce_installment", "reduce_term", "reschedule_next"]
TransactionType = Literal["repayment", "prepayment", "fee", "waiver"]
ADVANCE_PAYMENTS: Final[tuple[str, ...]] = ("reduce_installment", "reduce_term", "reschedule_next")
TRANSACTION_TYPES: Final[tuple[str, ...]] = ("repayment", "prepayment", "fee", "waiver")
BUCKETS: Final[tuple[str, ...]] = ("penalty", "fees", "interest", "principal")
CODE: Final = "servicing.loan.invalid"
CENT: Final = Decimal("0.01")


@dataclass(frozen=True)
class PenaltySettings:
    """Penalty interest on overdue principal at ``rate`` percent a year; compound interest on overdue interest at
    ``compound_rate`` (default: the penalty rate) when ``compound``."""

    rate: Decimal
    compound: bool = False
    compound_rate: Decimal | None = None

    @classmethod
    def of_terms(cls, terms: LoanTerms) -> PenaltySettings:
        return cls(terms.effective_penalty_rate, terms.compound_overdue_interest, terms.effective_compound_rate)


@dataclass(frozen=True)
class LoanSetup:
    """Everything that decides how a loan's transactions are applied."""

    terms: LoanTerms
    interest_recalculation: bool = False
    advance_payment: AdvancePayment = "reschedule_next"
    penalty: PenaltySettings | None = None
    allocation_order: str | tuple[str, ...] = "default"

    def __post_init__(self) -> None:
        if self.advance_payment not in ADVANCE_PAYMENTS:
            raise invalid("advance_payment", f"advance_payment {self.advance_payment!r} is unknown: use one of "
                          f"{', '.join(ADVANCE_PAYMENTS)}",
                          f"提前还款处理方式 {self.advance_payment!r} 无效：应为 {'、'.join(ADVANCE_PAYMENTS)} 之一",
                          code=CODE)
        resolve_order(self.allocation_order)
        if self.interest_recalculation:
            if self.terms.method == "flat":
                raise invalid("interest_recalculation", "interest recalculation needs interest on the declining "
                              "balance: method flat cannot use it", "等本等息不支持按实际本金重新计息", code=CODE)
            if self.terms.grace_on_interest_payment:
                raise invalid("interest_recalculation", "interest recalculation cannot be combined with "
                              "grace_on_interest_payment", "按实际本金重新计息不能与利息宽限（延后支付）同时使用",
                              code=CODE)
        if self.advance_payment == "reduce_term" and self.terms.method in ("interest_only", "balloon"):
            raise invalid("advance_payment", f"reduce_term needs method annuity or equal_principal, not "
                          f"{self.terms.method}", f"缩期不适用于还款方式 {self.terms.method}", code=CODE)

    @property
    def penalty_settings(self) -> PenaltySettings:
        return self.penalty or PenaltySettings.of_terms(self.terms)


@dataclass(frozen=True)
class Transaction:
    """One money movement or charge: ``reversed`` transactions are shown but not applied."""

    on: date
    type: TransactionType
    amount: Decimal
    reversed: bool = False
    reference: str = ""

    def __post_init__(self) -> None:
        if self.type not in TRANSACTION_TYPES:
            raise invalid("type", f"transaction type {self.type!r} is unknown: use one of "
                          f"{', '.join(TRANSACTION_TYPES)}", f"交易类型 {self.type!r} 无效：应为 "
                          f"{'、'.join(TRANSACTION_TYPES)} 之一", code=CODE)
        if self.amount <= ZERO or quantize(self.amount) != self.amount:
            raise invalid("amount", "a transaction amount must be more than 0 with at most 2 decimal places",
                          "交易金额必须大于 0，且最多两位小数", code=CODE)


@dataclass(frozen=True)
class Line:
    """A part of a transaction: ``installment`` (``None`` for the loan as a whole), the bucket, the amount."""

    installment: int | None
    bucket: str
    amount: Decimal


@dataclass(frozen=True)
class Applied:
    """What one transaction did: for money in, Σ lines + ``credit`` = amount; for a fee, the charge; for a waiver,
    what was waived (``unapplied`` what found nothing to waive)."""

    index: int
    transaction: Transaction
    lines: tuple[Line, ...] = ()
    credit: Decimal = ZERO
    unapplied: Decimal = ZERO

    def bucket_total(self, bucket: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.bucket == bucket), ZERO)


@dataclass(eq=False)
class Row:
    """One installment while replaying: what is charged, paid and waived per bucket."""

    number: int
    due_date: date
    period_start: date
    period_end: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalty: Decimal = ZERO
    charged_fees: Decimal = ZERO  # fees added by fee transactions (part of ``fees``)
    paid: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    waived: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    interest_fixed: bool = False  # recalculation: the interest is final (on the due date)
    penalty_from: date | None = None  # penalty accrued up to this date
    closed_on: date | None = None  # recalculation: paid off early on this date, interest only up to it
    level: Decimal | None = None  # recalculation, equal installments: principal + interest kept (the EMI)
    opening: Decimal = ZERO  # the principal outstanding at the start of its period, as scheduled
    scheduled_interest: Decimal = ZERO  # the interest of the schedule the row was built from

    def charged(self, bucket: str) -> Decimal:
        return {"principal": self.principal, "interest": self.interest, "fees": self.fees,
                "penalty": self.penalty}[bucket]

    def owed(self, bucket: str) -> Decimal:
        return self.charged(bucket) - self.paid[bucket] - self.waived[bucket]

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalty

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    @property
    def total_owed(self) -> Decimal:
        return sum((self.owed(b) for b in BUCKETS), ZERO)

    def due_item(self, buckets: Sequence[str] = BUCKETS) -> DueItem:
        values = {b: (self.owed(b) if b in buckets else ZERO) for b in BUCKETS}
        return DueItem(self.number, self.due_date, values["principal"], values["interest"], values["fees"],
                       values["penalty"])


@dataclass(frozen=True)
class Payoff:
    as_of: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    prepayment_fee: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        gross = self.principal + self.interest + self.fees + self.penalties + self.prepayment_fee - self.credit
        return gross if gross > ZERO else ZERO


@dataclass(frozen=True)
class LoanState:
    setup: LoanSetup
    as_of: date
    rows: tuple[Row, ...]
    applied: tuple[Applied, ...]
    credit: Decimal
    payoff: Payoff

    @property
    def principal_outstanding(self) -> Decimal:
        return sum((r.owed("principal") for r in self.rows), ZERO)

    @property
    def overdue_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.due_date < self.as_of and r.total_owed > ZERO)

    @property
    def days_past_due(self) -> int:
        """Days from the oldest installment still unpaid after its due date (0 when none)."""
        overdue = self.overdue_rows
        return (self.as_of - overdue[0].due_date).days if overdue else 0

    @property
    def settled(self) -> bool:
        return all(r.total_owed <= ZERO for r in self.rows)

    def totals(self, bucket: str) -> tuple[Decimal, Decimal, Decimal]:
        """(charged, paid, waived) of ``bucket`` over all installments."""
        return (sum((r.charged(bucket) for r in self.rows), ZERO), sum((r.paid[bucket] for r in self.rows), ZERO),
                sum((r.waived[bucket] for r in self.rows), ZERO))


class _Repaid:
    """Principal repaid over time, added in date order: how much by a day, and on which days in between."""

    def __init__(self, events: Sequence[tuple[date, Decimal]] = ()) -> None:
        self.dates: list[date] = []
        self.running: list[Decimal] = []
        for on, amount in sorted(events, key=lambda event: event[0]):
            self.add(on, amount)

    def add(self, on: date, amount: Decimal) -> None:
        self.dates.append(on)
        self.running.append((self.running[-1] if self.running else ZERO) + amount)

    def by(self, day: date) -> Decimal:
        index = bisect_right(self.dates, day)
        return self.running[index - 1] if index else ZERO

    def between(self, start: date, stop: date) -> list[date]:
        return self.dates[bisect_right(self.dates, start):bisect_left(self.dates, stop)]


Paths = tuple[_Repaid, ...]


class _Replay:
    def __init__(self, setup: LoanSetup) -> None:
        self.setup = setup
        self.terms = setup.terms
        self.mode = rounding_mode(self.terms.rounding)
        self.schedule: Schedule = build_schedule(self.terms)
        self.keeps_installment = setup.interest_recalculation and self.terms.method in ("annuity", "balloon")
        self.today = self.terms.disbursement_date  # how far the loan has been brought (projections start here)
        self.factors: dict[tuple[int, date, date], Decimal] = {}  # interest factor of each period
        self.rows: list[Row] = [self._row(i) for i in self.schedule.installments]
        self.principal_total = self.schedule.principal  # the amortised principal (never changes)
        self.prepaid = ZERO  # principal prepaid outside any installment (re-amortised away)
        self.principal_paid: list[tuple[date, Decimal]] = []  # recalculation: when principal left the balance
        self.credit = ZERO
        self.penalty = setup.penalty_settings
        self.order = resolve_order(setup.allocation_order)

    def _row(self, item: Installment) -> Row:
        level = item.principal + item.interest if self.keeps_installment and item.principal > ZERO else None
        return Row(item.number, item.due_date, item.period_start, item.period_end, item.principal, item.interest,
                   item.fees, level=level, opening=item.balance + item.principal, scheduled_interest=item.interest)

    # ------------------------------------------------------------------------------------------ time passing
    def balance_on(self, day: date, paths: Paths | None = None) -> Decimal:
        """Principal outstanding during ``day`` (payments dated ``day`` or earlier already out); ``paths`` are
        the principal repayments to count (default: those made)."""
        paths = (_Repaid(self.principal_paid),) if paths is None else paths
        return self.principal_total - sum((path.by(day) for path in paths), ZERO)

    def _factor(self, row: Row) -> Decimal:
        key = (row.number, row.period_start, row.period_end)
        factor = self.factors.get(key)
        if factor is None:
            factor = self.factors[key] = interest_factors(self.terms, [row.period_start], [row.period_end],
                                                          row.number)[0]
        return factor

    def _span(self, row: Row, start: date, stop: date, paths: Paths | None = None) -> Decimal:
        """Unrounded interest under ``row``'s period rate over [start, stop) ∩ its period, on the actual balance
        (or the balance ``paths`` give)."""
        start, stop = max(start, row.period_start), min(stop, row.period_end)
        if stop <= start:
            return ZERO
        factor = self._factor(row)
        if factor == ZERO:
            return ZERO
        paths = (_Repaid(self.principal_paid),) if paths is None else paths
        cuts = sorted({start, stop, *(on for path in paths for on in path.between(start, stop))})
        total = ZERO
        if self.terms.interest_period == "daily" and self.terms.day_count != "30/360":
            annual = self.terms.annual_rate / HUNDRED
            for a, b in pairwise(cuts):
                total += self.balance_on(a, paths) * annual * year_fraction(a, b, self.terms.day_count)
        else:
            # A period split between balances bears its own rate pro rata over its actual days. On 30/360 this is
            # also how Fineract splits a daily-interest period (a whole month is 30/360 either way; a split 31-day
            # month would otherwise count 31 days as 30).
            days = Decimal((row.period_end - row.period_start).days)
            for a, b in pairwise(cuts):
                total += self.balance_on(a, paths) * factor * Decimal((b - a).days) / days
        return total

    def accrued(self, row: Row, until: date, paths: Paths | None = None, index: int | None = None) -> Decimal:
        """Interest ``row`` has earned up to ``until`` on the principal actually outstanding (recalculation),
        with the tail of a previous installment that was paid off before its period ended."""
        if row.closed_on is not None:
            until = min(until, row.closed_on)
        paths = (_Repaid(self.principal_paid),) if paths is None else paths
        total = self._span(row, row.period_start, until, paths)
        index = self.rows.index(row) if index is None else index
        previous = self.rows[index - 1] if index > 0 else None
        if previous is not None and previous.closed_on is not None:
            total += self._span(previous, previous.closed_on, until, paths)
        return quantize(total, 2, self.mode)

    def _projected_interest(self, row: Row, index: int, paths: Paths) -> Decimal:
        """Recalculation: the interest ``row`` will have earned by its due date if the principal still owed is
        repaid as scheduled (overdue principal: today). As scheduled when that leaves its balance untouched."""
        tail = index > 0 and self.rows[index - 1].closed_on is not None
        inside = any(path.between(row.period_start, row.period_end) for path in paths)
        if not tail and not inside and self.balance_on(row.period_start, paths) == row.opening:
            return row.scheduled_interest
        return self.accrued(row, row.period_end, paths, index)

    def _rebalance(self) -> None:
        """Recalculation: bring the installments in line with the interest known today. Installments not yet
        due get their projected interest; with equal installments each keeps its amount (the EMI) and its
        principal is the EMI less its interest — never negative nor less than what is already paid of it — and
        the last installment takes the principal left."""
        if not self.setup.interest_recalculation:
            return
        made, planned = _Repaid(self.principal_paid), _Repaid()
        paths = (made, planned)
        remaining = self.principal_total - self.prepaid
        last = len(self.rows) - 1
        # principal the installments after each one must keep: what is paid of those that follow the EMI (and of
        # the last), the whole principal of the others (grace)
        reserved = [ZERO] * len(self.rows)
        for index in range(last, 0, -1):
            r = self.rows[index]
            kept = r.paid["principal"] + r.waived["principal"] if r.level is not None or index == last else r.principal
            reserved[index - 1] = reserved[index] + kept
        for index, row in enumerate(self.rows):
            if not row.interest_fixed:
                row.interest = max(self._projected_interest(row, index, paths),
                                   row.paid["interest"] + row.waived["interest"])
            floor = row.paid["principal"] + row.waived["principal"]
            if index == last:
                row.principal = remaining
            elif row.level is not None:
                target = min(max(row.level - row.interest, ZERO), remaining - reserved[index])
                row.principal = max(target, floor)
            remaining -= row.principal
            owed = row.principal - floor
            if owed > ZERO:
                planned.add(max(row.period_end, self.today), owed)

    def advance_to(self, day: date) -> None:
        """Bring the loan up to ``day``: fix the interest of installments now due (recalculation) and accrue
        penalty and compound interest on what is overdue."""
        self.today = max(self.today, day)
        if self.setup.interest_recalculation:
            for row in self.rows:
                if row.due_date <= day and not row.interest_fixed:
                    row.interest = max(self.accrued(row, row.period_end), row.paid["interest"] + row.waived["interest"])
                    row.interest_fixed = True
            self._rebalance()
        compound_rate = (self.penalty.compound_rate or self.penalty.rate) if self.penalty.compound else None
        for row in self.rows:
            if row.due_date >= day:
                break
            start = row.penalty_from or row.due_date
            if day <= start:
                continue
            principal, interest = row.owed("principal"), row.owed("interest")
            if principal > ZERO or (compound_rate is not None and interest > ZERO):
                result = penalty_interest(principal, start, day, self.penalty.rate, self.terms.day_count,
                                          interest, compound_rate, self.mode)
                row.penalty += result.total
            row.penalty_from = day

    # ------------------------------------------------------------------------------------------ helpers
    def _pay(self, lines: list[Line], row: Row, bucket: str, amount: Decimal, on: date) -> None:
        if amount <= ZERO:
            return
        row.paid[bucket] += amount
        lines.append(Line(row.number, bucket, amount))
        if bucket == "principal":
            self.principal_paid.append((on, amount))

    def _allocate(self, lines: list[Line], money: Decimal, rows: Sequence[Row], on: date,
                  buckets: Sequence[str] = BUCKETS) -> Decimal:
        """Allocate ``money`` over ``rows`` in the product's order; returns what is left."""
        dues = [r.due_item(buckets) for r in rows if r.total_owed > ZERO]
        if money <= ZERO or not dues:
            return money
        result = allocate(money, dues, self.order)
        by_number = {r.number: r for r in rows}
        for line in result.lines:
            self._pay(lines, by_number[line.number], line.bucket, line.amount, on)
        return result.excess

    def _due(self, day: date) -> list[Row]:
        return [r for r in self.rows if r.due_date <= day]

    def _future(self, day: date) -> list[Row]:
        return [r for r in self.rows if r.due_date > day]

    def current_interest(self, day: date) -> tuple[Row | None, Decimal]:
        """The installment whose period runs on ``day`` and the interest it has earned so far (unpaid part)."""
        future = [r for r in self._future(day) if r.closed_on is None]
        if not future:
            return None, ZERO
        row = future[0]
        if self.setup.interest_recalculation:
            earned = self.accrued(row, day)
        elif day <= row.period_start:
            earned = ZERO
        elif day >= row.period_end:
            earned = row.interest
        elif self.terms.interest_period == "daily":
            whole = year_fraction(row.period_start, row.period_end, self.terms.day_count)
            earned = quantize(row.interest * year_fraction(row.period_start, day, self.terms.day_count) / whole,
                              2, self.mode)
        else:
            share = Decimal((day - row.period_start).days) / Decimal((row.period_end - row.period_start).days)
            earned = quantize(row.interest * share, 2, self.mode)
        unpaid = earned - row.paid["interest"] - row.waived["interest"]
        return row, unpaid if unpaid > ZERO else ZERO

    def payoff(self, day: date, *, with_fee: bool = True) -> Payoff:
        due, future = self._due(day), self._future(day)
        principal = sum((r.owed("principal") for r in self.rows), ZERO)
        interest = sum((r.owed("interest") for r in due), ZERO)
        _row, accrued = self.current_interest(day)
        interest += accrued
        fees = sum((r.owed("fees") for r in due), ZERO) + sum(
            (min(r.owed("fees"), r.charged_fees) for r in future), ZERO)
        if future and future[0].number == 1:
            fees += min(self.schedule.upfront_fees_first_installment, future[0].owed("fees"))
        penalties = sum((r.owed("penalty") for r in self.rows), ZERO)
        not_due = sum((r.owed("principal") for r in future), ZERO)
        fee_rate = self.terms.prepayment_fee_percent
        fee = quantize(not_due * fee_rate / HUNDRED, 2, self.mode) if (fee_rate and with_fee) else ZERO
        return Payoff(day, principal, interest, fees, penalties, fee, self.credit)

    # ------------------------------------------------------------------------------------------ transactions
    def repayment(self, tx: Transaction) -> Applied:
        lines: list[Line] = []
        left = self._allocate(lines, tx.amount, self._due(tx.on), tx.on)
        credit = ZERO
        if left > ZERO:
            left = self._advance(lines, left, tx.on, prepayment=False)
            credit = left
        self.credit += credit
        return Applied(0, tx, tuple(lines), credit)

    def prepayment(self, tx: Transaction) -> Applied:
        lines: list[Line] = []
        left = self._allocate(lines, tx.amount, self._due(tx.on), tx.on)
        if left > ZERO:
            left = self._advance(lines, left, tx.on, prepayment=True)
        self.credit += left
        return Applied(0, tx, tuple(lines), left)

    def _advance(self, lines: list[Line], money: Decimal, on: date, *, prepayment: bool) -> Decimal:
        """Money beyond what is due on ``on``: settle the loan when it is enough, else apply it ahead of time."""
        self._rebalance()
        future = self._future(on)
        not_due = sum((r.owed("principal") for r in future), ZERO)
        if not future or not_due <= ZERO:
            return money
        quote = self.payoff(on, with_fee=prepayment)
        needed = quote.principal + quote.interest + quote.fees + quote.penalties + quote.prepayment_fee
        if money >= needed:
            return self._settle(lines, money, on, quote.prepayment_fee)
        fee_rate = self.terms.prepayment_fee_percent if prepayment else ZERO
        if self.setup.interest_recalculation:
            money = self._close_early(lines, money, on)
            future = [r for r in self._future(on) if r.closed_on is None]
            if money <= ZERO or not future:
                return money
        else:
            if self.setup.advance_payment == "reschedule_next" or not prepayment:
                return self._allocate(lines, money, future, on)
            return self._prepay_fixed(lines, money, on, fee_rate)
        principal = (money / (ONE + fee_rate / HUNDRED)).quantize(CENT, ROUND_DOWN)
        fee = quantize(principal * fee_rate / HUNDRED, 2, self.mode)
        while principal + fee > money:
            principal -= CENT
            fee = quantize(principal * fee_rate / HUNDRED, 2, self.mode)
        if principal <= ZERO:
            return money
        if fee > ZERO:
            lines.append(Line(None, "prepayment_fee", fee))
        if self.setup.advance_payment == "reschedule_next":
            left = self._allocate(lines, principal, future, on, buckets=("principal",))
            return money - principal - fee + left
        if self._reamortise(lines, principal, on, self.setup.advance_payment) is None:
            left = self._allocate(lines, principal, future, on, buckets=("principal",))
            return money - principal - fee + left
        return money - principal - fee

    def _close_early(self, lines: list[Line], money: Decimal, on: date) -> Decimal:
        """Recalculation: money that covers the running installment with the interest earned so far pays it off
        now; its interest stops today and the rest of its period counts with the next installment."""
        row, accrued = self.current_interest(on)
        if row is None or row.period_start >= on:
            return money
        before = [(r.principal, r.interest) for r in self.rows]
        row.interest = accrued + row.paid["interest"] + row.waived["interest"]
        row.interest_fixed = True
        row.closed_on = on
        self._rebalance()  # equal installments: its principal is now the EMI less the interest earned to date
        if money < row.total_owed:
            for r, (principal, interest) in zip(self.rows, before, strict=True):
                r.principal, r.interest = principal, interest
            row.interest_fixed, row.closed_on = False, None
            return money
        left = self._allocate(lines, money, [row], on)
        self._rebalance()
        return left

    def _prepay_fixed(self, lines: list[Line], money: Decimal, on: date, fee_rate: Decimal) -> Decimal:
        """Fixed schedule: a partial prepayment through :func:`autofin.calc.prepay` (interest the prepaid
        principal earned in the current period and the fee are collected with it)."""
        future = self._future(on)
        row = future[0]
        factor = interest_factors(self.terms, [row.period_start], [row.period_end], row.number)[0]
        share = ZERO
        if on > row.period_start:
            share = Decimal((min(on, row.period_end) - row.period_start).days) / Decimal(
                (row.period_end - row.period_start).days)
        principal = (money / (ONE + factor * share + fee_rate / HUNDRED)).quantize(CENT, ROUND_DOWN)
        while principal > ZERO:
            result = self._reamortise(lines, principal, on, self.setup.advance_payment, dry_run=True)  # type: ignore[arg-type]
            if result is None:
                return self._allocate(lines, money, future, on)
            interest, fee = result
            if principal + interest + fee <= money:
                self._reamortise(lines, principal, on, self.setup.advance_payment)  # type: ignore[arg-type]
                if interest > ZERO:
                    lines.append(Line(None, "interest", interest))
                if fee > ZERO:
                    lines.append(Line(None, "prepayment_fee", fee))
                return money - principal - interest - fee
            principal -= CENT
        return money

    def _plan_schedule(self) -> Schedule:
        balance = self.principal_total - self.prepaid
        items = []
        for r in self.rows:
            balance -= r.principal
            items.append(Installment(r.number, r.due_date, r.principal, r.interest, r.fees,
                                     r.principal + r.interest + r.fees, balance, r.period_start, r.period_end,
                                     r.interest))
        return schedule_from_rows(self.terms, items, self.schedule)

    def _reamortise(self, lines: list[Line], principal: Decimal, on: date,
                    mode: Literal["reduce_term", "reduce_installment"],
                    dry_run: bool = False) -> tuple[Decimal, Decimal] | None:
        """Repay ``principal`` now and rebuild the installments after ``on`` with :func:`autofin.calc.prepay`."""
        plan = self._plan_schedule()
        effective = max([on, *(r.period_end for r in self.rows if r.closed_on is not None)])
        kept_count = sum(1 for r in plan.installments if r.period_end <= effective)
        rest = plan.installments[kept_count:]
        if not rest or principal >= rest[0].balance + rest[0].principal:
            return None
        result = prepay(self.terms, effective, principal, mode, schedule=plan)
        if dry_run:
            return result.interest, result.fee
        new_rows = result.schedule.installments[kept_count:]
        old = {r.number: r for r in self.rows[kept_count:]}
        rebuilt: list[Row] = []
        for item in new_rows:
            previous = old.get(item.number)
            row = self._row(item)
            if previous is not None:
                row.charged_fees = previous.charged_fees
                row.fees += previous.charged_fees
                row.paid, row.waived = previous.paid, previous.waived
                row.penalty, row.penalty_from = previous.penalty, previous.penalty_from
            rebuilt.append(row)
        self.rows = self.rows[:kept_count] + rebuilt
        # The prepaid principal leaves the plan as a repayment of its own (not tied to an installment).
        self.prepaid += principal
        self.principal_paid.append((on, principal))
        lines.append(Line(None, "principal", principal))
        for row in rebuilt:  # advance payments beyond what the new installment asks become credit again
            for bucket in ("principal", "interest", "fees"):
                over = row.paid[bucket] + row.waived[bucket] - row.charged(bucket)
                if over > ZERO:
                    row.paid[bucket] -= over
                    self.credit += over
        dropped = [n for n in old if n not in {r.number for r in rebuilt}]
        for number in dropped:
            self.credit += old[number].total_paid
        self._rebalance()
        return result.interest, result.fee

    def _settle(self, lines: list[Line], money: Decimal, on: date, fee: Decimal) -> Decimal:
        """Pay everything off on ``on``: due items, the interest accrued in the current period, all principal."""
        row, accrued = self.current_interest(on)
        future = self._future(on)
        if row is not None:
            row.interest = accrued + row.paid["interest"] + row.waived["interest"]
            row.interest_fixed = True
            for later in future[1:]:
                later.interest = later.paid["interest"] + later.waived["interest"]
                later.interest_fixed = True
            self._rebalance()
        for r in future:
            scheduled_fees = r.fees - r.charged_fees
            if r.number == 1:
                scheduled_fees -= self.schedule.upfront_fees_first_installment
            drop = min(scheduled_fees, r.owed("fees"))
            if drop > ZERO:
                r.fees -= drop
        left = money
        for r in [*self._due(on), *future]:
            for bucket in BUCKETS:
                amount = min(r.owed(bucket), left)
                self._pay(lines, r, bucket, amount, on)
                left -= amount
        if fee > ZERO:
            lines.append(Line(None, "prepayment_fee", fee))
            left -= fee
        return left

    def fee(self, tx: Transaction) -> Applied:
        target = next((r for r in self.rows if r.due_date >= tx.on), self.rows[-1])
        target.fees += tx.amount
        target.charged_fees += tx.amount
        return Applied(0, tx, (Line(target.number, "fees", tx.amount),))

    def waiver(self, tx: Transaction) -> Applied:
        left = tx.amount
        lines: list[Line] = []
        for bucket in ("penalty", "fees", "interest"):
            for r in self.rows:
                if left <= ZERO or r.due_date > tx.on:
                    break
                amount = min(r.owed(bucket), left)
                if amount > ZERO:
                    r.waived[bucket] += amount
                    lines.append(Line(r.number, bucket, amount))
                    left -= amount
        return Applied(0, tx, tuple(lines), unapplied=left)


def replay(setup: LoanSetup, transactions: Sequence[Transaction], as_of: date) -> LoanState:
    """The loan on ``as_of`` after ``transactions`` (reversed ones are listed but not applied)."""
    terms = setup.terms
    if as_of < terms.disbursement_date:
        raise invalid("as_of", f"as_of {as_of} must be on or after the disbursement_date {terms.disbursement_date}",
                      f"查询日 {as_of} 不能早于放款日 {terms.disbursement_date}", code=CODE)
    for index, tx in enumerate(transactions):
        if not terms.disbursement_date <= tx.on <= as_of:
            raise invalid(f"transactions[{index}].date", f"a transaction must be dated from the disbursement_date "
                          f"{terms.disbursement_date} to as_of {as_of}",
                          f"交易日期须在放款日 {terms.disbursement_date} 与查询日 {as_of} 之间", code=CODE)
    engine = _Replay(setup)
    applied: dict[int, Applied] = {}
    order = sorted(range(len(transactions)), key=lambda i: (transactions[i].on, i))
    for index in order:
        tx = transactions[index]
        if tx.reversed:
            applied[index] = Applied(index, tx)
            continue
        engine.advance_to(tx.on)
        handler = {"repayment": engine.repayment, "prepayment": engine.prepayment, "fee": engine.fee,
                   "waiver": engine.waiver}[tx.type]
        result = handler(tx)
        applied[index] = Applied(index, tx, result.lines, result.credit, result.unapplied)
    engine.advance_to(as_of)
    return LoanState(setup, as_of, tuple(engine.rows), tuple(applied[i] for i in range(len(transactions))),
                     engine.credit, engine.payoff(as_of))
