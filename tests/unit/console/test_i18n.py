"""Every console label exists in Chinese and English, and the language choice falls back to Chinese."""

from __future__ import annotations

import re

import pytest

from autofin.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, normalise, translate

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_label_has_a_chinese_and_an_english_text(key: str) -> None:
    chinese, english = MESSAGES[key]
    assert chinese.strip(), f"{key} has no Chinese text"
    assert english.strip(), f"{key} has no English text"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_of_a_label_fill_in_the_same_values(key: str) -> None:
    chinese, english = MESSAGES[key]
    assert set(PLACEHOLDER.findall(chinese)) == set(PLACEHOLDER.findall(english))


def test_chinese_is_the_default_and_english_is_the_second_language() -> None:
    assert DEFAULT_LANGUAGE == "zh-CN"
    assert list(LANGUAGES) == ["zh-CN", "en"]
    assert normalise(None) == "zh-CN"
    assert normalise("fr") == "zh-CN"
    assert normalise("en-US") == "en"


def test_a_label_is_shown_in_the_chosen_language_with_its_values() -> None:
    assert translate("common.total", "zh-CN", count=3) == "共 3 条"
    assert translate("common.total", "en", count=3) == "3 in total"


def test_a_missing_label_shows_its_key_instead_of_failing() -> None:
    assert translate("no.such.label", "en") == "no.such.label"


def test_every_label_used_by_the_console_pages_is_in_the_table() -> None:
    """Keys written literally in the console and page modules (t("...")) all exist."""
    from pathlib import Path

    import autofin

    root = Path(autofin.__file__).parent
    files = [*root.joinpath("console").glob("*.py"), root / "org" / "console.py", root / "audit" / "console.py",
             root / "platform" / "console.py"]
    used: set[str] = set()
    pattern = re.compile(
        r"""(?:\bt\(|_key=|Column\([^,]+,\s*|FormField\([^,]+,\s*|RowAction\([^,]+,\s*)"([a-z_]+\.[a-z0-9_.]+)\""""
    )
    for path in files:
        if path.exists():
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    missing = sorted(key for key in used if key not in MESSAGES)
    assert not missing, f"labels used but not translated: {missing}"
