"""Ledger throughput and trial-balance speed.

    PYTHONPATH=src .venv/bin/python bench/ledger.py [--database-url URL] [--lines N] [--post-entries N] [--batch N]

1. Posting: ``--post-entries`` business events (disbursements, accruals, repayments with VAT: 2–5 lines each)
   through ``ledger.service.post_events`` in batches of ``--batch``, one commit per batch, with rules, voucher
   numbers, audit and daily balances; prints entries/s (target ≥ 5,000/s).
2. Volume: tops the journal up to ``--lines`` lines with a set-based bulk insert (two-line entries over a year,
   as a data migration would load them; on PostgreSQL the triggers are bypassed for the load), then adds the
   loaded lines to the daily balances in one aggregate statement.
3. Trial balance: times ``statements.build_trial_balance`` (reads the daily balances) for the last month, against
   the floor: one plain ``SUM(debit), SUM(credit) … GROUP BY account`` over all the lines, and prints the ratio.

The database must be a scratch one: the ledger tables are emptied first. Default: a SQLite file under /tmp.
For the 10 M-line target use PostgreSQL: ``--database-url postgresql+psycopg://…/autofin_bench --lines 10000000``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from autofin.bootstrap import bootstrap
from autofin.db.base import Base
from autofin.kernel.actor import SYSTEM
from autofin.ledger import seed, service, statements
from autofin.settings import Settings

TARGET_ENTRIES_PER_SECOND = 5_000
LEDGER_TABLES = (
    "ledger_voucher_line",
    "ledger_voucher",
    "ledger_daily_balance",
    "ledger_line",
    "ledger_entry",
    "ledger_period",
)

BULK_SQL = {
    "postgresql": {
        "entries": """
            WITH s AS (
                SELECT g, date '2024-01-01' + (g % 366) AS d, ((g % 5000) + 1) * 100 AS amount
                FROM generate_series(1, :n) AS g
            ), t AS (
                SELECT g, d, amount, to_char(d, 'YYYY-MM') AS p,
                       row_number() OVER (PARTITION BY to_char(d, 'YYYY-MM') ORDER BY g) AS seq
                FROM s
            )
            INSERT INTO ledger_entry (voucher_no, period, sequence, business_date, event_type, source_type, source_id,
                fingerprint, description, dimensions, attachments, total_debit, total_credit, posted_by, posted_at)
            SELECT '记-' || p || '-' || lpad(seq::text, 7, '0'), p, seq, d, 'bench.bulk', 'bench', g::text, '',
                   'bulk load', '{}', '[]', amount, amount, 'bench', now()
            FROM t
        """,
        "now": "now()",
    },
    "sqlite": {
        "entries": """
            WITH RECURSIVE gs(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM gs WHERE g < :n),
            s AS (SELECT g, date('2024-01-01', '+' || (g % 366) || ' days') AS d, ((g % 5000) + 1) * 100 AS amount
                  FROM gs),
            t AS (SELECT g, d, amount, strftime('%Y-%m', d) AS p,
                         row_number() OVER (PARTITION BY strftime('%Y-%m', d) ORDER BY g) AS seq FROM s)
            INSERT INTO ledger_entry (voucher_no, period, sequence, business_date, event_type, source_type, source_id,
                fingerprint, description, dimensions, attachments, total_debit, total_credit, posted_by, posted_at)
            SELECT '记-' || p || '-' || printf('%07d', seq), p, seq, d, 'bench.bulk', 'bench', CAST(g AS TEXT), '',
                   'bulk load', '{}', '[]', amount, amount, 'bench', CURRENT_TIMESTAMP
            FROM t
        """,
        "now": "CURRENT_TIMESTAMP",
    },
}

LINES_SQL = """
    INSERT INTO ledger_line (entry_id, line_no, account_id, business_date, period, debit, credit, memo)
    SELECT e.id, k.k,
           CASE WHEN k.k = 1 THEN (CASE WHEN e.id % 2 = 0 THEN :a1 ELSE :a3 END)
                ELSE (CASE WHEN e.id % 2 = 0 THEN :a2 ELSE :a4 END) END,
           e.business_date, e.period,
           CASE WHEN k.k = 1 THEN e.total_debit ELSE 0 END,
           CASE WHEN k.k = 2 THEN e.total_debit ELSE 0 END, ''
    FROM ledger_entry e CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) k
    WHERE e.source_type = 'bench'
"""

BALANCES_SQL = """
    INSERT INTO ledger_daily_balance (account_id, balance_date, debit, credit)
    SELECT l.account_id, l.business_date, SUM(l.debit), SUM(l.credit)
    FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id
    WHERE e.source_type = 'bench'
    GROUP BY l.account_id, l.business_date
    ON CONFLICT (account_id, balance_date) DO UPDATE
    SET debit = ledger_daily_balance.debit + excluded.debit, credit = ledger_daily_balance.credit + excluded.credit
"""

PERIODS_SQL = """
    INSERT INTO ledger_period (period, status, last_sequence)
    SELECT period, 'open', MAX(sequence) FROM ledger_entry WHERE source_type = 'bench' GROUP BY period
    ON CONFLICT (period) DO UPDATE SET last_sequence = excluded.last_sequence
