"""The documents widget of the console: upload, list and preview the documents of one owner.

``documents_panel(ctx, owner_type, owner_id)`` is drawn by the customer and vehicle pages. Previews load from
``/console/documents/{id}/content``, which resolves the console session and calls ``documents.service.open_document``
(permission, data scope and the audit row of a personal document), exactly like the API's content route.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse, Response
from nicegui import app as nicegui_app
from nicegui import ui

from autofin.console import i18n, session
from autofin.console.i18n import t
from autofin.console.services import call
from autofin.console.session import PageContext
from autofin.console.widgets import confirm, fmt_time, section_title
from autofin.db.uow import UnitOfWork
from autofin.documents.permissions import DOCUMENT_UPLOAD, DOCUMENT_VIEW
from autofin.documents.storage import ALLOWED_TYPES, IMAGE_TYPES, content_disposition
from autofin.kernel.actor import Actor
from autofin.kernel.errors import DomainError

CONTENT_ROUTE = "/console/documents/{document_id}/content"
KINDS = ("id_photo", "invoice", "appraisal_report", "vehicle_photo", "contract", "other")
ACCEPT = ",".join(f".{ext}" for ext in sorted(set(ALLOWED_TYPES.values()) | {"jpeg"}))

_registered: dict[str, bool] = {}


def register_pages() -> None:
    """The content route of previews (the widget itself is drawn by other pages)."""
    if not _registered.get("content"):
        nicegui_app.add_api_route(CONTENT_ROUTE, document_content, methods=["GET"], include_in_schema=False)
        _registered["content"] = True


def content_url(document_id: int) -> str:
    return CONTENT_ROUTE.format(document_id=document_id)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


def kind_label(kind: str) -> str:
    key = f"documents.kind.{kind}"
    return t(key) if key in i18n.MESSAGES else kind


async def document_content(request: Request, document_id: int) -> Response:
    """The stored file for the signed-in console user (inline), or a plain refusal in the user's language."""
    context = session.load_context(request)
    if context is None:
        return PlainTextResponse(i18n.t("login.expired"), status_code=401)
    try:
        with context.autofin.uow() as uow:
            actor = context.resolve(uow)
            opened = call("documents", "open_document", uow, actor, document_id)
            uow.commit()
    except session.SessionEnded:
        return PlainTextResponse(i18n.t("login.expired"), status_code=401)
    except DomainError as exc:
        return PlainTextResponse(i18n.text(exc.message), status_code=exc.status)
    return FileResponse(
        opened.path,
        media_type=opened.media_type,
        headers={
            "Content-Disposition": content_disposition(opened.filename, opened.media_type),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _rows(uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: int) -> list[dict[str, Any]]:
    items, _total = call("documents", "list_documents", uow, actor, owner_type, owner_id, size=200)
    return [
        {
            "id": d.id, "kind": d.kind, "media_type": d.media_type, "size": d.size, "name": d.original_filename,
            "by": d.uploaded_by_name, "at": fmt_time(d.created_at), "image": d.media_type in IMAGE_TYPES,
        }
        for d in items
    ]


def preview_dialog(row: dict[str, Any]) -> None:
    """The document large: the image itself, or the PDF in the browser's viewer."""
    url = content_url(row["id"])
    with ui.dialog() as dialog, ui.card().style("width: 60rem; max-width: 96vw").classes("gap-2"):
        with ui.row().classes("w-full items-center"):
            ui.label(row["name"]).classes("text-h6 ellipsis").style("max-width: 44rem")
            ui.space()
            ui.link(t("documents.open_new_tab"), url, new_tab=True).classes("text-sm")
            ui.button(icon="close", on_click=dialog.close).props("flat round dense")
        if row["image"]:
            ui.image(url).classes("w-full").style("max-height: 75vh").props(
                'fit=contain data-testid="document-preview-image"'
            )
        else:
            ui.element("iframe").props(f'src="{url}" data-testid="document-preview-pdf"').style(
                "width: 100%; height: 75vh; border: 0"
            )
    dialog.open()


def documents_panel(ctx: PageContext, owner_type: str, owner_id: int, *, default_kind: str = "other") -> None:
    """A card listing the owner's documents as thumbnails, with an upload box for permission holders."""
    if not ctx.actor.can(DOCUMENT_VIEW):
        return
    can_upload = ctx.actor.can(DOCUMENT_UPLOAD)

    @ui.refreshable
    def gallery() -> None:
        rows = ctx.read(lambda uow, actor: _rows(uow, actor, owner_type, owner_id), [])
        if not rows:
            ui.label(t("documents.none")).classes("text-grey-6")
            return
        with ui.row().classes("w-full gap-3"):
            for row in rows:
                _tile(row)

    def _tile(row: dict[str, Any]) -> None:
        with ui.card().classes("w-48 q-pa-sm gap-1").props(f'flat bordered data-document="{row["id"]}"'):
            with ui.element("div").classes("w-full cursor-pointer").on("click", lambda r=row: preview_dialog(r)):
                if row["image"]:
                    ui.image(content_url(row["id"])).classes("w-full h-28 rounded-borders").props(
                        'fit=cover data-testid="document-thumbnail"'
                    )
                else:
                    with ui.column().classes("w-full h-28 items-center justify-center bg-grey-2 rounded-borders"):
                        ui.icon("picture_as_pdf", color="negative").classes("text-5xl")
            ui.label(row["name"]).classes("text-body2 ellipsis w-full").tooltip(row["name"])
            ui.label(f"{kind_label(row['kind'])} · {human_size(row['size'])}").classes("text-caption text-grey-7")
            ui.label(f"{row['by']} · {row['at']}").classes("text-caption text-grey-6")
            with ui.row().classes("w-full gap-1"):
                ui.button(t("documents.preview"), icon="visibility", on_click=lambda r=row: preview_dialog(r)).props(
                    'flat dense no-caps size=sm color=primary data-action="preview"'
                )
                if can_upload:
                    ui.button(icon="link_off", on_click=lambda r=row: unlink(r)).props(
                        'flat dense round size=sm color=negative data-action="unlink"'
                    ).tooltip(t("documents.unlink"))

    def unlink(row: dict[str, Any]) -> None:
        def go() -> None:
            done = ctx.call(
                lambda uow, actor: call("documents", "unlink_document", uow, actor, row["id"], owner_type, owner_id)
                or True,
                success=t("common.done"),
            )
            if done:
                gallery.refresh()

        confirm(t("documents.unlink_q", name=row["name"]), go, danger=True)

    ui.add_head_html(
        "<style>.af-upload .q-uploader__list{display:none}.af-upload{max-height:none}</style>", shared=False
    )
    with ui.card().classes("w-full").props('flat bordered data-testid="documents-panel"'):
        with ui.row().classes("w-full items-center gap-3"):
            section_title(t("documents.title"))
            ui.space()
            if can_upload:
                kind = ui.select(
                    {k: kind_label(k) for k in KINDS}, value=default_kind, label=t("documents.kind")
                ).props('dense outlined options-dense data-testid="document-kind"').classes("w-40")

                async def handle(event: Any) -> None:
                    data = await event.file.read()
                    name = event.file.name
                    chosen = kind.value or default_kind
                    done = ctx.call(
                        lambda uow, actor: call(
                            "documents", "store_document", uow, actor, data, name, chosen, owner_type, owner_id
                        ).id,
                        success=t("documents.uploaded", name=name),
                    )
                    upload.reset()
                    if done:
                        gallery.refresh()

                upload = ui.upload(on_upload=handle, auto_upload=True, label=t("documents.upload")).props(
                    f'accept="{ACCEPT}" flat bordered dense data-testid="document-upload"'
                ).classes("w-64 af-upload")
        ui.label(t("documents.hint")).classes("text-caption text-grey-6")
        gallery()
