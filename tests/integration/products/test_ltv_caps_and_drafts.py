"""Maintaining the LTV cap table (effective-dated rows, validated, audited) and editing draft product versions
(active and retired versions are read-only)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from autofin.products import service
from autofin.products.models import LtvCap, ProductVersion
from autofin.products.permissions import LTV_MANAGE, PRODUCT_MANAGE, PRODUCT_VIEW
from autofin.products.schemas import FeeSpec, LtvCapCreate, ProductCreate, VersionUpdate

CLERK = Actor(user_id=7, username="ltv-clerk", permissions=frozenset({LTV_MANAGE, PRODUCT_VIEW, PRODUCT_MANAGE}),
              scope=DataScope.unrestricted())


def _today() -> date:
    return utcnow().date()


def _cap(**overrides) -> LtvCapCreate:
    body = {"use": "commercial", "powertrain": "nev", "condition": "new", "effective_from": _today() + timedelta(30),
            "cap_percent": Decimal("80"), "source": "公司风险委员会 2026-11 决议"}
    body.update(overrides)
    return LtvCapCreate(**body)


def test_a_new_cap_ends_the_one_in_force_the_day_before_and_quotes_follow_the_date(app_ctx):
    start = _today() + timedelta(30)
    with app_ctx.uow() as uow:
        cap = service.add_ltv_cap(uow, CLERK, _cap())
        uow.commit()
        assert (cap.effective_from, cap.effective_to, cap.cap_percent) == (start, None, Decimal("80"))
    with app_ctx.uow() as uow:
        old = uow.session.scalars(select(LtvCap).where(LtvCap.use == "commercial", LtvCap.powertrain == "nev",
                                                       LtvCap.condition == "new", LtvCap.effective_from < start)).one()
        assert old.effective_to == start - timedelta(days=1)
        on_eve = service.ltv_cap(uow, use="commercial", powertrain="bev", condition="new", on=start - timedelta(1))
        on_day = service.ltv_cap(uow, use="commercial", powertrain="bev", condition="new", on=start)
        assert (on_eve.cap_percent, on_day.cap_percent) == (Decimal("75"), Decimal("80"))
        audit = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "products.ltv.add")).one()
        assert audit.actor_name == "ltv-clerk"


def test_a_row_inserted_between_two_rows_is_bounded_by_the_later_one(app_ctx):
    later, middle = _today() + timedelta(60), _today() + timedelta(20)
    with app_ctx.uow() as uow:
        service.add_ltv_cap(uow, CLERK, _cap(effective_from=later, cap_percent=Decimal("85")))
        between = service.add_ltv_cap(uow, CLERK, _cap(effective_from=middle, cap_percent=Decimal("78")))
        uow.commit()
        assert between.effective_to == later - timedelta(days=1)
        assert service.ltv_cap(uow, use="commercial", powertrain="nev", condition="new", on=later).cap_percent == 85


@pytest.mark.parametrize(("cap", "field"), [(Decimal("0"), "cap_percent"), (Decimal("100.01"), "cap_percent"),
                                            (Decimal("-5"), "cap_percent")])
def test_caps_outside_0_to_100_are_refused_naming_the_field_and_nothing_is_written(app_ctx, cap, field):
    with app_ctx.uow() as uow:
        before = len(service.list_ltv_caps(uow, SYSTEM))
        with pytest.raises(ValidationFailed) as caught:
            service.add_ltv_cap(uow, CLERK, _cap(cap_percent=cap))
        assert caught.value.errors[0].field == field
        assert "100" in caught.value.message.zh
    with app_ctx.uow() as uow:
        assert len(service.list_ltv_caps(uow, SYSTEM)) == before


def test_a_cap_of_exactly_100_is_accepted(app_ctx):
    with app_ctx.uow() as uow:
        assert service.add_ltv_cap(uow, CLERK, _cap(cap_percent=Decimal("100"))).cap_percent == 100


def test_a_past_date_needs_the_backdate_permission_and_a_reason(app_ctx):
    past = _today() - timedelta(days=10)
    with app_ctx.uow() as uow:
        with pytest.raises(ValidationFailed) as refused:
            service.add_ltv_cap(uow, CLERK, _cap(effective_from=past))
        assert refused.value.errors[0].field == "effective_from"
        assert "权限" in refused.value.message.zh
        with pytest.raises(ValidationFailed) as no_reason:
            service.add_ltv_cap(uow, SYSTEM, _cap(effective_from=past))  # authorised, but says not why
        assert no_reason.value.errors[0].field == "reason"
        backdated = service.add_ltv_cap(uow, SYSTEM, _cap(effective_from=past, reason="监管通知补录"))
        uow.commit()
        assert backdated.effective_from == past


def test_a_second_row_for_the_same_key_and_date_is_refused(app_ctx):
    with app_ctx.uow() as uow:
        service.add_ltv_cap(uow, CLERK, _cap())
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as caught:
        service.add_ltv_cap(uow, CLERK, _cap(cap_percent=Decimal("60")))
    assert caught.value.code == "products.ltv.duplicate"
    assert caught.value.errors[0].field == "effective_from"


def test_editing_the_cap_table_needs_its_permission(app_ctx):
    viewer = Actor(user_id=8, username="viewer", permissions=frozenset({PRODUCT_VIEW}))
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.add_ltv_cap(uow, viewer, _cap())


# --- drafts ---------------------------------------------------------------------------------------------------


def _draft(app_ctx) -> None:
    with app_ctx.uow() as uow:
        service.create_product(uow, SYSTEM, ProductCreate(code="EDIT", product_name="可编辑", terms=[12, 24],
                                                          max_term=36))
        uow.commit()


def _fields(app_ctx, number: int = 1) -> dict:
    with app_ctx.uow() as uow:
        product = service.get_product(uow, SYSTEM, "EDIT")
        version = next(v for v in service.versions_of(uow, product) if v.number == number)
        names = VersionUpdate.model_fields
        return {name: getattr(version, name) for name in names if hasattr(version, name)}


def test_a_draft_is_edited_field_by_field_and_the_change_is_audited(app_ctx):
    _draft(app_ctx)
    body = _fields(app_ctx)
    body.update(rate_min=Decimal("4"), rate_max=Decimal("10"), rate_default=Decimal("5.5"), terms=[36, 12, 24],
                methods=["annuity", "equal_principal"], grace_days=5, penalty_rate=Decimal("12"),
                prepayment_after_months=6, prepayment_fee_percent=Decimal("2"), min_down_payment_percent=Decimal("30"),
                min_age=20, max_age=60, fees=[FeeSpec(name="GPS费", amount=Decimal("800"))])
    with app_ctx.uow() as uow:
        edited = service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**body))
        uow.commit()
        assert edited.version == 2
    with app_ctx.uow() as uow:
        stored = uow.session.scalars(select(ProductVersion)).one()
        assert (stored.rate_default, stored.terms, stored.grace_days, stored.min_age) == (Decimal("5.5"),
                                                                                           [12, 24, 36], 5, 20)
        assert stored.fees == [{"name": "GPS费", "amount": "800.00", "percent": None, "timing": "upfront",
                                "treatment": "paid"}]
        audit = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "products.version.update")).one()
        assert audit.after["rate_default"] == "5.5" and audit.before["rate_default"] == "6"
        assert "max_term" not in audit.after  # only what changed


def test_active_and_retired_versions_are_read_only(app_ctx):
    _draft(app_ctx)
    body = _fields(app_ctx)
    with app_ctx.uow() as uow:
        service.activate_version(uow, SYSTEM, "EDIT", 1)
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as active:
        service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**{**body, "version": 2, "grace_days": 9}))
    assert active.value.code == "products.version.not_draft"
    with app_ctx.uow() as uow:
        service.retire_version(uow, SYSTEM, "EDIT", 1)
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as retired:
        service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**{**body, "version": 3, "grace_days": 9}))
    assert retired.value.code == "products.version.not_draft"


def test_two_people_editing_one_draft_the_second_is_refused(app_ctx):
    _draft(app_ctx)
    body = _fields(app_ctx)
    with app_ctx.uow() as uow:
        service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**{**body, "grace_days": 7}))
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as stale:
        service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**{**body, "grace_days": 8}))
    assert stale.value.code == "db.stale_version"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rate_default": Decimal("20")}, "rate_default"),  # outside min–max
        ({"terms": [12, 48]}, "terms"),  # beyond max_term 36
        ({"max_term": 48, "conditions": ["used"]}, "max_term"),  # used ≤ 36 months
        ({"min_age": 60, "max_age": 40}, "max_age"),
        ({"methods": ["balloon"]}, "max_balloon_percent"),
        ({"fees": [FeeSpec(name="x")]}, "fees.0"),
    ],
)
def test_bad_draft_edits_are_refused_naming_the_field_and_nothing_changes(app_ctx, change, field):
    _draft(app_ctx)
    body = _fields(app_ctx)
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        service.update_version(uow, CLERK, "EDIT", 1, VersionUpdate(**{**body, **change}))
    assert caught.value.errors[0].field == field
    with app_ctx.uow() as uow:
        assert uow.session.scalars(select(ProductVersion)).one().version == 1
