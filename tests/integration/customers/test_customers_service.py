"""Customers at the service level: data at rest, scope, blacklist rules and the demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from autofin.customers import demo, service
from autofin.customers.identity import make_resident_id
from autofin.customers.models import Customer, CustomerAlert
from autofin.customers.schemas import BlacklistCreate, CustomerCreate
from autofin.kernel.actor import Actor, DataScope
from autofin.kernel.clock import set_clock
from autofin.kernel.errors import PermissionDenied

ID_NUMBER = make_resident_id("320102", date(1985, 2, 3), 42)
CLERK_PERMS = frozenset({"customers.customer.view", "customers.customer.create"})


def _clerk(user_id: int, department_id: int, own_only: bool = False) -> Actor:
    scope = DataScope(own_records=True) if own_only else DataScope(department_ids=frozenset({department_id}))
    return Actor(
        user_id=user_id, username=f"clerk{user_id}", permissions=CLERK_PERMS, scope=scope, department_id=department_id
    )


def _create(app_ctx, actor, **fields):
    with app_ctx.uow() as uow:
        body = {
            "kind": "individual",
            "name": "王五",
            "id_number": ID_NUMBER,
            "phone": "13712345678",
            "address": "南京市玄武区中山路1号",
        }
        body.update(fields)
        customer = service.create_customer(uow, actor, CustomerCreate(**body))
        uow.commit()
        return customer.id


def test_id_numbers_phones_and_addresses_are_not_stored_in_clear(app_ctx, system_actor):
    _create(app_ctx, system_actor)
    with app_ctx.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM customers")).mappings().one()
    dump = " ".join(str(v) for v in row.values())
    assert ID_NUMBER not in dump and "13712345678" not in dump and "中山路" not in dump


def test_lists_show_only_the_actors_data_scope(app_ctx):
    _create(app_ctx, _clerk(1, 10))
    _create(app_ctx, _clerk(2, 20), id_number=make_resident_id("320102", date(1986, 2, 3), 43), phone="13700000000")
    with app_ctx.uow() as uow:
        assert service.list_customers(uow, _clerk(1, 10))[1] == 1
        assert service.list_customers(uow, _clerk(3, 99, own_only=True))[1] == 0
        assert service.list_customers(uow, _clerk(2, 99, own_only=True))[1] == 1


def test_a_customer_outside_the_scope_is_not_found(app_ctx):
    customer_id = _create(app_ctx, _clerk(1, 10))
    with app_ctx.uow() as uow, pytest.raises(Exception, match="not_found"):
        service.get_customer(uow, _clerk(2, 20), customer_id)


def test_unmasking_identity_needs_its_own_permission(app_ctx):
    customer_id = _create(app_ctx, _clerk(1, 10))
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.reveal_customer(uow, _clerk(1, 10), customer_id, ["identity"], "核实身份信息")


def test_check_blacklist_finds_active_unexpired_entries_and_ignores_expired_ones(app_ctx, system_actor):
    with app_ctx.uow() as uow:
        service.add_blacklist_entry(
            uow,
            system_actor,
            BlacklistCreate(id_number=ID_NUMBER, reason="欺诈", expires_at=datetime.now(UTC) + timedelta(days=30)),
        )
        service.add_blacklist_entry(uow, system_actor, BlacklistCreate(vin="LFV2A21K0P3123456", reason="盗抢"))
        uow.commit()
    with app_ctx.uow() as uow:
        hits = service.check_blacklist(uow, id_number=ID_NUMBER.lower(), vin="lfv2a21k0p3123456", phone="13812345678")
        assert sorted(h.kind for h in hits) == ["id_number", "vin"]
        refusal = service.blacklist_refusal(hits)
        assert {e.field for e in refusal.errors} == {"id_number", "vin"}
    set_clock(lambda: datetime.now(UTC) + timedelta(days=31))
    with app_ctx.uow() as uow:
        assert [h.kind for h in service.check_blacklist(uow, id_number=ID_NUMBER)] == []


def test_an_alert_recorded_for_a_refused_intake_is_kept(app_ctx, system_actor):
    with app_ctx.uow() as uow:
        service.record_alert(uow, system_actor, "blacklist_hit", "id_number 320102********0420", {"entry_id": 1})
        uow.commit()
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(CustomerAlert.kind)).scalars().all() == ["blacklist_hit"]


def test_the_database_refuses_a_second_customer_with_the_same_id_hash(app_ctx, system_actor):
    _create(app_ctx, system_actor)
    with app_ctx.uow() as uow:
        original = uow.session.execute(select(Customer)).scalar_one()
        uow.session.add(
            Customer(
                kind="individual",
                name="复制",
                id_type="resident_id",
                id_number_enc="x",
                id_number_hash=original.id_number_hash,
                id_number_masked="x",
                status="active",
            )
        )
        with pytest.raises(Exception, match="integrity"):
            uow.commit()


def test_demo_customers_are_valid_deterministic_and_loaded_once(app_ctx, test_settings):
    assert demo.demo_people(5) == demo.demo_people(5)
    with app_ctx.uow() as uow:
        demo.load(uow, test_settings)
        uow.commit()
    with app_ctx.uow() as uow:
        demo.load(uow, test_settings)
        uow.commit()
        assert (
            service.list_customers(
                uow, Actor(1, "x", frozenset({"customers.customer.view"}), DataScope.unrestricted())
            )[1]
            == 200
        )
        assert service.list_blacklist(uow, Actor(1, "x", frozenset({"customers.blacklist.view"})))[1] == 3
