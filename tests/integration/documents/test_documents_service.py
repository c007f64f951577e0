"""Documents at the service level: what is refused, where the bytes go, who may see and open them."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.unit.documents import samples

from autofin.audit.models import AuditEvent
from autofin.bootstrap import App
from autofin.customers import service as customers
from autofin.customers.identity import make_resident_id
from autofin.customers.schemas import CustomerCreate
from autofin.documents import service
from autofin.documents.models import Document, DocumentLink
from autofin.kernel.actor import Actor, DataScope
from autofin.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from autofin.platform import service as platform
from autofin.platform.schemas import ParameterCreate
from autofin.vehicles import service as vehicles
from autofin.vehicles.schemas import VehicleCreate
from autofin.vehicles.vin import make_vin

VIEW_UPLOAD = frozenset({"documents.view", "documents.upload", "customers.customer.view", "vehicles.vehicle.view"})


@pytest.fixture(autouse=True)
def _empty_file_store(app_ctx: App) -> None:
    """The file store belongs to the test session's data directory: start each test with it empty."""
    shutil.rmtree(app_ctx.settings.files_dir, ignore_errors=True)


def _clerk(department_id: int, permissions: frozenset[str] = VIEW_UPLOAD, user_id: int = 7) -> Actor:
    return Actor(
        user_id=user_id,
        username=f"clerk{user_id}",
        permissions=permissions,
        scope=DataScope(department_ids=frozenset({department_id})),
        department_id=department_id,
    )


def _customer(app_ctx: App, actor: Actor, sequence: int = 41, department_id: int | None = None) -> int:
    with app_ctx.uow() as uow:
        customer = customers.create_customer(
            uow,
            actor,
            CustomerCreate(
                kind="individual",
                name="赵六",
                id_number=make_resident_id("320102", date(1988, 6, 1), sequence),
                phone=f"1371234{sequence:04d}",
                department_id=department_id,
            ),
        )
        uow.commit()
        return customer.id


def _vehicle(app_ctx: App, actor: Actor) -> int:
    with app_ctx.uow() as uow:
        vehicle = vehicles.create_vehicle(
            uow, actor, VehicleCreate(vin=make_vin("LGXC16DF", "R", "1", "000077"), invoice_price="150000.00")
        )
        uow.commit()
        return vehicle.id


def _store(app_ctx: App, actor: Actor, data: bytes, owner: tuple[str, int], name: str = "photo.png",
           kind: str = "vehicle_photo") -> service.DocumentItem:
    with app_ctx.uow() as uow:
        item = service.store_document(uow, actor, data, name, kind, owner[0], owner[1])
        uow.commit()
        return item


def _files(app_ctx: App) -> list[Path]:
    root = Path(app_ctx.settings.files_dir)
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")] if root.exists() else []


def test_an_image_is_stored_under_its_hash_with_the_type_read_from_its_content(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    data = samples.png()
    item = _store(app_ctx, system_actor, data, ("customer", customer_id), name="scan.pdf", kind="id_photo")
    assert item.media_type == "image/png"  # the name said PDF; the bytes say PNG
    stored = Path(app_ctx.settings.files_dir) / item.sha256[:2] / item.sha256
    assert stored.read_bytes() == data
    assert item.owner_type == "customer" and item.owner_id == customer_id and item.kind == "id_photo"


@pytest.mark.parametrize("data", [samples.gif(), samples.exe(), b"plain text pretending to be a PDF"])
def test_anything_but_jpeg_png_webp_or_pdf_is_refused_naming_the_file(app_ctx, system_actor, data):
    customer_id = _customer(app_ctx, system_actor)
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as refused:
        service.store_document(uow, system_actor, data, "evil.pdf", "invoice", "customer", customer_id)
    assert refused.value.code == "documents.file.type_refused"
    assert [e.field for e in refused.value.errors] == ["file"]
    assert _files(app_ctx) == []


def test_a_file_over_the_configured_limit_is_refused_and_nothing_is_written(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    with app_ctx.uow() as uow:
        platform.create_parameter(
            uow, system_actor, ParameterCreate(key="documents.max_bytes", value_type="integer", value=100)
        )
        uow.commit()
    with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as refused:
        service.store_document(uow, system_actor, samples.pdf(), "big.pdf", "contract", "customer", customer_id)
    assert refused.value.code == "documents.file.too_large"
    assert _files(app_ctx) == []
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Document)).scalar_one() == 0


def test_the_default_limit_is_ten_megabytes(app_ctx):
    with app_ctx.uow() as uow:
        assert service.max_bytes(uow) == 10 * 1024 * 1024


