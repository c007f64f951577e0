"""The ledger API as finance uses it: chart, manual vouchers with maker-checker, statements, period close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autofin.kernel.actor import SYSTEM
from autofin.ledger import service

pytestmark = pytest.mark.usefixtures("ledger_alone")  # ledger events without loans behind them

CHECKER = "checker1"


def _post_opening_activity(app_ctx):
    with app_ctx.uow() as uow:
        service.post_events(
            uow,
            SYSTEM,
            [
                service.PostingRequest(
                    "capital.contributed", "capital", "c1", date(2025, 11, 1), {"amount": Decimal("1000000.00")}
                ),
                service.PostingRequest(
                    "loan.disbursed", "loan", "L1", date(2025, 11, 2), {"principal": Decimal("80000.00")}
                ),
                service.PostingRequest(
                    "interest.accrued", "accrual", "a1", date(2025, 11, 30), {"interest": Decimal("530.00")}
                ),
            ],
        )
        uow.commit()


def _voucher(debit="10.00", credit="10.00"):
    return {
        "business_date": "2025-11-05",
        "description": "office rent 房租",
        "lines": [
            {"account_code": "6602", "debit": debit, "memo": "rent"},
            {"account_code": "1002", "credit": credit},
        ],
    }


def test_the_chart_of_accounts_is_listed_with_chinese_and_english_names(admin_client):
    response = admin_client.get("/api/v1/ledger/accounts")
    assert response.status_code == 200
    accounts = {a["code"]: a for a in response.json()["data"]}
    assert accounts["1002"]["name_zh"] == "银行存款"
    assert accounts["130302"]["parent_code"] == "1303"
    assert accounts["7001"]["type"] == "off_balance"


def test_a_manual_voucher_goes_from_maker_to_a_different_checker_and_shows_in_the_journal(
    admin_client, client, make_user, auth_headers
):
    make_user(CHECKER, role_codes=["finance"])
    checker = auth_headers(client, CHECKER)
    created = admin_client.post("/api/v1/ledger/vouchers", json=_voucher())
    assert created.status_code == 201, created.text
    voucher = created.json()
    assert voucher["status"] == "draft" and voucher["lines"][0]["debit"] == "10.00"

    own = admin_client.post(f"/api/v1/ledger/vouchers/{voucher['id']}/approve")
    assert own.status_code == 422 and own.json()["code"] == "ledger.voucher.maker_is_checker"

    approved = client.post(f"/api/v1/ledger/vouchers/{voucher['id']}/approve", headers=checker)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "posted"

    entries = admin_client.get("/api/v1/ledger/entries", params={"period": "2025-11", "account": "6602"}).json()
    assert entries["count"] == 1
    assert entries["data"][0]["voucher_no"] == "记-2025-11-0001"
    assert entries["data"][0]["total_debit"] == "10.00"


def test_an_unbalanced_voucher_is_refused_with_422(admin_client):
    response = admin_client.post("/api/v1/ledger/vouchers", json=_voucher("10.00", "9.99"))
    assert response.status_code == 422
    assert response.json()["code"] == "ledger.entry.unbalanced"


def test_statements_tie_out_with_money_as_strings(admin_client, app_ctx):
    _post_opening_activity(app_ctx)
    trial = admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11"}).json()
    assert trial["balanced"] is True
    assert trial["period_debit"] == trial["period_credit"] == "1080530.00"

    sheet = admin_client.get("/api/v1/ledger/balance-sheet", params={"date": "2025-11-30"}).json()
    assert sheet["balanced"] is True
    assert sheet["total_assets"] == "1000530.00"
    assert sheet["current_year_profit"] == "500.00"

    income = admin_client.get("/api/v1/ledger/income-statement", params={"period": "2025-11"}).json()
    assert income["net_profit"] == "500.00"

    exported = admin_client.get("/api/v1/ledger/trial-balance.csv", params={"period": "2025-11"})
    assert exported.status_code == 200 and "银行存款" in exported.text


def test_a_closed_period_refuses_new_vouchers_with_409(admin_client, app_ctx):
    _post_opening_activity(app_ctx)
    closed = admin_client.post("/api/v1/ledger/periods/2025-11/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["passed"] is True
    late = admin_client.post("/api/v1/ledger/vouchers", json=_voucher())
    assert late.status_code == 409 and late.json()["code"] == "ledger.period.closed"
    again = admin_client.post("/api/v1/ledger/periods/2025-11/close")
    assert again.status_code == 409


def test_the_ledger_needs_a_signed_in_user_with_ledger_permissions(client, make_user, auth_headers):
    assert client.get("/api/v1/ledger/accounts").status_code == 401
    make_user("nobody1")
    headers = auth_headers(client, "nobody1")
    assert client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11"}, headers=headers).status_code == 403


def test_a_bad_period_is_refused_with_422(admin_client):
    assert admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-13"}).status_code == 422
    assert admin_client.post("/api/v1/ledger/periods/november/close").status_code == 422
