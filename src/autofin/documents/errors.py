"""Errors of the documents domain, bilingual, with stable codes."""

from __future__ import annotations

from autofin.kernel.errors import FieldError, NotFound, Text, ValidationFailed


def _field(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    text = Text(en, zh)
    return ValidationFailed(code, text, [FieldError(field, text)])


def empty_file() -> ValidationFailed:
    return _field(
        "file", "documents.file.empty", "The file is empty; choose the file again.", "文件为空，请重新选择文件。"
    )


def too_large(size: int, limit: int) -> ValidationFailed:
    return _field(
        "file",
        "documents.file.too_large",
        f"The file is {_human(size)}; documents may be at most {_human(limit)}. Compress or split it.",
        f"文件大小为 {_human(size)}，附件最大允许 {_human(limit)}，请压缩或拆分后上传。",
    )


def type_refused(detected: str | None) -> ValidationFailed:
    what = detected or "unknown"
    return _field(
        "file",
        "documents.file.type_refused",
        f"This file's content is {what}; only JPEG, PNG or WebP images and PDF documents are accepted.",
        f"文件实际类型为 {what}，仅接受 JPEG、PNG、WebP 图片和 PDF 文档。",
    )


def bad_kind(kind: str, allowed: list[str]) -> ValidationFailed:
    return _field(
        "kind",
        "documents.kind.invalid",
        f"Unknown document kind '{kind}'; use one of {', '.join(allowed)}.",
        f"附件类别“{kind}”无效，可选：{'、'.join(allowed)}。",
    )


def bad_owner_type(owner_type: str, allowed: list[str]) -> ValidationFailed:
    return _field(
        "owner_type",
        "documents.owner_type.invalid",
        f"Documents can be attached to {', '.join(allowed)}, not '{owner_type}'.",
        f"附件只能关联到 {'、'.join(allowed)}，不能关联到“{owner_type}”。",
    )


def not_found(document_id: int) -> NotFound:
    return NotFound(
        "documents.document.not_found",
        Text(
            f"Document {document_id} does not exist or is not attached to anything you may see.",
            f"附件 {document_id} 不存在或不在您的数据权限范围内。",
        ),
    )


def link_not_found(document_id: int, owner_type: str, owner_id: int) -> NotFound:
    return NotFound(
        "documents.link.not_found",
        Text(
            f"Document {document_id} is not attached to {owner_type} {owner_id}.",
            f"附件 {document_id} 未关联到 {owner_type} {owner_id}。",
        ),
    )


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"