def test_an_empty_file_an_unknown_kind_and_an_unknown_owner_type_are_refused(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    cases = [
        (b"", "invoice", "customer", "file"),
        (samples.png(), "selfie", "customer", "kind"),
        (samples.png(), "invoice", "dealer", "owner_type"),
    ]
    for data, kind, owner_type, field in cases:
        with app_ctx.uow() as uow, pytest.raises(ValidationFailed) as refused:
            service.store_document(uow, system_actor, data, "x.png", kind, owner_type, customer_id)
        assert [e.field for e in refused.value.errors] == [field]


def test_the_same_content_uploaded_twice_is_stored_once_and_linked_to_both_owners(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    vehicle_id = _vehicle(app_ctx, system_actor)
    data = samples.png()
    first = _store(app_ctx, system_actor, data, ("customer", customer_id), kind="id_photo")
    second = _store(app_ctx, system_actor, data, ("vehicle", vehicle_id), name="again.png")
    again = _store(app_ctx, system_actor, data, ("vehicle", vehicle_id), name="third.png")
    assert first.id == second.id == again.id and not first.reused and second.reused
    assert len(_files(app_ctx)) == 1
    with app_ctx.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Document)).scalar_one() == 1
        assert uow.session.execute(select(func.count()).select_from(DocumentLink)).scalar_one() == 2
        rows, total = service.list_documents(uow, system_actor, "vehicle", vehicle_id)
    assert total == 1 and rows[0].original_filename == "again.png"


def test_an_owner_outside_the_actors_data_scope_cannot_receive_or_show_documents(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor, department_id=10)
    item = _store(app_ctx, _clerk(10), samples.pdf(), ("customer", customer_id), name="合同.pdf", kind="contract")
    outsider = _clerk(20, user_id=8)
    with app_ctx.uow() as uow:
        with pytest.raises(NotFound):
            service.store_document(uow, outsider, samples.png(), "x.png", "other", "customer", customer_id)
        with pytest.raises(NotFound):
            service.list_documents(uow, outsider, "customer", customer_id)
        with pytest.raises(NotFound):
            service.open_document(uow, outsider, item.id)


def test_uploading_and_viewing_need_their_permissions(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    item = _store(app_ctx, system_actor, samples.pdf(), ("customer", customer_id), kind="contract")
    viewer = _clerk(0, frozenset({"documents.view", "customers.customer.view"}))
    viewer = Actor(user_id=9, username="viewer", permissions=viewer.permissions, scope=DataScope.unrestricted())
    nobody = Actor(user_id=10, username="nobody", permissions=frozenset({"customers.customer.view"}),
                   scope=DataScope.unrestricted())
    with app_ctx.uow() as uow:
        with pytest.raises(PermissionDenied):
            service.store_document(uow, viewer, samples.png(), "x.png", "other", "customer", customer_id)
        with pytest.raises(PermissionDenied):
            service.list_documents(uow, nobody, "customer", customer_id)
        assert service.list_documents(uow, viewer, "customer", customer_id)[1] == 1
        assert service.open_document(uow, viewer, item.id).path.read_bytes() == samples.pdf()


def test_an_id_photo_opens_only_for_holders_of_the_identity_unmask_right_and_every_opening_is_audited(
    app_ctx, system_actor
):
    customer_id = _customer(app_ctx, system_actor)
    item = _store(app_ctx, system_actor, samples.jpeg(), ("customer", customer_id), name="id.jpg", kind="id_photo")
    plain = Actor(user_id=9, username="viewer", permissions=frozenset({"documents.view", "customers.customer.view"}),
                  scope=DataScope.unrestricted())
    with app_ctx.uow() as uow, pytest.raises(PermissionDenied):
        service.open_document(uow, plain, item.id)
    with app_ctx.uow() as uow:
        opened = service.open_document(uow, system_actor, item.id)
        uow.commit()
    assert opened.media_type == "image/jpeg" and opened.filename == "id.jpg"
    with app_ctx.uow() as uow:
        actions = uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_type == "document").order_by(AuditEvent.sequence)
        ).scalars().all()
    assert actions == ["documents.document.upload", "documents.document.open"]


def test_a_document_can_be_linked_to_another_owner_and_unlinked_again(app_ctx, system_actor):
    customer_id = _customer(app_ctx, system_actor)
    vehicle_id = _vehicle(app_ctx, system_actor)
    item = _store(app_ctx, system_actor, samples.pdf(), ("vehicle", vehicle_id), name="发票.pdf", kind="invoice")
    with app_ctx.uow() as uow:
        linked = service.link_document(uow, system_actor, item.id, "customer", customer_id)
        uow.commit()
    assert linked.kind == "invoice" and linked.original_filename == "发票.pdf"
    with app_ctx.uow() as uow:
        service.unlink_document(uow, system_actor, item.id, "vehicle", vehicle_id)
        uow.commit()
    with app_ctx.uow() as uow:
        assert service.list_documents(uow, system_actor, "vehicle", vehicle_id)[1] == 0
        assert service.list_documents(uow, system_actor, "customer", customer_id)[1] == 1
        with pytest.raises(NotFound):
            service.unlink_document(uow, system_actor, item.id, "vehicle", vehicle_id)
