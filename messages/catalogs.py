"""The languages the bot speaks: one gettext catalog each, under ``locale/<lang>/LC_MESSAGES``.

A language exists when its catalog folder does: adding one is adding
``locale/<lang>/LC_MESSAGES/messages.po`` (``pybabel init -l <lang>``), nothing else.
Vietnamese is the default: first in :data:`LANGUAGES`, and what an unknown language falls back to.

The catalogs are the ``.po`` files themselves, compiled in memory the first time a language is
used (Babel's ``read_po`` and ``write_mo``). No ``.mo`` is kept in the repository or built at
install time, so a stale compiled catalog can never be shipped; reading the ~600 messages once
per process costs a few milliseconds.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LOCALE", "catalog_path", "language", "translations"]

LOCALE = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "vi"


def catalog_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


def _languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/messages.po"))
    others = [lang for lang in found if lang != DEFAULT_LANGUAGE]
    return (DEFAULT_LANGUAGE, *others)


LANGUAGES: tuple[str, ...] = _languages()


def language(lang: str | None) -> str:
    """The language of :data:`LANGUAGES` meant by ``lang`` ("en", "EN", "en-US" -> "en").

    Anything else is the default language.
    """
    if lang:
        key = lang.strip().lower().replace("-", "_")
        for candidate in (key, key.partition("_")[0]):
            if candidate in LANGUAGES:
                return candidate
    return DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of ``lang`` (a language of :data:`LANGUAGES`)."""
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled)
