"""Credit lines (授信): an approved request opens a line; drawdowns reuse the application flow and are held to the
remaining limit and the validity at creation, at submission, and at disbursement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.integration.origination.disbursement_world import (
    add_card,
    bank,
    deliver,
    end_to_end_id,
    meet_conditions,
    sign_contract,
)
from tests.integration.origination.world import application_command, build_world

from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, RuleViolation
from autofin.origination import service
from autofin.origination.disbursing import credit_lines
from autofin.origination.disbursing import service as disbursement
from autofin.origination.disbursing.models import CreditLine
from autofin.origination.disbursing.schemas import (
    CreditLineRequest,
    DisbursementRegister,
    DisbursementReview,
    DrawdownCreate,
)
from autofin.origination.schemas import ReviewRequest
from autofin.platform.service import business_today


@pytest.fixture()
def world(app_ctx):
    w = build_world(app_ctx)
    w.vehicle("car2")
    w.vehicle("car3")
    return w


def approve(app, application_id):
    with app.uow() as uow:
        service.review_application(uow, SYSTEM, application_id, ReviewRequest(decision="approve"))
        service.review_application(uow, SYSTEM, application_id, ReviewRequest(decision="approve"))
        uow.commit()


def submit(app, application_id):
    with app.uow() as uow:
        application, checks = service.submit_application(uow, SYSTEM, application_id)
        uow.commit()
        return application.status, {c.name: c.outcome for c in checks}


def open_line(app, world, months=12):
    """A credit line of 80,000 for 张三 (a request application, submitted and approved)."""
    with app.uow() as uow:
        application = service.create_application(uow, SYSTEM, application_command(world))
        credit_lines.request_credit_line(uow, SYSTEM, application.id, CreditLineRequest(validity_months=months))
        uow.commit()
        request_id = application.id
    assert submit(app, request_id)[0] == "in_review"
    approve(app, request_id)
    with app.uow() as uow:
        line = uow.session.scalars(select(CreditLine).where(CreditLine.application_id == request_id)).one()
        return line.id


def drawdown(app, world, line_id, amount, vehicle="car2"):
    with app.uow() as uow:
        application = credit_lines.create_drawdown(uow, SYSTEM, line_id, DrawdownCreate(
            vehicle_id=world.vehicles[vehicle], price=Decimal("200000.00"),
            down_payment=Decimal("200000.00") - Decimal(amount), term=36))
        uow.commit()
        return application.id


def line_view(app, line_id):
    with app.uow() as uow:
        view = credit_lines.get_credit_line(uow, SYSTEM, line_id)
        uow.session.expunge(view.line)  # readable after the block closes
        return view


def pay(app, world, application_id, clerk, checker, card):
    approve(app, application_id)
    sign_contract(app, application_id)
    meet_conditions(app, world, application_id)
    with app.uow() as uow:
        d = disbursement.register_disbursement(uow, clerk, application_id,
                                               DisbursementRegister(payee="borrower", card_id=card))
        uow.commit()
    with bank(app) as (simulator, _server, adapter), app.uow() as uow:
        d = disbursement.review_disbursement(uow, checker, d.id, DisbursementReview(decision="approve"))
        uow.commit()
        disbursement.send_disbursement_payment(app, d.id, adapter=adapter)
        deliver(app, simulator, end_to_end_id(app, d.payment_instruction_id))
    return d.id


@pytest.fixture()
def finance(make_user, actor_for):
    return actor_for(make_user("clerk", ["finance"])), actor_for(make_user("checker", ["finance"]))


def test_an_approved_request_opens_a_line_with_its_limit_and_validity(app_ctx, world):
    line_id = open_line(app_ctx, world, months=6)
    view = line_view(app_ctx, line_id)
    assert view.line.limit_amount == Decimal("80000.00") and view.available == Decimal("80000.00")
    assert view.line.status == "active" and view.line.number.startswith("SX-")
    today = business_today()
    assert view.line.valid_from == today and view.line.valid_until > today + timedelta(days=180)


def test_a_drawdown_within_the_line_is_paid_and_counts_against_it(app_ctx, world, finance):
    clerk, checker = finance
    line_id = open_line(app_ctx, world)
    first = drawdown(app_ctx, world, line_id, "50000.00")
    status, checks = submit(app_ctx, first)
    assert status == "in_review", checks
    assert checks["credit_line"] == "pass" and checks["in_flight"] == "pass"  # its own line's request is no rival
    d_id = pay(app_ctx, world, first, clerk, checker, add_card(app_ctx, world.customers["张三"]))
    with app_ctx.uow() as uow:
        paid = disbursement.get_disbursement(uow, SYSTEM, d_id)
        assert paid.status == "paid" and paid.credit_line_id == line_id
    view = line_view(app_ctx, line_id)
    assert (view.line.drawn_amount, view.available) == (Decimal("50000.00"), Decimal("30000.00"))


def test_a_drawdown_beyond_the_remaining_limit_is_refused_with_the_amount_left(app_ctx, world):
    line_id = open_line(app_ctx, world)
    with pytest.raises(RuleViolation) as refused:
        drawdown(app_ctx, world, line_id, "90000.00")
    assert refused.value.code == "origination.credit_line.limit_exceeded"
    assert "80000.00" in refused.value.message.en and "80000.00" in refused.value.message.zh
    assert refused.value.errors[0].field == "amount"


def test_drawdowns_in_flight_reserve_the_line_until_they_are_paid_or_rejected(app_ctx, world, finance):
    clerk, checker = finance
    line_id = open_line(app_ctx, world)
    first = drawdown(app_ctx, world, line_id, "60000.00")
    submit(app_ctx, first)
    approve(app_ctx, first)
    sign_contract(app_ctx, first)
    meet_conditions(app_ctx, world, first)
    card = add_card(app_ctx, world.customers["张三"])
    with app_ctx.uow() as uow:
        registered = disbursement.register_disbursement(uow, clerk, first,
                                                        DisbursementRegister(payee="borrower", card_id=card))
        uow.commit()
    assert line_view(app_ctx, line_id).available == Decimal("20000.00")
    with pytest.raises(RuleViolation):
        drawdown(app_ctx, world, line_id, "30000.00", vehicle="car3")
    with app_ctx.uow() as uow:
        disbursement.review_disbursement(uow, checker, registered.id, DisbursementReview(decision="reject"))
        uow.commit()
    assert line_view(app_ctx, line_id).available == Decimal("80000.00")


def test_an_expired_or_frozen_line_refuses_drawdowns_at_creation_and_submission(app_ctx, world):
    line_id = open_line(app_ctx, world)
    ready = drawdown(app_ctx, world, line_id, "30000.00")
    with app_ctx.uow() as uow:
        credit_lines.set_credit_line_status(uow, SYSTEM, line_id, "frozen")
        uow.commit()
    with pytest.raises(RuleViolation) as frozen:
        drawdown(app_ctx, world, line_id, "10000.00", vehicle="car3")
    assert frozen.value.code == "origination.credit_line.unavailable"
    status, checks = submit(app_ctx, ready)
    assert status == "rejected" and checks["credit_line"] == "decline"
    with app_ctx.uow() as uow:
        credit_lines.set_credit_line_status(uow, SYSTEM, line_id, "active")
        line = uow.session.get(CreditLine, line_id)
        line.valid_until = business_today() - timedelta(days=1)
        uow.commit()
    with pytest.raises(RuleViolation) as expired:
        drawdown(app_ctx, world, line_id, "10000.00", vehicle="car3")
    assert expired.value.code == "origination.credit_line.unavailable"
    assert str(business_today() - timedelta(days=1)) in expired.value.message.en


def test_registration_checks_the_line_again(app_ctx, world, finance):
    clerk, _checker = finance
    line_id = open_line(app_ctx, world)
    application_id = drawdown(app_ctx, world, line_id, "30000.00")
    submit(app_ctx, application_id)
    approve(app_ctx, application_id)
    sign_contract(app_ctx, application_id)
    meet_conditions(app_ctx, world, application_id)
    with app_ctx.uow() as uow:
        credit_lines.set_credit_line_status(uow, SYSTEM, line_id, "frozen")
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(RuleViolation) as refused:
        disbursement.register_disbursement(uow, clerk, application_id, DisbursementRegister(
            payee="dealer", account_number="110060149018170009876", account_name="车行"))
    assert refused.value.code == "origination.credit_line.unavailable"


def test_only_a_draft_can_ask_for_a_line_and_a_closed_line_stays_closed(app_ctx, world):
    line_id = open_line(app_ctx, world)
    with app_ctx.uow() as uow:
        request_id = line_view(app_ctx, line_id).line.application_id
        with pytest.raises(Conflict):
            credit_lines.request_credit_line(uow, SYSTEM, request_id, CreditLineRequest())
        credit_lines.set_credit_line_status(uow, SYSTEM, line_id, "closed")
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        credit_lines.set_credit_line_status(uow, SYSTEM, line_id, "active")
