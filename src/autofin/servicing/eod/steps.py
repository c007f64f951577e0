"""The steps of the end-of-day batch, each a few set-based SQL statements over a loan-id range.

**Exact integer arithmetic only.** Money is BIGINT minor units (分); rates are read from the ``Rate`` columns
(integer count of 1e-10 percent) and scaled down to 1e-6 percent (``RATE_DIVISOR``) — exact, because
:func:`autofin.servicing.service.open_loan_account` refuses rates with more than six decimal places. Every
division is integer division of non-negative operands (truncation = floor on both databases) with an explicit
half-up term, so SQLite and PostgreSQL give the same cent.

**No overflow.** ``amount × rate × days`` would not fit in 63 bits at realistic sizes (10,000,000.00 yuan =
1e9 分, × 36 % = 3.6e7 units = 3.6e16, × 400 days > 9.2e18). So the product is split:
``q = P·R div D`` and ``r = P·R mod D`` (``D = 100 · 1e6 · day basis``), and
``round(P·R·N / D) = q·N + (r·N + D/2) div D``. Each factor stays below 2^63 for ``P·R ≤ 9.2e18``, i.e. a
principal up to 900,000,000.00 yuan at any rate up to 100 % (``MAX_PRINCIPAL_MINOR``), and for any
``N < 2.5e8`` days. SQLite silently turns an overflowing integer product into a float, so the bound is enforced
at loan opening and proven by a test at the extremes.

**Idempotent.** Each step computes absolute values (penalty from ``penalty_base`` / ``penalty_from_day``, the
cumulative interest earned to date) and writes only rows whose value changes; the day's delta per loan goes to
``servicing_accruals`` (the subledger) in the same transaction, before the update. Running a step again for the
same date finds nothing to change.

**Set-based.** ``UPDATE … FROM`` (PostgreSQL, and SQLite ≥ 3.33) joins loans and installments once; no
correlated sub-select per row, no loop per loan.

SQL is built from the fixed fragments of this module only; every value is a bound parameter (hence the
``# noqa: S608`` on the statements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text

from autofin.db.types import UTCDateTime
from autofin.db.uow import UnitOfWork
from autofin.kernel.errors import Conflict, Text, ValidationFailed, invalid
from autofin.kernel.money import from_minor
from autofin.platform import service as platform
from autofin.servicing import events, reconciliation
from autofin.servicing.eod.warnings import warning_rules
from autofin.servicing.special.history import record_eod_classification_changes

#: Rate columns hold 1e-10 percent; the batch works in 1e-6 percent (rates have at most 6 decimal places).
RATE_DIVISOR = 10_000
RATE_UNITS_PER_PERCENT = 1_000_000
#: The largest principal (分) whose ``principal × rate`` (rate ≤ 100 % = 1e8 units) fits in a signed 64-bit integer.
MAX_PRINCIPAL_MINOR = 90_000_000_000  # 900,000,000.00 yuan
EPOCH = date(1970, 1, 1)

LIVE = "l.status IN ('active', 'overdue')"
OWED = ("(i.principal_due + i.interest_due + i.fee_due + i.penalty_due - i.principal_paid - i.interest_paid"
        " - i.fee_paid - i.penalty_paid - i.waived)")
#: Provision per class rank (1 pass … 5 loss) in basis points: 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 %.
PROVISION_BASIS_POINTS: dict[int, int] = {1: 0, 2: 200, 3: 2500, 4: 5000, 5: 10000}
CLASS_NAMES = ("pass", "special_mention", "substandard", "doubtful", "loss")
PROVISION_KEY = "servicing.provision_rates"
BUCKET_OF_DPD = ("CASE WHEN {dpd} = 0 THEN 'M0' WHEN {dpd} <= 30 THEN 'M1' WHEN {dpd} <= 60 THEN 'M2' "
                 "WHEN {dpd} <= 90 THEN 'M3' ELSE 'M4+' END")


# ------------------------------------------------------------------------------------------ exact arithmetic
def interest_sql(principal: str, rate_column: str, days: str, basis: str) -> str:
    """SQL for ``round_half_up(principal × rate% × days ÷ basis)`` in minor units, exact and overflow-free.

    ``principal`` (分, BIGINT), ``rate_column`` (a ``Rate`` column: 1e-10 percent), ``days`` and ``basis``
    (integers) are SQL expressions of this module's fixed fragments.
    """
    product = f"(({principal}) * ({rate_column} / {RATE_DIVISOR}))"
    divisor = f"(CAST({basis} AS BIGINT) * {100 * RATE_UNITS_PER_PERCENT})"
    return (f"(({product} / {divisor}) * ({days}) "
            f"+ (({product} % {divisor}) * ({days}) + {divisor} / 2) / {divisor})")


def interest_minor(principal_minor: int, rate_units_1e10: int, days: int, basis: int) -> int:
    """The same computation as :func:`interest_sql`, in Python (what the SQL must equal)."""
    product = principal_minor * (rate_units_1e10 // RATE_DIVISOR)
    divisor = basis * 100 * RATE_UNITS_PER_PERCENT
    return (product // divisor) * days + ((product % divisor) * days + divisor // 2) // divisor


def share_sql(amount: str, part: str, whole: str) -> str:
    """SQL for ``round_half_up(amount × part ÷ whole)`` (non-negative integers; amount × part < 4.6e18)."""
    return f"((({amount}) * ({part}) * 2 + ({whole})) / (2 * ({whole})))"


def _run(uow: UnitOfWork, sql: str, **params: Any) -> int:
    result = uow.session.execute(text(sql), params)
    return int(getattr(result, "rowcount", 0) or 0)


# ------------------------------------------------------------------------------------------ the installment pass
@dataclass(frozen=True)
class InstallmentChange:
    """What one installment step does to each installment of a live loan: where ``applies`` holds, ``column``
    becomes ``new_value``. Both may use ``{status}``, the installment's status after the earlier steps of the same
    pass. ``accrual`` names the ``servicing_accruals`` kind that records the day's Σ(new − stored) per loan
    ("" when no money moves)."""

    column: str
    new_value: str
    applies: str
    accrual: str = ""


INSTALLMENT_CHANGES: dict[str, InstallmentChange] = {
    # unpaid installments due before the business date become overdue; due on it: due
    "mark_overdue": InstallmentChange(
        "status", "CASE WHEN i.due_day < :d THEN 'overdue' ELSE 'due' END",
        f"i.due_day <= :d AND (i.status = 'future' OR (i.status = 'due' AND i.due_day < :d)) AND {OWED} > 0"),
    # 罚息: penalty = base + round(overdue principal × penalty rate × days since the base ÷ day basis), exactly
    # :func:`autofin.calc.penalty_interest` over the same days (actual/360, actual/365)
    "penalty": InstallmentChange(
        "penalty_due", "(i.penalty_base + " + interest_sql(
            "i.principal_due - i.principal_paid", "l.penalty_rate", ":d - i.penalty_from_day", "l.day_basis") + ")",
        "{status} = 'overdue' AND i.principal_due > i.principal_paid AND i.penalty_from_day < :d", "penalty"),
    # 计提利息: each installment's interest earned to date — the cumulative share of its interest by days of its
    # period, rounded once (so Σ daily accruals over a period = the period's interest, no drift)
    "interest_accrual": InstallmentChange(
        "interest_accrued", "(CASE WHEN :d >= i.period_end_day THEN i.interest_due ELSE "
        + share_sql("i.interest_due", ":d - i.period_start_day", "i.period_end_day - i.period_start_day") + " END)",
        "i.period_start_day < :d AND i.period_end_day > i.period_start_day AND i.interest_accrued < i.interest_due",
        "interest"),
}


def installment_pass(uow: UnitOfWork, day: int, lo: int, hi: int, names: Sequence[str]) -> int:
    """The installment steps ``names`` (in batch order) together: one read that records the day's accruals, then
    one rewrite of each installment that changes. Rewriting rows is what the batch pays for on PostgreSQL (a new
    row version and its WAL each time), and the three steps rewrite mostly the same rows, so one pass saves about
    two rewrites of every overdue installment. Returns the rows rewritten."""
    status = "i.status"
    new_values: dict[InstallmentChange, str] = {}
    for name in names:
        change = INSTALLMENT_CHANGES[name]
        new_values[change] = (f"(CASE WHEN {change.applies.format(status=status)} THEN {change.new_value} "
                              f"ELSE i.{change.column} END)")
        if change.column == "status":
            status = new_values[change]
    changed = " OR ".join(f"{new} <> i.{change.column}" for change, new in new_values.items())
    live_range = f"i.loan_id BETWEEN :lo AND :hi AND l.id BETWEEN :lo AND :hi AND {LIVE} AND ({changed})"
    accruing = [(change, new) for change, new in new_values.items() if change.accrual]
    if accruing:
        sums = ", ".join(f"SUM({new} - i.{change.column}) AS {change.accrual}" for change, new in accruing)
        kinds = " UNION ALL ".join(f"SELECT '{change.accrual}' AS kind" for change, _new in accruing)
        amount = ("CASE k.kind " + " ".join(f"WHEN '{change.accrual}' THEN c.{change.accrual}"
                                            for change, _new in accruing) + " END")
        _run(uow, f"""
            INSERT INTO servicing_accruals (loan_id, business_day, kind, amount)
            SELECT c.loan_id, :d, k.kind, {amount}
            FROM (SELECT i.loan_id, {sums}
                  FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id
                  WHERE {live_range} GROUP BY i.loan_id) AS c
            CROSS JOIN ({kinds}) AS k
            WHERE {amount} <> 0""", d=day, lo=lo, hi=hi)  # noqa: S608 - fixed fragments, bound values
    assignments = ", ".join(f"{change.column} = {new}" for change, new in new_values.items())
    return _run(uow, f"""
        UPDATE servicing_installments AS i SET {assignments}
        FROM servicing_loans l
        WHERE l.id = i.loan_id AND {live_range}""", d=day, lo=lo, hi=hi)  # noqa: S608 - fixed fragments


def passes(names: Sequence[str]) -> list[tuple[str, ...]]:
    """The configured steps as units of work: consecutive installment steps form one pass, every other step is
    its own. ``["mark_overdue", "penalty", "interest_accrual", "delinquency"]`` →
    ``[("mark_overdue", "penalty", "interest_accrual"), ("delinquency",)]``."""
    grouped: list[tuple[str, ...]] = []
    for name in names:
        if grouped and name in INSTALLMENT_CHANGES and grouped[-1][-1] in INSTALLMENT_CHANGES:
            grouped[-1] = (*grouped[-1], name)
        else:
            grouped.append((name,))
    return grouped


#: Joins the step names of a pass where one name is shown (progress, seconds per pass).
STEP_JOINER = " + "


def run_pass(uow: UnitOfWork, day: int, lo: int, hi: int, names: Sequence[str]) -> int:
    """One unit of :func:`passes` over one loan-id range."""
    if names[0] in INSTALLMENT_CHANGES:
        return installment_pass(uow, day, lo, hi, names)
    (name,) = names
    return STEPS[name](uow, day, lo, hi)


# ------------------------------------------------------------------------------------------ the other steps
def delinquency(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """Days past due from the oldest overdue installment; buckets M0, M1 1–30, M2 31–60, M3 61–90, M4+ 91+."""
    dpd = "(:d - o.oldest)"
    count = _run(uow, f"""
        UPDATE servicing_loans AS l SET days_past_due = {dpd}, status = 'overdue',
            bucket = {BUCKET_OF_DPD.format(dpd=dpd)}, version = l.version + 1
        FROM (SELECT loan_id, MIN(due_day) AS oldest FROM servicing_installments
              WHERE loan_id BETWEEN :lo AND :hi AND status = 'overdue' GROUP BY loan_id) AS o
        WHERE l.id = o.loan_id AND l.id BETWEEN :lo AND :hi AND {LIVE}
          AND (l.days_past_due <> {dpd} OR l.status <> 'overdue')""", d=day, lo=lo, hi=hi)  # noqa: S608
    count += _run(uow, f"""
        UPDATE servicing_loans AS l SET days_past_due = 0, status = 'active', bucket = 'M0', version = l.version + 1
        WHERE l.id BETWEEN :lo AND :hi AND {LIVE} AND (l.days_past_due <> 0 OR l.status <> 'active')
          AND NOT EXISTS (SELECT 1 FROM servicing_installments i
                          WHERE i.loan_id = l.id AND i.status = 'overdue')""", lo=lo, hi=hi)  # noqa: S608
    return count


def classification(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """五级分类 floors by DPD (downgrade only) and provisions by class on the principal outstanding."""
    floor = ("(CASE WHEN l.days_past_due > 360 THEN 5 WHEN l.days_past_due > 270 THEN 4 "
             "WHEN l.days_past_due > 90 THEN 3 WHEN l.days_past_due > 0 THEN 2 ELSE 1 END)")
    # special business (special/): a restructured loan is at least 次级 (rank 3) until restructured_until, and
    # every downgrade is written to the classification history (set-based, before the UPDATE, same transaction)
    floor = f"(CASE WHEN l.restructured_until >= :today AND {floor} < 3 THEN 3 ELSE {floor} END)"
    today = EPOCH + timedelta(days=day)
    record_eod_classification_changes(uow, day, lo, hi, floor, LIVE, {"today": today})
    # one pass over the loans: the new class (downgrade only) and the provision of the new class together
    rank = f"(CASE WHEN {floor} > l.classification_rank THEN {floor} ELSE l.classification_rank END)"
    names = "CASE " + rank + " " + " ".join(
        f"WHEN {number} THEN '{name}'" for number, name in enumerate(CLASS_NAMES, start=1)) + " END"
    points = "(CASE " + rank + " " + " ".join(f"WHEN {number} THEN :bp{number}" for number in range(1, 6)) + " END)"
    new_value = f"((l.principal_outstanding * {points} + 5000) / 10000)"
    basis_points = {f"bp{number}": bp for number, bp in provision_basis_points(uow, today).items()}
    _run(uow, f"""
        INSERT INTO servicing_accruals (loan_id, business_day, kind, amount)
        SELECT l.id, :d, 'provision', {new_value} - l.provision FROM servicing_loans l
        WHERE l.id BETWEEN :lo AND :hi AND {LIVE} AND {new_value} <> l.provision""",  # noqa: S608
         d=day, lo=lo, hi=hi, today=today, **basis_points)
    return _run(uow, f"""
        UPDATE servicing_loans AS l SET classification_rank = {rank}, classification = {names},
            provision = {new_value},
            version = CASE WHEN {floor} > l.classification_rank THEN l.version + 1 ELSE l.version END
        WHERE l.id BETWEEN :lo AND :hi AND {LIVE}
          AND ({floor} > l.classification_rank OR {new_value} <> l.provision)""",  # noqa: S608
                lo=lo, hi=hi, today=today, **basis_points)


def provision_basis_points(uow: UnitOfWork, on: date) -> dict[int, int]:
    """Provision rate per class rank in basis points: config ``servicing.provision_rates`` (percent per class,
    e.g. ``{"special_mention": "2", "substandard": "25", "doubtful": "50", "loss": "100"}``; a class left out keeps
    its default). A rate outside 0–100 % or finer than 0.01 % fails the step (the date does not advance)."""
    raw = platform.get_parameter(uow, PROVISION_KEY, on=on, default={})
    rates = dict(PROVISION_BASIS_POINTS)
    if not isinstance(raw, dict) or set(raw) - set(CLASS_NAMES):
        raise _bad_provision_config(raw)
    for rank, name in enumerate(CLASS_NAMES, start=1):
        if name not in raw:
            continue
        try:
            percent = Decimal(str(raw[name]))
        except ArithmeticError:
            raise _bad_provision_config(raw) from None
        if not percent.is_finite() or not 0 <= percent <= 100 or percent != percent.quantize(Decimal("0.01")):
            raise _bad_provision_config(raw)
        rates[rank] = int(percent * 100)
    return rates


def _bad_provision_config(raw: object) -> ValidationFailed:
    return invalid(PROVISION_KEY, f"provision rates must map classes ({', '.join(CLASS_NAMES)}) to percentages "
                   f"from 0 to 100 with at most 2 decimals, got {raw!r}",
                   f"拨备比例须为各分类（{', '.join(CLASS_NAMES)}）到 0–100 之间、最多两位小数的百分比，当前为 {raw!r}",
                   code="servicing.eod.provision_config_invalid")


def postings(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """Ledger postings summarised per day and partition (the per-loan detail stays in the accruals)."""
    rows = uow.session.execute(text("""
        SELECT kind, SUM(amount) FROM servicing_accruals
        WHERE business_day = :d AND loan_id BETWEEN :lo AND :hi GROUP BY kind"""), {"d": day, "lo": lo, "hi": hi})
    business_date = EPOCH + timedelta(days=day)
    count = 0
    for kind, minor in rows:
        amount = from_minor(int(minor))
        source = f"eod:{business_date}:{kind}:{lo}-{hi}"
        if kind == "interest":
            uow.emit(events.InterestAccrued(source, business_date, {"interest": amount}))
        elif kind == "penalty":
            uow.emit(events.PenaltyAccrued(source, business_date, {"penalty": amount}))
        else:
            uow.emit(events.ProvisionChanged(source, business_date, {"change": amount}))
        count += 1
    return count


def direct_debit(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """代扣: attempt 1 (key ``dd:<loan>:<installment>:1``) for every unpaid installment due on the next day of a
    loan with an active mandate; an installment that has any attempt already gets none (never two debits).
    Sending happens on the due date (:func:`autofin.servicing.payments.debit.send_due_debits`), not in the batch."""
    statement = text(f"""
        INSERT INTO servicing_debit_attempts (loan_id, mandate_id, installment, attempt, due_date, scheduled_on,
            idempotency_key, status, failure_reason, created_at)
        SELECT i.loan_id, m.id, i.number, 1, i.due_date, i.due_date,
            'dd:' || CAST(i.loan_id AS VARCHAR(20)) || ':' || CAST(i.number AS VARCHAR(10)) || '\\:1',
            'scheduled', '', :now
        FROM servicing_installments i
        JOIN servicing_loans l ON l.id = i.loan_id
        JOIN servicing_debit_mandates m ON m.loan_id = i.loan_id AND m.status = 'active'
        WHERE i.due_day = :next AND i.loan_id BETWEEN :lo AND :hi AND l.id BETWEEN :lo AND :hi AND {LIVE}
          AND {OWED} > 0
          AND NOT EXISTS (SELECT 1 FROM servicing_debit_attempts a
                          WHERE a.loan_id = i.loan_id AND a.installment = i.number)""").bindparams(  # noqa: S608
        bindparam("now", type_=UTCDateTime()))
    result = uow.session.execute(statement, {"next": day + 1, "lo": lo, "hi": hi, "now": datetime.now(UTC)})
    return int(getattr(result, "rowcount", 0) or 0)


def warnings(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """预警 hook: every registered warning rule (:mod:`autofin.servicing.eod.warnings`) over the partition."""
    business_date = EPOCH + timedelta(days=day)
    return sum(rule(uow, business_date, lo, hi) for rule in warning_rules().values())


def subledger_check(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
    """Loan principal in servicing vs the ledger's 贷款 (1303) at the end of the day, after the postings. Runs once
    per date over all loans (a global step); a difference fails the step, so the business date does not advance."""
    business_date = EPOCH + timedelta(days=day)
    problems = reconciliation.principal_reconciliation(uow, business_date)
    if problems:
        raise Conflict("servicing.eod.subledger_mismatch", Text(
            "The loan subledger disagrees with the ledger: " + "; ".join(problems),
            "贷款分户账与总账不符：" + "；".join(problems)))
    return 0


def _installment_step(name: str) -> Callable[[UnitOfWork, int, int, int], int]:
    def step(uow: UnitOfWork, day: int, lo: int, hi: int) -> int:
        return installment_pass(uow, day, lo, hi, (name,))
    step.__doc__ = f"The installment step {name} alone (see :data:`INSTALLMENT_CHANGES`)."
    return step


STEPS: dict[str, Callable[[UnitOfWork, int, int, int], int]] = {
    **{name: _installment_step(name) for name in INSTALLMENT_CHANGES},
    "delinquency": delinquency,
    "classification": classification,
    "direct_debit": direct_debit,
    "warnings": warnings,
    "postings": postings,
    "subledger_check": subledger_check,
}
#: The table each step rewrites in bulk. On PostgreSQL the runner refreshes that table's planner statistics after
#: the pass (ANALYZE samples it: ≈0.35 s at a million loans), so the steps after it are planned for today's rows:
#: on a night when many loans fall behind at once, plans made from yesterday's statistics (hardly any overdue)
#: took the status index over a partition's id range and read every overdue loan of the book per partition.
REWRITTEN_TABLE: dict[str, str] = {
    **dict.fromkeys(INSTALLMENT_CHANGES, "servicing_installments"),
    "delinquency": "servicing_loans",
}
#: Steps that look at all loans at once: run as a single unit after every partition of the steps before them.
GLOBAL_STEPS: frozenset[str] = frozenset({"subledger_check"})
