"""Every word a user reads comes from here: Jinja2 macros per capability, per language.

A message is named "<file>.<macro>", e.g. "onboarding.welcome": the macro `welcome` in
`templates/<lang>/onboarding.html`. `.html` files are autoescaped Telegram HTML; `.txt`
files (the command line) are plain text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from messages import formatting

LANGUAGES = ("vi", "en")
TEMPLATES = Path(__file__).parent / "templates"


def _localized(obj: Any, lang: str, attr: str = "name") -> str:
    """Pick `name` or `name_en` (or `label`/`label_en` ...) for the reader's language."""
    if lang == "en":
        english = getattr(obj, f"{attr}_en", None)
        if english:
            return str(english)
    return str(getattr(obj, attr))


@cache
def environment(lang: str) -> Environment:
    if lang not in LANGUAGES:
        lang = LANGUAGES[0]
    env = Environment(
        loader=FileSystemLoader(TEMPLATES / lang),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["lang"] = lang
    env.filters["num"] = lambda v, d=2: formatting.format_number(v, lang, d)
    env.filters["pct"] = lambda v: formatting.format_percent(v, lang)
    env.filters["change"] = lambda v: formatting.format_change(v, lang)
    env.filters["date"] = formatting.format_date
    env.filters["datetime"] = formatting.format_datetime
    env.filters["period"] = lambda code: formatting.period_label(code, lang)
    env.filters["loc"] = lambda obj, attr="name": _localized(obj, lang, attr)
    return env


def render(lang: str, name: str, /, **params: Any) -> str:
    """Render the macro `name` ("file.macro") in `lang`; .html first, then .txt."""
    file, _, macro = name.partition(".")
    env = environment(lang)
    for extension in ("html", "txt"):
        try:
            template = env.get_template(f"{file}.{extension}")
        except TemplateNotFound:
            continue  # try the other extension; a syntax error is raised, not hidden
        function = getattr(template.module, macro, None)
        if function is None:
            raise KeyError(f"no message {name!r} in {lang}/{file}.{extension}")
        return str(function(**params)).strip()
    raise KeyError(f"no message file {file!r} for {lang}")
