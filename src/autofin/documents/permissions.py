"""Permissions of documents (附件); shown in the customers menu group, where most documents are handled."""

from __future__ import annotations

from autofin.kernel.permissions import declare

DOCUMENT_VIEW = declare("documents.view", "查看附件", "View documents", "customers")
DOCUMENT_UPLOAD = declare("documents.upload", "上传/关联附件", "Upload and link documents", "customers")
