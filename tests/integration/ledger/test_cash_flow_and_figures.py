"""Cash-flow statement (direct method) from activity-tagged cash lines, and the finance-centre figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from autofin.kernel.actor import SYSTEM
from autofin.ledger import checks, service, statements
from autofin.ledger.models import JournalLine, PostingRuleLineRow, PostingRuleRow

from .conftest import actor, run

D = Decimal
MAKER = actor(1, "maker", "ledger.voucher.create", "ledger.entry.view")
CHECKER = actor(2, "checker", "ledger.voucher.approve", "ledger.entry.view")


def _activity(post):
    post("capital.contributed", date(2025, 10, 15), amount="500000.00")
    post("capital.contributed", date(2025, 11, 1), amount="100000.00")
    post("loan.disbursed", date(2025, 11, 3), principal="80000.00")
    post("repayment.allocated", date(2025, 11, 20), principal="2000.00", interest="400.00", fee="106.00")
    post("interest.accrued", date(2025, 11, 30), interest="530.00")  # no cash: not in the statement


def test_seeded_rules_tag_cash_lines_and_posted_lines_carry_the_activity(app_ctx, post):
    _activity(post)
    with app_ctx.uow() as uow:
        tagged = dict(
            uow.session.execute(
                select(PostingRuleRow.event_type, PostingRuleLineRow.activity)
                .join(PostingRuleLineRow, PostingRuleLineRow.rule_id == PostingRuleRow.id)
                .where(PostingRuleLineRow.account_code == "1002")
            ).all()
        )
        activities = set(uow.session.scalars(select(JournalLine.activity).where(JournalLine.activity.is_not(None))))
    assert tagged["capital.contributed"] == "financing" and tagged["loan.disbursed"] == "operating"
    assert activities == {"financing", "operating"}


def test_the_cash_flow_statement_groups_by_activity_and_counterpart_and_ties_to_the_change_in_cash(app_ctx, post):
    _activity(post)
    with app_ctx.uow() as uow:
        statement = statements.cash_flow_statement(uow, SYSTEM, "2025-11")
    operating, investing, financing = statement.sections
    items = {item.category_code: (item.inflow, item.outflow) for item in operating.items}
    assert items["1303"] == (D("2000.00"), D("80000.00"))
    assert items["1132"] == (D("400.00"), D("0"))
    assert items["6021"][0] + items["2221"][0] == D("106.00")
    assert operating.net == D("-77494.00") and investing.items == ()
    assert financing.net == D("100000.00")
    assert (statement.opening_cash, statement.closing_cash) == (D("500000.00"), D("522506.00"))
    assert statement.ties and checks.cash_flow_errors(statement) == []


def test_a_manual_voucher_line_can_be_tagged_investing_and_a_reversal_keeps_the_tag(app_ctx, post):
    post("capital.contributed", date(2025, 11, 1), amount="1000.00")
    run(app_ctx, service.create_account, SYSTEM, code="1601", name_zh="固定资产", name_en="Fixed assets", type="asset")
    voucher = run(
        app_ctx,
        service.create_voucher,
        MAKER,
        service.VoucherInput(
            date(2025, 11, 9),
            "购置办公电脑",
            [
                service.VoucherLineInput("1601", debit=D("300.00")),
                service.VoucherLineInput("1002", credit=D("300.00"), activity="investing"),
            ],
            counterparty="某电脑公司",
        ),
    )
    approved = run(app_ctx, service.approve_voucher, CHECKER, voucher.id)
    with app_ctx.uow() as uow:
        statement = statements.cash_flow_statement(uow, SYSTEM, "2025-11")
        entry = service.get_entry(uow, SYSTEM, approved.entry_id)
        assert entry.dimensions == {"counterparty": "某电脑公司"}
    investing = statement.sections[1]
    assert [(i.category_code, i.outflow) for i in investing.items] == [("1601", D("300.00"))]
    assert statement.ties
    run(app_ctx, service.reverse_entry, SYSTEM, approved.entry_id, "录错了")
    with app_ctx.uow() as uow:
        after = statements.cash_flow_statement(uow, SYSTEM, "2025-11")
    assert after.sections[1].net == D("0.00") and after.ties


def test_an_unknown_activity_on_a_voucher_line_is_refused(app_ctx):
    from autofin.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        run(app_ctx, service.create_voucher, MAKER, service.VoucherInput(
            date(2025, 11, 9), "x",
            [service.VoucherLineInput("6602", debit=D("1.00")),
             service.VoucherLineInput("1002", credit=D("1.00"), activity="speculative")],
        ))


def test_average_daily_balance_comes_from_daily_balances_and_the_rate_is_not_invented(app_ctx, post):
    post("capital.contributed", date(2025, 11, 1), amount="100000.00")
    post("loan.disbursed", date(2025, 11, 11), principal="30000.00")  # 20 days of 30 000 in a 30-day month
    with app_ctx.uow() as uow:
        figures = statements.finance_figures(uow, SYSTEM, date(2025, 11, 1), date(2025, 11, 30))
    assert figures.average_daily_balance == D("20000.00")
    assert figures.closing_balance == D("30000.00") and len(figures.daily) == 30
    assert figures.weighted_average_rate is None and "servicing" in (figures.rate_unavailable_en or "")


def test_a_registered_rate_provider_gives_the_weighted_average_rate(app_ctx, post):
    post("loan.disbursed", date(2025, 11, 1), principal="30000.00")
    checks.register_rate_provider("test", lambda uow, start, end: [(D("10000"), D("0.06")), (D("30000"), D("0.10"))])
    try:
        with app_ctx.uow() as uow:
            figures = statements.finance_figures(uow, SYSTEM, date(2025, 11, 1), date(2025, 11, 30))
    finally:
        checks.unregister_rate_provider("test")
    assert figures.weighted_average_rate == D("0.090000") and figures.rate_source == "test"