"""

FLOOR_SQL = """
    SELECT account_id, SUM(debit), SUM(credit) FROM ledger_line WHERE business_date <= :end GROUP BY account_id
"""


def make_requests(count: int, seed_value: int = 7) -> list[service.PostingRequest]:
    rng = random.Random(seed_value)
    requests = [
        service.PostingRequest(
            "capital.contributed", "bench", "capital", date(2025, 1, 1), {"amount": Decimal("100000000000.00")}
        )
    ]
    for n in range(1, count):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        kind = n % 3
        cents = Decimal(rng.randrange(10_000, 10_000_000)) / 100
        if kind == 0:
            requests.append(service.PostingRequest("loan.disbursed", "bench-loan", str(n), day, {"principal": cents}))
        elif kind == 1:
            requests.append(service.PostingRequest("interest.accrued", "bench-acc", str(n), day, {"interest": cents}))
        else:
            requests.append(
                service.PostingRequest(
                    "repayment.allocated",
                    "bench-rep",
                    str(n),
                    day,
                    {"principal": cents, "interest": (cents / 10).quantize(Decimal("0.01")), "fee": Decimal("10.60")},
                )
            )
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--lines", type=int, default=200_000, help="journal lines in total (default 200,000)")
    parser.add_argument("--post-entries", type=int, default=20_000, help="entries posted through the service")
    parser.add_argument("--batch", type=int, default=1_000, help="events per post_events call and commit")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{Path(tempfile.gettempdir()) / 'autofin-bench-ledger.db'}"
    settings = Settings(
        env="test", database_url=url, secret_key="bench-" + "x" * 40, scheduler_enabled=False, log_json=False
    )
    app = bootstrap(settings)
    dialect = app.engine.dialect.name
    Base.metadata.create_all(app.engine)
    with app.engine.begin() as connection:
        if dialect == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(LEDGER_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in LEDGER_TABLES:
                connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    with app.uow() as uow:
        seed.seed(uow)
        uow.commit()
    print(f"database: {dialect}")

    # 1. posting through the service layer
    requests = make_requests(args.post_entries)
    posted_lines = 0
    started = time.perf_counter()
    for start in range(0, len(requests), args.batch):
        with app.uow() as uow:
            for entry in service.post_events(uow, SYSTEM, requests[start : start + args.batch]):
                posted_lines += len(entry.lines) if entry else 0
            uow.commit()
    elapsed = time.perf_counter() - started
    rate = len(requests) / elapsed
    verdict = "meets" if rate >= TARGET_ENTRIES_PER_SECOND else "MISSES"
    print(
        f"posting: {len(requests):,} entries / {posted_lines:,} lines in {elapsed:.2f} s = {rate:,.0f} entries/s "
        f"({posted_lines / elapsed:,.0f} lines/s, batch {args.batch}; {verdict} the {TARGET_ENTRIES_PER_SECOND:,}/s "
        "target)"
    )

    # 2. bulk volume
    bulk_entries = max(0, (args.lines - posted_lines) // 2)
    if bulk_entries:
        with app.uow() as uow:
            accounts = service.load_accounts(uow)
        ids = {f"a{n}": accounts[code].id for n, code in enumerate(("130301", "1002", "1132", "6011"), start=1)}
        started = time.perf_counter()
        with app.engine.begin() as connection:
            if dialect == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(BULK_SQL[dialect]["entries"]), {"n": bulk_entries})
            connection.execute(text(LINES_SQL), ids)
            connection.execute(text(BALANCES_SQL))
            connection.execute(text(PERIODS_SQL))
        if dialect == "postgresql":
            with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE ledger_line"))
                connection.execute(text("VACUUM ANALYZE ledger_daily_balance"))
        print(
            f"bulk load: {bulk_entries:,} entries / {bulk_entries * 2:,} lines in "
            f"{time.perf_counter() - started:.1f} s (with their daily balances)"
        )

    with app.engine.connect() as connection:
        total_lines = connection.execute(text("SELECT COUNT(*) FROM ledger_line")).scalar_one()
        balance_rows = connection.execute(text("SELECT COUNT(*) FROM ledger_daily_balance")).scalar_one()
    print(f"journal: {total_lines:,} lines, {balance_rows:,} daily-balance rows")

    # 3. trial balance vs the plain SUM floor (best of 3 each)
    period, end = "2025-12", date(2025, 12, 31)
    best_tb = best_floor = float("inf")
    for _ in range(3):
        with app.uow() as uow:
            started = time.perf_counter()
            trial = statements.build_trial_balance(uow, period)
            best_tb = min(best_tb, time.perf_counter() - started)
        with app.engine.connect() as connection:
            started = time.perf_counter()
            connection.execute(text(FLOOR_SQL), {"end": end}).all()
            best_floor = min(best_floor, time.perf_counter() - started)
    if not trial.balanced:
        raise SystemExit("the trial balance must balance")
    print(f"trial balance {period} from daily balances: {best_tb * 1000:,.1f} ms (balanced: {trial.balanced})")
    print(f"floor, plain SUM over {total_lines:,} lines: {best_floor * 1000:,.1f} ms")
    print(f"ratio floor / trial balance: {best_floor / best_tb:,.1f}x")
    app.dispose()


if __name__ == "__main__":
    main()
