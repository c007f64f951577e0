"""Pure helpers of document storage: sniffing the type from the content, content-addressed paths, file names.

Nothing here touches the database; :mod:`autofin.documents.service` uses these and they are unit-tested alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import quote

import filetype

# media type → file extension; everything else is refused
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
IMAGE_TYPES = frozenset(t for t in ALLOWED_TYPES if t.startswith("image/"))
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def sniff(data: bytes) -> str | None:
    """The media type the content really has (by its magic bytes), whatever its name says; None if unknown."""
    guess = filetype.guess(data[:8192])
    return str(guess.mime) if guess is not None else None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def storage_path(root: Path, sha256: str) -> Path:
    """Where content with this hash lives: ``root/ab/abcdef…`` (two-character fan-out)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root / sha256[:2] / sha256


def write_once(root: Path, sha256: str, data: bytes) -> Path:
    """Store ``data`` under its hash unless it is already there (atomically: temp file, then rename)."""
    path = storage_path(root, sha256)
    if path.exists() and path.stat().st_size == len(data):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def clean_filename(name: str | None, extension: str) -> str:
    """The name the user gave, without any path, control or reserved characters; a neutral one when nothing is left."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._")
    if not base:
        base = f"document.{extension}"
    if len(base) > MAX_FILENAME:
        stem, dot, ext = base.rpartition(".")
        keep = MAX_FILENAME - len(ext) - 1 if dot and len(ext) <= 8 else MAX_FILENAME
        base = (stem[:keep] + "." + ext) if dot and len(ext) <= 8 else base[:keep]
    return base


def content_disposition(filename: str, media_type: str) -> str:
    """``inline`` for images and PDF (shown in the browser), ``attachment`` otherwise; UTF-8 names per RFC 6266."""
    disposition = "inline" if media_type in ALLOWED_TYPES else "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
