"""Document storage helpers: the type comes from the content, paths from the hash, names are made safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.documents import samples

from autofin.documents import storage


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.png(), "image/png"),
        (samples.jpeg(), "image/jpeg"),
        (samples.pdf(), "application/pdf"),
        (samples.gif(), "image/gif"),
        (b"just some text, not a file type", None),
    ],
)
def test_the_media_type_is_read_from_the_content(data: bytes, expected: str | None) -> None:
    assert storage.sniff(data) == expected


def test_only_jpeg_png_webp_and_pdf_are_allowed() -> None:
    assert set(storage.ALLOWED_TYPES) == {"image/jpeg", "image/png", "image/webp", "application/pdf"}
    assert "image/gif" not in storage.ALLOWED_TYPES


def test_content_lives_under_a_two_character_fan_out_of_its_hash(tmp_path: Path) -> None:
    digest = storage.sha256_of(b"hello")
    assert storage.storage_path(tmp_path, digest) == tmp_path / digest[:2] / digest


def test_a_path_is_never_built_from_anything_but_a_hash(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        storage.storage_path(tmp_path, "../../etc/passwd")


def test_the_same_content_is_written_once(tmp_path: Path) -> None:
    data = samples.png()
    digest = storage.sha256_of(data)
    first = storage.write_once(tmp_path, digest, data)
    stamp = first.stat().st_mtime_ns
    second = storage.write_once(tmp_path, digest, data)
    assert first == second and second.read_bytes() == data and second.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("身份证正面.png", "身份证正面.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\invoice.pdf", "invoice.pdf"),
        ("bad\x00name\n.pdf", "bad_name_.pdf"),
        ("", "document.png"),
        (None, "document.png"),
        ("...", "document.png"),
    ],
)
def test_a_file_name_keeps_only_its_last_part_without_unsafe_characters(given: str | None, expected: str) -> None:
    assert storage.clean_filename(given, "png") == expected


def test_a_very_long_name_is_cut_but_keeps_its_extension() -> None:
    name = storage.clean_filename("a" * 400 + ".pdf", "pdf")
    assert len(name) == storage.MAX_FILENAME and name.endswith(".pdf")


def test_images_and_pdfs_open_inline_with_their_unicode_name() -> None:
    header = storage.content_disposition("发票.pdf", "application/pdf")
    assert header.startswith("inline;")
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" in header


def test_other_types_would_download_instead_of_opening() -> None:
    assert storage.content_disposition("x.bin", "application/octet-stream").startswith("attachment;")
