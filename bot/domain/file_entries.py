"""Pieces the emulation's file sections (`[pact]`, `[scoring]`) share: texts, ids and arrays of
tables whose every entry's problems are reported at its index.

They mirror `cluster_file.py`'s own (which imports these sections, so cannot be imported here).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StrictStr, WrapValidator

from bot.domain.file_errors import at, each, otherwise, problem, validated

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_TEXT = 1000  # a commitment or a name fits in one Telegram message with room to spare


def _stripped(text: str) -> str:
    if not text.strip():
        raise ValueError(text)
    return text.strip()


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise problem("too_long", max=str(MAX_TEXT))
    return text


def _slug(text: str) -> str:
    if not SLUG.match(text):
        raise problem("bad_slug", value=text)
    return text


Text = Annotated[
    StrictStr,
    AfterValidator(_stripped),
    otherwise("missing_text", value=False),
    AfterValidator(_bounded),
]
Slug = Annotated[Text, AfterValidator(_slug)]
# A department's or an indicator's id: whether it exists is checked against the whole file.
Ref = Annotated[StrictStr, AfterValidator(_stripped), otherwise("missing_text", value=False)]


def _some(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items:
        raise problem("empty_list")
    return items


def _tables(raw: object) -> object:
    if isinstance(raw, list) and raw and all(isinstance(row, dict) for row in raw):
        return raw
    raise problem("missing_array")


def unique(key: Callable[[dict[str, Any]], str]) -> WrapValidator:
    """Repeats are found on the raw rows, so they show even when an entry has another problem."""

    def validate(rows: list[dict[str, Any]], handler: Callable[[Any], Any]) -> Any:
        names = [key(row) for row in rows]
        repeats = [
            at((i, "id"), "duplicate", value=name)
            for i, name in enumerate(names)
            if name and name in names[:i]
        ]
        return validated(handler, rows, repeats)

    return WrapValidator(validate)


# A non-empty list of distinct texts, each problem at its index.
Texts = Annotated[tuple[str, ...], each(Text), AfterValidator(_some)]


# With `each(Model)` before them: an array of tables (`[[x]]`, at least one, else
# `missing_array`), each read as the model, each problem at its index; an entry whose id repeats
# an earlier one's is a `duplicate` at its `id`.
TABLES = BeforeValidator(_tables)


def text_of(raw: object) -> str:
    """A value as the rules between entries see it: the text, or "" when it is not one."""
    return raw.strip() if isinstance(raw, str) else ""


def rows_of(raw: object) -> list[dict[str, Any]]:
    """An array of tables as the rules between entries see it: its tables, or []."""
    return [row for row in raw if isinstance(row, dict)] if isinstance(raw, list) else []


def by_id(row: dict[str, Any]) -> str:
    return text_of(row.get("id"))


UNIQUE_IDS = unique(by_id)
