"""Every message exists in both languages: a Vietnamese text without its English twin (or the
reverse) would fail only for the users who chose that language."""

import re

import pytest

from messages.render import TEMPLATES

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)")
FILES = sorted(p.name for p in (TEMPLATES / "vi").iterdir())


def test_both_languages_have_the_same_files() -> None:
    assert FILES == sorted(p.name for p in (TEMPLATES / "en").iterdir())


@pytest.mark.parametrize("name", FILES)
def test_both_languages_have_the_same_messages(name: str) -> None:
    vi = set(MACRO.findall((TEMPLATES / "vi" / name).read_text(encoding="utf-8")))
    en = set(MACRO.findall((TEMPLATES / "en" / name).read_text(encoding="utf-8")))
    assert vi == en, {"only in vi": vi - en, "only in en": en - vi}
