"""Small helpers for people-facing text: masking personal data before it is shown or logged, and reading the
text files people upload."""

from __future__ import annotations


def mask_middle(value: str, keep_start: int, keep_end: int, fill: str = "*") -> str:
    """Keep the first and last characters, hide the rest (ID 6+4, phone 3+4, card BIN+4)."""
    if len(value) <= keep_start + keep_end:
        return fill * len(value)
    return value[:keep_start] + fill * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


#: Chinese banks export CSV as UTF-8 (often with a BOM) or GB18030 (Excel on a Chinese Windows).
UPLOAD_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_upload(content: bytes) -> str | None:
    """An uploaded text file as text, or None when it is in neither encoding (the caller says so in its words)."""
    for encoding in UPLOAD_ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
