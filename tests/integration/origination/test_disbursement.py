"""Disbursement (放款): contracted on signing, the conditions checklist, registration by one person and review by
another, the payment through the bank simulator, the loan account on the bank's answer — and never paying twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.integration.origination.disbursement_world import (
    add_card,
    approved_application,
    bank,
    deliver,
    end_to_end_id,
    meet_conditions,
    ready_application,
    sign_contract,
)
from tests.integration.origination.world import application_command, build_world

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.ledger.models import JournalEntry, JournalLine
from autofin.ledger.models import LedgerAccount as Account
from autofin.origination import service
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.models import Disbursement
from autofin.origination.disbursing.schemas import DisbursementRegister, DisbursementReview
from autofin.origination.models import ReviewTask, TimelineEntry
from autofin.platform import service as platform
from autofin.platform.models import InboxMessage
from autofin.platform.schemas import ParameterCreate
from autofin.servicing import service as servicing
from autofin.servicing.models import LoanAccount


@pytest.fixture()
def world(app_ctx):
    return build_world(app_ctx)


@pytest.fixture()
def clerk(make_user, actor_for):
    return actor_for(make_user("clerk", ["finance"]))


@pytest.fixture()
def checker(make_user, actor_for):
    return actor_for(make_user("checker", ["finance"]))


@pytest.fixture()
def checker2(make_user, actor_for):
    return actor_for(make_user("checker2", ["finance"]))


def register(app, actor, application_id, card_id, key=None, **extra):
    with app.uow() as uow:
        d = disbursement.register_disbursement(
            uow, actor, application_id, DisbursementRegister(payee="borrower", card_id=card_id, **extra), key)
        uow.commit()
        return d


def review(app, actor, disbursement_id, decision="approve", version=None, comment=None):
    with app.uow() as uow:
        d = disbursement.review_disbursement(uow, actor, disbursement_id,
                                             DisbursementReview(decision=decision, version=version, comment=comment))
        uow.commit()
        return d


def load(app, disbursement_id):
    with app.uow() as uow:
        d = uow.session.get(Disbursement, disbursement_id)
        uow.session.expunge(d)
        return d


def status_of(app, application_id):
    with app.uow() as uow:
        return service.get_application(uow, SYSTEM, application_id).status


def test_signing_the_contract_makes_an_approved_application_contracted(app_ctx, world):
    application_id = approved_application(app_ctx, world)
    number = sign_contract(app_ctx, application_id)
    with app_ctx.uow() as uow:
        assert service.get_application(uow, SYSTEM, application_id).status == "contracted"
        entries = uow.session.scalars(select(TimelineEntry).where(TimelineEntry.application_id == application_id,
                                                                  TimelineEntry.action == "contract_signed")).all()
        assert [e.comment for e in entries] == [number]


def test_the_checklist_shows_each_condition_and_registration_refuses_until_all_hold(app_ctx, world, clerk):
    application_id = approved_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    with app_ctx.uow() as uow:
        checklist = disbursement.disbursement_checklist(uow, clerk, application_id)
    assert [(c.code, c.met) for c in checklist] == [
        ("contract_signed", False), ("mortgage_registered", False), ("gps_installed", False),
        ("insurance_beneficiary", False), ("down_payment_received", False)]
    assert checklist[0].label_zh == "合同已签署" and checklist[0].label_en == "Contract signed"
    sign_contract(app_ctx, application_id)
    meet_conditions(app_ctx, world, application_id, skip=("gps_installed",))
    with app_ctx.uow() as uow:
        checklist = disbursement.disbursement_checklist(uow, clerk, application_id)
    assert {c.code: c.met for c in checklist} == {
        "contract_signed": True, "mortgage_registered": True, "gps_installed": False,
        "insurance_beneficiary": True, "down_payment_received": True}
    assert checklist[4].detail == "120000.00 / 120000.00"
    with pytest.raises(RuleViolation) as refused:
        register(app_ctx, clerk, application_id, card)
    assert refused.value.code == "origination.disbursement.conditions_not_met"
    assert [e.field for e in refused.value.errors] == ["gps_installed"]
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(Disbursement)).all() == []


def test_the_conditions_are_data_per_product(app_ctx, world, clerk):
    with app_ctx.uow() as uow:
        platform.create_parameter(uow, SYSTEM, ParameterCreate(
            key="origination.disbursement_conditions", value_type="json", value=["contract_signed", "gps_installed"],
            scope="product", scope_value="NEW-ANNUITY", effective_from=date(2020, 1, 1),
            description_zh="放款条件", description_en="Disbursement conditions"))
        uow.commit()
    application_id = approved_application(app_ctx, world)
    with app_ctx.uow() as uow:
        codes = [c.code for c in disbursement.disbursement_checklist(uow, clerk, application_id)]
    assert codes == ["contract_signed", "gps_installed"]


def test_the_whole_path_pays_once_opens_the_loan_and_books_the_fee(app_ctx, world, clerk, checker, make_user):
    dealer = make_user("dealer1", ["sales"])
    application_id = ready_application(app_ctx, world)
    with app_ctx.uow() as uow:  # the dealer user owns the application (their pages show its progress)
        service.get_application(uow, SYSTEM, application_id).owner_id = dealer.id
        uow.commit()
    card = add_card(app_ctx, world.customers["张三"])
    d = register(app_ctx, clerk, application_id, card, key="reg-1")
    assert (d.status, d.amount, d.payee_account) == ("registered", Decimal("80000.00"), "622202******4562")
    assert d.number.startswith("FK-") and d.version == 1
    assert (d.fee_amount, d.payout_amount) == (Decimal("800.00"), Decimal("79200.00"))  # the product's GPS fee
    with app_ctx.uow() as uow:  # finance is told a disbursement is ready for review; the registrar is not
        told = uow.session.scalars(select(InboxMessage.user_id).where(InboxMessage.title.like("待放款复核%"))).all()
    assert checker.user_id in told and clerk.user_id not in told
    with pytest.raises(PermissionDenied) as same_person:
        review(app_ctx, clerk, d.id)
    assert same_person.value.code == "origination.disbursement.separation_of_duties"
    with bank(app_ctx) as (simulator, _server, adapter):
        approved = review(app_ctx, checker, d.id, version=1)
        assert approved.status == "paying" and approved.payment_instruction_id is not None
        assert disbursement.send_disbursement_payment(app_ctx, d.id, adapter=adapter) == "sent"
        assert disbursement.send_disbursement_payment(app_ctx, d.id, adapter=adapter) == "sent"  # a retry
        assert deliver(app_ctx, simulator, end_to_end_id(app_ctx, approved.payment_instruction_id)) == "posted"
        assert deliver(app_ctx, simulator, end_to_end_id(app_ctx, approved.payment_instruction_id)) == "posted"
        assert simulator.posted_count() == 1
    paid = load(app_ctx, d.id)
    assert paid.status == "paid" and paid.loan_id is not None
    assert status_of(app_ctx, application_id) == "disbursed"
    with app_ctx.uow() as uow:
        loan = uow.session.get(LoanAccount, paid.loan_id)
        assert (loan.principal, loan.status, loan.contract_no) == (Decimal("80000.00"), "active", paid.contract_no)
        assert loan.owner_id == dealer.id
        rows = servicing.installments_of(uow, loan)
        assert len(rows) == 36 and sum(r.principal_due for r in rows) == Decimal("80000.00")
        assert uow.session.scalar(select(LoanAccount.id).where(LoanAccount.id != loan.id)) is None
        entries = uow.session.scalars(select(JournalEntry)).all()
        kinds = sorted(e.event_type for e in entries)
        assert "loan.disbursed" in kinds
        for entry in entries:
            lines = uow.session.scalars(select(JournalLine).where(JournalLine.entry_id == entry.id)).all()
            assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
        assert "fee.charged" in kinds
        bank_lines = uow.session.scalars(select(JournalLine).join(Account, Account.id == JournalLine.account_id)
                                         .where(Account.code == "1002")).all()
        assert sum(line.credit - line.debit for line in bank_lines) == Decimal("79200.00")  # what left the bank
        dealer_news = uow.session.scalars(select(InboxMessage.title).where(InboxMessage.user_id == dealer.id)).all()
        assert any(t.startswith("已放款") for t in dealer_news)


def test_a_double_click_on_register_returns_the_same_disbursement_and_a_second_registration_is_409(
    app_ctx, world, clerk
):
    application_id = ready_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    first = register(app_ctx, clerk, application_id, card, key="k-1")
    again = register(app_ctx, clerk, application_id, card, key="k-1")
    assert again.id == first.id
    with pytest.raises(Conflict) as other_key:
        register(app_ctx, clerk, application_id, card, key="k-2")
    assert other_key.value.code == "origination.disbursement.exists"
    with pytest.raises(Conflict) as reused:
        register(app_ctx, clerk, application_id, card, key="k-1", comment="different body")
    assert reused.value.code == "origination.disbursement.key_reused"


def test_two_concurrent_approvals_one_wins_and_the_other_gets_409(app_ctx, world, clerk, checker, checker2):
    application_id = ready_application(app_ctx, world)
    d = register(app_ctx, clerk, application_id, add_card(app_ctx, world.customers["张三"]))
    review(app_ctx, checker, d.id, version=1)
    with pytest.raises(Conflict) as late:  # the other reviewer saw version 1 too
        review(app_ctx, checker2, d.id, version=1)
    assert late.value.code == "db.stale_version"
    with pytest.raises(Conflict) as again:  # without a version: the state answers
        review(app_ctx, checker2, d.id)
    assert again.value.code == "origination.disbursement.wrong_status"
    with app_ctx.uow() as uow:
        from autofin.channels.models import PaymentInstruction

        assert len(uow.session.scalars(select(PaymentInstruction)).all()) == 1


def test_interleaved_approvals_in_two_transactions_reserve_one_payment(app_ctx, world, clerk, checker, checker2):
    application_id = ready_application(app_ctx, world)
    d = register(app_ctx, clerk, application_id, add_card(app_ctx, world.customers["张三"]))
    with app_ctx.uow() as first:
        disbursement.review_disbursement(first, checker, d.id, DisbursementReview(decision="approve"))
        first.commit()
    with app_ctx.uow() as second, pytest.raises(Conflict):
        disbursement.review_disbursement(second, checker2, d.id, DisbursementReview(decision="approve"))
    assert load(app_ctx, d.id).reviewed_by == checker.user_id


def test_a_crash_after_approval_is_recovered_by_the_resend_job_and_still_pays_once(app_ctx, world, clerk, checker):
    application_id = ready_application(app_ctx, world)
    d = register(app_ctx, clerk, application_id, add_card(app_ctx, world.customers["张三"]))
    approved = review(app_ctx, checker, d.id)  # committed; the process "crashes" before sending
    with bank(app_ctx) as (simulator, _server, adapter):
        assert disbursement.resend_unsent_payments(app_ctx, adapter=adapter) == 1
        assert disbursement.resend_unsent_payments(app_ctx, adapter=adapter) == 0  # nothing left reserved
        # a crash after the bank accepted but before the answer was kept: sending again is deduplicated
        assert disbursement.send_disbursement_payment(app_ctx, d.id, adapter=adapter) == "sent"
        deliver(app_ctx, simulator, end_to_end_id(app_ctx, approved.payment_instruction_id))
        assert simulator.posted_count() == 1
    assert load(app_ctx, d.id).status == "paid"


def test_an_unreachable_bank_keeps_the_instruction_reserved(app_ctx, world, clerk, checker):
    from autofin.channels.http_adapter import HttpBankAdapter

    application_id = ready_application(app_ctx, world)
    d = register(app_ctx, clerk, application_id, add_card(app_ctx, world.customers["张三"]))
    review(app_ctx, checker, d.id)
    dead = HttpBankAdapter("http://127.0.0.1:9", timeout=0.5)
    assert disbursement.send_disbursement_payment(app_ctx, d.id, adapter=dead) == "reserved"
    with app_ctx.uow() as uow:
        state, error = disbursement.payment_state(uow, uow.session.get(Disbursement, d.id))
    assert state == "reserved" and error


def test_a_failed_payment_goes_back_to_the_final_stage_and_can_be_paid_after_reapproval(
    app_ctx, world, clerk, checker
):
    application_id = ready_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    d = register(app_ctx, clerk, application_id, card)
    with bank(app_ctx, fail_amounts=frozenset({d.payout_amount})) as (simulator, _server, adapter):
        approved = review(app_ctx, checker, d.id)
        disbursement.send_disbursement_payment(app_ctx, d.id, adapter=adapter)
        deliver(app_ctx, simulator, end_to_end_id(app_ctx, approved.payment_instruction_id))
    failed = load(app_ctx, d.id)
    assert failed.status == "failed" and "payee account frozen" in failed.failure_reason
    assert failed.loan_id is None
    with app_ctx.uow() as uow:
        application = service.get_application(uow, SYSTEM, application_id)
        assert (application.status, application.current_stage) == ("in_review", "final_review")
        task = uow.session.scalars(select(ReviewTask).where(ReviewTask.application_id == application_id,
                                                            ReviewTask.status == "open")).one()
        assert task.stage == "final_review"
        assert uow.session.scalar(select(LoanAccount.id)) is None
    with app_ctx.uow() as uow:  # the final stage approves again with the same terms: the signed contract stands
        from autofin.origination.schemas import ReviewRequest

        service.review_application(uow, SYSTEM, application_id, ReviewRequest(decision="approve"))
        uow.commit()
    assert status_of(app_ctx, application_id) == "contracted"
    second = register(app_ctx, clerk, application_id, card)
    assert second.id != d.id and second.status == "registered"
    with bank(app_ctx) as (simulator, _server, adapter):
        approved = review(app_ctx, checker, second.id)
        disbursement.send_disbursement_payment(app_ctx, second.id, adapter=adapter)
        deliver(app_ctx, simulator, end_to_end_id(app_ctx, approved.payment_instruction_id))
    assert load(app_ctx, second.id).status == "paid"
    assert status_of(app_ctx, application_id) == "disbursed"


def test_a_rejected_registration_can_be_registered_again(app_ctx, world, clerk, checker):
    application_id = ready_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    d = register(app_ctx, clerk, application_id, card)
    rejected = review(app_ctx, checker, d.id, decision="reject", comment="收款卡号有误")
    assert rejected.status == "rejected" and rejected.payment_instruction_id is None
    again = register(app_ctx, clerk, application_id, card)
    assert again.status == "registered"


def test_bad_payees_and_states_are_refused_with_field_errors(app_ctx, world, clerk, make_user):
    application_id = approved_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    with pytest.raises(Conflict) as not_contracted:
        register(app_ctx, clerk, application_id, card)
    assert not_contracted.value.code == "origination.application.wrong_status"
    sign_contract(app_ctx, application_id)
    meet_conditions(app_ctx, world, application_id)
    with pytest.raises(ValidationFailed) as no_card:
        register(app_ctx, clerk, application_id, None)
    assert no_card.value.errors[0].field == "card_id"
    other = world.customer("李四")
    with pytest.raises(ValidationFailed) as strangers_card:
        register(app_ctx, clerk, application_id, add_card(app_ctx, other, "6222020200007654326", holder="李四"))
    assert strangers_card.value.errors[0].field == "card_id"
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as bad_account:
        disbursement.register_disbursement(uow, clerk, application_id, DisbursementRegister(
            payee="dealer", account_number="12ab", account_name="某某汽车销售服务有限公司"))
    assert bad_account.value.errors[0].field == "account_number"
    assert bad_account.value.errors[0].message.zh.startswith("请填写经销商收款账号")
    viewer = make_user("viewer", ["reviewer"])
    from tests.fixtures.org import DEFAULT_PASSWORD  # noqa: F401  (the fixture module is loaded)
    with app_ctx.uow() as uow:
        from autofin.org import service as org_service
        from autofin.org.models import User

        viewer_actor = org_service.actor_for_user(uow, uow.session.get(User, viewer.id))
    with pytest.raises(PermissionDenied):
        register(app_ctx, viewer_actor, application_id, card)
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(Disbursement)).all() == []


def test_a_dealer_account_is_paid_in_full_by_number(app_ctx, world, clerk, checker):
    application_id = ready_application(app_ctx, world)
    with app_ctx.uow() as uow:
        d = disbursement.register_disbursement(uow, clerk, application_id, DisbursementRegister(
            payee="dealer", account_number="110060149018170009876", account_name="北京某某汽车销售服务有限公司",
            bank_name="交通银行"))
        uow.commit()
    assert (d.payee_kind, d.payee_account) == ("dealer", "110060149018170009876")
    with bank(app_ctx) as (simulator, _server, adapter):
        approved = review(app_ctx, checker, d.id)
        disbursement.send_disbursement_payment(app_ctx, d.id, adapter=adapter)
        assert simulator.payments[end_to_end_id(app_ctx, approved.payment_instruction_id)].account == \
            "110060149018170009876"


def test_two_reviewers_approving_at_the_same_moment_reserve_one_payment(app_ctx, world, clerk, checker, checker2):
    import threading

    application_id = ready_application(app_ctx, world)
    d = register(app_ctx, clerk, application_id, add_card(app_ctx, world.customers["张三"]))
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(actor):
        start.wait()
        try:
            review(app_ctx, actor, d.id)
            outcomes[actor.username] = "approved"
        except Conflict as conflict:
            outcomes[actor.username] = conflict.code

    threads = [threading.Thread(target=approve, args=(a,)) for a in (checker, checker2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) in (["approved", "db.stale_version"],
                                         ["approved", "origination.disbursement.wrong_status"]), outcomes
    with app_ctx.uow() as uow:
        from autofin.channels.models import PaymentInstruction

        assert len(uow.session.scalars(select(PaymentInstruction)).all()) == 1


def test_two_registrations_at_the_same_moment_leave_one_disbursement(app_ctx, world, clerk):
    import threading

    application_id = ready_application(app_ctx, world)
    card = add_card(app_ctx, world.customers["张三"])
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        start.wait()
        try:
            register(app_ctx, clerk, application_id, card)
            outcomes.append("registered")
        except Conflict as conflict:
            outcomes.append(conflict.code)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["origination.disbursement.exists", "registered"], outcomes
    with app_ctx.uow() as uow:
        assert len(uow.session.scalars(select(Disbursement)).all()) == 1


def test_a_down_payment_receipt_needs_an_approved_application_and_no_future_date(app_ctx, world, clerk):
    from datetime import timedelta

    from autofin.origination.disbursing.schemas import DownPaymentCreate
    from autofin.platform.service import business_today

    world.customer("李四")
    world.vehicle("car2")
    with app_ctx.uow() as uow:
        draft = service.create_application(uow, SYSTEM, application_command(world, applicant="李四", vehicle="car2"))
        uow.commit()
    today = business_today()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as not_approved:
        disbursement.record_down_payment(uow, clerk, draft.id, DownPaymentCreate(
            amount=Decimal("1000.00"), received_on=today, reference="SK-1"))
    assert not_approved.value.code == "origination.application.wrong_status"
    application_id = approved_application(app_ctx, world)
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as future:
        disbursement.record_down_payment(uow, clerk, application_id, DownPaymentCreate(
            amount=Decimal("1000.00"), received_on=today + timedelta(days=1), reference="SK-2"))
    assert future.value.errors[0].field == "received_on"
    with app_ctx.uow() as uow:  # part payments add up; the condition holds once they reach the down payment
        for part in ("100000.00", "19999.99"):
            disbursement.record_down_payment(uow, clerk, application_id, DownPaymentCreate(
                amount=Decimal(part), received_on=today, reference=f"SK-{part}"))
        uow.commit()
        checklist = {c.code: c for c in disbursement.disbursement_checklist(uow, clerk, application_id)}
    assert not checklist["down_payment_received"].met
    assert checklist["down_payment_received"].detail == "119999.99 / 120000.00"
