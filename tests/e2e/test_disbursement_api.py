"""The whole path through HTTP with the bank simulator: apply → submit → two review stages → contract and signing →
conditions → register → double review → the bank posts → an active loan with its schedule, the books balanced."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autofin.channels.config import callback_secret
from autofin.channels.simulator import BankSimulator, SimulatorConfig, serve_in_thread
from autofin.customers import identity
from autofin.ledger.models import JournalEntry, JournalLine
from autofin.platform.service import business_today
from autofin.products import demo as product_demo
from autofin.vehicles.vin import make_vin

CARD = "6222020200001234562"
CALLBACK = "/api/v1/channels/bank/callback"


@pytest.fixture()
def people(client, make_user, auth_headers, app_ctx):
    with app_ctx.uow() as uow:
        product_demo.load(uow, app_ctx.settings)
        uow.commit()
    make_user("sales1", role_codes=["sales"])
    for name in ("rev1", "rev2"):
        make_user(name, role_codes=["reviewer"])
    make_user("clerk", role_codes=["finance"])
    make_user("checker", role_codes=["finance"])
    make_user("boss", role_codes=["admin"], superuser=True)
    return {name: auth_headers(client, name) for name in ("sales1", "rev1", "rev2", "clerk", "checker", "boss")}


@pytest.fixture()
def simulator(app_ctx, monkeypatch):
    bank = BankSimulator(SimulatorConfig(callback_secret(app_ctx.settings), send_callbacks=False,
                                         fail_amounts=frozenset({Decimal("69200.00")})))
    server = serve_in_thread(bank)
    monkeypatch.setenv("AUTOFIN_BANK_URL", server.url)
    yield bank
    server.stop()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def approved_application(client, people, *, price="200000.00", down="120000.00"):
    sales = people["sales1"]
    customer = ok(client.post("/api/v1/customers", headers=sales, json={
        "kind": "individual", "name": "王五", "id_type": "resident_id", "phone": "13800000001",
        "id_number": identity.make_resident_id("110101", date(1988, 3, 9), 301)}), 201)
    vin = make_vin("LFV2A21K", "P", "3", "400001")
    vehicle = ok(client.post("/api/v1/vehicles", headers=sales, json={
        "vin": vin, "condition": "new", "powertrain": "ice", "use": "self", "invoice_price": price}), 201)
    draft = ok(client.post("/api/v1/applications", headers=sales, json={
        "applicant_id": customer["id"], "vehicle_id": vehicle["id"], "product_code": "NEW-ANNUITY", "price": price,
        "down_payment": down, "term": 36, "method": "annuity", "channel": "dealer", "purpose": "购车"}), 201)
    assert ok(client.post(f"/api/v1/applications/{draft['id']}/submit", headers=sales))["outcome"] == "pass"
    for stage in ("first_review", "final_review"):
        for name in ("rev1", "rev2"):
            tasks = ok(client.get("/api/v1/tasks", headers=people[name]))["data"]
            task = next((t for t in tasks if t["application_id"] == draft["id"] and t["mine"]), None)
            if task is not None:
                assert task["stage"] == stage
                ok(client.post(f"/api/v1/applications/{draft['id']}/review", headers=people[name],
                               json={"decision": "approve", "task_version": task["version"]}))
                break
        else:
            pytest.fail(f"nobody holds the {stage} task")
    application = ok(client.get(f"/api/v1/applications/{draft['id']}", headers=sales))
    assert application["status"] == "approved"
    return application, customer, vehicle


def sign(client, headers, application_id):
    session = ok(client.post(f"/api/v1/applications/{application_id}/contract", headers=headers), 201)
    assert session["state"] == "created" and session["contract_no"].startswith("HT-")
    sid = session["id"]
    ok(client.post(f"/api/v1/signing-sessions/{sid}/identity", headers=headers,
                   json={"video_matches_id_photo": True, "note": "本人与证件照一致"}))
    ok(client.post(f"/api/v1/signing-sessions/{sid}/recording", headers=headers, content=b"\x00video\x01"))
    ok(client.post(f"/api/v1/signing-sessions/{sid}/consent", headers=headers, json={"ip": "203.0.113.7"}))
    signed = ok(client.post(f"/api/v1/signing-sessions/{sid}/institution-signature", headers=headers))
    assert signed["state"] == "institution_signed" and signed["signed_sha256"]
    pdf = client.get(f"/api/v1/signing-sessions/{sid}/contract.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    return signed["contract_no"]


def meet_conditions(client, headers, application, vehicle):
    today = business_today()
    lien = ok(client.post("/api/v1/mortgages", headers=headers, json={"vehicle_id": vehicle["id"]}), 201)
    ok(client.post(f"/api/v1/mortgages/{lien['id']}/register", headers=headers,
                   json={"certificate_number": "DY-2026-0001"}))
    device = ok(client.post("/api/v1/gps-devices", headers=headers, json={"serial": "GPS-0001", "kind": "wired"}),
                201)
    ok(client.post(f"/api/v1/gps-devices/{device['id']}/install", headers=headers,
                   json={"vehicle_id": vehicle["id"], "installer": "安装员"}))
    ok(client.post(f"/api/v1/vehicles/{vehicle['id']}/policies", headers=headers, json={
        "insurer": "人保财险", "policy_number": "PICC-1", "kind": "vehicle_damage", "cover": "200000.00",
        "starts_on": str(today - timedelta(days=1)), "ends_on": str(today + timedelta(days=364)),
        "beneficiary": "autofin"}), 201)
    ok(client.post(f"/api/v1/applications/{application['id']}/down-payments", headers=headers, json={
        "amount": application["down_payment"], "received_on": str(today), "reference": "SK-0001"}), 201)


def callback(client, bank, end_to_end_id):
    body, signature = bank.callback(end_to_end_id)
    return client.post(CALLBACK, content=body, headers={"X-Bank-Signature": signature})


def test_one_application_from_intake_to_an_active_loan_through_http(client, people, simulator, app_ctx):
    application, customer, vehicle = approved_application(client, people)
    app_id = application["id"]
    checklist = ok(client.get(f"/api/v1/applications/{app_id}/disbursement-checklist", headers=people["clerk"]))
    assert checklist["all_met"] is False and len(checklist["conditions"]) == 5
    contract_no = sign(client, people["boss"], app_id)
    assert ok(client.get(f"/api/v1/applications/{app_id}", headers=people["sales1"]))["status"] == "contracted"
    inbox = ok(client.get("/api/v1/platform/inbox", headers=people["clerk"]))["data"]
    assert any(m["title"] == f"待放款：{application['number']}" for m in inbox), "finance hears it is ready"
    meet_conditions(client, people["boss"], application, vehicle)
    checklist = ok(client.get(f"/api/v1/applications/{app_id}/disbursement-checklist", headers=people["clerk"]))
    assert checklist["all_met"] is True, checklist
    card = ok(client.post(f"/api/v1/customers/{customer['id']}/cards", headers=people["sales1"],
                          json={"card_number": CARD, "holder_name": "王五"}), 201)

    key = {"Idempotency-Key": "register-1"}
    registered = ok(client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"] | key,
                                json={"payee": "borrower", "card_id": card["id"]}), 201)
    replay = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"] | key,
                         json={"payee": "borrower", "card_id": card["id"]})
    assert replay.status_code == 201 and replay.json()["id"] == registered["id"]  # a double click
    assert registered["status"] == "registered" and registered["contract_no"] == contract_no
    assert (registered["amount"], registered["fee_amount"], registered["payout_amount"]) == (
        "80000.00", "800.00", "79200.00")
    did = registered["id"]
    inbox = ok(client.get("/api/v1/platform/inbox", headers=people["checker"]))["data"]
    assert any(registered["number"] in m["title"] for m in inbox), "finance is told a disbursement awaits review"

    own = client.post(f"/api/v1/disbursements/{did}/review", headers=people["clerk"], json={"decision": "approve"})
    assert own.status_code == 403 and own.json()["code"] == "origination.disbursement.separation_of_duties"
    approved = ok(client.post(f"/api/v1/disbursements/{did}/review", headers=people["checker"],
                              json={"decision": "approve", "version": registered["version"]}))
    assert approved["status"] == "paying" and approved["payment_state"] == "sent"
    twice = client.post(f"/api/v1/disbursements/{did}/review", headers=people["checker"],
                        json={"decision": "approve", "version": registered["version"]})
    assert twice.status_code == 409
    listed = ok(client.get("/api/v1/disbursements?status=paying", headers=people["checker"]))
    assert [d["id"] for d in listed["data"]] == [did]

    payment = ok(client.get(f"/api/v1/channels/payments/{approved['payment_instruction_id']}",
                            headers=people["checker"]))
    assert ok(callback(client, simulator, payment["end_to_end_id"]))["instruction_state"] == "posted"
    assert callback(client, simulator, payment["end_to_end_id"]).status_code == 200  # the bank repeats itself
    assert simulator.posted_count() == 1

    paid = ok(client.get(f"/api/v1/disbursements/{did}", headers=people["clerk"]))
    assert paid["status"] == "paid" and paid["payment_state"] == "posted" and paid["loan_id"]
    assert ok(client.get(f"/api/v1/applications/{app_id}", headers=people["sales1"]))["status"] == "disbursed"
    loan = ok(client.get(f"/api/v1/loans/{paid['loan_id']}", headers=people["boss"]))
    assert loan["status"] == "active" and loan["principal"] == "80000.00" and loan["contract_no"] == contract_no
    assert len(loan["installments"]) == 36
    assert sum(Decimal(i["principal_due"]) for i in loan["installments"]) == Decimal("80000.00")
    assert (loan["owner_id"], loan["department_id"]) == (application["owner_id"], application["department_id"])
    with app_ctx.uow() as uow:
        entries = uow.session.scalars(select(JournalEntry)).all()
        assert {"loan.disbursed", "fee.charged"} <= {e.event_type for e in entries}
        for entry in entries:
            lines = uow.session.scalars(select(JournalLine).where(JournalLine.entry_id == entry.id)).all()
            assert sum(x.debit for x in lines) == sum(x.credit for x in lines) > 0
    detail = ok(client.get(f"/api/v1/applications/{app_id}", headers=people["sales1"]))
    actions = [t["action"] for t in detail["timeline"] if t["stage"] == "disbursement"]
    assert actions[-3:] == ["registered", "review_approved", "paid"]


def test_a_bank_failure_returns_the_application_to_review_with_the_banks_reason(client, people, simulator):
    application, customer, vehicle = approved_application(client, people, price="190000.00", down="120000.00")
    app_id = application["id"]  # 70,000 less the 800 GPS fee = 69,200: the simulator refuses that amount
    sign(client, people["boss"], app_id)
    meet_conditions(client, people["boss"], application, vehicle)
    card = ok(client.post(f"/api/v1/customers/{customer['id']}/cards", headers=people["sales1"],
                          json={"card_number": CARD, "holder_name": "王五"}), 201)
    registered = ok(client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"],
                                json={"payee": "borrower", "card_id": card["id"]}), 201)
    assert registered["payout_amount"] == "69200.00"
    approved = ok(client.post(f"/api/v1/disbursements/{registered['id']}/review", headers=people["checker"],
                              json={"decision": "approve"}))
    payment = ok(client.get(f"/api/v1/channels/payments/{approved['payment_instruction_id']}",
                            headers=people["checker"]))
    ok(callback(client, simulator, payment["end_to_end_id"]))
    failed = ok(client.get(f"/api/v1/disbursements/{registered['id']}", headers=people["clerk"]))
    assert failed["status"] == "failed" and "frozen" in failed["failure_reason"] and failed["loan_id"] is None
    back = ok(client.get(f"/api/v1/applications/{app_id}", headers=people["sales1"]))
    assert (back["status"], back["current_stage"]) == ("in_review", "final_review")
    assert ok(client.get("/api/v1/loans", headers=people["boss"]))["count"] == 0


def test_registration_refuses_bad_input_with_field_errors_and_writes_nothing(client, people):
    application, _customer, _vehicle = approved_application(client, people)
    app_id = application["id"]
    not_yet = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"],
                          json={"payee": "dealer", "account_number": "110060149018170009876", "account_name": "车行"})
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "origination.application.wrong_status"
    sign(client, people["boss"], app_id)
    missing = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"],
                          json={"payee": "dealer", "account_number": "110060149018170009876", "account_name": "车行"})
    assert missing.status_code == 422 and missing.json()["code"] == "origination.disbursement.conditions_not_met"
    fields = {e["field"] for e in missing.json()["errors"]}
    assert fields == {"mortgage_registered", "gps_installed", "insurance_beneficiary", "down_payment_received"}
    unknown = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["clerk"],
                          json={"payee": "bank robber"})
    assert unknown.status_code == 422
    no_right = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=people["rev1"],
                           json={"payee": "dealer", "account_number": "110060149018170009876", "account_name": "x"})
    assert no_right.status_code == 403
    assert ok(client.get("/api/v1/disbursements", headers=people["clerk"]))["count"] == 0
    wrong_status = client.get("/api/v1/disbursements?status=lost", headers=people["clerk"])
    assert wrong_status.status_code == 422


def test_a_credit_line_through_http_opens_on_approval_and_holds_drawdowns_to_its_limit(client, people, app_ctx):
    application, _customer, _vehicle = approved_application(client, people)  # an ordinary loan first …
    sales = people["sales1"]
    vin = make_vin("LFV2A21K", "P", "3", "400002")
    car = ok(client.post("/api/v1/vehicles", headers=sales, json={
        "vin": vin, "condition": "new", "powertrain": "ice", "use": "self", "invoice_price": "200000.00"}), 201)
    other = ok(client.post("/api/v1/customers", headers=sales, json={
        "kind": "individual", "name": "赵六", "id_type": "resident_id", "phone": "13800000002",
        "id_number": identity.make_resident_id("110101", date(1985, 6, 1), 302)}), 201)
    draft = ok(client.post("/api/v1/applications", headers=sales, json={
        "applicant_id": other["id"], "vehicle_id": car["id"], "product_code": "NEW-ANNUITY", "price": "200000.00",
        "down_payment": "120000.00", "term": 36, "method": "annuity", "channel": "dealer", "purpose": "授信"}), 201)
    marked = client.post(f"/api/v1/applications/{draft['id']}/credit-line-request", headers=sales,
                         json={"validity_months": 12})
    assert marked.status_code == 200, marked.text
    ok(client.post(f"/api/v1/applications/{draft['id']}/submit", headers=sales))
    for _stage in range(2):
        for name in ("rev1", "rev2"):
            tasks = ok(client.get("/api/v1/tasks", headers=people[name]))["data"]
            task = next((t for t in tasks if t["application_id"] == draft["id"] and t["mine"]), None)
            if task is not None:
                ok(client.post(f"/api/v1/applications/{draft['id']}/review", headers=people[name],
                               json={"decision": "approve"}))
                break
    lines = ok(client.get(f"/api/v1/credit-lines?customer_id={other['id']}", headers=sales))
    assert lines["count"] == 1
    line = lines["data"][0]
    assert (line["limit_amount"], line["available_amount"], line["status"]) == ("80000.00", "80000.00", "active")
    too_much = client.post(f"/api/v1/credit-lines/{line['id']}/drawdowns", headers=sales, json={
        "vehicle_id": application["vehicle_id"], "price": "200000.00", "down_payment": "100000.00", "term": 36})
    assert too_much.status_code == 422 and too_much.json()["code"] == "origination.credit_line.limit_exceeded"
    assert too_much.json()["errors"][0]["field"] == "amount"
    vin3 = make_vin("LFV2A21K", "P", "3", "400003")
    car3 = ok(client.post("/api/v1/vehicles", headers=sales, json={
        "vin": vin3, "condition": "new", "powertrain": "ice", "use": "self", "invoice_price": "200000.00"}), 201)
    drawn = ok(client.post(f"/api/v1/credit-lines/{line['id']}/drawdowns", headers=sales, json={
        "vehicle_id": car3["id"], "price": "200000.00", "down_payment": "150000.00", "term": 36}), 201)
    assert drawn["status"] == "draft" and drawn["amount"] == "50000.00" and drawn["applicant_id"] == other["id"]
    submitted = ok(client.post(f"/api/v1/applications/{drawn['id']}/submit", headers=sales))
    assert {c["name"]: c["outcome"] for c in submitted["checks"]}["credit_line"] == "pass"
