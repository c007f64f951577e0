"""Content-addressed file storage under ``settings.files_dir``: a file is named by its SHA-256.

Writing the same bytes twice stores them once; reading checks the hash, so a damaged file is noticed. A file
written by a transaction that then rolls back stays as an unreferenced blob (harmless, same bytes next time).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_for(files_dir: Path, sha256: str) -> Path:
    if not _SHA.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return files_dir / "sha256" / sha256[:2] / sha256[2:4] / sha256


def store_bytes(files_dir: Path, data: bytes) -> str:
    """Store ``data`` (atomically, once) and return its SHA-256 hex digest."""
    digest = sha256_hex(data)
    target = path_for(files_dir, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


def read_bytes(files_dir: Path, sha256: str) -> bytes | None:
    """The stored bytes of ``sha256``, or ``None`` when missing or no longer matching their hash."""
    target = path_for(files_dir, sha256)
    if not target.exists():
        return None
    data = target.read_bytes()
    return data if sha256_hex(data) == sha256 else None
