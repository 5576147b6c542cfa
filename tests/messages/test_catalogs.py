"""Every message exists in every language: each text the templates ask gettext for (found the
way `pybabel extract` finds it, with messages/babel.cfg) has a real translation in every
catalog, with the same placeholders. A message missing from one catalog would silently show
its English id to the readers of that language only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import messages
from messages.catalogs import DEFAULT_LANGUAGE, LANGUAGES, LOCALE, catalog_path

MESSAGES = Path(messages.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

Key = tuple[str | None, str]  # (context, msgid)


def extracted() -> dict[Key, tuple[str, ...]]:
    """(context, msgid) -> the message's ids (singular, and plural if any), from the sources."""
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (MESSAGES / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse(cfg)
    found: dict[Key, tuple[str, ...]] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(MESSAGES), method_map, options_map
    ):
        ids = (message,) if isinstance(message, str) else tuple(message)
        found[(context, ids[0])] = ids
    return found


def problems(catalog: Catalog, wanted: dict[Key, tuple[str, ...]]) -> list[str]:
    """What is wrong with ``catalog`` for the messages ``wanted``: missing, empty or fuzzy
    translations, placeholders that differ from the id's, ids no template asks for."""
    found: list[str] = []
    for (context, msgid), ids in wanted.items():
        entry = catalog.get(msgid, context=context)
        where = f"{context + ': ' if context else ''}{msgid!r}"
        if entry is None:
            found.append(f"missing {where}")
            continue
        if entry.fuzzy:
            found.append(f"fuzzy {where}")
        raw = entry.string
        strings = tuple(raw) if isinstance(raw, (tuple, list)) else (raw or "",)
        if not strings or not all(strings):
            found.append(f"untranslated {where}")
            continue
        names = {name for text in ids for name in PLACEHOLDER.findall(text)}
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != names:
                found.append(f"placeholders {sorted(names)} != {text!r} in {where}")
            elif names:
                try:  # a stray "%" (instead of "%%") would raise when the template formats it
                    text % dict.fromkeys(names, "x")
                except (ValueError, TypeError) as exc:
                    found.append(f"bad format {text!r} in {where}: {exc}")
    keys = set(wanted)
    for entry in catalog:
        if entry.id and (entry.context, entry.id if isinstance(entry.id, str) else entry.id[0]) not in keys:
            found.append(f"no template uses {entry.id!r}")
    return found


WANTED = extracted()


def test_the_templates_are_worded_through_gettext() -> None:
    assert len(WANTED) > 500
    assert (None, "The %(period)s report is %(days)s day overdue") in WANTED  # a plural
    assert ("rounds.menu", "No round is open.") in WANTED  # a context


def test_the_languages_are_the_catalog_folders_vietnamese_first() -> None:
    folders = {p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file()}
    assert LANGUAGES[0] == DEFAULT_LANGUAGE == "vi"
    assert set(LANGUAGES) == folders >= {"vi", "en"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_in_every_catalog(lang: str) -> None:
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    assert problems(catalog, WANTED) == []


def test_a_broken_catalog_is_refused() -> None:
    """The check above can fail: each kind of defect is reported."""
    catalog = Catalog(locale="vi")
    catalog.add("Hello %(name)s", "Xin chào %(ten)s")
    catalog.add("Done", "Xong", flags=["fuzzy"])
    catalog.add("Empty", "")
    catalog.add("Rate %(value)s%%", "Tỷ lệ %(value)s%")
    catalog.add("Unused", "Không dùng")
    wanted: dict[Key, tuple[str, ...]] = {
        (None, m): (m,) for m in ("Hello %(name)s", "Done", "Empty", "Rate %(value)s%%", "Gone")
    }
    found = problems(catalog, wanted)
    assert [p.split()[0] for p in found] == [
        "placeholders",
        "fuzzy",
        "untranslated",
        "bad",
        "missing",
        "no",
    ], found
