"""Partner status callbacks delivered to a real local HTTP server: signed, retried with backoff after a failure,
dead after the last try, logged attempt by attempt; nonces purged; the Redis token bucket."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from tests.integration.origination.world import build_world

from autofin.customers import identity
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import set_clock, utcnow
from autofin.origination import service as origination
from autofin.origination.partners import service
from autofin.origination.partners import signature as sig
from autofin.origination.partners.models import CallbackDelivery, PartnerNonce
from autofin.origination.partners.ratelimit import RedisLimiter
from autofin.origination.partners.schemas import PartnerApplicationIn, PartnerCreate
from autofin.platform.service import run_job
from autofin.vehicles.vin import make_vin

JOB = "origination.partner_callbacks"


class PartnerServer:
    """A partner's callback endpoint: answers ``statuses`` in turn (then 200) and keeps what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                status = outer.statuses.pop(0) if outer.statuses else 200
                reply = json.dumps({"ok": status == 200, "said": f"status {status}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/autofin/callback?v=1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def world(app_ctx):
    return build_world(app_ctx)


def _partner(app_ctx, world, callback_url):
    department_id = world.department("DEALER-CB", "回调经销商")
    with app_ctx.uow() as uow:
        partner, secret = service.create_partner(
            uow, SYSTEM,
            PartnerCreate(code="CBPLAT", name="回调平台", department_id=department_id, callback_url=callback_url),
        )
        uow.commit()
        return partner.id, partner.key_id, secret


def _submit(app_ctx, partner_id, n=1):
    payload = PartnerApplicationIn.model_validate(
        {
            "order_no": f"CB-{n}",
            "product_code": "NEW-ANNUITY",
            "applicant": {"name": "钱七", "id_number": identity.make_resident_id("110101", date(1985, 2, 3), 700 + n),
                          "phone": f"1360000{n:04d}"},
            "vehicle": {"vin": make_vin("LFV2A21K", "P", "3", f"{800000 + n:06d}"), "invoice_price": "200000.00"},
            "price": "200000.00",
            "down_payment": "120000.00",
            "term": 36,
        }
    )
    with app_ctx.uow() as uow:
        from autofin.origination.partners.models import Partner

        partner = uow.session.get(Partner, partner_id)
        _link, application, _checks = service.submit_partner_application(
            uow, partner, service.partner_actor(partner), payload
        )
        uow.commit()
        return application.id, application.status


def _withdraw(app_ctx, application_id):
    with app_ctx.uow() as uow:
        origination.withdraw_application(uow, SYSTEM, application_id, reason="客户放弃")
        uow.commit()


def _deliveries(app_ctx):
    with app_ctx.uow() as uow:
        rows = list(uow.session.execute(select(CallbackDelivery).order_by(CallbackDelivery.id)).scalars())
        uow.session.expunge_all()  # keep the loaded values readable after the unit of work closes
        return rows


def _run_at(app_ctx, when):
    set_clock(lambda: when)
    try:
        run = run_job(app_ctx, JOB, trigger="manual")
    finally:
        set_clock(None)
    assert run is not None and run.status == "succeeded", run
    return run


def test_a_status_change_is_called_back_signed_and_retried_after_a_failure(app_ctx, world, admin_client):
    server = PartnerServer([500])
    try:
        partner_id, key_id, secret = _partner(app_ctx, world, server.url)
        application_id, status = _submit(app_ctx, partner_id)
        assert status == "in_review"
        assert _deliveries(app_ctx) == [], "the submission's own answer told the partner; no callback for it"
        _withdraw(app_ctx, application_id)
        [queued] = _deliveries(app_ctx)
        assert queued.status == "pending" and queued.event == "withdrawn"

        start = utcnow()
        _run_at(app_ctx, start)
        [failed] = _deliveries(app_ctx)
        assert failed.status == "pending" and failed.attempts == 1 and failed.last_status_code == 500
        assert failed.next_attempt_at is not None
        assert timedelta(seconds=55) <= failed.next_attempt_at - start <= timedelta(seconds=65), "1 minute backoff"

        _run_at(app_ctx, start + timedelta(seconds=30))
        assert len(server.received) == 1, "not before the backoff is over"
        _run_at(app_ctx, start + timedelta(minutes=2))
        [delivered] = _deliveries(app_ctx)
        assert delivered.status == "delivered" and delivered.attempts == 2 and delivered.delivered_at is not None
    finally:
        server.close()

    headers, body, path = server.received[-1]
    assert path == "/autofin/callback?v=1"
    assert headers["x-partner-key"] == key_id
    assert sig.signature_matches(
        secret, "POST", path, headers["x-timestamp"], headers["x-nonce"], body, headers["x-signature"]
    ), "the partner can verify the callback with its own secret"
    payload = json.loads(body)
    assert payload["application_id"] == application_id and payload["order_no"] == "CB-1"
    assert payload["status"] == "withdrawn" and payload["previous_status"] == "in_review"
    assert payload["delivery_id"] == delivered.id

    log = admin_client.get(f"/api/v1/origination/partner-callbacks/{delivered.id}").json()
    assert [a["status_code"] for a in log["attempts_log"]] == [500, 200]
    assert log["attempts_log"][0]["error"] == "HTTP 500" and "status 500" in log["attempts_log"][0]["response_excerpt"]
    listed = admin_client.get(f"/api/v1/origination/partner-callbacks?partner_id={partner_id}").json()
    assert listed["count"] == 1 and listed["data"][0]["status"] == "delivered"


def test_a_callback_that_keeps_failing_is_dead_after_six_tries_and_can_be_sent_again(app_ctx, world, admin_client):
    server = PartnerServer([503] * 6)
    try:
        partner_id, _key, _secret = _partner(app_ctx, world, server.url)
        application_id, _status = _submit(app_ctx, partner_id)
        _withdraw(app_ctx, application_id)
        when = utcnow()
        waits = []
        for _ in range(6):
            _run_at(app_ctx, when)
            [row] = _deliveries(app_ctx)
            if row.next_attempt_at is not None:
                waits.append(row.next_attempt_at - when)
                when = row.next_attempt_at + timedelta(seconds=1)
        assert row.status == "dead" and row.attempts == 6 and len(server.received) == 6
        assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 30, 120, 720]

        retried = admin_client.post(f"/api/v1/origination/partner-callbacks/{row.id}/retry")
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        _run_at(app_ctx, utcnow())
        [row] = _deliveries(app_ctx)
        assert row.status == "delivered"
        done = admin_client.post(f"/api/v1/origination/partner-callbacks/{row.id}/retry")
        assert done.status_code == 409
    finally:
        server.close()


def test_an_unreachable_partner_is_logged_with_the_error_and_retried(app_ctx, world, admin_client):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    partner_id, _key, _secret = _partner(app_ctx, world, f"http://127.0.0.1:{port}/cb")
    application_id, _status = _submit(app_ctx, partner_id)
    _withdraw(app_ctx, application_id)
    _run_at(app_ctx, utcnow())
    [row] = _deliveries(app_ctx)
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code is None
    assert "Connect" in (row.last_error or "")
    log = admin_client.get(f"/api/v1/origination/partner-callbacks/{row.id}").json()
    assert log["attempts_log"][0]["status_code"] is None and log["attempts_log"][0]["error"]


def test_a_partner_without_a_callback_url_gets_no_deliveries(app_ctx, world):
    partner_id, _key, _secret = _partner(app_ctx, world, None)
    application_id, _status = _submit(app_ctx, partner_id)
    _withdraw(app_ctx, application_id)
    assert _deliveries(app_ctx) == []


def test_expired_nonces_are_purged_by_the_job_and_fresh_ones_kept(app_ctx, world):
    partner_id, _key, _secret = _partner(app_ctx, world, None)
    now = utcnow()
    with app_ctx.uow() as uow:
        uow.session.add(PartnerNonce(partner_id=partner_id, nonce="old-nonce-1", expires_at=now - timedelta(seconds=1)))
        uow.session.add(PartnerNonce(partner_id=partner_id, nonce="new-nonce-1", expires_at=now + timedelta(minutes=9)))
        uow.commit()
    run = run_job(app_ctx, "origination.partner_nonces_purge", trigger="manual")
    assert run is not None and run.status == "succeeded"
    with app_ctx.uow() as uow:
        left = list(uow.session.execute(select(PartnerNonce.nonce)).scalars())
        assert left == ["new-nonce-1"]
        assert uow.session.execute(select(func.count()).select_from(PartnerNonce)).scalar_one() == 1


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_the_redis_bucket_is_shared_by_every_limiter_on_the_same_redis():
    key = f"test-{uuid.uuid4().hex}"
    one = RedisLimiter("redis://127.0.0.1:6379/15")
    two = RedisLimiter("redis://127.0.0.1:6379/15")  # another API process
    assert one.take(key, 3).allowed and two.take(key, 3).allowed and one.take(key, 3).allowed
    refused = two.take(key, 3)
    assert not refused.allowed and 1 <= refused.retry_after <= 20
