"""The finance centre in a real Chromium: a finance user makes a manual voucher, a second finance user approves
it, the trial balance shows it and its drill-down lists the entry, and the trial balance downloads as XLSX.

Screenshots of each step go to ``test-artifacts/`` (``ledger-*.png``).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.ledger import service

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("ledger_alone")]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

MAKER, CHECKER = "fin_maker", "fin_checker"


@pytest.fixture()
def finance_users(app_ctx: App, make_user) -> tuple[str, str]:
    """Two finance users and a little activity this month (capital paid in), committed before the browser."""
    make_user(MAKER, role_codes=["finance"], display_name="制单员")
    make_user(CHECKER, role_codes=["finance"], display_name="审核员")
    with app_ctx.uow() as uow:
        service.post_event(
            uow, SYSTEM,
            service.PostingRequest("capital.contributed", "capital", "cap-ui", date.today().replace(day=1),
                                   {"amount": Decimal("500000.00")}, {"counterparty": "股东甲"}),
        )
        uow.commit()
    return MAKER, CHECKER


def _choose(page, field: str, option: str) -> None:
    page.locator(f"[data-field={field}]").first.click()
    page.keyboard.type(option)
    page.locator(".q-menu .q-item", has_text=option).first.click()
    expect(page.locator(".q-menu")).to_have_count(0)


def _settled(page) -> None:
    """Wait until no Quasar transition (a dialog opening) is running, so the screenshot shows the result."""
    expect(page.locator("[class*='-enter-active']")).to_have_count(0)


def _sign_out(page) -> None:
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=sign-out]").click()
    expect(page.locator("[data-testid=login-message]")).to_be_visible()


def test_a_voucher_made_by_one_finance_user_and_approved_by_another_shows_in_the_trial_balance_and_exports(
    finance_users: tuple[str, str], console_url: str, browser_page
) -> None:
    page = browser_page
    menu = page.locator("[data-testid=main-menu]")

    # --- the maker drafts a balanced voucher; the totals are checked as they type ----------------------------
    sign_in(page, console_url, MAKER, DEFAULT_PASSWORD)
    expect(menu.locator('[data-menu="/ledger/vouchers"]')).to_be_visible()
    expect(menu).to_contain_text("财务中心")
    menu.locator('[data-menu="/ledger/vouchers"]').click()
    form = page.locator("[data-testid=voucher-form]")
    form.locator("[data-testid=voucher-description] input, input[data-testid=voucher-description]").first.fill(
        "十一月办公室房租"
    )
    form.locator("[data-testid=voucher-counterparty] input, input[data-testid=voucher-counterparty]").first.fill(
        "某物业公司"
    )
    _choose(page, "line-0-account", "6602")
    page.locator("[data-field=line-0-debit] input, input[data-field=line-0-debit]").first.fill("12800.00")
    _choose(page, "line-1-account", "1002")
    page.locator("[data-field=line-1-credit] input, input[data-field=line-1-credit]").first.fill("12000.00")
    totals = page.locator("[data-testid=voucher-totals]")
    expect(totals).to_have_attribute("data-balanced", "false")
    expect(totals).to_contain_text("800.00")
    expect(page.locator("[data-testid=voucher-submit]")).to_be_disabled()
    page.locator("[data-field=line-1-credit] input, input[data-field=line-1-credit]").first.fill("12800.00")
    expect(totals).to_have_attribute("data-balanced", "true")
    page.screenshot(path=str(ARTIFACTS / "ledger-01-maker-form.png"), full_page=True)
    page.locator("[data-testid=voucher-submit]").click()
    draft = page.locator(".q-table tbody tr", has_text="十一月办公室房租")
    expect(draft).to_contain_text("待审核")
    expect(draft.locator("[data-action=approve]")).to_be_visible()
    draft.locator("[data-action=approve]").click()  # the maker may not approve their own voucher
    expect(page.locator(".q-notification", has_text="另一人审核")).to_be_visible()
    expect(draft).to_contain_text("待审核")
    page.screenshot(path=str(ARTIFACTS / "ledger-02-voucher-drafted.png"), full_page=True)
    _sign_out(page)

    # --- a second finance user approves it ----------------------------------------------------------------
    sign_in(page, console_url, CHECKER, DEFAULT_PASSWORD)
    menu.locator('[data-menu="/ledger/vouchers"]').click()
    pending = page.locator(".q-table tbody tr", has_text="十一月办公室房租")
    expect(pending).to_contain_text(MAKER)
    pending.locator("[data-action=approve]").click()
    expect(page.locator(".q-notification", has_text="已审核并记账")).to_be_visible()
    expect(page.locator(".q-table tbody tr", has_text="十一月办公室房租")).to_have_count(0)  # gone from the queue
    page.locator("[data-testid=voucher-status]").get_by_text("已记账").click()
    posted = page.locator(".q-table tbody tr", has_text="十一月办公室房租")
    expect(posted).to_contain_text(CHECKER)
    page.screenshot(path=str(ARTIFACTS / "ledger-03-voucher-approved.png"), full_page=True)

    # --- the trial balance shows it; drill-down from the figure lists the entry ----------------------------
    menu.locator('[data-menu="/ledger/trial-balance"]').click()
    trial = page.locator("[data-testid=trial-balance]")
    rent = trial.locator("tbody tr", has_text="6602")
    expect(rent).to_contain_text("12,800.00")
    expect(page.locator("[data-testid=tb-status]")).to_have_text("试算平衡")
    page.screenshot(path=str(ARTIFACTS / "ledger-04-trial-balance.png"), full_page=True)
    rent.click()
    detail = page.locator("[data-testid=account-detail]")
    expect(detail).to_contain_text("十一月办公室房租")
    expect(detail.locator("tbody tr", has_text="记-")).to_have_count(1)
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "ledger-05-drill-down.png"), full_page=True)
    detail.locator("tbody tr", has_text="记-").click()
    entry = page.locator("[data-testid=entry-dialog]")
    expect(entry).to_contain_text("某物业公司")
    expect(entry.locator("[data-testid=entry-lines]")).to_contain_text("1002")
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "ledger-06-entry.png"), full_page=True)
    page.keyboard.press("Escape")
    expect(entry).to_be_hidden()
    _settled(page)
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    # --- the trial balance downloads as XLSX with the same totals --------------------------------------------
    with page.expect_download() as download_info:
        page.locator("[data-testid=export-xlsx]").first.click()
    download = download_info.value
    assert download.suggested_filename.startswith("trial-balance-") and download.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    with open(download.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    totals_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "合计 Total")
    assert Decimal(str(totals_row[4])) == Decimal("512800")  # this month's debits: capital + rent

    # --- a bank account on 1002 gets its statement imported and matched -----------------------------------
    menu.locator('[data-menu="/ledger/cash"]').click()
    page.locator("[data-testid=bank-new]").click()
    dialog_field(page, "name").fill("基本户")
    dialog_field(page, "bank_name").fill("工商银行上海分行")
    dialog_field(page, "number").fill("6222021001123456789")
    page.locator("[data-testid=dialog-submit]").click()
    journal = page.locator("[data-testid=cash-journal]")
    expect(journal.locator("tbody tr", has_text="某物业公司")).to_contain_text("12,800.00")
    page.get_by_role("tab", name="银行对账").click()
    first = date.today().replace(day=1).isoformat()
    statement = f"交易日期,金额,对方户名,摘要\n{first},500000.00,股东甲,cap-ui\n{first},-3.50,工商银行,手续费\n"
    page.locator("[data-testid=statement-upload] input[type=file]").set_input_files(
        files=[{"name": "statement.csv", "mimeType": "text/csv", "buffer": statement.encode()}]
    )
    expect(page.locator(".q-notification", has_text="自动勾对 1 笔")).to_be_visible()
    expect(page.locator("[data-testid=unmatched-bank] tbody tr", has_text="手续费")).to_be_visible()
    expect(page.locator("[data-testid=unmatched-book] tbody tr", has_text="12,800.00")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ledger-08-reconciliation.png"), full_page=True)

    # --- the other finance pages draw ----------------------------------------------------------------------
    for route, shot in (("/ledger/cash-flow", "07-cash-flow"),
                        ("/ledger/figures", "09-figures"), ("/ledger/periods", "10-periods"),
                        ("/ledger/balance-sheet", "11-balance-sheet"), ("/ledger/entries", "12-entries")):
        menu.locator(f'[data-menu="{route}"]').click()
        # the last page's title is visible too until the new page replaces it: wait for the new page itself, or the
        # screenshot may land mid-navigation ("Unable to capture screenshot", seen once on PostgreSQL)
        page.wait_for_url(f"**{route}")
        page.wait_for_load_state()
        expect(page.locator(".af-page-title")).to_be_visible()
        expect(page.locator("[data-testid=forbidden]")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"ledger-{shot}.png"), full_page=True)
