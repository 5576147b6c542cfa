"""Every template renders in every language, in that language's words."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from messages.catalogs import LANGUAGES
from messages.render import TEMPLATES, environment, render

FILES = sorted(p.name for p in TEMPLATES.iterdir() if p.suffix in (".html", ".txt"))
LETTERS = re.compile(r"[^\W\d_]{2,}")


MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\(([^)]*)\)")


def macros(file: str) -> dict[str, str]:
    """The macros defined in ``file``, with their arguments."""
    return dict(MACRO.findall((TEMPLATES / file).read_text(encoding="utf-8")))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("file", FILES)
def test_every_argumentless_message_renders_in_every_language(file: str, lang: str) -> None:
    names = [name for name, args in macros(file).items() if not args.strip()]
    stem = file.rsplit(".", 1)[0]
    for lang_env in LANGUAGES:
        environment(lang_env).get_template(file)  # every file compiles in every language
    for name in names:
        text = render(lang, f"{stem}.{name}")
        if lang != "en" and LETTERS.search(render("en", f"{stem}.{name}")):
            # A message with words reads differently from the English id it falls back to.
            assert text != render("en", f"{stem}.{name}"), (lang, name)


def test_every_file_has_messages() -> None:
    assert FILES and all(macros(file) for file in FILES)
    assert sum(len(macros(file)) for file in FILES) > 300


@pytest.mark.parametrize(
    ("lang", "days_left", "expected"),
    [
        ("en", -1, "The Year 2023 report is 1 day overdue"),
        ("en", -3, "The Year 2023 report is 3 days overdue"),
        ("vi", -1, "Đã quá hạn nộp báo cáo Năm 2023 1 ngày"),
        ("vi", -3, "Đã quá hạn nộp báo cáo Năm 2023 3 ngày"),
        ("vi", 5, "Còn 5 ngày đến hạn báo cáo Năm 2023"),
    ],
)
def test_plurals_follow_each_language(lang: str, days_left: int, expected: str) -> None:
    assert render(lang, "reminders.when", days_left=days_left, period="2023") == expected


def test_placeholders_are_escaped_and_formatted_in_the_readers_language() -> None:
    args: dict[str, Any] = {"period": "2023-Q4", "deadline": date(2024, 1, 15)}
    assert "Quý IV/2023" in render("vi", "rounds.opened", **args)
    assert "15/01/2024" in render("en", "rounds.opened", **args)
    text = render("vi", "rounds.no_such_round", value="<b>&")
    assert "&lt;b&gt;&amp;" in text and "<b>&" not in text


def test_an_unknown_language_reads_vietnamese() -> None:
    assert render("fr", "commands.start") == render("vi", "commands.start") == "Bắt đầu"
    assert render("en-US", "commands.start") == render("en", "commands.start")
