"""Read-only views of the loan book for the servicing console: loan search with every filter, the 待确认 queue,
the delinquency dashboard (by bucket and five-level class, provision trend) and end-of-day status and history.

Every query checks ``servicing.loan.view`` and the actor's data scope (``restrict``), so the console shows the
same loans as the API. Sums are taken in the database over the integer minor units (no per-loan loop). The
pure helpers at the end (``step_summary``, ``loans_csv`` …) shape those answers for the pages and are unit-tested.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Select, func, or_, select, type_coerce

from autofin.db.paging import fetch_page
from autofin.db.scoping import restrict
from autofin.db.uow import UnitOfWork
from autofin.kernel.actor import Actor
from autofin.kernel.money import ZERO, from_minor
from autofin.servicing.eod.runner import _ranges
from autofin.servicing.eod.steps import GLOBAL_STEPS, STEPS
from autofin.servicing.models import (
    EPOCH,
    DailyAccrual,
    EodRun,
    EodStepProgress,
    Installment,
    LoanAccount,
    LoanTransaction,
)
from autofin.servicing.permissions import LOAN_VIEW
from autofin.servicing.special.models import ClassificationChange

BUCKETS = ("M0", "M1", "M2", "M3", "M4+")
CLASSES = ("pass", "special_mention", "substandard", "doubtful", "loss")
STATUSES = ("active", "overdue", "settled", "written_off", "transferred", "closed")
LIVE = ("active", "overdue")
EXPORT_LIMIT = 10_000
FAILED_LOANS_SHOWN = 50


@dataclass(frozen=True)
class LoanFilter:
    """What the loan search filters on (every part optional)."""

    q: str | None = None  # contract number or customer name, a part of it
    status: str | None = None
    dpd_min: int | None = None
    bucket: str | None = None
    classification: str | None = None


def _visible_loans(actor: Actor) -> Select[Any]:
    actor.require(LOAN_VIEW)
    return restrict(select(LoanAccount), actor, department_column=LoanAccount.department_id,
                    owner_column=LoanAccount.owner_id)


def _filtered(actor: Actor, wanted: LoanFilter) -> Select[Any]:
    statement = _visible_loans(actor)
    if wanted.q:
        like = f"%{wanted.q.strip()}%"
        statement = statement.where(or_(LoanAccount.contract_no.ilike(like), LoanAccount.customer_name.ilike(like)))
    if wanted.status:
        statement = statement.where(LoanAccount.status == wanted.status)
    if wanted.dpd_min is not None:
        statement = statement.where(LoanAccount.days_past_due >= wanted.dpd_min)
    if wanted.bucket:
        statement = statement.where(LoanAccount.bucket == wanted.bucket)
    if wanted.classification:
        statement = statement.where(LoanAccount.classification == wanted.classification)
    return statement


def search_loans(uow: UnitOfWork, actor: Actor, wanted: LoanFilter, *, page: int = 1,
                 size: int = 20) -> tuple[list[LoanAccount], int]:
    """贷款查询: one page of the visible loans matching ``wanted`` (newest first) and how many match in all."""
    return fetch_page(uow.session, _filtered(actor, wanted), (LoanAccount.id.desc(),), page, size)


def export_loans(uow: UnitOfWork, actor: Actor, wanted: LoanFilter) -> list[LoanAccount]:
    """Every visible loan matching ``wanted`` for a download (at most ``EXPORT_LIMIT``)."""
    statement = _filtered(actor, wanted).order_by(LoanAccount.id.desc()).limit(EXPORT_LIMIT)
    return list(uow.session.scalars(statement))


def pending_repayments(uow: UnitOfWork, actor: Actor, *, page: int = 1,
                       size: int = 20) -> tuple[list[tuple[LoanTransaction, LoanAccount]], int]:
    """待确认: repayments recorded and waiting for a second person, oldest first, on loans the actor may see."""
    visible = _visible_loans(actor).with_only_columns(LoanAccount.id).scalar_subquery()
    statement = select(LoanTransaction).where(LoanTransaction.status == "pending", LoanTransaction.loan_id.in_(visible))
    rows, total = fetch_page(uow.session, statement, (LoanTransaction.id,), page, size)
    loans = {loan.id: loan for loan in uow.session.scalars(
        select(LoanAccount).where(LoanAccount.id.in_({tx.loan_id for tx in rows})))} if rows else {}
    return [(tx, loans[tx.loan_id]) for tx in rows], total


def unpaid_parts(row: Any) -> dict[str, Decimal]:
    """Pure: what an installment still owes per part. The projection keeps one ``waived`` total; the engine waives
    penalty first, then fees, then interest (installment by installment), so the total splits exactly that way."""
    waived = row.waived
    owed: dict[str, Decimal] = {}
    for part, due, paid in (("penalty", row.penalty_due, row.penalty_paid), ("fees", row.fee_due, row.fee_paid),
                            ("interest", row.interest_due, row.interest_paid)):
        open_amount = max(due - paid, ZERO)
        taken = min(waived, open_amount)
        waived -= taken
        owed[part] = open_amount - taken
    owed["principal"] = row.principal_due - row.principal_paid
    return owed


def balance_summary(installments: Iterable[Any], credit: Decimal) -> dict[str, Decimal]:
    """Pure: the loan page's balances from its installments — principal outstanding; interest and fees fallen due
    and unpaid; penalties; the overdue amount (everything owed on overdue installments); credit. Waivers count
    (see :func:`unpaid_parts`)."""
    rows = [(r.status, unpaid_parts(r)) for r in installments]
    due = [parts for status, parts in rows if status in ("due", "overdue")]
    return {
        "principal": sum((parts["principal"] for _status, parts in rows), ZERO),
        "interest": sum((parts["interest"] for parts in due), ZERO),
        "fees": sum((parts["fees"] for parts in due), ZERO),
        "penalty": sum((parts["penalty"] for _status, parts in rows), ZERO),
        "overdue": sum((sum(parts.values(), ZERO) for status, parts in rows if status == "overdue"), ZERO),
        "credit": credit,
    }


def classification_history(uow: UnitOfWork, loan_id: int) -> list[dict[str, Any]]:
    """五级分类变动 of a loan, newest first (the caller has checked the loan is visible)."""
    rows = uow.session.scalars(select(ClassificationChange).where(ClassificationChange.loan_id == loan_id)
                               .order_by(ClassificationChange.id.desc()).limit(200))
    return [{"id": r.id, "date": r.business_date, "from": r.from_class, "to": r.to_class, "source": r.source,
             "reason": r.reason, "by": r.actor_id, "at": r.created_at} for r in rows]


# ------------------------------------------------------------------------------------------ delinquency
@dataclass
class Slice:
    """The live loans of one bucket or class: how many, their principal outstanding, the overdue amount owed."""

    key: str
    loans: int = 0
    principal: Decimal = ZERO
    overdue: Decimal = ZERO
    provision: Decimal = ZERO


@dataclass
class Delinquency:
    by_bucket: list[Slice] = field(default_factory=list)
    by_class: list[Slice] = field(default_factory=list)

    @property
    def loans(self) -> int:
        return sum(s.loans for s in self.by_bucket)

    @property
    def principal(self) -> Decimal:
        return sum((s.principal for s in self.by_bucket), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((s.overdue for s in self.by_bucket), ZERO)

    @property
    def overdue_loans(self) -> int:
        return sum(s.loans for s in self.by_bucket if s.key != "M0")


def _minor(expression: Any) -> Any:
    return func.coalesce(func.sum(type_coerce(expression, BigInteger)), 0)


def delinquency(uow: UnitOfWork, actor: Actor) -> Delinquency:
    """逾期看板: live loans (active / overdue) by bucket M0…M4+ and by five-level class, every key present."""
    loans = _visible_loans(actor).where(LoanAccount.status.in_(LIVE)).subquery()
    owed = (Installment.principal_due + Installment.interest_due + Installment.fee_due + Installment.penalty_due
            - Installment.principal_paid - Installment.interest_paid - Installment.fee_paid
            - Installment.penalty_paid - Installment.waived)
    overdue_by_loan = (select(Installment.loan_id, _minor(owed).label("overdue"))
                       .where(Installment.status == "overdue").group_by(Installment.loan_id).subquery())
    result = Delinquency()
    for column, keys, target in ((loans.c.bucket, BUCKETS, result.by_bucket),
                                 (loans.c.classification, CLASSES, result.by_class)):
        rows = uow.session.execute(
            select(column, func.count(loans.c.id), _minor(loans.c.principal_outstanding),
                   func.coalesce(func.sum(overdue_by_loan.c.overdue), 0), _minor(loans.c.provision))
            .select_from(loans).outerjoin(overdue_by_loan, overdue_by_loan.c.loan_id == loans.c.id)
            .group_by(column)).all()
        found = {row[0]: row for row in rows}
        for key in [*keys, *sorted(set(found) - set(keys))]:
            row = found.get(key)
            target.append(Slice(key) if row is None else Slice(
                key, int(row[1]), from_minor(int(row[2])), from_minor(int(row[3])), from_minor(int(row[4]))))
    return result


@dataclass(frozen=True)
class TrendPoint:
    business_date: date
    provision: Decimal  # provisions held at the end of the day
    interest: Decimal  # interest accrued that day
    penalty: Decimal  # penalty interest accrued that day


def trend(uow: UnitOfWork, actor: Actor, days: int = 30) -> list[TrendPoint]:
    """The recent business dates (succeeded end-of-day runs): provisions held and the day's accruals, from the
    subledger (provisions change only in the batch, so their running sum is the balance)."""
    visible = _visible_loans(actor).with_only_columns(LoanAccount.id).scalar_subquery()
    dates = sorted(uow.session.scalars(select(EodRun.business_date).where(EodRun.status == "succeeded")
                                       .order_by(EodRun.business_date.desc()).limit(days)))
    if not dates:
        return []
    first_day = (dates[0] - EPOCH).days
    rows = uow.session.execute(
        select(DailyAccrual.business_day, DailyAccrual.kind, _minor(DailyAccrual.amount))
        .where(DailyAccrual.loan_id.in_(visible), DailyAccrual.business_day <= (dates[-1] - EPOCH).days)
        .group_by(DailyAccrual.business_day, DailyAccrual.kind)).all()
    return trend_points(dates, [(int(d), str(k), int(m)) for d, k, m in rows], first_day)


def trend_points(dates: Sequence[date], sums: Iterable[tuple[int, str, int]], first_day: int) -> list[TrendPoint]:
    """Pure: per business date, the running provision balance and that day's interest and penalty accruals."""
    by_day: dict[int, dict[str, int]] = {}
    opening = 0
    for day, kind, minor in sums:
        if day < first_day:
            if kind == "provision":
                opening += minor
            continue
        by_day.setdefault(day, {})[kind] = by_day.get(day, {}).get(kind, 0) + minor
    points: list[TrendPoint] = []
    held = opening
    last = first_day - 1
    for business_date in dates:
        number = (business_date - EPOCH).days
        held += sum(by_day.get(d, {}).get("provision", 0) for d in range(last + 1, number + 1))
        last = number
        sums_of_day = by_day.get(number, {})
        points.append(TrendPoint(business_date, from_minor(held), from_minor(sums_of_day.get("interest", 0)),
                                 from_minor(sums_of_day.get("penalty", 0))))
    return points


