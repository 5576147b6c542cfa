"""Every word a user reads comes from here: Jinja2 macros per capability, worded per language.

A message is named "<file>.<macro>", e.g. "onboarding.welcome": the macro `welcome` in
`templates/onboarding.html`. `.html` files are autoescaped Telegram HTML; `.txt` files (the
command line) are plain text.

Each macro's layout is written once; its words go through gettext (Jinja2's i18n extension:
``{% trans %}`` blocks with named placeholders, ``{% pluralize %}`` where English needs a
plural, ``_()`` for short words) and come from the catalogs of :mod:`messages.catalogs`, one
per language (``locale/<lang>/LC_MESSAGES/messages.po``).

The message ids are the English texts, the usual gettext choice: the templates read as the
English message and translators' tools show the English next to the translation. The English
catalog still translates every id, with a copy of it: then "every message exists in every
catalog" is one rule with no exception (tests/messages/test_catalogs.py checks it), and English
wording can be edited in ``en/messages.po`` like any other language. An id that would need two
different Vietnamese wordings gets a context (``{% trans "file.macro" %}``).

A word that stands alone in a template (not in a ``{% trans %}`` block) is not translated:
only punctuation, emoji, commands and codes are left so.

Dates and times are shown in the cluster's time zone: the ``tz`` given to :func:`render`, or
else the zone of the running process, set once from the settings (``CLUSTERBOT_TIMEZONE``) by
:func:`use_zone` when the application or a command starts. The ``date`` and ``datetime`` filters
read the zone of the render they are called in, so an imported macro formats the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from messages import formatting
from messages.catalogs import DEFAULT_LANGUAGE, LANGUAGES, language, translations

__all__ = ["LANGUAGES", "TEMPLATES", "current_zone", "environment", "render", "use_zone", "zone"]

TEMPLATES = Path(__file__).parent / "templates"

Zone = ZoneInfo | str

# The zone of the render under way, else of the process (set by use_zone). A context variable,
# not a global: each asyncio task (and each test) sees the zone of the context it was started in.
_zone: ContextVar[ZoneInfo | None] = ContextVar("render_zone", default=None)
_DEFAULT_ZONE = ZoneInfo(formatting.DEFAULT_TZ)


def _as_zone(tz: Zone) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def use_zone(tz: Zone) -> None:
    """Show dates in ``tz`` in every later render of this context and of the tasks it starts.

    Called once where the settings are read (the application, the command line), so that a
    caller that does not pass ``tz`` still shows the cluster's time zone.
    """
    _zone.set(_as_zone(tz))


def current_zone() -> ZoneInfo:
    """The zone dates are shown in by a render without its own ``tz``."""
    return _zone.get() or _DEFAULT_ZONE


@contextmanager
def zone(tz: Zone) -> Iterator[ZoneInfo]:
    """Render in ``tz`` within the block, and go back to the previous zone after it."""
    token = _zone.set(_as_zone(tz))
    try:
        yield current_zone()
    finally:
        _zone.reset(token)


def _format_date(value: date | datetime) -> str:
    return formatting.format_date(value, current_zone())


def _format_datetime(value: datetime) -> str:
    return formatting.format_datetime(value, current_zone())


def _localized(obj: Any, lang: str, attr: str = "name", fallback: bool = True) -> str:
    """Pick `name` or `name_en` (or `label`/`label_en` ...) for the reader's language.

    The default language's text is the plain attribute; another language's is `<attr>_<lang>`,
    or else (``fallback``) the default language's, or else (not ``fallback``) "".
    """
    if lang != DEFAULT_LANGUAGE:
        own = getattr(obj, f"{attr}_{lang}", None)
        if own or not fallback:
            return str(own) if own else ""
    value = getattr(obj, attr)
    if not fallback and not value:
        return ""
    return str(value)


def _upper_first(text: str) -> str:
    """The first letter upper case, the rest as it is (unlike Jinja2's ``capitalize``)."""
    return text[:1].upper() + text[1:]


@cache
def environment(lang: str) -> Environment:
    lang = language(lang)
    # trim_blocks and lstrip_blocks shape the whitespace inside {% trans %}, hence the message
    # ids: messages/babel.cfg gives the extractor the same options.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=False)  # type: ignore[attr-defined]  # added by the i18n extension
    env.globals["lang"] = lang
    env.filters["num"] = lambda v, d=2: formatting.format_number(v, lang, d)
    env.filters["pct"] = lambda v: formatting.format_percent(v, lang)
    env.filters["change"] = lambda v: formatting.format_change(v, lang)
    env.filters["date"] = _format_date
    env.filters["datetime"] = _format_datetime
    env.filters["period"] = lambda code: formatting.period_label(code, lang)
    env.filters["part"] = lambda code: formatting.period_part_label(code, lang)
    env.filters["loc"] = lambda obj, attr="name", fallback=True: _localized(obj, lang, attr, fallback)
    env.filters["upper_first"] = _upper_first
    return env


def render(lang: str, name: str, /, *, tz: Zone | None = None, **params: Any) -> str:
    """Render the macro `name` ("file.macro") in `lang`; .html first, then .txt.

    Dates and times are shown in ``tz`` (the cluster's zone); without it, in the zone the
    process was given by :func:`use_zone`.
    """
    if tz is not None:
        with zone(tz):
            return _render(lang, name, params)
    return _render(lang, name, params)


def _render(lang: str, name: str, params: dict[str, Any]) -> str:
    file, _, macro = name.partition(".")
    env = environment(lang)
    for extension in ("html", "txt"):
        try:
            template = env.get_template(f"{file}.{extension}")
        except TemplateNotFound:
            continue  # try the other extension; a syntax error is raised, not hidden
        function = getattr(template.module, macro, None)
        if function is None:
            raise KeyError(f"no message {name!r} in {file}.{extension}")
        return str(function(**params)).strip()
    raise KeyError(f"no message file {file!r}")
