"""HTTP routes of documents: multipart upload, the list of an owner's documents, the content, links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from autofin.api.deps import ActorDep, PageDep, UowDep
from autofin.documents import service, storage
from autofin.documents.schemas import DocumentPublic, LinkCreate
from autofin.schemas import ListResponse

router = APIRouter(prefix="/api/v1", tags=["documents"])
DocumentId = Annotated[int, Path(ge=1)]


@router.post("/documents", status_code=201, response_model=DocumentPublic)
def upload_document(
    uow: UowDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=32)],
    owner_type: Annotated[str, Form(max_length=24)],
    owner_id: Annotated[int, Form(ge=1)],
) -> DocumentPublic:
    limit = service.max_bytes(uow)
    data = file.file.read(limit + 1)  # one byte more than allowed is enough to refuse it
    item = service.store_document(uow, actor, data, file.filename, kind, owner_type, owner_id)
    uow.commit()
    return DocumentPublic.model_validate(item)


@router.get("/documents", response_model=ListResponse[DocumentPublic])
def list_documents(
    uow: UowDep,
    actor: ActorDep,
    paging: PageDep,
    owner_type: Annotated[str, Query(max_length=24)],
    owner_id: Annotated[int, Query(ge=1)],
) -> ListResponse[DocumentPublic]:
    rows, total = service.list_documents(uow, actor, owner_type, owner_id, page=paging.page, size=paging.size)
    return ListResponse[DocumentPublic](data=[DocumentPublic.model_validate(r) for r in rows], count=total)


@router.get("/documents/{document_id}/content", response_class=FileResponse)
def document_content(document_id: DocumentId, uow: UowDep, actor: ActorDep) -> FileResponse:
    opened = service.open_document(uow, actor, document_id)
    uow.commit()  # the audit row of a personal document
    return FileResponse(
        opened.path,
        media_type=opened.media_type,
        headers={
            "Content-Disposition": storage.content_disposition(opened.filename, opened.media_type),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{opened.sha256}"',
        },
    )


@router.post("/documents/{document_id}/links", status_code=201, response_model=DocumentPublic)
def link_document(document_id: DocumentId, body: LinkCreate, uow: UowDep, actor: ActorDep) -> DocumentPublic:
    item = service.link_document(uow, actor, document_id, body.owner_type, body.owner_id, body.kind)
    uow.commit()
    return DocumentPublic.model_validate(item)


@router.delete("/documents/{document_id}/links", status_code=204)
def unlink_document(
    document_id: DocumentId,
    uow: UowDep,
    actor: ActorDep,
    owner_type: Annotated[str, Query(max_length=24)],
    owner_id: Annotated[int, Query(ge=1)],
) -> Response:
    service.unlink_document(uow, actor, document_id, owner_type, owner_id)
    uow.commit()
    return Response(status_code=204)