# ------------------------------------------------------------------------------------------ end of day
@dataclass(frozen=True)
class StepStatus:
    step: str
    status: str  # done / running / failed / waiting / skipped
    partitions_done: int
    partitions: int
    rows: int
    milliseconds: int


@dataclass
class RunDetail:
    run: EodRun
    steps: list[StepStatus]
    failed_step: str | None = None
    failed_range: tuple[int, int] | None = None
    failed_loans: list[tuple[int, str]] = field(default_factory=list)  # (id, contract no), the first few
    failed_count: int = 0


def eod_runs(uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 20) -> tuple[list[EodRun], int]:
    """日终批处理 history, newest business date first."""
    actor.require(LOAN_VIEW)
    return fetch_page(uow.session, select(EodRun), (EodRun.business_date.desc(), EodRun.id.desc()), page, size)


def step_summary(steps: Sequence[str], partitions: int, status: str,
                 progress: Iterable[tuple[str, int, int, int]],
                 whole_book_steps: Iterable[str] = ()) -> list[StepStatus]:
    """Pure: per step of a run with ``partitions`` partitions (one for a whole-book step), from its progress rows
    ``(step, partition, rows, milliseconds)``: done when every partition finished; the first unfinished step is
    running (or failed, when the run failed) and later ones wait; in a succeeded run a step with no progress at
    all was left out by the configuration (skipped)."""
    finished: dict[str, list[tuple[int, int, int]]] = {}
    for step, partition, rows, milliseconds in progress:
        finished.setdefault(step, []).append((partition, rows, milliseconds))
    whole = set(whole_book_steps)
    answer: list[StepStatus] = []
    blocked = False
    for step in steps:
        done = finished.get(step, [])
        needed = 1 if step in whole else partitions
        complete = len({p for p, _r, _m in done}) >= needed
        if status == "succeeded" and not done:
            state = "skipped"
        elif complete and not blocked:
            state = "done"
        elif blocked:
            state = "waiting"
        else:
            state = "failed" if status == "failed" else ("running" if status == "running" else "waiting")
            blocked = True
        answer.append(StepStatus(step, state, len(done), needed, sum(r for _p, r, _m in done),
                                 sum(m for _p, _r, m in done)))
    return answer


