"""The data dictionary: seeded types, lookups in both languages, CRUD with permissions, audit and versions."""

import pytest
from sqlalchemy import select

from autofin.audit.models import AuditEvent
from autofin.kernel.actor import Actor
from autofin.kernel.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from autofin.platform import service
from autofin.platform.schemas import DictionaryItemCreate, DictionaryItemUpdate, DictionaryTypeCreate

editor = Actor(user_id=5, username="dict_admin",
               permissions=frozenset({"platform.dictionary.view", "platform.dictionary.manage"}))
reader = Actor(user_id=6, username="reader", permissions=frozenset({"platform.dictionary.view"}))


def test_the_seeded_repayment_methods_and_id_types_read_in_both_languages(app_ctx):
    with app_ctx.uow() as uow:
        methods = [e.code for e in service.dictionary_items(uow, "repayment_method")]
        assert methods == ["annuity", "equal_principal", "flat", "interest_only", "balloon"]
        assert service.label(uow, "repayment_method", "annuity", "zh-CN") == "等额本息"
        assert service.label(uow, "repayment_method", "flat", "en") == "Flat"
        assert {e.code for e in service.dictionary_items(uow, "id_type")} == {
            "resident_id", "passport", "hk_macau_permit", "taiwan_permit"}
        assert service.label(uow, "id_type", "retired_code", "zh-CN") == "retired_code"
        models = {e.code: e.parent_code for e in service.dictionary_items(uow, "vehicle_model")}
        assert models["byd.seal"] == "byd" and models["byd"] is None
        assert service.is_valid_code(uow, "powertrain", "bev")
        assert not service.is_valid_code(uow, "powertrain", "steam")


def test_an_item_is_created_changed_and_deactivated_with_audit_and_lookups_follow(app_ctx):
    with app_ctx.uow() as uow:
        item = service.create_dictionary_item(uow, editor, "powertrain", DictionaryItemCreate(
            code="fcev", label_zh="燃料电池", label_en="Fuel cell", sort=40))
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.label(uow, "powertrain", "fcev", "zh-CN") == "燃料电池"
        changed = service.update_dictionary_item(uow, editor, item.id, DictionaryItemUpdate(
            label_zh="氢燃料电池", active=False, version=item.version))
        uow.commit()
    assert changed.version == item.version + 1
    with app_ctx.uow() as uow:
        assert "fcev" not in [e.code for e in service.dictionary_items(uow, "powertrain")]
        assert service.label(uow, "powertrain", "fcev", "zh-CN") == "氢燃料电池"  # old records still read
        actions = uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_type == "dictionary_item")
        ).scalars().all()
        assert actions == ["platform.dictionary_item.create", "platform.dictionary_item.update"]


def test_an_edit_of_a_stale_copy_is_refused_with_409_and_changes_nothing(app_ctx):
    with app_ctx.uow() as uow:
        rows, _ = service.list_dictionary_items(uow, reader, "vehicle_use")
        item_id, code, seen_version = rows[0].id, rows[0].code, rows[0].version
        service.update_dictionary_item(uow, editor, item_id, DictionaryItemUpdate(sort=99, version=seen_version))
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(Conflict) as caught:
        service.update_dictionary_item(uow, editor, item_id, DictionaryItemUpdate(
            label_en="Private", version=seen_version))
    assert caught.value.code == "db.stale_version"
    with app_ctx.uow() as uow:
        assert service.label(uow, "vehicle_use", code, "en") == "Self use"


def test_a_new_type_with_nested_items_and_refusals_for_duplicates_cycles_and_parents_with_children(app_ctx):
    with app_ctx.uow() as uow:
        service.create_dictionary_type(uow, editor, DictionaryTypeCreate(code="region", name_zh="区域",
                                                                        name_en="Region"))
        east = service.create_dictionary_item(uow, editor, "region", DictionaryItemCreate(
            code="east", label_zh="华东", label_en="East"))
        shanghai = service.create_dictionary_item(uow, editor, "region", DictionaryItemCreate(
            code="310000", label_zh="上海", label_en="Shanghai", parent_code="east"))
        uow.commit()
    assert shanghai.parent_id == east.id
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        service.create_dictionary_type(uow, editor, DictionaryTypeCreate(code="region", name_zh="x", name_en="x"))
    with app_ctx.uow() as uow, pytest.raises(Conflict):
        service.create_dictionary_item(uow, editor, "region", DictionaryItemCreate(
            code="east", label_zh="x", label_en="x"))
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as cycle:
        service.update_dictionary_item(uow, editor, east.id, DictionaryItemUpdate(
            parent_code="310000", version=east.version))
    assert cycle.value.errors[0].field == "parent_code"
    with app_ctx.uow() as uow, pytest.raises(RuleViolation):
        service.delete_dictionary_item(uow, editor, east.id, east.version)
    with app_ctx.uow() as uow:
        service.delete_dictionary_item(uow, editor, shanghai.id, shanghai.version)
        uow.commit()
    with app_ctx.uow() as uow:
        assert [e.code for e in service.dictionary_items(uow, "region")] == ["east"]


def test_bad_codes_are_refused_on_the_code_field(app_ctx):
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as caught:
        service.create_dictionary_type(uow, editor, DictionaryTypeCreate(code="Bad Code", name_zh="x", name_en="x"))
    assert caught.value.errors[0].field == "code"
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed):
        service.create_dictionary_item(uow, editor, "powertrain", DictionaryItemCreate(
            code="'; drop table x;--", label_zh="x", label_en="x"))


def test_only_holders_of_the_manage_permission_change_the_dictionary(app_ctx):
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.create_dictionary_item(uow, reader, "powertrain", DictionaryItemCreate(
            code="fcev", label_zh="燃料电池", label_en="Fuel cell"))
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.list_dictionary_types(uow, Actor(user_id=1, username="nobody"))
    with app_ctx.uow() as uow:
        types, count = service.list_dictionary_types(uow, reader)
        assert count >= 7 and "vehicle_model" in [t.code for t in types]
