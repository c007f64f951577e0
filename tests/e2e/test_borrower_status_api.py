"""``POST /api/v1/public/application-status``: no sign-in; the number with the applicant's ID number and phone
answers 200 without personal data; any mismatch 404 (one answer); a malformed body 422; 429 past 10 tries a minute."""

from __future__ import annotations

import pytest
from tests.integration.origination.world import application_command, build_world

from autofin.kernel.actor import SYSTEM
from autofin.origination import service
from autofin.origination.borrower_status import TRIES_PER_MINUTE
from autofin.origination.partners.api import limiter_key

LIMITER_KEY = limiter_key("status")

URL = "/api/v1/public/application-status"
PHONE = "13900000001"


@pytest.fixture()
def fresh_limiter(app_ctx):
    """The App outlives a test: start and end each with empty buckets (the test client's address is shared)."""
    app_ctx.extras.pop(LIMITER_KEY, None)
    yield
    app_ctx.extras.pop(LIMITER_KEY, None)


@pytest.fixture()
def submitted(app_ctx, fresh_limiter):
    world = build_world(app_ctx)
    with app_ctx.uow() as uow:
        application = service.create_application(uow, SYSTEM, application_command(world))
        service.submit_application(uow, SYSTEM, application.id)
        uow.commit()
        return {"application_number": application.number, "id_number": world.id_numbers["张三"], "phone": PHONE,
                "vin": world.vins["car"]}


def _body(submitted, **overrides):
    body = {k: submitted[k] for k in ("application_number", "id_number", "phone")}
    body.update(overrides)
    return body


def test_the_borrower_reads_the_status_without_signing_in(client, submitted):
    response = client.post(URL, json=_body(submitted))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["application_number"] == submitted["application_number"]
    assert answer["status"] == "in_review" and answer["status_zh"] == "审核中"
    assert answer["stage"] == "review" and answer["amount"] == "80000.00" and answer["term"] == 36
    assert [s["code"] for s in answer["steps"]] == ["submitted", "in_review", "decision", "contracted", "disbursed"]
    assert answer["next_en"] and answer["next_zh"]
    for secret in ("张三", submitted["id_number"], PHONE, submitted["vin"], "applicant", "actor"):
        assert secret not in response.text, secret


@pytest.mark.parametrize("wrong", ["application_number", "id_number", "phone"])
def test_any_mismatch_is_the_same_404(client, submitted, wrong):
    unknown = client.post(URL, json=_body(submitted, application_number="AP-20260101-999999"))
    wrong_value = {"application_number": "AP-20260101-999998", "id_number": "110101199001010011",
                   "phone": "13800000000"}[wrong]
    refused = client.post(URL, json=_body(submitted, **{wrong: wrong_value}))
    assert refused.status_code == unknown.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    first, second = refused.json(), unknown.json()
    assert first["code"] == "origination.status.not_found"
    assert (first["title"], first["detail"], first["errors"]) == (second["title"], second["detail"], second["errors"])
    assert first["detail"].startswith("未找到")  # Chinese unless the client prefers English
    english = client.post(URL, json=_body(submitted, phone="13800000000"), headers={"Accept-Language": "en"})
    assert english.json()["detail"].startswith("No application matches")


@pytest.mark.parametrize(
    "body",
    [
        {"application_number": "AP-1", "id_number": "x"},  # phone missing
        {"application_number": "AP-1", "id_number": "x", "phone": "1", "name": "张三"},  # a field not asked for
        {"application_number": "A" * 40, "id_number": "x", "phone": "1"},  # too long
        {"application_number": "", "id_number": "x", "phone": "1"},  # empty
    ],
)
def test_a_malformed_body_is_422(client, fresh_limiter, body):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation.invalid"


def test_a_body_that_is_not_json_is_422(client, fresh_limiter):
    response = client.post(URL, content=b"number=1", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_more_than_ten_tries_a_minute_from_one_address_are_refused_with_429(client, submitted):
    for _ in range(TRIES_PER_MINUTE):
        assert client.post(URL, json=_body(submitted, phone="13800000000")).status_code == 404
    refused = client.post(URL, json=_body(submitted))  # even the right answer waits now
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "origination.status.rate_limited"
    assert "每分钟最多 10 次" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    english = client.post(URL, json=_body(submitted), headers={"Accept-Language": "en"})
    assert english.status_code == 429 and "at most 10 a minute" in english.json()["detail"]