def partition_count(run: EodRun) -> int:
    """How many loan-id partitions the run really has (fewer than asked for when there are few loans)."""
    return len(_ranges(run.id_min, run.id_max, run.partitions))


def eod_run_detail(uow: UnitOfWork, actor: Actor, run_id: int) -> RunDetail | None:
    """One run's steps and, when it failed, the step and the loans of the partition that did not finish."""
    actor.require(LOAN_VIEW)
    run = uow.session.get(EodRun, run_id)
    if run is None:
        return None
    ranges = _ranges(run.id_min, run.id_max, run.partitions)
    progress = uow.session.execute(select(EodStepProgress.step, EodStepProgress.partition, EodStepProgress.rows,
                                          EodStepProgress.milliseconds)
                                   .where(EodStepProgress.run_id == run.id)).all()
    steps = step_summary(list(STEPS), len(ranges), run.status, [tuple(p) for p in progress],  # type: ignore[misc]
                         GLOBAL_STEPS)
    detail = RunDetail(run, steps)
    failed = next((s for s in steps if s.status == "failed"), None)
    if failed is not None:
        done = {p for s, p, _r, _m in progress if s == failed.step}
        units = [(ranges[0][0], ranges[-1][1])] if failed.step in GLOBAL_STEPS else ranges
        missing = [number for number in range(len(units)) if number not in done]
        if missing:
            lo, hi = units[missing[0]]
            detail.failed_step, detail.failed_range = failed.step, (lo, hi)
            statement = _visible_loans(actor).where(LoanAccount.id.between(lo, hi), LoanAccount.status.in_(LIVE))
            detail.failed_count = uow.session.scalar(
                select(func.count()).select_from(statement.subquery())) or 0
            detail.failed_loans = [(loan.id, loan.contract_no) for loan in uow.session.scalars(
                statement.order_by(LoanAccount.id).limit(FAILED_LOANS_SHOWN))]
    return detail


# ------------------------------------------------------------------------------------------ exports
CSV_COLUMNS = ("contract_no", "customer_name", "product_code", "status", "days_past_due", "bucket",
               "classification", "principal", "principal_outstanding", "credit_balance", "provision",
               "disbursement_date", "maturity_date")


def loans_csv(loans: Iterable[Any], headers: Sequence[str] | None = None) -> bytes:
    """Pure: the loans as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese names), money with two
    places, one row per loan in ``CSV_COLUMNS`` order; ``headers`` replace the column names on the first row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(headers) if headers is not None else list(CSV_COLUMNS))
    for loan in loans:
        row = []
        for name in CSV_COLUMNS:
            value = getattr(loan, name)
            if isinstance(value, Decimal):
                value = f"{value:.2f}"
            elif isinstance(value, date):
                value = value.isoformat()
            text = str(value)
            if text[:1] in ("=", "+", "-", "@") and not isinstance(getattr(loan, name), (Decimal, int)):
                text = "'" + text  # a name is never run as a spreadsheet formula
            row.append(text)
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
