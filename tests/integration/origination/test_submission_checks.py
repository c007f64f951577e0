"""Submission checks: each outcome recorded with its reason; bad inputs declined or refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.integration.origination.world import application_command, build_world

from autofin.customers.models import CustomerAlert
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import Conflict, ValidationFailed
from autofin.origination import service
from autofin.origination.errors import ApplicantBlacklisted
from autofin.origination.models import Application
from autofin.origination.schemas import ApplicationUpdate, RuleCreate, RuleUpdate


@pytest.fixture()
def world(app_ctx):
    return build_world(app_ctx)


def _create(app_ctx, world, **overrides):
    with app_ctx.uow() as uow:
        application = service.create_application(uow, SYSTEM, application_command(world, **overrides))
        uow.commit()
        return application.id


def _submit(app_ctx, application_id):
    with app_ctx.uow() as uow:
        application, checks = service.submit_application(uow, SYSTEM, application_id)
        uow.commit()
        return application.status, {c.name: (c.outcome, c.reason_en) for c in checks}


def test_a_draft_gets_a_dated_number_and_the_products_required_documents(app_ctx, world):
    application_id = _create(app_ctx, world)
    with app_ctx.uow() as uow:
        application = uow.session.get(Application, application_id)
        assert application.number.startswith("AP-") and application.number.endswith(f"{application_id:06d}")
        assert len(application.number) == len("AP-20261124-000123")
        assert application.status == "draft" and application.version == 1
        assert application.amount == Decimal("80000.00")
        assert "id_card" in application.required_documents
        assert application.rate == Decimal("5.88")


def test_a_clean_application_passes_every_check_and_goes_to_first_review(app_ctx, world):
    status, checks = _submit(app_ctx, _create(app_ctx, world))
    assert status == "in_review"
    assert {name: outcome for name, (outcome, _) in checks.items()} == {
        "kyc": "pass",
        "in_flight": "pass",
        "policy.age": "pass",
        "policy.ltv": "pass",
        "policy.term": "pass",
        "policy.rate": "pass",
        "policy.down_payment": "pass",
        "policy.scope": "pass",
        "rules": "pass",
    }


def test_the_checks_answered_are_the_checks_recorded_in_their_order(app_ctx, world):
    application_id = _create(app_ctx, world, term=72)  # over the product's term cap: one decline among passes
    with app_ctx.uow() as uow:
        _, answered = service.submit_application(uow, SYSTEM, application_id)
        uow.commit()
    with app_ctx.uow() as uow:
        application = uow.session.get(Application, application_id)
        recorded = service.latest_checks(uow, application)
        assert [c.id is not None for c in recorded] == [True] * len(answered)
        fields = ("application_id", "round", "name", "outcome", "reason_en", "reason_zh", "detail", "checked_at")
        assert [[getattr(c, f) for f in fields] for c in recorded] == [
            [getattr(c, f) for f in fields] for c in answered
        ]
        assert application.check_outcome == "decline" and "decline" in [c.outcome for c in recorded]


def test_a_blacklisted_applicant_is_refused_and_only_the_alert_is_kept(app_ctx, world):
    application_id = _create(app_ctx, world)
    world.blacklist(id_number=world.id_numbers["张三"])
    with app_ctx.uow() as uow, pytest.raises(ApplicantBlacklisted) as refused:
        service.submit_application(uow, SYSTEM, application_id)
    assert refused.value.code == "origination.applicant.blacklisted"
    with app_ctx.uow() as uow:
        service.record_blacklist_refusal(uow, SYSTEM, refused.value)
        uow.commit()
    with app_ctx.uow() as uow:
        assert uow.session.get(Application, application_id).status == "draft"
        assert uow.session.get(Application, application_id).submission_round == 0
        alerts = uow.session.execute(select(CustomerAlert)).scalars().all()
        assert [a.kind for a in alerts] == ["blacklist_hit"]


def test_a_blacklisted_vin_is_refused_too(app_ctx, world):
    application_id = _create(app_ctx, world)
    world.blacklist(vin=world.vins["car"])
    with app_ctx.uow() as uow, pytest.raises(ApplicantBlacklisted) as refused:
        service.submit_application(uow, SYSTEM, application_id)
    assert [e.field for e in refused.value.errors] == ["vin"]


def test_an_in_flight_application_for_the_same_id_declines_the_second(app_ctx, world):
    world.vehicle("second")
    _submit(app_ctx, _create(app_ctx, world))
    status, checks = _submit(app_ctx, _create(app_ctx, world, vehicle="second"))
    assert status == "rejected"
    assert checks["in_flight"][0] == "decline" and "same ID" in checks["in_flight"][1]


def test_an_in_flight_application_for_the_same_vin_declines_the_second(app_ctx, world):
    world.customer("李四")
    _submit(app_ctx, _create(app_ctx, world))
    status, checks = _submit(app_ctx, _create(app_ctx, world, applicant="李四"))
    assert status == "rejected"
    assert checks["in_flight"][0] == "decline" and "same VIN" in checks["in_flight"][1]


@pytest.mark.parametrize(
    ("overrides", "check", "words"),
    [
        (
            {
                "vehicle": "used",
                "product_code": "USED-CAR",
                "down_payment": "30000.00",
                "price": "100000.00",
                "rate": "8.5",
            },
            "policy.ltv",
            "above the cap of 70",
        ),
        ({"term": 72}, "policy.term", "Term 72"),
        ({"rate": "13"}, "policy.rate", "outside 3.5%"),
        ({"down_payment": "20000.00"}, "policy.down_payment", "below the minimum 15"),
        ({"method": "flat"}, "policy.scope", "method flat"),
    ],
)
def test_out_of_policy_applications_are_declined_with_the_reason(app_ctx, world, overrides, check, words):
    world.vehicle("used", condition="used", price="80000.00")  # invoice below the price asked
    status, checks = _submit(app_ctx, _create(app_ctx, world, **overrides))
    assert status == "rejected"
    assert checks[check][0] == "decline"
    assert words in checks[check][1]


def test_an_applicant_too_old_at_maturity_is_declined(app_ctx, world):
    world.customer("老王", birth=date(1963, 1, 1))
    status, checks = _submit(app_ctx, _create(app_ctx, world, applicant="老王", term=60))
    assert status == "rejected"
    assert checks["policy.age"][0] == "decline"


def test_a_matching_refer_rule_sends_the_case_to_review_with_the_rule_named(app_ctx, world):
    with app_ctx.uow() as uow:
        service.create_rule(
            uow,
            SYSTEM,
            RuleCreate(code="long-term", name="长期限", outcome="refer", expression="applicant.age > 30 and term > 24"),
        )
        service.create_rule(
            uow,
            SYSTEM,
            RuleCreate(
                code="nev-large",
                name="新能源大额",
                outcome="decline",
                expression="vehicle.powertrain == 'bev' and amount > 50000",
            ),
        )
        uow.commit()
    status, checks = _submit(app_ctx, _create(app_ctx, world))
    assert status == "in_review"
    assert checks["rule.long-term"][0] == "refer"
    assert "rule.nev-large" not in checks


def test_a_matching_decline_rule_rejects_the_application(app_ctx, world):
    with app_ctx.uow() as uow:
        service.create_rule(
            uow,
            SYSTEM,
            RuleCreate(
                code="dealer-channel", name="渠道限制", outcome="decline", expression="channel == 'dealer' and ltv > 30"
            ),
        )
        uow.commit()
    status, checks = _submit(app_ctx, _create(app_ctx, world))
    assert status == "rejected"
    assert checks["rule.dealer-channel"][0] == "decline"


@pytest.mark.parametrize("expression", ["applicant.age > and 3", "unknown_thing > 1", "applicant.agee > 60", ""])
def test_an_invalid_rule_expression_is_refused_at_save_time_with_the_parsers_message(app_ctx, expression):
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as refused:
        service.create_rule(
            uow,
            SYSTEM,
            RuleCreate.model_construct(
                code="bad", name="bad", outcome="refer", expression=expression, active=True, description=""
            ),
        )
    assert refused.value.code == "origination.rule.invalid_expression"
    assert refused.value.errors[0].field == "expression"


def test_a_rule_edit_with_a_stale_version_is_refused(app_ctx):
    with app_ctx.uow() as uow:
        rule = service.create_rule(
            uow, SYSTEM, RuleCreate(code="r1", name="r1", outcome="refer", expression="term > 48")
        )
        uow.commit()
        rule_id = rule.id
    with app_ctx.uow() as uow:
        service.update_rule(uow, SYSTEM, rule_id, RuleUpdate(version=1, expression="term > 36"))
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        service.update_rule(uow, SYSTEM, rule_id, RuleUpdate(version=1, active=False))


def test_a_draft_edited_from_a_stale_version_is_refused_with_409(app_ctx, world):
    application_id = _create(app_ctx, world)
    with app_ctx.uow() as uow:
        service.update_application(uow, SYSTEM, application_id, ApplicationUpdate(version=1, term=24))
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as stale:
        service.update_application(uow, SYSTEM, application_id, ApplicationUpdate(version=1, term=48))
    assert stale.value.code == "db.stale_version"


def test_a_check_provider_plugs_in_and_its_grade_is_kept(app_ctx, world):
    from autofin.origination import checks

    def score(ctx):
        ctx.risk_grade = "B"
        return [checks.CheckResult("risk.score", checks.REFER, "Score 580 below 600", "评分580低于600")]

    checks.register_check_provider("risk.score", score, order=50)
    try:
        status, results = _submit(app_ctx, _create(app_ctx, world))
    finally:
        checks.unregister_check_provider("risk.score")
    assert status == "in_review" and results["risk.score"][0] == "refer"
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(Application.risk_grade)).scalar_one() == "B"


def test_the_live_quote_shows_the_schedule_and_the_annualised_rate(app_ctx, world):
    application_id = _create(app_ctx, world)
    with app_ctx.uow() as uow:
        quote = service.quote_application(uow, SYSTEM, application_id)
    assert len(quote.schedule) == 36
    assert sum(Decimal(line["principal"]) for line in quote.schedule) == Decimal("80000.00")
    assert quote.annualized_rate_compound > Decimal("5.88")
