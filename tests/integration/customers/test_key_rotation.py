"""Rotating the field encryption key: old values keep decrypting, the monthly job re-seals them under the new key."""

from __future__ import annotations

import base64
import os
from datetime import date

import pytest
from sqlalchemy import text

from autofin.bootstrap import App
from autofin.customers import jobs, service
from autofin.customers.identity import make_resident_id
from autofin.customers.schemas import BlacklistCreate, ContactCreate, CustomerCreate
from autofin.kernel.crypto import FieldCipher, key_id
from autofin.platform.service import declared_jobs, run_job
from autofin.settings import Settings

PHONES = ("13712345678", "13912345678")


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _with_keys(app: App, current: bytes, previous: tuple[bytes, ...] = ()) -> App:
    base = app.settings.model_dump()
    base.update(field_encryption_key=_b64(current), previous_field_encryption_keys=",".join(map(_b64, previous)))
    return App(settings=Settings(**base), engine=app.engine, session_factory=app.session_factory)


def _stored(app: App) -> list[str]:
    with app.engine.connect() as connection:
        rows = [*connection.execute(text("SELECT id_number_enc, phone_enc, address_enc FROM customers"))]
        rows += [*connection.execute(text("SELECT phone_enc FROM customer_contacts"))]
        rows += [*connection.execute(text("SELECT value_enc FROM blacklist_entries"))]
    return [value for row in rows for value in row if value is not None]


def test_the_reencryption_job_is_declared_monthly():
    spec = next(s for s in declared_jobs() if s.name == "customers.reencrypt_personal_data")
    assert spec.default_cron == "0 3 1 * *"


def test_previous_keys_must_be_32_bytes_each():
    assert service.previous_keys("") == ()
    assert service.previous_keys(f" {_b64(b'a' * 32)} ,") == (b"a" * 32,)
    with pytest.raises(ValueError):
        service.previous_keys(_b64(b"short"))


def test_after_a_rotation_old_values_still_read_and_the_job_reseals_them_under_the_new_key(
    app_ctx, system_actor, monkeypatch
):
    key_a, key_b = os.urandom(32), os.urandom(32)
    app_a = _with_keys(app_ctx, key_a)
    ids = []
    with app_a.uow() as uow:
        for index, phone in enumerate(PHONES):
            customer = service.create_customer(uow, system_actor, CustomerCreate(
                kind="individual", name=f"王{index}", id_number=make_resident_id("320102", date(1985, 2, 3), index),
                phone=phone, address="南京市玄武区中山路1号",
            ))
            ids.append(customer.id)
        contact = ContactCreate(name="李四", relation="spouse", phone="13600001111")
        service.add_contact(uow, system_actor, ids[0], contact)
        service.add_blacklist_entry(uow, system_actor, BlacklistCreate(phone="13500002222", reason="欺诈"))
        uow.commit()
    assert all(value.startswith(key_id(key_a) + ":") for value in _stored(app_ctx))

    app_b = _with_keys(app_ctx, key_b, previous=(key_a,))
    with app_b.uow() as uow:  # reads still work, and exact search by phone still finds the customer
        customer = service.get_customer(uow, system_actor, ids[1])
        assert service.reveal_fields(uow, customer, "contact")["phone"] == PHONES[1]
        found, count = service.list_customers(uow, system_actor, q=PHONES[1])
        assert count == 1 and found[0].id == ids[1]

    monkeypatch.setattr(jobs, "BATCH_SIZE", 1)
    run = run_job(app_b, "customers.reencrypt_personal_data", trigger="manual")
    assert run is not None and run.status == "succeeded", run and run.error
    assert run.counts["reencrypted"] == 4 and run.counts["customers"] == 2

    stored = _stored(app_ctx)
    assert len(stored) == 8 and all(value.startswith(key_id(key_b) + ":") for value in stored)
    only_b = FieldCipher(key_b)
    with app_ctx.engine.connect() as connection:
        phones = connection.execute(text("SELECT phone_enc FROM customers ORDER BY id")).scalars().all()
    assert [only_b.decrypt(value, service.CTX_PHONE) for value in phones] == list(PHONES)
    with app_b.uow() as uow:
        found, count = service.list_customers(uow, system_actor, q=PHONES[0])
        assert count == 1 and found[0].id == ids[0]
    only_new_key = _with_keys(app_ctx, key_b)  # the old key retired altogether: search and reads still work
    with only_new_key.uow() as uow:
        found, count = service.list_customers(uow, system_actor, q=PHONES[1])
        assert count == 1 and service.reveal_fields(uow, found[0], "contact")["phone"] == PHONES[1]

    again = run_job(app_b, "customers.reencrypt_personal_data", trigger="manual")
    assert again is not None and again.counts["reencrypted"] == 0
