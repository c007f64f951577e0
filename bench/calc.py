"""Schedules per second: 36-month annuity loans through the Decimal engine, against the same maths in floats.

    PYTHONPATH=src .venv/bin/python bench/calc.py [--seconds N]

One core, one process. The float floor computes the same installments (level payment, per-period interest,
rounding to cents with round(), last installment absorbing the residual, due dates) without Decimal or
dataclasses; the ratio says what exactness costs. Target: ≥ 5,000 Decimal schedules/s.
"""

from __future__ import annotations

import argparse
import random
import time
from calendar import monthrange
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from autofin.calc import LoanTerms, build_schedule

TERM = 36
TARGET = 5_000


def make_loans(count: int) -> list[LoanTerms]:
    rng = random.Random(36)
    return [
        LoanTerms(
            principal=Decimal(rng.randrange(50_000, 500_000)),
            annual_rate=Decimal(rng.randrange(300, 1800)) / 100,
            term=TERM,
            disbursement_date=date(2025, rng.randrange(1, 13), rng.randrange(1, 29)),
        )
        for _ in range(count)
    ]


def float_schedule(principal: float, annual_rate: float, term: int, start: date) -> list[tuple[object, ...]]:
    rate = annual_rate / 100 / 12
    payment = round(principal * rate / (1 - (1 + rate) ** -term), 2)
    balance = principal
    rows = []
    year, month0, day = start.year, start.month - 1, start.day
    for k in range(1, term + 1):
        index = month0 + k
        y, m = year + index // 12, index % 12 + 1
        due = date(y, m, min(day, monthrange(y, m)[1]))
        interest = round(balance * rate, 2)
        principal_part = balance if k == term else round(payment - interest, 2)
        balance = round(balance - principal_part, 2)
        rows.append((k, due, principal_part, interest, principal_part + interest, balance))
    return rows


def measure(seconds: float, batch: Callable[[], int]) -> float:
    """Schedules per second of ``batch`` (which returns how many schedules it built), run for ``seconds``."""
    loans_done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        loans_done += batch()
    return loans_done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement (default 3)")
    args = parser.parse_args()

    loans = make_loans(500)
    floats = [(float(t.principal), float(t.annual_rate), t.term, t.disbursement_date) for t in loans]
    check = build_schedule(loans[0])
    if check.totals.principal != loans[0].principal or check.installments[-1].balance != 0:
        raise SystemExit("the Decimal engine does not close its sums; not benchmarking a wrong answer")

    def decimal_batch() -> int:
        for terms in loans:
            build_schedule(terms)
        return len(loans)

    def float_batch() -> int:
        for principal, rate, term, start in floats:
            float_schedule(principal, rate, term, start)
        return len(floats)

    decimal_rate = measure(args.seconds, decimal_batch)
    float_rate = measure(args.seconds, float_batch)
    print(f"36-month annuity schedules, one core, {args.seconds:g} s each")
    print(f"  Decimal engine (autofin.calc.build_schedule): {decimal_rate:10,.0f} schedules/s")
    print(f"  plain floats (floor):                         {float_rate:10,.0f} schedules/s")
    print(f"  ratio float / Decimal:                        {float_rate / decimal_rate:10.2f}x")
    print(f"  target ≥ {TARGET:,} schedules/s: {'met' if decimal_rate >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
