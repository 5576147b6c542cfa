"""The languages the bot speaks: one gettext catalog each, under ``locale/<lang>/LC_MESSAGES``.

A language exists when its catalog folder does: adding one is adding
``locale/<lang>/LC_MESSAGES/messages.po`` (``pybabel init -l <lang>``), nothing else.
Vietnamese is the default: first in :data:`LANGUAGES`, and what an unknown language falls back to.

The catalogs are the ``.po`` files themselves, read in memory the first time a language is
used. No ``.mo`` is kept in the repository or built at install time, so a stale compiled
catalog can never be shipped. They are read by :func:`read_catalog`, a reader of the plain PO
that pybabel writes (what msgfmt would keep: no fuzzy entry, no untranslated one, no obsolete
one), straight into gettext's table: Babel's ``read_po`` and ``write_mo`` cost ~20 ms of CPU a
language, a tenth of a short command's (every `clusterbot` call renders its answer). Anything
the reader does not expect (a line it cannot place, no ``Plural-Forms``) sends that catalog
through Babel instead, as before; tests/messages/test_catalog_reader.py checks that both give
the same table.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.support import Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE",
    "CatalogUnreadable",
    "catalog_path",
    "language",
    "read_catalog",
    "translations",
]

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
    path = catalog_path(lang)
    try:
        table, plural = read_catalog(path.read_text(encoding="utf-8"))
    except (CatalogUnreadable, UnicodeDecodeError):
        return babel_translations(path, lang)
    compiled = Translations()
    compiled._catalog = table  # gettext's table, as its _parse fills it from a .mo
    compiled.plural = plural
    compiled._charset = "utf-8"  # type: ignore[attr-defined]  # gettext's own, not in its stubs
    return compiled


def babel_translations(path: Path, lang: str) -> Translations:
    """The catalog compiled by Babel (``read_po``, ``write_mo``): what gettext reads from a .mo."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled)


class CatalogUnreadable(ValueError):
    """A PO file :func:`read_catalog` does not read (Babel then does)."""


_KEYWORD = re.compile(r'(msgctxt|msgid|msgid_plural|msgstr|msgstr\[(\d+)\])\s+(".*")\s*\Z')
_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_CHARSET = re.compile(r"^Content-Type:.*?charset=([\w-]+)", re.MULTILINE | re.IGNORECASE)
_PLURAL_FORMS = re.compile(r"^Plural-Forms:.*?plural=(.+?);?\s*$", re.MULTILINE | re.IGNORECASE)

Table = dict[str | tuple[str, int], str]


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), body)


def read_catalog(text: str) -> tuple[Table, Callable[..., int]]:
    """gettext's table of a PO file's text, and its plural function (from ``Plural-Forms``).

    The table is what :class:`gettext.GNUTranslations` makes of the .mo that msgfmt (or Babel's
    ``write_mo``) writes from the file: ``"ctxt\x04id"`` keys for a context, ``(id, n)`` keys for
    the plural forms (an empty form is the id, or the plural id), fuzzy and untranslated entries
    and obsolete ``#~`` lines left out. Raises :class:`CatalogUnreadable` on anything else.
    """
    table: Table = {}
    entry: dict[str, str] = {}
    forms: dict[int, str] = {}
    fuzzy = False
    last: tuple[str, int | None] | None = None

    def finish() -> None:
        if "msgid" not in entry:
            if entry or forms:
                raise CatalogUnreadable("an entry without msgid")
            return
        msgid = entry["msgid"]
        context = entry.get("msgctxt")
        key = msgid if context is None else f"{context}\x04{msgid}"
        if "msgid_plural" in entry:
            if "msgstr" in entry or not forms or sorted(forms) != list(range(len(forms))):
                raise CatalogUnreadable(f"plural forms of {msgid!r}")
            if not fuzzy:
                ids = (msgid, entry["msgid_plural"])
                for n in range(len(forms)):
                    table[(key, n)] = forms[n] or ids[min(n, 1)]
        else:
            if forms or "msgstr" not in entry:
                raise CatalogUnreadable(f"the translation of {msgid!r}")
            if msgid == "" and context is None:
                table[""] = entry["msgstr"]  # the header: kept, fuzzy or not (as write_mo does)
            elif entry["msgstr"] and not fuzzy:
                table[key] = entry["msgstr"]

    for raw in text.split("\n"):  # not splitlines: \x1c-\x1e, \x85 may stand in a message
        line = raw.strip()
        if line.startswith('"'):
            if last is None or len(line) < 2 or not line.endswith('"'):
                raise CatalogUnreadable(f"a continuation line out of place: {raw!r}")
            name, index = last
            if index is None:
                entry[name] += _unquote(line)
            else:
                forms[index] += _unquote(line)
            continue
        if not line or line.startswith("#"):
            if entry and (not line or not line.startswith("#~")):
                # A blank or comment line after an entry ends it; comments before one belong
                # to the next.
                finish()
                entry, forms, fuzzy, last = {}, {}, False, None
            if line.startswith("#,") and "fuzzy" in (f.strip() for f in line[2:].split(",")):
                fuzzy = True
            continue
        match = _KEYWORD.match(line)
        if match is None or len(match[3]) < 2:
            raise CatalogUnreadable(f"a line that is not PO: {raw!r}")
        name, index_text, value = match[1], match[2], _unquote(match[3])
        if index_text is not None:
            index = int(index_text)
            if index in forms:
                raise CatalogUnreadable(f"msgstr[{index}] twice")
            forms[index] = value
            last = ("msgstr", index)
            continue
        if name in entry:
            if name != "msgctxt":
                raise CatalogUnreadable(f"{name} twice in an entry")
            finish()  # a msgctxt starts the next entry even without a blank line
            entry, forms, fuzzy = {}, {}, False
        entry[name] = value
        last = (name, None)
    finish()
    header = table.get("", "")
    charset = _CHARSET.search(header)
    if charset is not None and charset[1].lower().replace("-", "") != "utf8":
        raise CatalogUnreadable(f"charset {charset[1]}")  # read as UTF-8 here: Babel decodes it
    plural = _PLURAL_FORMS.search(header)
    if plural is None:
        raise CatalogUnreadable("no Plural-Forms in the header")
    return table, gettext.c2py(plural[1])  # gettext's own parser of the rule
