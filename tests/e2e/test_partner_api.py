"""Second-party intake over HTTP: a partner platform signs its requests, submits applications in its own codes,
retries safely, is rate limited, and hears of decisions through signed callbacks (第二方进件)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from autofin.customers import identity
from autofin.origination.models import Application
from autofin.origination.partners import signature as sig
from autofin.origination.partners.models import PartnerNonce
from autofin.products import demo as product_demo
from autofin.vehicles.vin import make_vin

SERIAL = iter(range(1, 10_000))
SUBMIT = "/api/v1/partner/applications"


@pytest.fixture()
def dealer_id(app_ctx):
    from autofin.kernel.actor import SYSTEM
    from autofin.org import service as org
    from autofin.org.schemas import DepartmentCreate

    with app_ctx.uow() as uow:
        product_demo.load(uow, app_ctx.settings)
        row = org.create_department(uow, SYSTEM, DepartmentCreate(code="DEALER-P", name="合作经销商"))
        org.create_department(uow, SYSTEM, DepartmentCreate(code="DEALER-Q", name="其他经销商"))
        uow.commit()
        return row.id


def _create_partner(admin_client, dealer_id, **overrides):
    body = {
        "code": "CARPLAT",
        "name": "某车平台",
        "department_id": dealer_id,
        "rate_limit_per_minute": 100,
        "mappings": {
            "product": {"P-NEW": "NEW-ANNUITY"},
            "id_type": {"01": "resident_id"},
            "method": {"DEBX": "annuity"},
        },
    }
    body.update(overrides)
    response = admin_client.post("/api/v1/origination/partners", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _signed(partner, method, path, body=b"", *, timestamp=None, nonce=None, secret=None, **extra):
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    nonce = nonce or uuid.uuid4().hex
    headers = {
        "X-Partner-Key": partner["key_id"],
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sig.sign(secret or partner["secret"], method, path, timestamp, nonce, body),
        "Content-Type": "application/json",
    }
    headers.update(extra)
    return headers


def _payload(**overrides):
    n = next(SERIAL)
    body = {
        "order_no": f"ORD-{n:05d}",
        "product_code": "P-NEW",
        "applicant": {
            "name": "赵六",
            "id_type": "01",
            "id_number": identity.make_resident_id("110101", date(1990, 4, 1), 500 + n),
            "phone": f"1370000{n:04d}",
            "monthly_income": "25000.00",
        },
        "vehicle": {"vin": make_vin("LFV2A21K", "P", "3", f"{600000 + n:06d}"), "invoice_price": "200000.00"},
        "price": "200000.00",
        "down_payment": "120000.00",
        "term": 36,
        "method": "DEBX",
        "purpose": "购车",
    }
    body.update(overrides)
    return body


def _submit(client, partner, payload, **header_overrides):
    raw = json.dumps(payload, ensure_ascii=False).encode()
    return client.post(SUBMIT, content=raw, headers=_signed(partner, "POST", SUBMIT, raw, **header_overrides))


def _count(app_ctx, model):
    with app_ctx.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_signed_submission_creates_and_submits_an_application_for_the_partners_dealer(
    client, admin_client, dealer_id, app_ctx
):
    partner = _create_partner(admin_client, dealer_id)
    assert partner["secret"] and partner["key_id"].startswith("pk_")
    shown = admin_client.get(f"/api/v1/origination/partners/{partner['id']}").json()
    assert "secret" not in shown, "the secret is shown once, at creation"

    response = _submit(client, partner, _payload(order_no="ORD-A"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["order_no"] == "ORD-A" and answer["number"].startswith("AP-")
    assert answer["status"] == "in_review" and answer["check_outcome"] in ("pass", "refer")
    assert answer["checks"], "the partner sees the checks that ran"

    staff_view = admin_client.get(f"/api/v1/applications/{answer['application_id']}").json()
    assert staff_view["department_id"] == dealer_id and staff_view["channel"] == "partner"
    assert staff_view["product_code"] == "NEW-ANNUITY" and staff_view["method"] == "annuity"

    path = f"/api/v1/partner/applications/{answer['application_id']}"
    status = client.get(path, headers=_signed(partner, "GET", path))
    assert status.status_code == 200 and status.json()["status"] == "in_review"
    by_order = "/api/v1/partner/orders/ORD-A"
    assert client.get(by_order, headers=_signed(partner, "GET", by_order)).json()["application_id"] == answer[
        "application_id"
    ]


def test_the_same_applicant_is_matched_by_id_number_not_created_twice(client, admin_client, dealer_id):
    partner = _create_partner(admin_client, dealer_id)
    first = _payload()
    second = _payload()
    second["applicant"]["id_number"] = first["applicant"]["id_number"]
    a = _submit(client, partner, first).json()
    b = _submit(client, partner, second)
    assert b.status_code == 201, b.text
    staff = [admin_client.get(f"/api/v1/applications/{x}").json() for x in (a["application_id"],
                                                                            b.json()["application_id"])]
    assert staff[0]["applicant_id"] == staff[1]["applicant_id"]
    # the second application of the same person is in flight with the first: the checks decline it
    assert b.json()["status"] == "rejected"


@pytest.mark.parametrize(
    ("tamper", "code", "status"),
    [
        ({"secret": "wrong-secret"}, "origination.partner.bad_signature", 401),
        ({"age": 301}, "origination.partner.stale_timestamp", 401),
        ({"age": -400}, "origination.partner.stale_timestamp", 401),
        ({"timestamp": "yesterday"}, "origination.partner.bad_timestamp", 401),
        ({"nonce": "bad nonce!"}, "origination.partner.bad_nonce", 401),
        ({"X-Partner-Key": "pk_unknown"}, "origination.partner.unknown_key", 401),
    ],
)
def test_a_request_that_fails_authentication_is_refused_with_its_reason_and_writes_nothing(
    client, admin_client, dealer_id, app_ctx, tamper, code, status
):
    partner = _create_partner(admin_client, dealer_id)
    before = _count(app_ctx, Application)
    if "age" in tamper:  # seconds before now (negative: in the future), taken when the request is sent
        tamper = {"timestamp": int(time.time()) - tamper["age"]}
    response = _submit(client, partner, _payload(), **tamper)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code and problem["detail"]
    assert _count(app_ctx, Application) == before
    assert _count(app_ctx, PartnerNonce) == 0, "a refused request does not even spend its nonce"


def test_missing_headers_and_a_changed_body_are_refused(client, admin_client, dealer_id):
    partner = _create_partner(admin_client, dealer_id)
    raw = json.dumps(_payload()).encode()
    assert client.post(SUBMIT, content=raw).json()["code"] == "origination.partner.key_missing"
    headers = _signed(partner, "POST", SUBMIT, raw)
    tampered = client.post(SUBMIT, content=raw.replace(b"200000.00", b"300000.00"), headers=headers)
    assert tampered.status_code == 401 and tampered.json()["code"] == "origination.partner.bad_signature"


def test_a_reused_nonce_is_refused_and_english_is_answered_when_asked(client, admin_client, dealer_id, app_ctx):
    partner = _create_partner(admin_client, dealer_id)
    payload = _payload()
    raw = json.dumps(payload).encode()
    headers = _signed(partner, "POST", SUBMIT, raw, nonce="fixed-nonce-1")
    assert client.post(SUBMIT, content=raw, headers=headers).status_code == 201
    before = _count(app_ctx, Application)
    replay = client.post(SUBMIT, content=raw, headers={**headers, "Accept-Language": "en"})
    assert replay.status_code == 401
    assert replay.json()["code"] == "origination.partner.nonce_reused"
    assert "already used" in replay.json()["detail"]
    assert _count(app_ctx, Application) == before


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_creates_nothing_more(
    client, admin_client, dealer_id, app_ctx
):
    partner = _create_partner(admin_client, dealer_id)
    payload = _payload()
    first = _submit(client, partner, payload, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    before = _count(app_ctx, Application)
    again = _submit(client, partner, payload, **{"Idempotency-Key": "retry-1"})  # new nonce and signature
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["application_id"] == first.json()["application_id"]
    assert _count(app_ctx, Application) == before
    other = _submit(client, partner, _payload(), **{"Idempotency-Key": "retry-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    # without the key, the same order number again is a conflict naming the first application
    dup = _submit(client, partner, payload)
    assert dup.status_code == 409 and dup.json()["code"] == "origination.partner.duplicate_order"


def test_idempotency_keys_are_per_partner(client, admin_client, dealer_id):
    one = _create_partner(admin_client, dealer_id, code="PLAT-ONE")
    two = _create_partner(admin_client, dealer_id, code="PLAT-TWO")
    a = _submit(client, one, _payload(), **{"Idempotency-Key": "same-key"})
    b = _submit(client, two, _payload(), **{"Idempotency-Key": "same-key"})
    assert a.status_code == b.status_code == 201
    assert a.json()["application_id"] != b.json()["application_id"]


def test_more_requests_than_the_partners_limit_get_429_with_retry_after(client, admin_client, dealer_id, app_ctx):
    partner = _create_partner(admin_client, dealer_id, rate_limit_per_minute=2)
    path = "/api/v1/partner/orders/NOPE"
    answers = [client.get(path, headers=_signed(partner, "GET", path)) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [404, 404]
    limited = answers[2]
    assert limited.status_code == 429 and limited.json()["code"] == "origination.partner.rate_limited"
    assert int(limited.headers["Retry-After"]) == 30  # 2 a minute: a token every 30 s


def test_codes_the_partner_did_not_agree_are_refused_naming_each_field(client, admin_client, dealer_id, app_ctx):
    partner = _create_partner(admin_client, dealer_id)
    payload = _payload(product_code="P-UNKNOWN", method="XXX")
    payload["applicant"]["id_type"] = "99"
    response = _submit(client, partner, payload)
    assert response.status_code == 422 and response.json()["code"] == "origination.partner.mapping"
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(fields) == {"product_code", "method", "applicant.id_type"}
    assert "P-NEW" in fields["product_code"], "the message lists the agreed codes"
    assert _count(app_ctx, Application) == 0


def test_invalid_values_are_refused_naming_the_field_in_the_partners_payload(client, admin_client, dealer_id, app_ctx):
    partner = _create_partner(admin_client, dealer_id)
    bad_id = _payload()
    bad_id["applicant"]["id_number"] = "110101199004010000"
    response = _submit(client, partner, bad_id)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["applicant.id_number"]
    missing = _payload()
    del missing["vehicle"]["vin"]
    missing["term"] = 0
    response = _submit(client, partner, missing)
    assert response.status_code == 422 and response.json()["code"] == "origination.partner.payload_invalid"
    assert {e["field"] for e in response.json()["errors"]} == {"vehicle.vin", "term"}
    assert _count(app_ctx, Application) == 0


def test_a_suspended_partner_and_an_address_outside_the_allow_list_are_refused(client, admin_client, dealer_id):
    partner = _create_partner(admin_client, dealer_id, allowed_ips=["203.0.113.0/24"])
    refused = _submit(client, partner, _payload())
    assert refused.status_code == 403 and refused.json()["code"] == "origination.partner.ip_not_allowed"
    admin_client.patch(f"/api/v1/origination/partners/{partner['id']}", json={"version": 1, "allowed_ips": []})
    assert _submit(client, partner, _payload()).status_code == 201
    admin_client.patch(f"/api/v1/origination/partners/{partner['id']}", json={"version": 2, "status": "suspended"})
    suspended = _submit(client, partner, _payload())
    assert suspended.status_code == 403 and suspended.json()["code"] == "origination.partner.suspended"


def test_a_rotated_secret_replaces_the_old_one_at_once(client, admin_client, dealer_id):
    partner = _create_partner(admin_client, dealer_id)
    rotated = admin_client.post(f"/api/v1/origination/partners/{partner['id']}/rotate-secret").json()
    assert rotated["secret"] != partner["secret"]
    assert _submit(client, partner, _payload()).json()["code"] == "origination.partner.bad_signature"
    assert _submit(client, {**partner, "secret": rotated["secret"]}, _payload()).status_code == 201


def test_partner_administration_needs_its_permission_and_checks_mappings(
    client, admin_client, dealer_id, make_user, auth_headers
):
    make_user("dealer_p", role_codes=["dealer"], department_code="DEALER-P")
    dealer = auth_headers(client, "dealer_p")
    assert client.get("/api/v1/origination/partners", headers=dealer).status_code == 403
    bad = admin_client.post(
        "/api/v1/origination/partners",
        json={"code": "BADMAP", "name": "x", "department_id": dealer_id,
              "mappings": {"product": {"P1": "NO-SUCH"}, "colour": {"r": "red"}, "method": {"M": "weekly"}}},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"mappings.product.P1", "mappings.colour", "mappings.method.M"}
    _create_partner(admin_client, dealer_id)
    taken = admin_client.post("/api/v1/origination/partners", json={"code": "CARPLAT", "name": "x",
                                                                     "department_id": dealer_id})
    assert taken.status_code == 409 and taken.json()["code"] == "origination.partner.code_taken"


def test_dealer_users_see_the_partner_applications_of_their_own_dealer_only(
    client, admin_client, dealer_id, make_user, auth_headers
):
    partner = _create_partner(admin_client, dealer_id)
    submitted = _submit(client, partner, _payload()).json()
    make_user("dealer_p", role_codes=["dealer"], department_code="DEALER-P")
    make_user("dealer_q", role_codes=["dealer"], department_code="DEALER-Q")
    mine = client.get("/api/v1/applications", headers=auth_headers(client, "dealer_p")).json()
    assert [row["id"] for row in mine["data"]] == [submitted["application_id"]]
    other = auth_headers(client, "dealer_q")
    assert client.get("/api/v1/applications", headers=other).json()["count"] == 0
    assert client.get(f"/api/v1/applications/{submitted['application_id']}", headers=other).status_code == 404


def test_a_partner_cannot_read_another_partners_application(client, admin_client, dealer_id):
    one = _create_partner(admin_client, dealer_id, code="PLAT-ONE")
    two = _create_partner(admin_client, dealer_id, code="PLAT-TWO")
    submitted = _submit(client, one, _payload()).json()
    path = f"/api/v1/partner/applications/{submitted['application_id']}"
    response = client.get(path, headers=_signed(two, "GET", path))
    assert response.status_code == 404 and response.json()["code"] == "origination.partner.application_not_found"


def _send_file(client, partner, application_id, data, *, kind="id_photo", filename="id-front.png", **headers):
    path = f"/api/v1/partner/applications/{application_id}/documents?kind={kind}&filename={filename}"
    signed = _signed(partner, "POST", path, data, **headers)
    signed["Content-Type"] = "application/octet-stream"
    return client.post(path, content=data, headers=signed)


def test_a_partner_sends_supporting_files_for_its_own_undecided_application(client, admin_client, dealer_id):
    from tests.unit.documents import samples

    partner = _create_partner(admin_client, dealer_id, mappings={
        "product": {"P-NEW": "NEW-ANNUITY"}, "id_type": {"01": "resident_id"}, "method": {"DEBX": "annuity"},
        "document_kind": {"SFZ": "id_photo", "FP": "invoice"}})
    submitted = _submit(client, partner, _payload()).json()
    application_id = submitted["application_id"]

    photo = samples.png()
    sent = _send_file(client, partner, application_id, photo, kind="SFZ")
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert (answer["kind"], answer["media_type"], answer["size"], answer["stored_before"]) == (
        "id_photo", "image/png", len(photo), False)
    invoice = _send_file(client, partner, application_id, samples.pdf(), kind="FP", filename="invoice.pdf")
    assert invoice.status_code == 201 and invoice.json()["kind"] == "invoice"

    staff_view = admin_client.get(f"/api/v1/applications/{application_id}").json()
    assert set(staff_view["document_ids"]) == {answer["document_id"], invoice.json()["document_id"]}
    listed = admin_client.get("/api/v1/documents", params={"owner_type": "application", "owner_id": application_id})
    assert {d["kind"] for d in listed.json()["data"]} == {"id_photo", "invoice"}

    again = _send_file(client, partner, application_id, photo, kind="SFZ")  # a retry with a fresh nonce
    assert again.status_code == 201 and again.json()["document_id"] == answer["document_id"]
    assert again.json()["stored_before"] is True
    assert len(admin_client.get(f"/api/v1/applications/{application_id}").json()["document_ids"]) == 2


def test_a_partners_file_is_refused_when_unsigned_unknown_foreign_late_or_not_a_document(
    client, admin_client, dealer_id, app_ctx
):
    from tests.unit.documents import samples

    one = _create_partner(admin_client, dealer_id, code="PLAT-DOC")
    other = _create_partner(admin_client, dealer_id, code="PLAT-OTHER")
    application_id = _submit(client, one, _payload()).json()["application_id"]

    changed = _signed(one, "POST", f"/api/v1/partner/applications/{application_id}/documents?kind=id_photo",
                      samples.png())
    tampered = client.post(f"/api/v1/partner/applications/{application_id}/documents?kind=id_photo",
                           content=samples.png(rgb=(1, 2, 3)), headers=changed)  # not the signed bytes
    assert tampered.status_code == 401

    foreign = _send_file(client, other, application_id, samples.png())
    assert foreign.status_code == 404 and foreign.json()["code"] == "origination.partner.application_not_found"

    bad_kind = _send_file(client, one, application_id, samples.png(), kind="contract")
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["field"] == "kind"

    program = _send_file(client, one, application_id, samples.exe(), filename="virus.exe")
    assert program.status_code == 422 and program.json()["errors"][0]["field"] == "file"
    empty = _send_file(client, one, application_id, b"")
    assert empty.status_code == 422

    listed = admin_client.get("/api/v1/documents", params={"owner_type": "application", "owner_id": application_id})
    assert listed.json()["data"] == []

    with app_ctx.uow() as uow:  # decided: a file now would change nothing
        uow.session.get(Application, application_id).status = "approved"
        uow.commit()
    late = _send_file(client, one, application_id, samples.png())
    assert late.status_code == 409 and late.json()["code"] == "origination.partner.documents_closed"
