"""The documents API: multipart upload, refusals with field problems, one stored copy, the content streamed back."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from tests.unit.documents import samples

from autofin.customers.identity import make_resident_id


@pytest.fixture(autouse=True)
def _empty_file_store(app_ctx):
    shutil.rmtree(app_ctx.settings.files_dir, ignore_errors=True)


def _customer(client, sequence: int = 31) -> int:
    response = client.post(
        "/api/v1/customers",
        json={
            "kind": "individual",
            "name": "孙七",
            "id_type": "resident_id",
            "id_number": make_resident_id("110105", date(1990, 3, 9), sequence),
            "phone": f"1391234{sequence:04d}",
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _upload(client, owner_id: int, data: bytes, name: str = "photo.png", kind: str = "id_photo",
            owner_type: str = "customer", content_type: str = "image/png"):
    return client.post(
        "/api/v1/documents",
        data={"kind": kind, "owner_type": owner_type, "owner_id": str(owner_id)},
        files={"file": (name, data, content_type)},
    )


def test_an_uploaded_image_comes_back_byte_for_byte_inline_with_its_sniffed_type(admin_client):
    customer_id = _customer(admin_client)
    data = samples.png()
    response = _upload(admin_client, customer_id, data, name="身份证.pdf", content_type="application/pdf")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["media_type"] == "image/png" and document["original_filename"] == "身份证.pdf"
    content = admin_client.get(f"/api/v1/documents/{document['id']}/content")
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "image/png"
    assert content.headers["content-disposition"].startswith("inline;")
    assert content.headers["x-content-type-options"] == "nosniff"


def test_a_pdf_is_streamed_as_a_pdf(admin_client):
    customer_id = _customer(admin_client)
    response = _upload(admin_client, customer_id, samples.pdf(), name="contract.pdf", kind="contract")
    assert response.status_code == 201, response.text
    content = admin_client.get(f"/api/v1/documents/{response.json()['id']}/content")
    assert content.headers["content-type"] == "application/pdf" and content.content == samples.pdf()


def test_a_renamed_executable_is_refused_with_a_problem_naming_the_file(admin_client):
    customer_id = _customer(admin_client)
    response = _upload(admin_client, customer_id, samples.exe(), name="invoice.pdf", kind="invoice",
                       content_type="application/pdf")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "documents.file.type_refused"
    assert [e["field"] for e in problem["errors"]] == ["file"]
    assert "PDF" in problem["detail"]


def test_refusals_speak_english_when_asked(admin_client):
    customer_id = _customer(admin_client)
    response = admin_client.post(
        "/api/v1/documents",
        data={"kind": "invoice", "owner_type": "customer", "owner_id": str(customer_id)},
        files={"file": ("a.gif", samples.gif(), "image/gif")},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "only JPEG, PNG or WebP images and PDF documents" in response.json()["detail"]


def test_a_file_over_the_limit_is_refused(admin_client):
    customer_id = _customer(admin_client)
    created = admin_client.post(
        "/api/v1/platform/parameters", json={"key": "documents.max_bytes", "value_type": "integer", "value": 64}
    )
    assert created.status_code == 201, created.text
    response = _upload(admin_client, customer_id, samples.pdf(), name="big.pdf", kind="contract")
    assert response.status_code == 422
    assert response.json()["code"] == "documents.file.too_large"


def test_the_same_file_uploaded_twice_is_stored_once(admin_client, app_ctx):
    first_owner = _customer(admin_client, 31)
    second_owner = _customer(admin_client, 32)
    data = samples.png(6, 6)
    first = _upload(admin_client, first_owner, data).json()
    second = _upload(admin_client, second_owner, data, name="copy.png").json()
    assert first["id"] == second["id"] and second["reused"] is True
    stored = [p for p in Path(app_ctx.settings.files_dir).rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [first["sha256"]]
    listed = admin_client.get("/api/v1/documents", params={"owner_type": "customer", "owner_id": second_owner})
    assert listed.status_code == 200
    assert listed.json()["count"] == 1 and listed.json()["data"][0]["original_filename"] == "copy.png"


def test_without_the_view_permission_the_content_is_forbidden(admin_client, make_user, auth_headers, client):
    customer_id = _customer(admin_client)
    document = _upload(admin_client, customer_id, samples.pdf(), kind="contract").json()
    make_user("nodocs", role_codes=[])
    headers = auth_headers(client, "nodocs")
    assert client.get(f"/api/v1/documents/{document['id']}/content", headers=headers).status_code == 403
    assert _upload(client, customer_id, samples.png()).status_code in (401, 403)


def test_a_missing_file_part_or_owner_is_a_field_problem(admin_client):
    response = admin_client.post(
        "/api/v1/documents", data={"kind": "invoice", "owner_type": "customer", "owner_id": "1"}
    )
    assert response.status_code == 422
    assert any(e["field"].endswith("file") for e in response.json()["errors"])
    customer_id = _customer(admin_client)
    response = _upload(admin_client, customer_id + 999, samples.png())
    assert response.status_code == 404
