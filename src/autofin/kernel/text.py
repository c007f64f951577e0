"""Small helpers for people-facing text: masking personal data before it is shown or logged."""

from __future__ import annotations


def mask_middle(value: str, keep_start: int, keep_end: int, fill: str = "*") -> str:
    """Keep the first and last characters, hide the rest (ID 6+4, phone 3+4, card BIN+4)."""
    if len(value) <= keep_start + keep_end:
        return fill * len(value)
    return value[:keep_start] + fill * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]
