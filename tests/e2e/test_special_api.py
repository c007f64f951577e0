"""Special business over HTTP: apply under the loan, the review queue, review by another person, execution, and
bad input answered field by field in Chinese or English with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

TERMS = {"principal": "12000", "annual_rate": "12", "term": 12, "disbursement_date": "2025-01-15",
         "penalty": {"rate": "18"}}


@pytest.fixture()
def people(make_user: Callable[..., Any], auth_headers: Callable[..., dict[str, str]],
           client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    """An applicant and a manager who reviews (both superusers: the role grants are the lead's call)."""
    make_user("applicant1", superuser=True)
    make_user("manager1", superuser=True)
    return auth_headers(client, "applicant1"), auth_headers(client, "manager1")


def _open(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/loans", headers=headers, json={
        "contract_no": "HT-SP-1", "customer_id": 7, "customer_name": "张三", "product_code": "CAR", "terms": TERMS})
    assert response.status_code == 201, response.text
    loan: dict[str, Any] = response.json()
    return loan


def test_an_extension_goes_from_application_through_review_to_execution(client: TestClient, people: Any) -> None:
    applicant, manager = people
    loan = _open(client, applicant)
    applied = client.post(f"/api/v1/loans/{loan['id']}/special/extension", headers=applicant,
                          json={"extra_terms": 6, "annual_rate": "10.8", "effective_date": "2025-01-20",
                                "reason": "经营周转困难"})
    assert applied.status_code == 201, applied.text
    request = applied.json()
    assert request["status"] == "pending" and request["preview"]["limits"]["limit_months"] == 12
    assert request["preview"]["new_maturity"] == "2026-07-15"
    queue = client.get("/api/v1/special-requests", headers=manager, params={"status": "pending"}).json()
    assert [r["id"] for r in queue["data"]] == [request["id"]]
    own = client.post(f"/api/v1/special-requests/{request['id']}/review", headers=applicant,
                      json={"decision": "approve"})
    assert own.status_code == 422 and own.json()["code"] == "servicing.special.same_person"
    stale = client.post(f"/api/v1/special-requests/{request['id']}/review", headers=manager,
                        json={"decision": "approve", "version": request["version"] + 5})
    assert stale.status_code == 409
    approved = client.post(f"/api/v1/special-requests/{request['id']}/review", headers=manager,
                           json={"decision": "approve", "comment": "同意", "version": request["version"]})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    done = client.post(f"/api/v1/special-requests/{request['id']}/execute", headers=applicant, json={})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "executed" and done.json()["result"]["new_maturity"] == "2026-07-15"
    detail = client.get(f"/api/v1/loans/{loan['id']}", headers=manager).json()
    assert detail["maturity_date"] == "2026-07-15" and len(detail["installments"]) == 18
    assert [t["type"] for t in detail["transactions"]] == ["disbursement", "extension"]
    assert client.get("/api/v1/special-requests", headers=manager, params={"status": "pending"}).json()["count"] == 0


def test_bad_input_is_answered_per_field_in_the_users_language_and_nothing_is_written(
        client: TestClient, people: Any) -> None:
    applicant, _manager = people
    loan = _open(client, applicant)
    too_long = client.post(f"/api/v1/loans/{loan['id']}/special/extension", headers=applicant,
                           json={"extra_terms": 13, "effective_date": "2025-01-20"})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "extra_terms"
    assert "贷款通则" in too_long.json()["errors"][0]["message"]
    english = client.post(f"/api/v1/loans/{loan['id']}/special/waiver", headers={**applicant,
                          "Accept-Language": "en"}, json={"amount": "50.00", "effective_date": "2025-01-20"})
    assert english.status_code == 422 and "penalty and fees owed" in english.json()["errors"][0]["message"]
    for body in ({"extra_terms": 0}, {"extra_terms": "x"}, {"extra_terms": 3, "colour": "red"},
                 {"extra_terms": 3, "annual_rate": "101"}):
        refused = client.post(f"/api/v1/loans/{loan['id']}/special/extension", headers=applicant, json=body)
        assert refused.status_code == 422, body
    missing = client.post("/api/v1/loans/999999/special/write-off", headers=applicant, json={})
    assert missing.status_code == 404 and missing.json()["code"] == "servicing.loan.not_found"
    assert client.get("/api/v1/special-requests", headers=applicant).json()["count"] == 0


def test_write_off_recovery_and_classification_history_over_http(client: TestClient, people: Any) -> None:
    applicant, manager = people
    loan = _open(client, applicant)
    quote = client.get(f"/api/v1/loans/{loan['id']}/special/prepayment-quote", headers=applicant,
                       params={"date": "2025-03-01"})
    assert quote.status_code == 200 and quote.json()["payoff"]["principal"] == "12000.00"
    applied = client.post(f"/api/v1/loans/{loan['id']}/special/write-off", headers=applicant,
                          json={"effective_date": "2025-09-20", "reason": "无法收回"}).json()
    client.post(f"/api/v1/special-requests/{applied['id']}/review", headers=manager, json={"decision": "approve"})
    done = client.post(f"/api/v1/special-requests/{applied['id']}/execute", headers=manager, json={}).json()
    assert done["status"] == "executed" and done["result"]["principal"] == "12000.00"
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=manager).json()["status"] == "written_off"
    recovery = client.post(f"/api/v1/loans/{loan['id']}/special/recovery", headers=applicant,
                           json={"amount": "500.00", "effective_date": "2025-10-01"}).json()
    client.post(f"/api/v1/special-requests/{recovery['id']}/review", headers=manager, json={"decision": "approve"})
    recovered = client.post(f"/api/v1/special-requests/{recovery['id']}/execute", headers=applicant, json={}).json()
    assert recovered["result"]["recovered"] == "500.00"
    history = client.get(f"/api/v1/loans/{loan['id']}/classification-history", headers=manager)
    assert history.status_code == 200 and isinstance(history.json(), list)
