"""提前还款 and 合同变更 over the database, and the properties every special business keeps: Σ allocations = payment
and no negative balance after it (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.servicing.special_support import (
    CLERK,
    REVIEWER,
    apply,
    loan_view,
    open_loan,
    pay_installments,
    through,
)

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation, ValidationFailed
from autofin.servicing.special import service as special
from autofin.servicing.special.schemas import ContractChangeApply, PrepaymentApply, WaiverApply

D = Decimal
SERIAL = itertools.count(1)


def _product(app: App, after_months: int) -> None:
    from autofin.products import service as products
    from autofin.products.schemas import ProductCreate

    with app.uow() as uow:
        products.create_product(uow, SYSTEM, ProductCreate(code="CAR", product_name="车贷",
                                                           prepayment_after_months=after_months,
                                                           prepayment_fee_percent=D("2")))
        uow.commit()


def test_prepayment_before_the_products_waiting_period_is_refused(app_ctx: App) -> None:
    _product(app_ctx, 6)
    loan_id = open_loan(app_ctx)
    with pytest.raises(RuleViolation) as refused:
        apply(app_ctx, "prepayment", loan_id, PrepaymentApply(mode="full", effective_date=date(2025, 5, 1)))
    assert refused.value.code == "servicing.special.prepayment_too_early"
    assert "2025-07-15" in refused.value.message.en and "6 个月" in refused.value.message.zh


def test_full_prepayment_settles_the_loan_with_the_contract_fee(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, prepayment_fee_percent="2")
    pay_installments(app_ctx, loan_id, 3)
    on = date(2025, 5, 1)
    with app_ctx.uow() as uow:
        quote = special.prepayment_quote(uow, CLERK, loan_id, on)
    not_due = quote["payoff"]["principal"]
    assert quote["payoff"]["prepayment_fee"] == (not_due * D("0.02")).quantize(D("0.01"))
    result = through(app_ctx, "prepayment", loan_id, PrepaymentApply(mode="full", effective_date=on), REVIEWER)
    loan, rows = loan_view(app_ctx, loan_id)
    assert loan.status == "settled" and loan.principal_outstanding == 0
    assert D(result["amount"]) == quote["payoff"]["total"]
    assert D(result["allocation"]["prepayment_fee"]) == quote["payoff"]["prepayment_fee"]
    assert all(r.status == "paid" for r in rows)


def test_partial_prepayment_follows_the_products_advance_payment_mode(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx, advance_payment="reduce_term")
    pay_installments(app_ctx, loan_id, 2)
    on = date(2025, 3, 15)
    with app_ctx.uow() as uow:
        quote = special.prepayment_quote(uow, CLERK, loan_id, on, D("3000"))
    result = through(app_ctx, "prepayment", loan_id, PrepaymentApply(amount=D("3000"), effective_date=on), REVIEWER)
    loan, rows = loan_view(app_ctx, loan_id)
    assert result["allocation"] == quote["allocation"]
    assert len([r for r in rows if r.status != "paid"]) == quote["after"]["remaining_installments"] < 10
    assert loan.principal_outstanding == D(quote["after"]["principal_outstanding"])


@pytest.mark.parametrize(("amount", "field_message"), [("0.50", "more than what is due"), ("99999", "settles")])
def test_a_partial_prepayment_must_be_a_real_prepayment(app_ctx: App, amount: str, field_message: str) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(ValidationFailed) as refused:
        apply(app_ctx, "prepayment", loan_id, PrepaymentApply(amount=D(amount), effective_date=date(2025, 2, 20)))
    assert refused.value.errors[0].field == "amount" and field_message in refused.value.errors[0].message.en


def test_one_open_request_per_kind_and_idempotent_applications(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    cmd = PrepaymentApply(amount=D("2000"), effective_date=date(2025, 1, 20))
    with app_ctx.uow() as uow:
        first = special.apply_prepayment(uow, CLERK, loan_id, cmd, idempotency_key="k-1")
        again = special.apply_prepayment(uow, CLERK, loan_id, cmd, idempotency_key="k-1")
        assert first.id == again.id
        with pytest.raises(Conflict):
            special.apply_prepayment(uow, CLERK, loan_id, cmd)
        with pytest.raises(Conflict):
            special.apply_waiver(uow, CLERK, loan_id, WaiverApply(amount=D("1")), idempotency_key="k-1")


def test_moving_the_repayment_day_adjusts_the_interest_of_the_shifted_period(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    pay_installments(app_ctx, loan_id, 1)
    before, old_rows = loan_view(app_ctx, loan_id)
    result = through(app_ctx, "contract_change", loan_id, ContractChangeApply(
        change="repayment_day", repayment_day=25, effective_date=date(2025, 2, 20)), REVIEWER)
    loan, rows = loan_view(app_ctx, loan_id)
    assert rows[0].due_date == date(2025, 3, 25) and all(r.due_date.day == 25 for r in rows)
    assert len(rows) == 11 and loan.principal_outstanding == before.principal_outstanding
    shifted = result["shifted_period"]
    # 10 more days of interest in the first period (2025-02-15 → 03-25 instead of → 03-15)
    assert D(shifted["new_interest"]) > D(shifted["old_interest"]) == old_rows[1].interest_due
    assert D(shifted["interest_adjustment"]) == D(shifted["new_interest"]) - D(shifted["old_interest"])


def test_the_repayment_card_must_be_an_active_card_of_the_borrower(app_ctx: App) -> None:
    loan_id = open_loan(app_ctx)
    with pytest.raises(ValidationFailed) as refused:
        apply(app_ctx, "contract_change", loan_id, ContractChangeApply(change="bank_card", card_id=777,
                                                                       effective_date=date(2025, 1, 20)))
    assert refused.value.errors[0].field == "card_id" and "银行卡" in refused.value.errors[0].message.zh


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=st.integers(min_value=0, max_value=4), days=st.integers(min_value=1, max_value=200),
       share=st.integers(min_value=1, max_value=99), kind=st.sampled_from(["prepayment", "waiver"]))
def test_each_business_allocates_exactly_and_leaves_no_negative_balance(app_ctx: App, paid: int, days: int,
                                                                         share: int, kind: str) -> None:
    loan_id = open_loan(app_ctx, contract=f"HT-P{next(SERIAL)}")  # hypothesis reuses the database
    pay_installments(app_ctx, loan_id, paid)
    loan, rows = loan_view(app_ctx, loan_id)
    on = max(loan.disbursement_date, *(r.due_date for r in rows[:paid])) + timedelta(days=days) \
        if paid else loan.disbursement_date + timedelta(days=days)
    with app_ctx.uow() as uow:
        quote = special.prepayment_quote(uow, CLERK, loan_id, on)
        state = special._state(uow, special.servicing.get_loan(uow, CLERK, loan_id), on)
        owed = special._due_owed(state, on)
    if kind == "prepayment":
        due_now = sum(owed.values(), D(0))
        amount = (due_now + (quote["payoff"]["total"] - due_now) * share / 100).quantize(D("0.01"))
        if not due_now < amount < quote["payoff"]["total"]:
            return
        result = through(app_ctx, "prepayment", loan_id, PrepaymentApply(amount=amount, effective_date=on), REVIEWER)
        allocation = result["allocation"]
        assert sum((D(line["amount"]) for line in allocation["lines"]), D(0)) + D(allocation["credit"]) == amount
    else:
        waivable = owed["penalty"] + owed["fees"]
        amount = (waivable * share / 100).quantize(D("0.01"))
        if amount <= 0:
            return
        result = through(app_ctx, "waiver", loan_id, WaiverApply(amount=amount, effective_date=on), REVIEWER)
        assert D(result["penalty"]) + D(result["fees"]) + D(result["interest"]) == amount
    loan, rows = loan_view(app_ctx, loan_id)
    assert loan.principal_outstanding >= 0 and loan.credit_balance >= 0
    for r in rows:
        for due, done in ((r.principal_due, r.principal_paid), (r.interest_due, r.interest_paid),
                          (r.fee_due, r.fee_paid), (r.penalty_due, r.penalty_paid)):
            assert due >= 0 and done >= 0
        assert (r.principal_due + r.interest_due + r.fee_due + r.penalty_due - r.principal_paid - r.interest_paid
                - r.fee_paid - r.penalty_paid - r.waived) >= 0


def test_bank_card_and_contact_changes_are_applied_to_the_loan_and_the_borrower(app_ctx: App) -> None:
    from tests.integration.servicing.payments_world import luhn_ok

    from autofin.customers import service as customers
    from autofin.customers.identity import make_resident_id
    from autofin.customers.schemas import CardCreate, CustomerCreate

    with app_ctx.uow() as uow:
        borrower = customers.create_customer(uow, SYSTEM, CustomerCreate(
            kind="individual", name="孙八", id_number=make_resident_id("320102", date(1988, 5, 6), 9),
            phone="13912345678", address="南京市玄武区中山路3号"))
        card = customers.add_card(uow, SYSTEM, borrower.id, CardCreate(card_number=luhn_ok("6222020200001234560"),
                                                                       holder_name="孙八"))
        uow.commit()
        borrower_id, card_id = borrower.id, card.id
    loan_id = open_loan(app_ctx, customer_id=borrower_id)
    through(app_ctx, "contract_change", loan_id, ContractChangeApply(change="bank_card", card_id=card_id,
                                                                     effective_date=date(2025, 1, 20)), REVIEWER)
    assert loan_view(app_ctx, loan_id)[0].repayment_card_id == card_id
    from autofin.servicing.console.special import command_values

    form = {"change": "contact", "repayment_day": "", "card_id": "", "contact.name": "孙九",  # the console's dialog
            "contact.relation": "sibling", "contact.phone": "13612345678", "contact.consent": False,
            "effective_date": "2025-01-20"}
    result = through(app_ctx, "contract_change", loan_id, ContractChangeApply(**command_values(form)), REVIEWER)
    with app_ctx.uow() as uow:
        contacts = customers.list_contacts(uow, SYSTEM, borrower_id)
        assert [(c.id, c.name) for c in contacts] == [(result["contact_id"], "孙九")]
