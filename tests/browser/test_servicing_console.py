"""The servicing console (贷后管理) in a real Chromium: a finance clerk finds an overdue loan, opens its page and
sees the schedule, records a repayment (a bad amount is refused under the field); a second finance user confirms
it from the 待确认 queue and sees the balances change; the delinquency dashboard draws its charts (and switches
to English); the end of day runs from the console and its steps show done.

Screenshots of each step go to ``test-artifacts/`` (``servicing-*.png``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.browser.conftest import ARTIFACTS, dialog_field, sign_in
from tests.fixtures.org import ADMIN_USERNAME, DEFAULT_PASSWORD

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.clock import utcnow
from autofin.servicing import service
from autofin.servicing.eod.steps import STEPS
from autofin.servicing.schemas import LoanOpen

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

MAKER, CHECKER = "svc_maker", "svc_checker"
CONTRACT = "HT-UI-0001"


def _open(app: App, contract: str, name: str, days_ago: int) -> int:
    disbursed = utcnow().date() - timedelta(days=days_ago)
    with app.uow() as uow:
        loan = service.open_loan_account(uow, SYSTEM, LoanOpen(
            contract_no=contract, customer_id=1, customer_name=name, product_code="CAR",
            terms={"principal": "12000", "annual_rate": "12", "term": 12, "method": "annuity",
                   "disbursement_date": disbursed.isoformat(), "penalty": {"rate": "18"}}))
        service.bring_up_to_date(uow, SYSTEM, loan.id, utcnow().date())
        uow.commit()
        return loan.id


@pytest.fixture()
def servicing_data(app_ctx: App, make_user) -> int:
    """Two finance users; a loan a fortnight overdue (first installment unpaid) and a current one."""
    make_user(MAKER, role_codes=["finance"], display_name="录入员")
    make_user(CHECKER, role_codes=["finance"], display_name="复核员")
    loan_id = _open(app_ctx, CONTRACT, "张三", 46)
    _open(app_ctx, "HT-UI-0002", "李四", 10)
    return loan_id


def _sign_out(page) -> None:
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=sign-out]").click()
    expect(page.locator("[data-testid=login-message]")).to_be_visible()


def _figure(page, name: str):
    return page.locator(f"[data-figure={name}]")


def test_a_repayment_recorded_by_one_clerk_and_confirmed_by_another_changes_the_balances_and_the_batch_runs(
    servicing_data: int, console_url: str, browser_page
) -> None:
    page = browser_page
    menu = page.locator("[data-testid=main-menu]")
    loan_id = servicing_data

    # --- the clerk finds the overdue loan and opens its schedule --------------------------------------------
    sign_in(page, console_url, MAKER, DEFAULT_PASSWORD)
    expect(menu).to_contain_text("贷后管理")
    menu.locator('[data-menu="/servicing/loans"]').click()
    table = page.locator("[data-testid=loan-table]")
    expect(table).to_contain_text("HT-UI-0002")
    page.locator("[data-testid=loan-q] input, input[data-testid=loan-q]").first.fill("张三")
    page.locator("[data-testid=loan-search]").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(CONTRACT)
    expect(table).to_contain_text("M1")
    table.locator("[data-action=open]").click()
    expect(page.locator("[data-testid=loan-contract]")).to_have_text(CONTRACT)
    expect(page.locator("[data-testid=loan-status]")).to_have_text("逾期")
    expect(page.locator("[data-testid=schedule] tbody tr")).to_have_count(12)
    expect(_figure(page, "principal")).to_have_text("12,000.00")
    overdue_before = _figure(page, "overdue").inner_text()
    assert overdue_before not in ("0.00", "")
    page.screenshot(path=str(ARTIFACTS / "servicing-1-loan.png"), full_page=True)

    # --- records a repayment: a negative amount is refused under the field, then 2,000.00 waits ------------
    page.locator("[data-testid=record-repayment]").click()
    dialog_field(page, "amount").fill("-5")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog .q-field--error")).to_contain_text("还款金额必须大于 0")
    dialog_field(page, "amount").fill("2000.00")
    dialog_field(page, "reference").fill("BANK-778899")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog")).to_have_count(0)
    page.locator("[data-testid=tab-transactions]").click()
    transactions = page.locator("[data-testid=transactions]")
    expect(transactions).to_contain_text("待复核")
    expect(transactions).to_contain_text("BANK-778899")
    expect(_figure(page, "principal")).to_have_text("12,000.00")  # nothing booked before the second person
    expect(page.locator("[data-testid=transactions]")).to_be_visible()  # back on the transactions tab
    menu.locator('[data-menu="/servicing/repayments"]').click()
    queue = page.locator("[data-testid=pending-queue]")
    expect(queue).to_contain_text(CONTRACT)
    expect(queue.locator("[data-action=confirm]")).to_have_count(0)  # not for the one who recorded it
    _sign_out(page)

    # --- the checker confirms it from the queue; the loan's balances change -------------------------------
    sign_in(page, console_url, CHECKER, DEFAULT_PASSWORD)
    menu.locator('[data-menu="/servicing/repayments"]').click()
    queue = page.locator("[data-testid=pending-queue]")
    expect(queue).to_contain_text("2,000.00")
    queue.locator("[data-action=confirm]").click()
    page.locator("[data-testid=confirm-yes]").click()
    expect(queue).not_to_contain_text(CONTRACT)
    page.goto(f"{console_url}/servicing/loan?id={loan_id}")
    expect(page.locator("[data-testid=loan-status]")).to_have_text("正常")
    expect(_figure(page, "overdue")).to_have_text("0.00")
    expect(_figure(page, "principal")).not_to_have_text("12,000.00")
    page.locator("[data-testid=tab-transactions]").click()
    expect(page.locator("[data-testid=transactions]")).to_contain_text("已确认")
    expect(page.locator("[data-testid=transactions]")).to_contain_text("本金")
    page.screenshot(path=str(ARTIFACTS / "servicing-2-confirmed.png"), full_page=True)

    # --- the delinquency dashboard draws its charts, in Chinese and in English ----------------------------
    menu.locator('[data-menu="/servicing/dashboard"]').click()
    expect(_figure(page, "live-loans")).to_have_text("2")
    expect(page.locator("[data-testid=bucket-chart] canvas").first).to_be_visible()
    expect(page.locator("[data-testid=class-chart] canvas").first).to_be_visible()
    expect(page.locator("[data-testid=bucket-table]")).to_contain_text("M4+")
    page.screenshot(path=str(ARTIFACTS / "servicing-3-dashboard.png"), full_page=True)
    page.locator("[data-testid=language-switch]").get_by_text("English").click()
    expect(page.locator("[data-testid=class-table]")).to_contain_text("Special mention")
    expect(page.locator(".af-page-title")).to_have_text("Delinquency dashboard")
    page.locator("[data-testid=language-switch]").get_by_text("中文").click()
    expect(page.locator(".af-page-title")).to_have_text("逾期看板")

    # --- the end of day runs from the console; every step shows done --------------------------------------
    menu.locator('[data-menu="/servicing/eod"]').click()
    expect(page.locator("[data-testid=eod-detail]")).to_contain_text("尚未执行过日终")
    page.locator("[data-testid=eod-run]").click()
    page.locator("[data-testid=confirm-yes]").click()
    runs = page.locator("[data-testid=eod-runs]")
    expect(runs).to_contain_text("成功", timeout=60_000)
    steps = page.locator("[data-testid=eod-steps]")
    expect(steps.locator("tbody tr")).to_have_count(len(STEPS))
    expect(steps).not_to_contain_text("等待")
    expect(steps).to_contain_text("五级分类与拨备")
    expect(page.locator("[data-testid=next-business-date]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "servicing-4-eod.png"), full_page=True)


MANAGER = "svc_manager"


@pytest.fixture()
def managers(app_ctx: App, make_user, servicing_data: int) -> int:
    """A second person with every servicing permission (the administrator is the first)."""
    make_user(MANAGER, superuser=True, display_name="贷后主管")
    return servicing_data


def test_a_statement_line_is_matched_by_hand_and_a_waiver_applied_by_one_is_approved_and_executed_by_another(
    managers: int, console_url: str, browser_page
) -> None:
    page = browser_page
    menu = page.locator("[data-testid=main-menu]")
    loan_id = managers
    today = utcnow().date().isoformat()
    statement = ("交易日期,金额,对方户名,对方账号,摘要\n"
                 f"{today},300.00,张三,6222020000001111,还款 {CONTRACT}\n"
                 f"{today},150.00,张三之妻,6222020000002222,代张三还车贷\n"
                 f"{today},-20.00,银行,0,手续费\n").encode()

    # --- the administrator imports a statement: one line matched by its memo, one waits and is matched by hand
    sign_in(page, console_url, ADMIN_USERNAME, DEFAULT_PASSWORD)
    menu.locator('[data-menu="/servicing/statements"]').click()
    page.locator("[data-testid=statement-upload] input[type=file]").set_input_files(
        {"name": "stmt.csv", "mimeType": "text/csv", "buffer": statement})
    imports = page.locator("[data-testid=statement-imports]")
    expect(imports).to_contain_text("stmt.csv")
    queue = page.locator("[data-testid=unmatched-lines]")
    expect(queue.locator("tbody tr")).to_have_count(1)
    expect(queue).to_contain_text("150.00")
    queue.locator("[data-action=match]").click()
    dialog_field(page, "contract_no").fill("HT-NOPE")
    page.locator("[data-testid=dialog-submit]").click()
    expect(page.locator(".q-dialog .q-field--error")).to_contain_text("HT-NOPE")
    dialog_field(page, "contract_no").fill(CONTRACT)
    page.locator("[data-testid=dialog-submit]").click()
    expect(queue).to_contain_text("暂无数据")
    page.screenshot(path=str(ARTIFACTS / "servicing-5-statements.png"), full_page=True)

    # --- both lines wait for a second person as repayments; the administrator applies for a penalty waiver ----
    page.goto(f"{console_url}/servicing/loan?id={loan_id}")
    penalty_before = _figure(page, "penalty").inner_text()
    page.locator("[data-testid=tab-transactions]").click()
    expect(page.locator("[data-testid=transactions]")).to_contain_text("300.00")
    expect(page.locator("[data-testid=transactions]")).to_contain_text("150.00")
    page.locator("[data-testid=tab-special]").click()
    page.locator("[data-testid=special-apply]").click()
    page.locator("[data-kind=waiver]").click()
    dialog_field(page, "amount").fill("5.00")
    dialog_field(page, "reason").fill("客户首次逾期，申请减免部分罚息")
    page.locator("[data-testid=dialog-submit]").click()
    requests = page.locator("[data-testid=loan-special-requests]")
    expect(requests).to_contain_text("待审核")
    expect(requests.locator("[data-action=review]")).to_have_count(0)  # not by the applicant
    _sign_out(page)

    # --- the manager approves it in the queue and executes it; the penalty owed goes down ------------------
    sign_in(page, console_url, MANAGER, DEFAULT_PASSWORD)
    menu.locator('[data-menu="/servicing/special"]').click()
    queue = page.locator("[data-testid=special-requests]")
    expect(queue).to_contain_text(CONTRACT)
    expect(queue).to_contain_text("减免")
    queue.locator("[data-action=review]").click()
    dialog_field(page, "comment").fill("同意")
    page.locator("[data-testid=dialog-submit]").click()
    expect(queue).to_contain_text("暂无数据")  # no longer pending
    page.goto(f"{console_url}/servicing/loan?id={loan_id}")
    page.locator("[data-testid=tab-special]").click()
    requests = page.locator("[data-testid=loan-special-requests]")
    expect(requests).to_contain_text("已批准")
    requests.locator("[data-action=execute]").click()
    page.locator("[data-testid=confirm-yes]").click()
    expect(requests).to_contain_text("已执行")
    page.reload()
    expect(_figure(page, "penalty")).not_to_have_text(penalty_before)
    page.screenshot(path=str(ARTIFACTS / "servicing-6-waiver.png"), full_page=True)

    # --- the direct-debit page: no attempts yet; sending the due debits reports what it did ------------------
    menu.locator('[data-menu="/servicing/debits"]').click()
    expect(page.locator("[data-testid=debit-attempts]")).to_contain_text("暂无数据")
    page.locator("[data-testid=debit-send]").click()
    page.locator("[data-testid=confirm-yes]").click()
    expect(page.locator(".q-notification", has_text="已发送 0 笔")).to_be_visible()

    # --- the refund queue draws; a notification's loan link (/servicing/loans/<id>) opens the loan page ------
    menu.locator('[data-menu="/servicing/refunds"]').click()
    expect(page.locator("[data-testid=refunds]")).to_contain_text("暂无数据")
    page.goto(f"{console_url}/servicing/loans/{loan_id}")
    expect(page.locator("[data-testid=loan-contract]")).to_have_text(CONTRACT)
