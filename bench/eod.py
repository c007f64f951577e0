"""End-of-day batch speed: ``python bench/eod.py --loans N [--db URL] [--partitions P] [--threads T]``.

Generates N active loans (12 installments each, in varied states: some paid ahead, some overdue by up to 90
days) with INSERT … SELECT, runs two end-of-day nights — the first catches the generated book up (nearly every
loan changes status, bucket and class at once), the second is an ordinary next night — and prints loans/s,
seconds per step, and the floor — one bulk UPDATE touching the same installment and loan rows — with the ratio
batch ÷ floor. ``--threads`` runs that many
partitions at once on PostgreSQL (SQLite has one writer); with AUTOFIN_CELERY_BROKER_URL set the partitions go to
the Celery workers started with ``autofin worker`` (pointed at the same ``--db``).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, make_url, text

from autofin.bootstrap import bootstrap
from autofin.db.base import Base
from autofin.domains import load_domains
from autofin.kernel.actor import SYSTEM
from autofin.kernel.money import from_minor
from autofin.servicing.eod import runner
from autofin.servicing.models import day_number
from autofin.settings import Settings

BUSINESS_DATE = date(2025, 6, 1)
NIGHTS = ("catch-up: every generated loan takes its state (most fall overdue, change bucket and class)",
          "the next night of the book in service (interest and penalty accrue, days past due grow)")


def numbers(dialect: str, count_param: str) -> str:
    if dialect == "postgresql":
        return f"SELECT generate_series(1, :{count_param}) AS x"
    return (f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "  # noqa: S608 - a fixed parameter name
            f"WHERE x < :{count_param}) SELECT x FROM n")


def generate(connection: Connection, dialect: str, loans: int) -> None:
    now = "CURRENT_TIMESTAMP"
    connection.execute(text(f"""
        INSERT INTO servicing_loans (id, contract_no, customer_id, customer_name, product_code, product_version,
            setup, principal, disbursement_date, maturity_date, status, days_past_due, bucket, classification,
            classification_rank, principal_outstanding, credit_balance, provision, annual_rate, penalty_rate,
            day_basis, version, created_at, updated_at)
        SELECT x, 'B' || x, x, '', 'CAR', 1, '{{}}', 1200000, '2025-01-01', '2026-01-01', 'active', 0, 'M0', 'pass',
            1, 1200000 - 100000 * (x % 4), 0, 0, 120000000000, 180000000000, 360, 1, {now}, {now}
        FROM ({numbers(dialect, 'n')}) AS numbers"""), {"n": loans})  # noqa: S608 - fixed fragments
    base = day_number(date(2025, 1, 1))
    connection.execute(text(f"""
        INSERT INTO servicing_installments (loan_id, number, due_date, due_day, period_start_day, period_end_day,
            principal_due, interest_due, fee_due, penalty_due, principal_paid, interest_paid, fee_paid,
            penalty_paid, waived, interest_accrued, penalty_base, penalty_from_day, status)
        SELECT l.id, k.x, '2025-01-01', :base + 30 * k.x - (l.id % 90), :base + 30 * (k.x - 1) - (l.id % 90),
            :base + 30 * k.x - (l.id % 90), 100000, 12000, 0, 0,
            CASE WHEN k.x <= l.id % 4 THEN 100000 ELSE 0 END, CASE WHEN k.x <= l.id % 4 THEN 12000 ELSE 0 END,
            0, 0, 0, CASE WHEN k.x <= l.id % 4 THEN 12000 ELSE 0 END, 0, :base + 30 * k.x - (l.id % 90),
            CASE WHEN k.x <= l.id % 4 THEN 'paid' ELSE 'future' END
        FROM servicing_loans l CROSS JOIN ({numbers(dialect, 'k')}) AS k
        ORDER BY l.id, k.x"""),  # noqa: S608 - fixed fragments (in loan order, as disbursements write them)
        {"base": base, "k": 12})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    default = Path(tempfile.gettempdir()) / "autofin-bench-eod.db"
    url = args.db or f"sqlite:///{default}"
    if not args.db:
        default.unlink(missing_ok=True)
    elif "bench" not in (make_url(url).database or ""):
        parser.error("--db must name a scratch database with 'bench' in its name: its tables are dropped")
    load_domains()
    app = bootstrap(Settings(env="test", database_url=url, secret_key="bench-" + "x" * 40, scheduler_enabled=False,
                             log_json=False))
    dialect = app.engine.dialect.name
    Base.metadata.drop_all(app.engine)  # a scratch database: fresh tables of the current models
    Base.metadata.create_all(app.engine)
    with app.uow() as uow:
        from autofin.domains import domain_modules

        for module in domain_modules("seed"):
            module.seed(uow)
        uow.commit()
    started = time.perf_counter()
    with app.engine.begin() as connection:
        generate(connection, dialect, args.loans)
    vacuum(app)  # a book in service has been vacuumed (hint bits, visibility map) and analysed
    print(f"database {dialect}: generated {args.loans:,} loans × 12 installments in "
          f"{time.perf_counter() - started:.1f} s")
    with app.uow() as uow:  # the ledger's 贷款 (1303) holds the generated principal, so the subledger check agrees
        from autofin.servicing import events

        uow.emit(events.LoanDisbursed("bench:disbursements", date(2025, 1, 1),
                                      {"principal": from_minor(1_200_000 * args.loans)}))
        uow.commit()

    where = ("Celery workers" if app.settings.celery_broker_url
             else f"{1 if app.settings.is_sqlite else args.threads} thread(s)")
    nights = []
    for number, business_date in enumerate((BUSINESS_DATE, BUSINESS_DATE + timedelta(days=1)), start=1):
        if number == 2:
            vacuum(app)  # the day between: autovacuum clears the night's old row versions and re-analyses
        started = time.perf_counter()
        result = runner.run_eod(app, SYSTEM, business_date, partitions=args.partitions, threads=args.threads)
        nights.append(time.perf_counter() - started)
        print(f"night {number}, {NIGHTS[number - 1]}:")
        for step, seconds in result.seconds.items():
            print(f"  {step:<42} {seconds:8.2f} s")
        print(f"end of day {result.business_date}: {nights[-1]:.2f} s, {args.loans / nights[-1]:,.0f} loans/s "
              f"({result.status}; {result.partitions} partitions on {where})")

    started = time.perf_counter()
    with app.engine.begin() as connection:
        connection.execute(text("UPDATE servicing_installments SET penalty_due = penalty_due + 0"))
        connection.execute(text("UPDATE servicing_loans SET days_past_due = days_past_due + 0"))
    floor = time.perf_counter() - started
    print(f"floor (one bulk UPDATE of the same rows): {floor:.2f} s; ratio night 1 {nights[0] / floor:.2f}×, "
          f"night 2 {nights[1] / floor:.2f}×")
    # the batch streams nothing through Python (set-based SQL), so this stays flat as N grows
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def vacuum(app: Any) -> None:
    """What autovacuum does to a book in service between nights (PostgreSQL; SQLite has nothing to do)."""
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) servicing_loans, servicing_installments"))


if __name__ == "__main__":
    main()
