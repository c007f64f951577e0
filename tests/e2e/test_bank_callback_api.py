"""POST /api/v1/channels/bank/callback: the bank's signed result, through the real app."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from autofin.bootstrap import App
from autofin.channels import service
from autofin.channels.adapter import CallbackPayload, sign
from autofin.channels.config import callback_secret
from autofin.kernel.actor import SYSTEM

URL = "/api/v1/channels/bank/callback"


def reserved(app: App, amount: str = "500.00") -> tuple[int, str]:
    with app.uow() as uow:
        instruction = service.reserve_payment(uow, SYSTEM, "api-1", "6222020200001234567", Decimal(amount),
                                              "disbursement", "D-9")
        uow.commit()
        return instruction.id, instruction.end_to_end_id


def state_of(app: App, instruction_id: int) -> str:
    with app.uow() as uow:
        return str(service.get_payment(uow, SYSTEM, instruction_id).state)


def test_a_signed_callback_posts_the_payment_and_a_repeat_changes_nothing(client: TestClient, app_ctx: App) -> None:
    instruction_id, e2e = reserved(app_ctx)
    body = CallbackPayload(e2e, "posted", "BANK-1", Decimal("500.00")).to_json()
    headers = {"X-Bank-Signature": sign(callback_secret(app_ctx.settings), body), "Content-Type": "application/json"}
    first = client.post(URL, content=body, headers=headers)
    assert first.status_code == 200
    assert first.json() == {"status": "ok", "instruction_state": "posted"}
    failed_later = CallbackPayload(e2e, "failed", "BANK-1", Decimal("500.00"), "late").to_json()
    late_headers = headers | {"X-Bank-Signature": sign(callback_secret(app_ctx.settings), failed_later)}
    again = client.post(URL, content=failed_later, headers=late_headers)
    assert again.status_code == 200
    assert state_of(app_ctx, instruction_id) == "posted"


def test_a_callback_with_a_bad_signature_is_401_and_changes_nothing(client: TestClient, app_ctx: App) -> None:
    instruction_id, e2e = reserved(app_ctx)
    body = CallbackPayload(e2e, "posted", "BANK-1", Decimal("500.00")).to_json()
    response = client.post(URL, content=body, headers={"X-Bank-Signature": sign(b"forged", body)})
    assert response.status_code == 401
    assert response.json()["code"] == "channels.callback.bad_signature"
    missing = client.post(URL, content=body)
    assert missing.status_code == 401
    assert state_of(app_ctx, instruction_id) == "reserved"


def test_a_signed_callback_that_is_not_json_is_422(client: TestClient, app_ctx: App) -> None:
    body = b"not json"
    signature = sign(callback_secret(app_ctx.settings), body)
    response = client.post(URL, content=body, headers={"X-Bank-Signature": signature})
    assert response.status_code == 422
    assert response.json()["code"] == "channels.callback.invalid"


def test_a_callback_for_an_unknown_instruction_is_404(client: TestClient, app_ctx: App) -> None:
    body = CallbackPayload("no-such-e2e", "posted", "B", Decimal("1.00")).to_json()
    signature = sign(callback_secret(app_ctx.settings), body)
    response = client.post(URL, content=body, headers={"X-Bank-Signature": signature})
    assert response.status_code == 404


def test_payments_are_listed_for_signed_in_users_with_the_view_permission(
    admin_client: TestClient, app_ctx: App
) -> None:
    instruction_id, _ = reserved(app_ctx)
    listed = admin_client.get("/api/v1/channels/payments")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    one = admin_client.get(f"/api/v1/channels/payments/{instruction_id}").json()
    assert (one["amount"], one["state"]) == ("500.00", "reserved")


def test_payments_need_a_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/channels/payments").status_code == 401
