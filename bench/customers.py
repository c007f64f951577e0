"""Customer look-ups at volume: exact ID number, exact phone, name prefix; against a primary-key floor.

    PYTHONPATH=src .venv/bin/python bench/customers.py [--customers 100000] [--database-url URL] [--repeat 30]

Bulk-loads N individual customers (valid generated resident IDs, encrypted ID/phone with keyed hashes, as the
service stores them) into an empty schema, then times the service's list query (``customers.service.
list_customers``: data scope, count and first page) for an exact ID number, an exact phone and a one-character
name prefix, and a plain ``session.get`` by primary key as the floor. Prints the median and the ratio to the floor.
Target: each look-up < 100 ms with 1,000,000 customers on PostgreSQL. The schema of the given database is
DROPPED and recreated: point it at a scratch database (default: a temporary SQLite file).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import insert, text

from autofin.bootstrap import bootstrap
from autofin.customers import identity, service
from autofin.customers.demo import GIVEN, SURNAMES
from autofin.customers.models import Customer
from autofin.db.base import Base
from autofin.kernel.actor import Actor, DataScope
from autofin.settings import Settings

TARGET_MS = 100.0
BATCH = 10_000


def _rows(count: int, cipher_uow: object) -> tuple[list[list[dict[str, object]]], list[tuple[str, str, str]]]:
    rng = random.Random(1_000_000)
    codes = [c for c in identity.county_codes() if identity.regions()[c].last_year == 2020]
    cipher = service.cipher(cipher_uow)  # type: ignore[arg-type]
    batches: list[list[dict[str, object]]] = []
    samples: list[tuple[str, str, str]] = []
    batch: list[dict[str, object]] = []
    for index in range(count):
        birth = date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
        # a region + birth date + sequence is unique enough; the index keeps it unique
        number = identity.make_resident_id(codes[index % len(codes)], birth, index // len(codes))
        phone = f"1{3 + index % 7}{index:09d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        batch.append(
            {
                "kind": "individual",
                "name": name,
                "id_type": "resident_id",
                "id_number_enc": cipher.encrypt(number, service.CTX_ID),
                "id_number_hash": cipher.lookup_hash(number, service.CTX_ID),
                "id_number_masked": service.mask_id(number),
                "birth_date": birth,
                "phone_enc": cipher.encrypt(phone, service.CTX_PHONE),
                "phone_hash": cipher.lookup_hash(phone, service.CTX_PHONE),
                "phone_masked": service.mask_phone(phone),
                "uscc_override": False,
                "status": "active",
                "version": 1,
                "department_id": 1 + index % 20,
            }
        )
        if index % (count // 20 or 1) == 0:
            samples.append((number, phone, name[0]))
        if len(batch) == BATCH:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches, samples


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="autofin-bench-"))
    url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    settings = Settings(env="test", data_dir=scratch, database_url=url, log_json=False, scheduler_enabled=False)
    app = bootstrap(settings)
    if app.engine.dialect.name == "postgresql":
        with app.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(app.engine)

    started = time.perf_counter()
    with app.uow() as uow:
        batches, samples = _rows(args.customers, uow)
    prepared = time.perf_counter() - started
    with app.engine.begin() as connection:
        for batch in batches:
            connection.execute(insert(Customer), batch)
    # what autovacuum does after a bulk load: statistics and the visibility map (index-only counts)
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE customers" if app.engine.dialect.name == "postgresql" else "ANALYZE"))
    loaded = time.perf_counter() - started
    print(
        f"{args.customers:,} customers on {app.engine.dialect.name}: encrypted in {prepared:.1f}s, "
        f"loaded in {loaded:.1f}s"
    )

    actor = Actor(
        user_id=1,
        username="bench",
        permissions=frozenset({"customers.customer.view"}),
        scope=DataScope(department_ids=frozenset(range(1, 21))),
    )
    number, phone, prefix = samples[len(samples) // 2]
    with app.uow() as uow:
        some_id = uow.session.execute(text("SELECT min(id) FROM customers")).scalar_one()

        def by_pk() -> object:
            uow.session.expire_all()
            return uow.session.get(Customer, some_id)

        def by_id() -> object:
            rows, total = service.list_customers(uow, actor, q=number)
            if total != 1:
                raise SystemExit(f"expected one match, found {total}")
            return rows

        def by_phone() -> object:
            rows, total = service.list_customers(uow, actor, q=phone)
            if total != 1:
                raise SystemExit(f"expected one match, found {total}")
            return rows

        def by_name() -> object:
            rows, total = service.list_customers(uow, actor, q=prefix, size=50)
            if total == 0:
                raise SystemExit("no name matched the prefix")
            return rows

        floor = _median_ms(by_pk, args.repeat)
        print(f"{'primary key (floor)':<28}{floor:8.2f} ms")
        for label, call in (("exact ID number", by_id), ("exact phone", by_phone), ("name prefix (page 50)", by_name)):
            median = _median_ms(call, args.repeat)
            verdict = "ok" if median < TARGET_MS else "SLOW"
            print(
                f"{label:<28}{median:8.2f} ms   ×{median / floor:6.1f} floor   target < {TARGET_MS:.0f} ms: {verdict}"
            )
    app.dispose()


if __name__ == "__main__":
    main()
