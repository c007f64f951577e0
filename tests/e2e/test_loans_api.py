"""The loan API: open, find within one's data scope, read balances / schedule / transactions, record a repayment
that a second person confirms, quote a payoff, reverse, and refuse bad input with stable problem codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

TERMS = {"principal": "12000", "annual_rate": "12", "term": 12, "disbursement_date": "2025-01-15",
         "penalty": {"rate": "18"}}


def _open(client: TestClient, contract: str = "HT-E2E-1", customer_name: str = "张三") -> dict[str, Any]:
    response = client.post("/api/v1/loans", json={"contract_no": contract, "customer_id": 7,
                                                  "customer_name": customer_name, "product_code": "CAR",
                                                  "terms": TERMS})
    assert response.status_code == 201, response.text
    loan: dict[str, Any] = response.json()
    return loan


@pytest.fixture()
def tellers(make_user: Callable[..., Any], auth_headers: Callable[..., dict[str, str]],
            client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    """Two finance clerks (maker and checker), signed in."""
    make_user("teller1", role_codes=["finance"])
    make_user("teller2", role_codes=["finance"])
    return auth_headers(client, "teller1"), auth_headers(client, "teller2")


def test_an_opened_loan_shows_its_schedule_balances_and_disbursement(admin_client: TestClient) -> None:
    loan = _open(admin_client)
    assert loan["status"] == "active" and loan["principal_outstanding"] == "12000.00"
    assert len(loan["installments"]) == 12
    first = loan["installments"][0]
    assert (first["due_date"], first["principal_due"], first["interest_due"]) == ("2025-02-15", "946.19", "120.00")
    assert loan["balances"]["principal"] == "12000.00" and loan["balances"]["penalty"] == "0.00"
    assert [t["type"] for t in loan["transactions"]] == ["disbursement"]
    detail = admin_client.get(f"/api/v1/loans/{loan['id']}").json()
    assert detail["contract_no"] == "HT-E2E-1" and len(detail["installments"]) == 12
    assert detail["vehicle_id"] is None  # opened without a collateral car


def test_the_list_filters_by_text_status_and_days_past_due(admin_client: TestClient) -> None:
    first = _open(admin_client, "HT-E2E-1", "张三")
    _open(admin_client, "HT-E2E-2", "李四")
    by_name = admin_client.get("/api/v1/loans", params={"q": "李四"}).json()
    assert by_name["count"] == 1 and by_name["data"][0]["contract_no"] == "HT-E2E-2"
    by_contract = admin_client.get("/api/v1/loans", params={"q": "HT-E2E-1"}).json()
    assert [row["id"] for row in by_contract["data"]] == [first["id"]]
    assert admin_client.get("/api/v1/loans", params={"status": "active"}).json()["count"] == 2
    assert admin_client.get("/api/v1/loans", params={"status": "overdue"}).json()["count"] == 0
    assert admin_client.get("/api/v1/loans", params={"dpd_min": 1}).json()["count"] == 0
    assert admin_client.get("/api/v1/loans", params={"dpd_min": 0}).json()["count"] == 2
    refused = admin_client.get("/api/v1/loans", params={"dpd_min": -1})
    assert refused.status_code == 422 and refused.json()["code"] == "validation.invalid"


def test_a_user_of_another_department_sees_no_loan_of_ours(
    admin_client: TestClient, client: TestClient, make_user: Callable[..., Any],
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    loan = _open(admin_client)
    branch = admin_client.post("/api/v1/org/departments", json={"name": "一分部", "code": "BR1"})
    assert branch.status_code == 201, branch.text
    make_user("collector1", role_codes=["collector"], department_code="BR1")
    headers = auth_headers(client, "collector1")
    listed = client.get("/api/v1/loans", headers=headers)
    assert listed.status_code == 200 and listed.json() == {"data": [], "count": 0}
    hidden = client.get(f"/api/v1/loans/{loan['id']}", headers=headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "servicing.loan.not_found"


def test_a_repayment_is_recorded_by_one_clerk_confirmed_by_another_and_allocated(
    admin_client: TestClient, client: TestClient, tellers: tuple[dict[str, str], dict[str, str]]
) -> None:
    maker, checker = tellers
    loan = _open(admin_client)
    recorded = client.post(f"/api/v1/loans/{loan['id']}/repayments", headers=maker,
                           json={"date": "2025-02-15", "amount": "1066.19", "channel": "transfer",
                                 "reference": "BANK-001"})
    assert recorded.status_code == 201, recorded.text
    tx = recorded.json()
    assert tx["status"] == "pending" and tx["allocation"] is None
    confirm = f"/api/v1/loans/{loan['id']}/repayments/{tx['id']}/confirm"
    own = client.post(confirm, headers=maker)
    assert own.status_code == 422 and own.json()["code"] == "servicing.repayment.same_person"
    confirmed = client.post(confirm, headers=checker)
    assert confirmed.status_code == 200, confirmed.text
    allocation = confirmed.json()["allocation"]
    assert (allocation["principal"], allocation["interest"], allocation["penalty"], allocation["credit"]) == (
        "946.19", "120.00", "0.00", "0.00")
    again = client.post(confirm, headers=checker)
    assert again.status_code == 409 and again.json()["code"] == "servicing.transaction.not_pending"
    detail = client.get(f"/api/v1/loans/{loan['id']}", headers=checker).json()
    assert detail["principal_outstanding"] == "11053.81"
    assert detail["installments"][0]["status"] == "paid"
    shown = next(t for t in detail["transactions"] if t["id"] == tx["id"])
    assert shown["status"] == "confirmed" and shown["allocation"]["principal"] == "946.19"
    assert (shown["created_by"], shown["confirmed_by"]) != (None, None)
    assert shown["created_by"] != shown["confirmed_by"]


def test_a_payoff_quote_and_a_reversal_restore_the_balance(
    admin_client: TestClient, client: TestClient, tellers: tuple[dict[str, str], dict[str, str]]
) -> None:
    maker, checker = tellers
    loan = _open(admin_client)
    tx = client.post(f"/api/v1/loans/{loan['id']}/repayments", headers=maker,
                     json={"date": "2025-02-15", "amount": "1066.19"}).json()
    client.post(f"/api/v1/loans/{loan['id']}/repayments/{tx['id']}/confirm", headers=checker)
    quote = admin_client.get(f"/api/v1/loans/{loan['id']}/payoff-quote", params={"date": "2025-03-01"})
    assert quote.status_code == 200, quote.text
    assert (quote.json()["principal"], quote.json()["interest"], quote.json()["as_of"]) == (
        "11053.81", "55.27", "2025-03-01")
    reversed_ = admin_client.post(f"/api/v1/loans/{loan['id']}/transactions/{tx['id']}/reverse",
                                  json={"reason": "bounced transfer"})
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["type"] == "reversal" and reversed_.json()["reverses_id"] == tx["id"]
    detail = admin_client.get(f"/api/v1/loans/{loan['id']}").json()
    assert detail["principal_outstanding"] == "12000.00"
    original = next(t for t in detail["transactions"] if t["id"] == tx["id"])
    assert original["status"] == "reversed" and original["reversed_by_id"] == reversed_.json()["id"]
    twice = admin_client.post(f"/api/v1/loans/{loan['id']}/transactions/{tx['id']}/reverse",
                              json={"reason": "again"})
    assert twice.status_code == 409 and twice.json()["code"] == "servicing.transaction.not_reversible"
    early = admin_client.get(f"/api/v1/loans/{loan['id']}/payoff-quote", params={"date": "2024-12-31"})
    assert early.status_code == 422 and early.json()["code"] == "servicing.payoff.invalid"


def test_bad_input_is_refused_with_problem_codes(
    admin_client: TestClient, client: TestClient, tellers: tuple[dict[str, str], dict[str, str]]
) -> None:
    maker, _checker = tellers
    loan = _open(admin_client)
    url = f"/api/v1/loans/{loan['id']}/repayments"
    negative = client.post(url, headers=maker, json={"date": "2025-02-15", "amount": "-5.00"})
    assert negative.status_code == 422
    assert negative.json()["code"] == "servicing.repayment.invalid"
    assert negative.json()["errors"][0]["field"] == "amount"
    too_early = client.post(url, headers=maker, json={"date": "2025-01-01", "amount": "5.00"})
    assert too_early.status_code == 422 and too_early.json()["errors"][0]["field"] == "date"
    unknown_field = client.post(url, headers=maker, json={"date": "2025-02-15", "amount": "5", "note": "x"})
    assert unknown_field.status_code == 422 and unknown_field.json()["code"] == "validation.invalid"
    missing = client.post("/api/v1/loans/999999/repayments", headers=maker,
                          json={"date": "2025-02-15", "amount": "5.00"})
    assert missing.status_code == 404 and missing.json()["code"] == "servicing.loan.not_found"
    stale = client.post(url, headers=maker, json={"date": "2025-02-15", "amount": "5.00",
                                                  "version": loan["version"] + 1})
    assert stale.status_code == 409 and stale.json()["code"] == "db.stale_version"
    current = client.post(url, headers=maker, json={"date": "2025-02-15", "amount": "5.00",
                                                    "version": loan["version"]})
    assert current.status_code == 201, current.text
    bad_terms = admin_client.post("/api/v1/loans", json={"contract_no": "HT-BAD", "customer_id": 7,
                                                         "product_code": "CAR", "terms": {**TERMS, "term": 0}})
    assert bad_terms.status_code == 422 and bad_terms.json()["errors"][0]["field"].startswith("terms.")
    duplicate = admin_client.post("/api/v1/loans", json={"contract_no": "HT-E2E-1", "customer_id": 7,
                                                         "product_code": "CAR", "terms": TERMS})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "servicing.loan.duplicate_contract"
    anonymous = client.get("/api/v1/loans")
    assert anonymous.status_code == 401


def test_a_repayment_posted_twice_with_the_same_idempotency_key_is_recorded_once(
    admin_client: TestClient, client: TestClient, tellers: tuple[dict[str, str], dict[str, str]]
) -> None:
    maker, _checker = tellers
    loan = _open(admin_client)
    url = f"/api/v1/loans/{loan['id']}/repayments"
    body = {"date": "2025-02-15", "amount": "1066.19"}
    headers = {**maker, "Idempotency-Key": "3f1c8f0e-0b1e-4a7e-9d55-1d2f3a4b5c6d"}
    first = client.post(url, headers=headers, json=body)
    second = client.post(url, headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    other_body = client.post(url, headers=headers, json={**body, "amount": "1.00"})
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency.key_reused"
    detail = admin_client.get(f"/api/v1/loans/{loan['id']}").json()
    assert [t["type"] for t in detail["transactions"]].count("repayment") == 1
