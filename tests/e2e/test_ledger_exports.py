"""Statement downloads (XLSX / CSV / PDF), the cash-flow statement, finance figures and bank reconciliation
through the API."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from autofin.kernel.actor import SYSTEM
from autofin.ledger import service

pytestmark = pytest.mark.usefixtures("ledger_alone")  # ledger events without loans behind them

D = Decimal
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def november(app_ctx):
    with app_ctx.uow() as uow:
        service.post_events(
            uow,
            SYSTEM,
            [
                service.PostingRequest("capital.contributed", "capital", "c1", date(2025, 11, 1),
                                       {"amount": D("1000000.00")}, {"counterparty": "股东甲"}),
                service.PostingRequest("loan.disbursed", "loan", "L1", date(2025, 11, 2),
                                       {"principal": D("80000.00")}, {"counterparty": "某某车行"}),
                service.PostingRequest("repayment.allocated", "payment", "P1", date(2025, 11, 25),
                                       {"principal": D("1500.00"), "interest": D("300.00")}),
                service.PostingRequest("interest.accrued", "accrual", "a1", date(2025, 11, 30),
                                       {"interest": D("530.00")}),
            ],
        )
        uow.commit()


def _totals_row(sheet):
    return next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "合计 Total")


def test_the_trial_balance_downloads_as_xlsx_whose_totals_equal_the_json(admin_client, november):
    figures = admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11"}).json()
    response = admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11", "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="trial-balance-2025-11.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "科目余额表 Trial balance"
    totals = _totals_row(sheet)
    keys = ["opening_debit", "opening_credit", "period_debit", "period_credit", "closing_debit", "closing_credit"]
    assert [D(str(v)).quantize(D("0.01")) for v in totals[2:8]] == [D(figures[k]) for k in keys]


def test_the_trial_balance_downloads_as_csv_with_the_same_totals(admin_client, november):
    figures = admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11"}).json()
    response = admin_client.get("/api/v1/ledger/trial-balance", params={"period": "2025-11", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    totals = next(row for row in rows if row[0] == "合计 Total")
    assert totals[4:6] == [figures["period_debit"], figures["period_credit"]]


def test_statements_download_as_pdf_with_their_chinese_title(admin_client, november):
    from pypdf import PdfReader

    for path, params, title in (
        ("trial-balance", {"period": "2025-11"}, "科目余额表"),
        ("balance-sheet", {"date": "2025-11-30"}, "资产负债表"),
        ("income-statement", {"period": "2025-11"}, "利润表"),
        ("cash-flow", {"period": "2025-11"}, "现金流量表"),
        ("accounts/1002/detail", {"start": "2025-11-01", "end": "2025-11-30"}, "明细账"),
    ):
        response = admin_client.get(f"/api/v1/ledger/{path}", params={**params, "format": "pdf"})
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert ".pdf" in response.headers["content-disposition"]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        assert title in text, path


def test_balance_sheet_income_statement_and_cash_flow_xlsx_totals_equal_the_json(admin_client, november):
    sheet_json = admin_client.get("/api/v1/ledger/balance-sheet", params={"date": "2025-11-30"}).json()
    xlsx = admin_client.get("/api/v1/ledger/balance-sheet", params={"date": "2025-11-30", "format": "xlsx"})
    rows = {r[1]: r[2] for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if r[1]}
    assert D(str(rows["资产合计 Total assets"])).quantize(D("0.01")) == D(sheet_json["total_assets"])

    income_json = admin_client.get("/api/v1/ledger/income-statement", params={"period": "2025-11"}).json()
    xlsx = admin_client.get("/api/v1/ledger/income-statement", params={"period": "2025-11", "format": "xlsx"})
    rows = {r[1]: r[2] for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if r[1]}
    assert D(str(rows["净利润 Net profit"])).quantize(D("0.01")) == D(income_json["net_profit"])

    flow_json = admin_client.get("/api/v1/ledger/cash-flow", params={"period": "2025-11"}).json()
    xlsx = admin_client.get("/api/v1/ledger/cash-flow", params={"period": "2025-11", "format": "xlsx"})
    assert xlsx.headers["content-disposition"] == 'attachment; filename="cash-flow-2025-11.xlsx"'
    rows = {r[1]: r[4] for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if r[1]}
    assert D(str(rows["现金净增加额 Net change in cash"])).quantize(D("0.01")) == D(flow_json["net_change"])


def test_the_cash_flow_statement_ties_to_the_change_in_cash(admin_client, november):
    flow = admin_client.get("/api/v1/ledger/cash-flow", params={"period": "2025-11"}).json()
    assert flow["ties"] is True
    assert [s["activity"] for s in flow["sections"]] == ["operating", "investing", "financing"]
    assert flow["net_change"] == "921800.00" and flow["closing_cash"] == "921800.00"
    assert flow["sections"][2]["net"] == "1000000.00"


def test_finance_figures_give_the_average_daily_balance_and_say_why_the_rate_is_missing(admin_client, november):
    response = admin_client.get(
        "/api/v1/ledger/figures", params={"period": "2025-11"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["closing_balance"] == "78500.00" and len(figures["daily"]) == 30
    assert figures["daily"][0] == {"date": "2025-11-01", "balance": "0.00"}
    assert figures["rate_available"] is False and figures["weighted_average_rate"] is None
    assert "servicing" in figures["rate_unavailable_reason"]
    assert admin_client.get("/api/v1/ledger/figures").status_code == 422


def test_a_bank_statement_is_uploaded_matched_and_the_unmatched_items_listed(admin_client, november):
    created = admin_client.post(
        "/api/v1/ledger/bank-accounts",
        json={"name": "基本户", "bank_name": "招商银行", "number": "6214830012345678", "account_code": "1002"},
    )
    assert created.status_code == 201, created.text
    bank = created.json()
    assert bank["number_masked"] == "6214********5678" and "number" not in bank
    statement = "交易日期,金额,对方户名,摘要\n2025-11-01,1000000.00,股东甲,c1\n2025-11-03,-80000.00,某某车行,L1\n"
    upload = admin_client.post(
        f"/api/v1/ledger/bank-accounts/{bank['id']}/statements",
        files={"file": ("nov.csv", statement.encode(), "text/csv")},
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["matched"] == 2
    unmatched = admin_client.get(f"/api/v1/ledger/bank-accounts/{bank['id']}/unmatched").json()
    assert unmatched["statement_lines"] == []
    assert [line["receipt"] for line in unmatched["journal_lines"]] == ["1800.00"]
    journal = admin_client.get(
        f"/api/v1/ledger/bank-accounts/{bank['id']}/journal", params={"start": "2025-11-01", "end": "2025-11-30"}
    ).json()
    assert [line["counterparty"] for line in journal["lines"]][:2] == ["股东甲", "某某车行"]
    assert journal["closing"] == "921800.00"

    bad = admin_client.post(
        f"/api/v1/ledger/bank-accounts/{bank['id']}/statements",
        files={"file": ("bad.csv", b"date,amount\n2025-11-01,x\n", "text/csv")},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "ledger.statement.invalid"
    assert bad.json()["errors"][0]["field"] == "rows.2"
