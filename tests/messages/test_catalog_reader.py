"""The catalogs' own PO reader gives gettext the same table as Babel's read_po and write_mo.

messages.catalogs reads the .po files itself (Babel's reader and compiler cost ~20 ms of CPU a
language in every command-line call); what users read must not change by a single character.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from hypothesis import given, settings
from hypothesis import strategies as st

from messages import catalogs
from messages.catalogs import CatalogUnreadable, read_catalog


def _babel(po: bytes, lang: str) -> Translations:
    compiled = BytesIO()
    write_mo(compiled, read_po(BytesIO(po), locale=lang))
    compiled.seek(0)
    return Translations(compiled)


def _without_header(table: Mapping[Any, str]) -> dict[Any, str]:
    # Babel writes a header of its own making into the .mo (its version, the dates); gettext
    # reads only the plural rule and the charset from it, compared apart.
    return {k: v for k, v in table.items() if k != ""}


@pytest.mark.parametrize("lang", catalogs.LANGUAGES)
def test_the_shipped_catalogs_read_as_babel_reads_them(lang: str) -> None:
    path = catalogs.catalog_path(lang)
    ours = catalogs.translations(lang)
    theirs = catalogs.babel_translations(path, lang)
    assert _without_header(ours._catalog) == _without_header(theirs._catalog)
    assert [ours.plural(n) for n in range(300)] == [theirs.plural(n) for n in range(300)]
    assert ours.gettext("Q1") == theirs.gettext("Q1") != "Q1" or lang == "en"


# Any text a translator may write (UTF-8: no lone surrogate), but NUL and EOT (the .mo format's
# separators).
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00\x04"))


@st.composite
def _catalogs(draw: st.DrawFn) -> tuple[bytes, str]:
    lang = draw(st.sampled_from(("vi", "en")))
    catalog = Catalog(locale=lang)
    for _ in range(draw(st.integers(0, 6))):
        msgid = draw(_TEXT.filter(bool))
        context = draw(st.none() | _TEXT.filter(bool))
        flags = ("fuzzy",) if draw(st.booleans()) else ()
        if draw(st.booleans()):
            plural = draw(_TEXT.filter(bool))
            forms = catalog.num_plurals
            strings = tuple(draw(_TEXT) for _ in range(forms))
            catalog.add((msgid, plural), strings, context=context, flags=flags)
        else:
            catalog.add(msgid, draw(_TEXT), context=context, flags=flags)
    out = BytesIO()
    write_po(out, catalog, width=draw(st.sampled_from((0, 76))), include_previous=False)
    return out.getvalue(), lang


@settings(max_examples=150, deadline=None)
@given(_catalogs())
def test_any_catalog_babel_writes_reads_as_babel_reads_it(case: tuple[bytes, str]) -> None:
    po, lang = case
    table, plural = read_catalog(po.decode("utf-8"))
    theirs = _babel(po, lang)
    assert _without_header(table) == _without_header(theirs._catalog)
    assert [plural(n) for n in range(20)] == [theirs.plural(n) for n in range(20)]


@pytest.mark.parametrize(
    "text",
    [
        'msgid "a"\nmsgstr "b"\nnonsense\n',  # a line that is not PO
        '"stray"\nmsgid "a"\nmsgstr "b"\n',  # a continuation with nothing to continue
        'msgid "a"\nmsgid_plural "as"\nmsgstr[1] "b"\n',  # plural forms with a gap
        'msgid ""\nmsgstr "Language: vi\\n"\n',  # no Plural-Forms
        'msgid ""\nmsgstr "Plural-Forms: nplurals=1; plural=0;\\n"\n"Content-Type: text/plain; charset=latin-1\\n"\n',  # not UTF-8
    ],
)
def test_what_the_reader_does_not_expect_is_left_to_babel(text: str) -> None:
    with pytest.raises(CatalogUnreadable):
        read_catalog(text)
