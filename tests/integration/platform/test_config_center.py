"""The config center: typed, scoped, dated parameters with history, audit, and a cache that notices changes."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from autofin.audit.models import AuditEvent
from autofin.bootstrap import bootstrap
from autofin.kernel.actor import Actor
from autofin.kernel.clock import set_clock
from autofin.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from autofin.platform import service
from autofin.platform.models import ParameterVersion
from autofin.platform.schemas import ParameterChange, ParameterCreate

manager = Actor(user_id=7, username="config_admin", permissions=frozenset({"platform.parameter.manage",
                                                                          "platform.parameter.view"}))
viewer = Actor(user_id=8, username="viewer", permissions=frozenset({"platform.parameter.view"}))


def _create(app_ctx, **fields):
    fields.setdefault("effective_from", date(2025, 1, 1))
    with app_ctx.uow() as uow:
        row = service.create_parameter(uow, manager, ParameterCreate(**fields))
        uow.commit()
    return row


def _change(app_ctx, key, **fields):
    with app_ctx.uow() as uow:
        row = service.change_parameter(uow, manager, key, ParameterChange(**fields))
        uow.commit()
    return row


def test_seeded_defaults_are_typed_and_the_lpr_follows_its_dates(app_ctx):
    with app_ctx.uow() as uow:
        assert service.get_parameter(uow, "tax.vat_rate") == Decimal("0.06")
        assert service.get_parameter(uow, "collection.max_connected_calls_per_day") == 3
        assert service.get_parameter(uow, "collection.calling_hours_end") == "21:00"
        assert service.get_parameter(uow, "customer.min_age") == 18
        assert service.get_parameter(uow, "lpr.1y", on=date(2025, 5, 20)) == Decimal("3.0")
        assert service.get_parameter(uow, "lpr.1y", on=date(2025, 5, 19)) == Decimal("3.1")
        assert service.get_parameter(uow, "ledger.basis") == "accrual"


def test_seeding_again_adds_nothing_and_keeps_an_administrators_change(app_ctx):
    from autofin.platform.seed import seed

    _change(app_ctx, "tax.vat_rate", value="0.09", effective_from=date(2025, 1, 1))
    with app_ctx.uow() as uow:
        before = uow.session.execute(select(func.count()).select_from(ParameterVersion)).scalar_one()
        seed(uow)
        uow.commit()
    with app_ctx.uow() as uow:
        after = uow.session.execute(select(func.count()).select_from(ParameterVersion)).scalar_one()
        assert after == before
        assert service.get_parameter(uow, "tax.vat_rate", on=date(2026, 1, 1)) == Decimal("0.09")


def test_a_region_product_and_channel_override_each_win_where_they_apply(app_ctx):
    _create(app_ctx, key="risk.max_pti", value_type="decimal", value="0.50")
    _change(app_ctx, "risk.max_pti", value="0.45", scope="region", scope_value="310000",
            effective_from=date(2025, 1, 1))
    _change(app_ctx, "risk.max_pti", value="0.40", scope="product", scope_value="NEW01",
            effective_from=date(2025, 1, 1))
    _change(app_ctx, "risk.max_pti", value="0.35", scope="channel", scope_value="DLR-9",
            effective_from=date(2026, 1, 1))
    with app_ctx.uow() as uow:
        def value(**where):
            return service.get_parameter(uow, "risk.max_pti", on=date(2026, 2, 1), **where)

        assert value() == Decimal("0.50")
        assert value(region="310000") == Decimal("0.45")
        assert value(region="310000", product="NEW01") == Decimal("0.40")
        assert value(region="310000", product="NEW01", channel="DLR-9") == Decimal("0.35")
        assert value(region="440000", channel="OTHER") == Decimal("0.50")
        assert service.get_parameter(uow, "risk.max_pti", on=date(2025, 6, 1), channel="DLR-9") == Decimal("0.50")


def test_every_change_is_a_new_version_with_who_and_an_audit_row_and_nothing_is_overwritten(app_ctx):
    _create(app_ctx, key="fee.gps_install", value_type="decimal", value="800.00", description_zh="GPS 安装费",
            description_en="GPS installation fee")
    _change(app_ctx, "fee.gps_install", value="900.00", effective_from=date(2026, 1, 1), expected_version=1,
            note="supplier price rise")
    with app_ctx.uow() as uow:
        history = service.parameter_history(uow, viewer, "fee.gps_install")
        assert [(h.version, h.value) for h in history] == [(2, "900.00"), (1, "800.00")]
        assert history[0].changed_by_name == "config_admin" and history[0].note == "supplier price rise"
        assert history[0].description_en == "GPS installation fee"  # carried over
        actions = uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_id == "fee.gps_install").order_by(AuditEvent.sequence)
        ).scalars().all()
        assert actions == ["platform.parameter.create", "platform.parameter.change"]
        assert service.get_parameter(uow, "fee.gps_install", on=date(2025, 12, 31)) == Decimal("800.00")
        assert service.get_parameter(uow, "fee.gps_install", on=date(2026, 1, 1)) == Decimal("900.00")


def test_a_change_based_on_an_older_version_is_refused_with_409(app_ctx):
    _create(app_ctx, key="risk.max_dti_override", value_type="decimal", value="0.5")
    _change(app_ctx, "risk.max_dti_override", value="0.6", expected_version=1)
    with pytest.raises(Conflict) as caught:
        _change(app_ctx, "risk.max_dti_override", value="0.7", expected_version=1)
    assert caught.value.code == "platform.parameter.stale_version"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "Risk.Max", "value_type": "decimal", "value": "1"}, "key"),
        ({"key": "ab", "value_type": "decimal", "value": "1"}, "key"),
        ({"key": "risk.thing", "value_type": "float", "value": "1"}, "value_type"),
        ({"key": "risk.thing", "value_type": "decimal", "value": "abc"}, "value"),
        ({"key": "risk.thing", "value_type": "integer", "value": "1.5"}, "value"),
        ({"key": "risk.thing", "value_type": "decimal", "value": "1", "scope": "planet"}, "scope"),
        ({"key": "risk.thing", "value_type": "decimal", "value": "1", "scope": "region"}, "scope_value"),
        ({"key": "risk.thing", "value_type": "decimal", "value": "1", "effective_to": date(2024, 1, 1)},
         "effective_to"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_is_stored(app_ctx, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        _create(app_ctx, **fields)
    assert field in [e.field for e in caught.value.errors]
    with app_ctx.uow() as uow:
        assert service.get_parameter(uow, "risk.thing", default=None) is None


def test_a_new_version_must_keep_the_keys_type(app_ctx):
    with pytest.raises(ValidationFailed) as caught:
        _change(app_ctx, "customer.min_age", value="eighteen")
    assert caught.value.errors[0].field == "value"


def test_creating_a_key_twice_is_a_conflict_and_unknown_keys_are_not_found(app_ctx):
    with pytest.raises(Conflict):
        _create(app_ctx, key="tax.vat_rate", value_type="decimal", value="0.06")
    with app_ctx.uow() as uow, pytest.raises(NotFound):
        service.get_parameter(uow, "no.such_key")
    with pytest.raises(NotFound):
        _change(app_ctx, "no.such_key", value="1")


def test_changing_or_viewing_parameters_needs_the_permission(app_ctx):
    with pytest.raises(PermissionDenied), app_ctx.uow() as uow:
        service.change_parameter(uow, viewer, "tax.vat_rate", ParameterChange(value="0.07"))
    nobody = Actor(user_id=9, username="nobody")
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.list_parameters(uow, nobody)


def test_the_list_shows_current_definitions_and_searches_by_key_or_description(app_ctx):
    _change(app_ctx, "tax.vat_rate", value="0.07", effective_from=date(2025, 1, 1))
    with app_ctx.uow() as uow:
        rows, count = service.list_parameters(uow, viewer, q="vat")
        assert count == 1 and rows[0].value == "0.07" and rows[0].version == 2
        lpr, lpr_count = service.list_parameters(uow, viewer, q="lpr.1y")
        assert lpr_count == 2 and [r.effective_from for r in lpr] == [date(2025, 5, 20), date(2024, 10, 21)]
        _, by_chinese = service.list_parameters(uow, viewer, q="增值税")
        assert by_chinese == 1


def test_another_process_sees_a_change_once_its_cache_interval_passes(app_ctx, test_settings):
    other = bootstrap(test_settings.model_copy(update={"config_cache_seconds": 60}))
    clock = [datetime(2026, 11, 24, 2, 0, tzinfo=UTC)]
    set_clock(lambda: clock[0])
    try:
        with other.uow() as uow:
            assert service.get_parameter(uow, "tax.vat_rate") == Decimal("0.06")
        _change(app_ctx, "tax.vat_rate", value="0.09", effective_from=date(2025, 1, 1))
        with other.uow() as uow:
            assert service.get_parameter(uow, "tax.vat_rate") == Decimal("0.06")  # still within 60 s
        clock[0] += timedelta(seconds=61)
        with other.uow() as uow:
            assert service.get_parameter(uow, "tax.vat_rate") == Decimal("0.09")  # no restart needed
    finally:
        other.dispose()


def test_the_writing_process_sees_its_own_change_at_once(app_ctx, test_settings):
    writer = bootstrap(test_settings.model_copy(update={"config_cache_seconds": 3600}))
    try:
        with writer.uow() as uow:
            assert service.get_parameter(uow, "customer.max_age") == 65
        with writer.uow() as uow:
            service.change_parameter(uow, manager, "customer.max_age", ParameterChange(
                value=70, effective_from=date(2025, 1, 1)))
            assert service.get_parameter(uow, "customer.max_age") == 70  # inside its own transaction
            uow.commit()
        with writer.uow() as uow:
            assert service.get_parameter(uow, "customer.max_age") == 70
    finally:
        writer.dispose()


def test_a_rolled_back_change_is_not_served_from_the_cache(app_ctx):
    with app_ctx.uow() as uow:
        service.change_parameter(uow, manager, "customer.max_age", ParameterChange(
            value=70, effective_from=date(2025, 1, 1)))
        # left without commit: rolled back
    with app_ctx.uow() as uow:
        assert service.get_parameter(uow, "customer.max_age") == 65
