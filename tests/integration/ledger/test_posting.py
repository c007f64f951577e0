"""Posting business events through the rules: balances, idempotency, refusals, reversals, database guards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.ledger import checks, service, statements
from autofin.ledger.models import JournalEntry, JournalLine
from autofin.ledger.rules.engine import Basis

from .conftest import actor, request, run

D = Decimal
NOV = date(2025, 11, 3)

# One integration case per event type: amounts in, net balances (debit − credit) out.
EVENT_CASES = [
    ("capital.contributed", {"amount": "500000.00"}, {"1002": "500000.00", "4001": "-500000.00"}),
    ("loan.disbursed", {"principal": "80000.00"}, {"130301": "80000.00", "1002": "-80000.00"}),
    ("principal.became_overdue", {"principal": "900.00"}, {"130302": "900.00", "130301": "-900.00"}),
    (
        "repayment.allocated",
        {"principal": "2000.00", "interest": "318.00", "fee": "53.00", "penalty": "5.30"},
        {"1002": "2376.30", "130301": "-2000.00", "1132": "-323.30", "6021": "-50.00", "222101": "-3.00"},
    ),
    ("interest.accrued", {"interest": "318.00"}, {"1132": "318.00", "6011": "-300.00", "222101": "-18.00"}),
    ("penalty.accrued", {"penalty": "5.30"}, {"1132": "5.30", "6117": "-5.00", "222101": "-0.30"}),
    ("fee.charged", {"fee": "1060.00"}, {"1002": "1060.00", "6021": "-1000.00", "222101": "-60.00"}),
    (
        "prepayment.received",
        {"principal": "10000.00", "interest": "53.00"},
        {"1002": "10053.00", "130301": "-10000.00", "1132": "-53.00"},
    ),
    ("waiver.granted", {"interest": "53.00"}, {"6011": "50.00", "222101": "3.00", "1132": "-53.00"}),
    ("provision.changed", {"change": "1200.00"}, {"6701": "1200.00", "1304": "-1200.00"}),
    (
        "loan.written_off",
        {"overdue_principal": "3000.00"},
        {"1304": "3000.00", "130302": "-3000.00", "7001": "3000.00", "7002": "-3000.00"},
    ),
    (
        "recovery.received",
        {"amount": "600.00"},
        {"1002": "600.00", "6301": "-600.00", "7002": "600.00", "7001": "-600.00"},
    ),
    (
        "debt.transferred",
        {"consideration": "4500.00", "principal": "5000.00"},
        {"1002": "4500.00", "130301": "-5000.00", "6711": "500.00"},
    ),
    ("credit_balance.created", {"amount": "12.00"}, {"1002": "12.00", "2241": "-12.00"}),
    ("refund.paid", {"amount": "12.00"}, {"2241": "12.00", "1002": "-12.00"}),
]


@pytest.mark.parametrize(("event_type", "amounts", "expected"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES])
def test_each_event_type_posts_its_rule_into_the_daily_balances(post, balances, event_type, amounts, expected):
    posted = post(event_type, NOV, **amounts)
    assert posted.voucher_no == "记-2025-11-0001"
    assert balances(NOV) == {code: D(value) for code, value in expected.items()}


def test_a_cash_basis_books_interest_when_paid_not_when_accrued(app_ctx, post, balances):
    run(app_ctx, service.set_setting, SYSTEM, "basis", "cash")
    assert post("interest.accrued", NOV, interest="318.00") is None
    post("repayment.allocated", NOV, interest="318.00")
    assert balances(NOV) == {"1002": D("318.00"), "6011": D("-300.00"), "222101": D("-18.00")}


def test_switching_vat_separation_off_books_the_whole_income(app_ctx, post, balances):
    run(app_ctx, service.set_setting, SYSTEM, "vat_enabled", "false")
    post("fee.charged", NOV, fee="1060.00")
    assert balances(NOV) == {"1002": D("1060.00"), "6021": D("-1060.00")}


def test_the_same_event_posted_twice_returns_the_first_entry(app_ctx, post, balances):
    first = post("loan.disbursed", NOV, source_id="loan-7", principal="1000.00")
    again = post("loan.disbursed", NOV, source_id="loan-7", principal="1000.00")
    assert again.id == first.id and again.already_posted
    assert balances(NOV)["130301"] == D("1000.00")


def test_the_same_source_with_other_amounts_is_refused(post):
    post("loan.disbursed", NOV, source_id="loan-8", principal="1000.00")
    with pytest.raises(Conflict) as caught:
        post("loan.disbursed", NOV, source_id="loan-8", principal="1001.00")
    assert caught.value.code == "ledger.event.duplicate"


def test_an_amount_the_rule_does_not_know_is_refused_with_the_names_it_knows(post):
    with pytest.raises(ValidationFailed) as caught:
        post("loan.disbursed", NOV, principle="1000.00")
    assert caught.value.code == "ledger.event.unknown_amount"
    assert "principal" in caught.value.message.en


def test_amounts_finer_than_a_cent_or_all_zero_or_negative_are_refused(post):
    with pytest.raises(ValidationFailed):
        post("loan.disbursed", NOV, principal="10.001")
    with pytest.raises(RuleViolation) as zero:
        post("loan.disbursed", NOV, principal="0.00")
    assert zero.value.code == "ledger.event.zero"
    with pytest.raises(RuleViolation) as negative:
        post("loan.disbursed", NOV, principal="-5.00")
    assert negative.value.code == "ledger.rule.negative_amount"


def test_an_unknown_event_type_is_refused(post):
    with pytest.raises(RuleViolation) as caught:
        post("loan.teleported", NOV, amount="1.00")
    assert caught.value.code == "ledger.rule.not_found"


def test_posting_needs_the_permission(app_ctx):
    clerk = actor(5, "clerk", "ledger.entry.view")
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.post_event(uow, clerk, request("loan.disbursed", NOV, principal="1.00"))


def test_a_batch_numbers_vouchers_in_order_and_audits_once(app_ctx):
    requests = [request("loan.disbursed", NOV, principal=f"{n}.00") for n in range(1, 6)]
    posted = run(app_ctx, service.post_events, SYSTEM, requests)
    assert [p.voucher_no for p in posted] == [f"记-2025-11-{n:04d}" for n in range(1, 6)]
    with app_ctx.uow() as uow:
        audits = uow.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ledger.entry.post_events")
        )
    assert audits == 1


def test_a_reversal_restores_the_balances_and_cannot_be_repeated(app_ctx, post, balances):
    post("capital.contributed", NOV, amount="1000.00")
    wrong = post("loan.disbursed", NOV, principal="300.00")
    reversal = run(app_ctx, service.reverse_entry, SYSTEM, wrong.id, "wrong amount")
    assert reversal.voucher_no == "记-2025-11-0003"
    assert balances(NOV) == {"1002": D("1000.00"), "4001": D("-1000.00")}
    with pytest.raises(Conflict) as again:
        run(app_ctx, service.reverse_entry, SYSTEM, wrong.id, "once more")
    assert again.value.code == "ledger.entry.already_reversed"
    with pytest.raises(RuleViolation):
        run(app_ctx, service.reverse_entry, SYSTEM, reversal.id, "undo the undo")


def test_every_posted_entry_passes_the_pure_balance_check(app_ctx, post):
    for event_type, amounts, _expected in EVENT_CASES:
        post(event_type, NOV, **amounts)
    with app_ctx.uow() as uow:
        types = {code: info.type for code, info in service.load_accounts(uow).items()}
        codes = {info.id: code for code, info in service.load_accounts(uow).items()}
        entries = uow.session.scalars(select(JournalEntry)).all()
        for entry in entries:
            lines = [service.PostingLine(codes[ln.account_id], ln.debit, ln.credit) for ln in entry.lines]
            assert checks.entry_balance_errors(lines, types) == []
        trial = statements.build_trial_balance(uow, "2025-11")
    assert checks.trial_balance_errors(trial) == []


def test_the_rule_basis_setting_is_validated(app_ctx):
    with pytest.raises(ValidationFailed):
        run(app_ctx, service.set_setting, SYSTEM, "basis", "lunar")
    assert run(app_ctx, service.set_setting, SYSTEM, "basis", "cash").basis == Basis.CASH


def test_the_database_refuses_to_change_or_delete_a_posted_line(app_ctx, post):
    post("capital.contributed", NOV, amount="1000.00")
    if app_ctx.engine.dialect.name != "postgresql":
        pytest.skip("the immutability trigger is PostgreSQL's; SQLite relies on the service layer")
    with app_ctx.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(text("UPDATE ledger_line SET debit = debit + 1"))
    with app_ctx.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(text("DELETE FROM ledger_entry"))


def test_the_database_refuses_an_entry_whose_lines_do_not_add_up(app_ctx, post):
    if app_ctx.engine.dialect.name != "postgresql":
        pytest.skip("the deferred balance trigger is PostgreSQL's")
    post("capital.contributed", NOV, amount="1000.00")
    with app_ctx.engine.connect() as connection:
        account_id = connection.execute(text("SELECT id FROM ledger_account WHERE code = '1002'")).scalar()
        connection.commit()
        transaction = connection.begin()
        entry_id = connection.execute(
            text(
                "INSERT INTO ledger_entry (voucher_no, period, sequence, business_date, event_type, source_type,"
                " source_id, fingerprint, description, dimensions, attachments, total_debit, total_credit,"
                " posted_by, posted_at) VALUES ('X-1', '2025-11', 99, '2025-11-03', 'hand', 'hand', '1', 'f', '',"
                " '{}', '[]', 100, 100, 'intruder', now()) RETURNING id"
            )
        ).scalar()
        connection.execute(
            text(
                "INSERT INTO ledger_line (entry_id, line_no, account_id, business_date, period, debit, credit, memo)"
                " VALUES (:e, 1, :a, '2025-11-03', '2025-11', 100, 0, '')"
            ),
            {"e": entry_id, "a": account_id},
        )
        with pytest.raises(DBAPIError):
            transaction.commit()
    with app_ctx.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalLine)) == 2
