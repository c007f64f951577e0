"""Intake speed: ``python bench/intake.py [--seconds 60] [--clients 50] [--db sqlite|postgresql|URL ...]``.

For each database — by default a fresh SQLite file, then a fresh PostgreSQL database created on
``--postgres-server`` (``AUTOFIN_BENCH_POSTGRES_URL``; the local server by default) and dropped afterwards — starts
a real uvicorn server (API only, no scheduler) on 127.0.0.1 in a subprocess, prepares a bench user, the demo
products and one customer + vehicle per intended application, then drives ``POST /api/v1/applications`` + ``POST
/api/v1/applications/{id}/submit`` from ``--clients`` concurrent clients for ``--seconds``. Prints throughput and
p50/p95/p99 per request begun after ``--warmup`` seconds of the same load (target p99 ≤ 100 ms), then the floor —
``GET /healthz`` under the same concurrency — and the ratios intake ÷ floor; last, one line with the verdict of
each database. The clients go back to back (the target's measure: latency at the server's full throughput);
``--rate R`` paces them to R applications a second in all, for the latency users see at a given load.

``--partner`` drives the second-party intake instead: ``POST /api/v1/partner/applications`` signed with HMAC-SHA256
(a new applicant and vehicle per request, matched/created by ID number and VIN, then create + submit in one call).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx

from autofin.api.app import create_app

SECRET = "bench-secret-key-not-for-production-0123456789"  # noqa: S105 - bench only
PASSWORD = "Correct-Horse-42"  # noqa: S105 - bench only


def app_factory():  # type: ignore[no-untyped-def]
    """What uvicorn serves: the API without console or scheduler."""
    return create_app(with_console=False, with_scheduler=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(pairs: int) -> list[tuple[int, int]]:
    """Schema, seeds, bench user, demo products, ``pairs`` customers with a vehicle each."""
    from sqlalchemy import select

    from autofin.bootstrap import bootstrap
    from autofin.customers import identity
    from autofin.customers import service as customers
    from autofin.customers.schemas import CustomerCreate
    from autofin.db.base import Base
    from autofin.domains import domain_modules, load_domains
    from autofin.kernel.actor import SYSTEM
    from autofin.org import service as org
    from autofin.org.models import Department
    from autofin.org.schemas import UserCreate
    from autofin.products import demo as product_demo
    from autofin.vehicles import service as vehicles
    from autofin.vehicles.schemas import VehicleCreate
    from autofin.vehicles.vin import make_vin

    load_domains()
    app = bootstrap()
    Base.metadata.create_all(app.engine)
    with app.uow() as uow:
        for module in domain_modules("seed"):
            module.seed(uow)
        product_demo.load(uow, app.settings)
        if org.find_user(uow, "bench") is None:
            hq = uow.session.execute(select(Department).where(Department.code == "HQ")).scalar_one()
            user = org.create_user(
                uow,
                SYSTEM,
                UserCreate(
                    username="bench", display_name="bench", password=PASSWORD, department_id=hq.id, role_codes=["admin"]
                ),
                force_password_change=False,
            )
            user.is_superuser = True
        uow.commit()
    stamp = int(time.time()) % 100_000
    made: list[tuple[int, int]] = []
    for start in range(0, pairs, 250):
        with app.uow() as uow:
            for index in range(start, min(pairs, start + 250)):
                serial = stamp * 10_000 + index
                customer = customers.create_customer(
                    uow,
                    SYSTEM,
                    CustomerCreate(
                        kind="individual",
                        name=f"压测{index}",
                        id_type="resident_id",
                        id_number=_id(identity, serial),
                        phone=f"13{serial % 1_000_000_000:09d}",
                    ),
                )
                vehicle = vehicles.create_vehicle(
                    uow,
                    SYSTEM,
                    VehicleCreate(
                        vin=make_vin("LFV2A21K", "P", str(serial // 1_000_000 % 10), f"{serial % 1_000_000:06d}"),
                        condition="new",
                        powertrain="ice",
                        use="self",
                        invoice_price=Decimal("200000.00"),
                    ),
                )
                made.append((customer.id, vehicle.id))
            uow.commit()
    app.dispose()
    return made


def _id(identity, serial: int) -> str:  # type: ignore[no-untyped-def]
    """A valid, unique resident ID per serial: vary the birth date and the sequence number."""
    day = date(1975, 1, 1).toordinal() + serial // 900 % 9000
    return str(identity.make_resident_id("110101", date.fromordinal(day), serial % 900 + 1))


def make_partner() -> tuple[str, str]:
    """A partner for the bench (no rate limit to speak of), belonging to HQ: (key id, secret)."""
    from sqlalchemy import select

    from autofin.bootstrap import bootstrap
    from autofin.kernel.actor import SYSTEM
    from autofin.org.models import Department
    from autofin.origination.partners import service as partners
    from autofin.origination.partners.schemas import PartnerCreate

    app = bootstrap()
    with app.uow() as uow:
        hq = uow.session.execute(select(Department).where(Department.code == "HQ")).scalar_one()
        code = f"BENCH{int(time.time()) % 100_000}"
        partner, secret = partners.create_partner(
            uow, SYSTEM, PartnerCreate(code=code, name="压测平台", department_id=hq.id, rate_limit_per_minute=100_000)
        )
        key = partner.key_id
        uow.commit()
    app.dispose()
    return key, secret


def partner_intake(partner_key: tuple[str, str], statuses: dict[str, int]) -> Work:
    """The work of one partner request: a new applicant and car each time, signed like a partner would."""
    import uuid

    from autofin.customers import identity
    from autofin.origination.partners import signature
    from autofin.vehicles.vin import make_vin

    key_id, secret = partner_key
    serials = itertools.count(int(time.time()) % 1000 * 10_000)
    path = "/api/v1/partner/applications"

    async def work(http: Connection) -> AsyncIterator[tuple[float, bool]]:
        serial = next(serials)
        day = date(1975, 1, 1).toordinal() + serial // 900 % 9000
        body = json.dumps(
            {
                "order_no": f"B-{uuid.uuid4().hex[:20]}",
                "product_code": "NEW-ANNUITY",
                "applicant": {
                    "name": f"合作{serial}",
                    "id_number": identity.make_resident_id("310101", date.fromordinal(day), serial % 900 + 1),
                    "phone": f"15{serial % 1_000_000_000:09d}",
                },
                "vehicle": {
                    "vin": make_vin("LSVAU2A3", "P", str(serial // 1_000_000 % 10), f"{serial % 1_000_000:06d}"),
                    "invoice_price": "200000.00",
                },
                "price": "200000.00",
                "down_payment": "120000.00",
                "term": 36,
            }
        ).encode()
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex
        headers = {
            "X-Partner-Key": key_id,
            "X-Timestamp": stamp,
            "X-Nonce": nonce,
            "X-Signature": signature.sign(secret, "POST", path, stamp, nonce, body),
        }
        t0 = time.perf_counter()
        status, answer = await http.request("POST", path, body, headers)
        yield time.perf_counter() - t0, status == 201
        if status == 201:
            outcome = json.loads(answer)["status"]
            statuses[outcome] = statuses.get(outcome, 0) + 1

    return work


class Connection:
    """One client's keep-alive HTTP/1.1 connection, written for the bench to cost the client little.

    Fifty httpx clients on threads took a whole core of this 2-core machine and contended for the interpreter lock
    with each other, so the bench measured its own client as much as the server (``GET /healthz``, 0.4 ms of server
    CPU, showed p99 of 67–115 ms). Here the clients are coroutines on one event loop, each sending a request and
    reading its answer on its own socket: the server answers every request with a Content-Length.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, headers: dict[str, str]):
        self._reader, self._writer = reader, writer
        self._head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": host, **headers}.items())

    @classmethod
    async def open(cls, host: str, port: int, headers: dict[str, str]) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}", headers)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request and read its whole answer: (status, body)."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        typed = "Content-Type: application/json\r\n" if body else ""
        self._writer.write(
            f"{method} {path} HTTP/1.1\r\n{self._head}{extra}{typed}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        return int(lines[0].split(" ", 2)[1]), await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


# The work of one client round: yields (seconds the request took, whether it succeeded) for each request it sends.
Work = Callable[[Connection], AsyncIterator[tuple[float, bool]]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def drive(
    address: tuple[str, int],
    headers: dict[str, str],
    clients: int,
    seconds: float,
    work: Work,
    pace: float = 0.0,
    warmup: float = 0.0,
    server_pid: int | None = None,
) -> tuple[list[float], int, float, tuple[float | None, float]]:
    """``clients`` connections run ``work`` for ``warmup`` + ``seconds``: back to back, or each starting its next
    round ``pace`` seconds after the start of the last (at once when it is already late). Only requests begun after
    the warm-up count: the figures are the server's steady state, not its first seconds after a start. Returns the
    latencies, the failures among them, the seconds measured, and the CPU seconds spent in them by the server (with
    its workers; None where /proc is not there to read) and by this client."""
    latencies: list[float] = []
    errors = 0

    async def client_loop(offset: float, measured_from: float, deadline: float) -> None:
        nonlocal errors
        http = await Connection.open(*address, headers)
        next_round = time.perf_counter() + offset
        try:
            while time.perf_counter() < deadline:
                await asyncio.sleep(max(0.0, next_round - time.perf_counter()))
                next_round = max(next_round + pace, time.perf_counter()) if pace else 0.0
                async for took, ok in work(http):
                    if time.perf_counter() - took >= measured_from:
                        latencies.append(took)
                        errors += 0 if ok else 1
        finally:
            await http.close()

    async def cpu_after_warmup() -> tuple[float | None, float]:
        await asyncio.sleep(warmup)
        return server_cpu(server_pid), time.process_time()

    async def run() -> tuple[float, tuple[float | None, float]]:
        measured_from = time.perf_counter() + warmup
        deadline = measured_from + seconds
        cpu_at_start = asyncio.ensure_future(cpu_after_warmup())
        await asyncio.gather(
            cpu_at_start, *(client_loop(pace * n / clients, measured_from, deadline) for n in range(clients))
        )
        return time.perf_counter() - measured_from, cpu_at_start.result()

    elapsed, (server_start, client_start) = asyncio.run(run())
    server_end = server_cpu(server_pid)
    server = server_end - server_start if server_start is not None and server_end is not None else None
    return latencies, errors, elapsed, (server, time.process_time() - client_start)


def server_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` and its children (uvicorn's workers) so far, from /proc."""
    if pid is None or not Path("/proc/self/stat").exists():
        return None
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, …
        except OSError:
            continue  # the process ended meanwhile
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def scratch_database(target: str, postgres_server: str, tmp: Path) -> Iterator[str | None]:
    """The database URL of one run, made for it and removed afterwards: ``sqlite`` (a file in ``tmp``), ``postgresql``
    (a database created on ``postgres_server``; None when that server cannot be reached), or a URL used as given."""
    if target == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    if target != "postgresql":
        yield target
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    name = f"autofin_bench_{os.getpid()}"  # made here, never from input: safe to quote into the statement
    quoted = server.dialect.identifier_preparer.quote(name)
    try:
        with server.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    except OperationalError as exc:
        print(f"PostgreSQL: {postgres_server.split('@')[-1]} not reachable, skipped ({str(exc).splitlines()[0]})")
        server.dispose()
        yield None
        return
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        server.dispose()


def serve(workers: int) -> tuple[subprocess.Popen[bytes], str, tuple[str, int]]:
    """uvicorn serving :func:`app_factory` over ``AUTOFIN_DATABASE_URL`` on a free port, once it answers."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "intake:app_factory",
            "--factory",
            "--app-dir",
            str(Path(__file__).parent),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, "AUTOFIN_LOG_JSON": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base, ("127.0.0.1", port)


def bench_one(args: argparse.Namespace, workers: int) -> tuple[float, float]:
    """Prepare the database of ``AUTOFIN_DATABASE_URL``, serve it, drive it, print the figures: (req/s, p99 s)."""
    print(f"database: {os.environ['AUTOFIN_DATABASE_URL'].split('@')[-1]}; preparing {args.pairs} customers+vehicles…")
    pairs = prepare(args.pairs)
    partner_key = make_partner() if args.partner else None
    # The clients run in this process, beside everything preparing imported: without this, the collector's full
    # passes over that heap (≈ 300 ms) stopped all 50 clients at once and showed up as server latency.
    gc.collect()
    gc.freeze()
    server, base, address = serve(workers)
    try:
        token = httpx.post(f"{base}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        next_pair = itertools.count()
        statuses: dict[str, int] = {}

        async def intake(http: Connection) -> AsyncIterator[tuple[float, bool]]:
            customer_id, vehicle_id = pairs[next(next_pair) % len(pairs)]
            body = json.dumps(
                {
                    "applicant_id": customer_id,
                    "vehicle_id": vehicle_id,
                    "product_code": "NEW-ANNUITY",
                    "price": "200000.00",
                    "down_payment": "120000.00",
                    "term": 36,
                    "channel": "bench",
                }
            ).encode()
            t0 = time.perf_counter()
            status, created = await http.request("POST", "/api/v1/applications", body)
            t1 = time.perf_counter()
            yield t1 - t0, status == 201
            if status != 201:
                return
            status, submitted = await http.request("POST", f"/api/v1/applications/{json.loads(created)['id']}/submit")
            yield time.perf_counter() - t1, status == 200
            if status == 200:
                outcome = json.loads(submitted)["application"]["status"]
                statuses[outcome] = statuses.get(outcome, 0) + 1

        async def health(http: Connection) -> AsyncIterator[tuple[float, bool]]:
            t0 = time.perf_counter()
            status, _ = await http.request("GET", "/healthz")
            yield time.perf_counter() - t0, status == 200

        work: Work = intake if partner_key is None else partner_intake(partner_key, statuses)
        pace = args.clients / args.rate if args.rate else 0.0
        latencies, failed, elapsed, cpu = drive(
            address, headers, args.clients, args.seconds, work, pace, args.warmup, server.pid
        )
        floor, floor_failed, floor_elapsed, floor_cpu = drive(
            address, {}, args.clients, min(args.seconds, 10), health, 0, 1, server.pid
        )
    finally:
        server.terminate()
        server.wait(timeout=10)

    def line(
        name: str, values: list[float], failures: int, seconds: float, cpu: tuple[float | None, float]
    ) -> tuple[float, float]:
        rate = len(values) / seconds
        # CPU per request: the server's bounds its throughput and is steadier than latency on a busy machine; the
        # client's shows how much of the machine the load itself took
        server, client = (f"{spent / len(values) * 1000:.2f}" if spent is not None and values else "?" for spent in cpu)
        per_request = f"  CPU ms/request: server {server}, client {client}"
        print(
            f"{name:<28} {len(values):>7} requests  {rate:8.1f} req/s  p50 {percentile(values, 50) * 1000:7.1f} ms"
            f"  p95 {percentile(values, 95) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
            f"  errors {failures}{per_request}"
        )
        return rate, percentile(values, 99)

    paced = f", paced at {args.rate:g} applications/s in all" if args.rate else ", back to back"
    print(
        f"clients {args.clients}{paced}, workers {workers}, {args.seconds:.0f} s after {args.warmup:g} s "
        f"of warm-up; submissions by outcome, warm-up included: {statuses}"
    )
    name = "partner intake (signed)" if partner_key else "intake (create + submit)"
    rate, p99 = line(name, latencies, failed, elapsed, cpu)
    floor_rate, floor_p99 = line("floor (GET /healthz)", floor, floor_failed, floor_elapsed, floor_cpu)
    print(f"ratio intake/floor: throughput {rate / floor_rate:.3f}, p99 {p99 / floor_p99:.1f}x")
    if not partner_key and len(statuses) and sum(statuses.values()) > len(pairs):
        print("note: more applications than prepared pairs: later ones were declined as in-flight duplicates")
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the same load before measuring")
    parser.add_argument(
        "--pairs",
        type=int,
        help="customers+vehicles prepared, one per application (default: enough for 120 applications/s)",
    )
    parser.add_argument(
        "--db",
        action="append",
        help="sqlite (a fresh file), postgresql (a fresh database on --postgres-server) or a database URL; "
        "repeat for several; default: sqlite, then postgresql",
    )
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get("AUTOFIN_BENCH_POSTGRES_URL", POSTGRES_SERVER),
        help="where --db postgresql creates its scratch database (AUTOFIN_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--partner", action="store_true", help="signed partner intake (第二方进件) instead")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="pace the clients to this many applications/s in all (latency at a given load; "
        "default: back to back, the target's measure)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes on PostgreSQL (default: one per core); SQLite runs one, as it serves one "
        "writer at a time anyway",
    )
    args = parser.parse_args()
    # an application repeating a pair is declined as an in-flight duplicate, a cheaper path than the one measured
    args.pairs = args.pairs or round(120 * (args.warmup + args.seconds))
    os.environ.setdefault("AUTOFIN_SECRET_KEY", SECRET)
    os.environ["AUTOFIN_SCHEDULER_ENABLED"] = "false"
    os.environ.setdefault("AUTOFIN_FORCE_PASSWORD_CHANGE", "false")
    verdicts = []
    for target in args.db or ["sqlite", "postgresql"]:
        tmp = Path(tempfile.mkdtemp(prefix="autofin-bench-"))
        try:
            with scratch_database(target, args.postgres_server, tmp) as url:
                if url is None:
                    verdicts.append(f"{target}: not run")
                    continue
                os.environ["AUTOFIN_DATABASE_URL"] = url
                os.environ["AUTOFIN_DATA_DIR"] = str(tmp)
                workers = 1 if url.startswith("sqlite") else args.workers
                rate, p99 = bench_one(args, workers)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # the bench's data directory (and SQLite file), ≈ 20 MB a run
        verdict = "not judged (paced run)" if args.rate else "met" if p99 <= 0.1 else "NOT met"
        verdicts.append(f"{url.split('+')[0].split(':')[0]}: p99 {p99 * 1000:.1f} ms at {rate:.1f} req/s, {verdict}")
        print()
    print(f"target p99 ≤ 100 ms ({args.clients} clients back to back): {'; '.join(verdicts)}")


if __name__ == "__main__":
    main()
