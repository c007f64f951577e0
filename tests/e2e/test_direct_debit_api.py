"""Direct debit, statement import and refunds over HTTP: a finance clerk authorises a mandate, the batch prepares
the debit, the debit goes to the bank simulator, its signed callback books the repayment; statements upload;
refunds need a second person; bad input is answered field by field in zh-CN / English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.integration.servicing.payments_world import borrower, open_loan

from autofin.bootstrap import App
from autofin.channels.config import callback_secret
from autofin.channels.simulator import BankSimulator, SimulatorConfig, serve_in_thread
from autofin.kernel.actor import SYSTEM
from autofin.servicing.eod import runner

CALLBACK = "/api/v1/channels/bank/callback"


@pytest.fixture()
def clerks(make_user: Callable[..., Any], auth_headers: Callable[..., dict[str, str]],
           client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    make_user("fin1", role_codes=["finance"])
    make_user("fin2", role_codes=["finance"])
    return auth_headers(client, "fin1"), auth_headers(client, "fin2")


@pytest.fixture()
def bank(app_ctx: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[BankSimulator]:
    simulator = BankSimulator(SimulatorConfig(callback_secret(app_ctx.settings), delay_seconds=0,
                                              send_callbacks=False, fail_amounts=frozenset()))
    server = serve_in_thread(simulator)
    monkeypatch.setenv("AUTOFIN_BANK_URL", server.url)
    try:
        yield simulator
    finally:
        server.stop()


def deliver(client: TestClient, simulator: BankSimulator) -> None:
    for instruction_id in list(simulator.payments):
        body, signature = simulator.callback(instruction_id)
        response = client.post(CALLBACK, content=body, headers={"X-Bank-Signature": signature,
                                                                "Content-Type": "application/json"})
        assert response.status_code == 200, response.text


def test_a_mandated_installment_is_debited_through_the_bank_and_booked(
        app_ctx: App, client: TestClient, clerks: tuple[dict[str, str], dict[str, str]],
        bank: BankSimulator) -> None:
    maker, _checker = clerks
    who = borrower(app_ctx, 1)
    loan_id = open_loan(app_ctx, who, "HT-API-1")
    response = client.post(f"/api/v1/loans/{loan_id}/mandates", headers=maker,
                           json={"card_id": who.card_id, "authorised_on": "2025-01-10",
                                 "authorisation_ref": "AUTH-API-1"})
    assert response.status_code == 201, response.text
    assert response.json()["card_masked"].endswith(who.card_number[-4:]) and who.card_number not in response.text
    runner.run_eod(app_ctx, SYSTEM, date(2025, 2, 14))
    listed = client.get("/api/v1/direct-debits", params={"date": "2025-02-15"}, headers=maker).json()
    assert listed["count"] == 1 and listed["data"][0]["status"] == "scheduled"
    sent = client.post("/api/v1/direct-debits/send", json={"date": "2025-02-15"}, headers=maker)
    assert sent.status_code == 200 and sent.json()["submitted"] == 1
    assert len(bank.payments) == 1
    deliver(client, bank)
    deliver(client, bank)  # the bank repeats itself: nothing twice
    loan = client.get(f"/api/v1/loans/{loan_id}", headers=maker).json()
    repayments = [t for t in loan["transactions"] if t["type"] == "repayment"]
    assert [(t["amount"], t["status"], t["channel"]) for t in repayments] == [("1066.19", "confirmed",
                                                                                "direct_debit")]
    assert loan["installments"][0]["status"] == "paid"
    runs = client.get("/api/v1/direct-debits/runs", headers=maker).json()
    assert runs[0]["date"] == "2025-02-15" and runs[0]["posted"] == 1 and runs[0]["collected"] == "1066.19"


def test_mandate_input_is_checked_field_by_field(app_ctx: App, client: TestClient,
                                                clerks: tuple[dict[str, str], dict[str, str]]) -> None:
    maker, _ = clerks
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-API-2")
    stranger = borrower(app_ctx, 2, "李四")
    bad = client.post(f"/api/v1/loans/{loan_id}/mandates", headers=maker,
                      json={"card_id": stranger.card_id, "authorised_on": "2025-01-10", "authorisation_ref": "A"})
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["code"] == "servicing.mandate.card_invalid"
    assert problem["errors"][0]["field"] == "card_id"
    missing = client.post(f"/api/v1/loans/{loan_id}/mandates", headers=maker, json={"card_id": 1})
    assert missing.status_code == 422
    assert client.get(f"/api/v1/loans/{loan_id}/mandates", headers=maker).json() == []


def test_without_the_permission_direct_debits_are_refused(
        app_ctx: App, client: TestClient, make_user: Callable[..., Any],
        auth_headers: Callable[..., dict[str, str]]) -> None:
    make_user("collector1", role_codes=["collector"])
    headers = auth_headers(client, "collector1")
    assert client.post("/api/v1/direct-debits/send", json={}, headers=headers).status_code == 403
    assert client.get("/api/v1/refunds", headers=headers).status_code == 403


def test_a_statement_uploads_matches_and_queues_and_a_reupload_changes_nothing(
        app_ctx: App, client: TestClient, clerks: tuple[dict[str, str], dict[str, str]]) -> None:
    maker, checker = clerks
    loan_id = open_loan(app_ctx, borrower(app_ctx, 1), "HT-API-3")
    content = ("交易日期,金额,对方户名,对方账号,摘要/附言\n"
               "2025-02-15,1066.19,张三,6222000011112222333,HT-API-3 还款\n"
               "2025-02-15,88.00,不明,6222000011112222444,转账\n").encode()
    files = {"file": ("icbc.csv", content, "text/csv")}
    first = client.post("/api/v1/statements", files=files, headers=maker)
    assert first.status_code == 201, first.text
    assert (first.json()["matched"], first.json()["unmatched"]) == (1, 1)
    again = client.post("/api/v1/statements", files=files, headers=maker)
    assert again.status_code == 201 and again.json()["duplicate_file"] is True
    queue = client.get("/api/v1/statement-lines", params={"status": "unmatched"}, headers=maker).json()
    assert queue["count"] == 1 and queue["data"][0]["amount"] == "88.00"
    assert queue["data"][0]["payer_account"] == "6222****2444"
    line = queue["data"][0]
    matched = client.post(f"/api/v1/statement-lines/{line['id']}/match", headers=maker,
                          json={"loan_id": loan_id, "version": line["version"]})
    assert matched.status_code == 200 and matched.json()["status"] == "matched"
    loan = client.get(f"/api/v1/loans/{loan_id}", headers=maker).json()
    pending = [t for t in loan["transactions"] if t["status"] == "pending"]
    assert sorted(t["amount"] for t in pending) == ["1066.19", "88.00"]
    confirmed = client.post(f"/api/v1/loans/{loan_id}/repayments/{pending[0]['id']}/confirm", headers=checker)
    assert confirmed.status_code == 200
    bad = client.post("/api/v1/statements", headers=maker,
                      files={"file": ("x.csv", "交易日期,金额\n2025-13-01,1\n".encode(), "text/csv")})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"


def test_a_refund_is_requested_reviewed_by_another_clerk_and_paid(
        app_ctx: App, client: TestClient, clerks: tuple[dict[str, str], dict[str, str]],
        bank: BankSimulator) -> None:
    maker, checker = clerks
    who = borrower(app_ctx, 1)
    loan_id = open_loan(app_ctx, who, "HT-API-4")
    recorded = client.post(f"/api/v1/loans/{loan_id}/repayments", headers=maker,
                           json={"date": "2025-01-20", "amount": "12100.00"}).json()
    client.post(f"/api/v1/loans/{loan_id}/repayments/{recorded['id']}/confirm", headers=checker)
    credit = client.get(f"/api/v1/loans/{loan_id}", headers=maker).json()["credit_balance"]
    too_much = client.post(f"/api/v1/loans/{loan_id}/refunds", headers=maker,
                           json={"amount": "999.00", "card_id": who.card_id, "reason": "多还款退回"})
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "amount"
    refund = client.post(f"/api/v1/loans/{loan_id}/refunds", headers=maker,
                         json={"amount": credit, "card_id": who.card_id, "reason": "多还款退回"}).json()
    own = client.post(f"/api/v1/refunds/{refund['id']}/review", headers=maker, json={"approve": True})
    assert own.status_code == 422
    approved = client.post(f"/api/v1/refunds/{refund['id']}/review", headers=checker,
                           json={"approve": True, "note": "ok", "version": refund["version"]})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    sent = client.post(f"/api/v1/refunds/{refund['id']}/send", headers=checker)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    deliver(client, bank)
    listed = client.get("/api/v1/refunds", params={"loan_id": loan_id}, headers=maker).json()
    assert listed["data"][0]["status"] == "posted"
    assert client.get(f"/api/v1/loans/{loan_id}", headers=maker).json()["credit_balance"] == "0.00"
