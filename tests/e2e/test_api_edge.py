"""The API's edge, for every route: health, self-hosted docs, metrics, problem+json and idempotency keys."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from autofin.api.deps import UowDep
from autofin.kernel.errors import Conflict, Text
from autofin.org.models import Department
from autofin.schemas import StrictModel

calls: list[str] = []
slow_gate = threading.Event()


class Widget(StrictModel):
    name: str = Field(max_length=10)
    size: int = Field(ge=1, le=5)


@pytest.fixture()
def scratch_client(web_app, client):
    router = APIRouter(prefix="/api/v1/scratch")

    @router.post("/widgets", status_code=201)
    def create_widget(widget: Widget) -> dict[str, object]:
        calls.append(widget.name)
        if widget.name == "slow":
            slow_gate.wait(5)
        if widget.name == "crash":
            raise RuntimeError("lost the database connection")
        if widget.name == "taken":
            taken = Text("That name is taken; choose another.", "该名称已被占用，请换一个。")
            raise Conflict("scratch.widget.taken", taken)
        return {"name": widget.name, "number": len(calls)}

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    web_app.include_router(router)
    calls.clear()
    return client


def test_health_answers_without_sign_in_and_readiness_checks_the_database(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_api_docs_are_served_from_our_own_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs-assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"] == "autofin API"


def test_every_response_carries_a_request_id_and_metrics_count_requests(client):
    response = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert client.get("/healthz").headers["x-request-id"] != "trace-123"
    metrics = client.get("/metrics").text
    assert 'autofin_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics


def test_bad_input_gets_a_problem_naming_each_field_in_chinese_by_default(scratch_client):
    response = scratch_client.post("/api/v1/scratch/widgets", json={"name": "x" * 11, "size": "big", "colour": "red"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation.invalid" and body["title"] == "输入无效"
    assert {e["field"] for e in body["errors"]} == {"name", "size", "colour"}
    assert calls == []


def test_english_is_used_when_the_client_asks_for_it(scratch_client):
    response = scratch_client.post("/api/v1/scratch/widgets", json={"name": "taken", "size": 1},
                                   headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 409
    assert response.json()["detail"] == "That name is taken; choose another."
    assert response.json()["code"] == "scratch.widget.taken"


def test_an_unexpected_error_never_shows_its_stack_trace(scratch_client):
    response = scratch_client.get("/api/v1/scratch/boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"]


def test_unknown_routes_answer_with_a_problem_too(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "http.404"


def test_a_replayed_create_returns_the_first_answer_and_does_the_work_once(scratch_client):
    headers = {"Idempotency-Key": "key-1"}
    first = scratch_client.post("/api/v1/scratch/widgets", json={"name": "a", "size": 1}, headers=headers)
    again = scratch_client.post("/api/v1/scratch/widgets", json={"name": "a", "size": 1}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert calls == ["a"]


def test_the_same_key_with_a_different_body_is_refused(scratch_client):
    headers = {"Idempotency-Key": "key-2"}
    scratch_client.post("/api/v1/scratch/widgets", json={"name": "a", "size": 1}, headers=headers)
    other = scratch_client.post("/api/v1/scratch/widgets", json={"name": "b", "size": 1}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    assert calls == ["a"]


def test_a_concurrent_duplicate_gets_409_while_the_first_is_still_running(scratch_client):
    slow_gate.clear()
    headers = {"Idempotency-Key": "key-3"}
    results = {}

    def first_request():
        results["first"] = scratch_client.post(
            "/api/v1/scratch/widgets", json={"name": "slow", "size": 2}, headers=headers
        )

    worker = threading.Thread(target=first_request)
    worker.start()
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    duplicate = scratch_client.post("/api/v1/scratch/widgets", json={"name": "slow", "size": 2}, headers=headers)
    slow_gate.set()
    worker.join(10)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "idempotency.in_progress"
    assert results["first"].status_code == 201
    assert calls == ["slow"]


def test_a_refused_create_is_replayed_rather_than_tried_again(scratch_client):
    headers = {"Idempotency-Key": "key-4"}
    refused = scratch_client.post("/api/v1/scratch/widgets", json={"name": "taken", "size": 1}, headers=headers)
    assert refused.status_code == 409
    replay = scratch_client.post("/api/v1/scratch/widgets", json={"name": "taken", "size": 1}, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true"  # a 4xx is an answer too: replayed, not redone
    assert calls == ["taken"]


def test_a_create_that_failed_on_our_side_may_be_retried_with_the_same_key(scratch_client):
    headers = {"Idempotency-Key": "key-5"}
    first = scratch_client.post("/api/v1/scratch/widgets", json={"name": "crash", "size": 1}, headers=headers)
    assert first.status_code == 500
    again = scratch_client.post("/api/v1/scratch/widgets", json={"name": "crash", "size": 1}, headers=headers)
    # tried again (not refused as "still in progress" until the key expires, nor replayed)
    assert again.status_code == 500 and again.headers.get("idempotent-replayed") is None
    assert calls == ["crash", "crash"]


def test_a_server_settles_before_its_first_request(app_ctx):
    """Started for real (``settle`` on), the app reads its reference tables and freezes the start-up heap first."""
    import gc

    from starlette.testclient import TestClient

    from autofin.api.app import create_app
    from autofin.customers import identity

    identity.regions.cache_clear()
    gc.unfreeze()  # nothing frozen before this start, so only the start can satisfy the check below
    assert gc.get_freeze_count() == 0
    web = create_app(autofin=app_ctx, with_console=False, with_scheduler=False)
    try:
        with TestClient(web) as started:
            assert identity.regions.cache_info().currsize == 1  # read at start, not by the first ID check
            assert gc.get_freeze_count() > 0
            assert started.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()


def test_blocking_work_runs_on_a_small_thread_pool(client, app_ctx):
    """Few threads per process (``api_threads``): with anyio's 40, lock holders queued behind dozens for the GIL."""
    import anyio.to_thread

    size = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert size == app_ctx.settings.api_threads == 6


@pytest.fixture()
def department_routes(web_app, client):
    """Routes that write a department and then commit, fail, or only read; each keeps the unit of work it was given."""
    given: list[object] = []
    router = APIRouter(prefix="/api/v1/scratch")

    @router.post("/departments/{code}")
    def add_department(code: str, uow: UowDep, fail: bool = False) -> dict[str, str]:
        given.append(uow)
        uow.session.add(Department(code=code, name=code))
        uow.flush()
        if fail:
            raise Conflict("scratch.department.refused", Text("Refused after writing.", "写入后被拒绝。"))
        uow.commit()
        return {"code": code}

    @router.get("/departments/{code}")
    def find_department(code: str, uow: UowDep) -> dict[str, bool]:
        given.append(uow)
        found = uow.session.scalars(select(Department).where(Department.code == code)).first()
        return {"found": found is not None}

    web_app.include_router(router)
    return client, given


def test_a_routes_unit_of_work_is_closed_after_it_commits_fails_or_only_reads(department_routes, monkeypatch):
    """``get_uow`` opens and closes on the event loop and sends only a rollback to the thread pool, never blocking
    the loop: each way out of a route leaves its unit of work closed, a failed write kept nothing, and the next
    writer goes on."""
    from autofin.db.uow import UnitOfWork

    rolled_back_on: list[str] = []
    rollback = UnitOfWork.rollback

    def recorded_rollback(uow: UnitOfWork) -> None:
        rolled_back_on.append(threading.current_thread().name)
        rollback(uow)

    monkeypatch.setattr(UnitOfWork, "rollback", recorded_rollback)
    client, given = department_routes
    assert client.post("/api/v1/scratch/departments/SCR1", params={"fail": True}).status_code == 409
    assert client.post("/api/v1/scratch/departments/SCR2").status_code == 200  # the failed writer let go
    assert client.get("/api/v1/scratch/departments/SCR1").json() == {"found": False}
    assert client.get("/api/v1/scratch/departments/SCR2").json() == {"found": True}
    assert len(given) == 4
    # the failed write and the two reads; the committed write had nothing left to roll back
    assert rolled_back_on == ["AnyIO worker thread"] * 3
    for uow in given:
        with pytest.raises(RuntimeError, match="not open"):
            uow.session  # noqa: B018 - the property refuses a closed unit of work
