"""Every refusal the scoring rules and the emulation services raise has words in every
language (found in their sources, so a new code without words fails here)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot
from messages.render import render

SOURCES = [
    Path(bot.__file__).parent / "domain" / "scoring.py",
    Path(bot.__file__).parent / "services" / "emulation.py",
]


def _raised(source: Path) -> set[tuple[str, tuple[str, ...]]]:
    """(code, its params' names) of every `ScoreRefused("code", name=...)` in the source."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "ScoreRefused"
            and node.args
        ):
            first = node.args[0]
            # A code, or two chosen at run time ("decided" if ... else "answered").
            codes: list[ast.expr] = (
                [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            )
            names = tuple(sorted(k.arg for k in node.keywords if k.arg))
            found |= {
                (c.value, names)
                for c in codes
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
        # The codes handed to the helper that raises for texts (`_text_within(text, limit, code)`).
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_text_within"
        ):
            found |= {
                (arg.value, ())
                for arg in node.args[2:]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            }
    return found


CODES = sorted(set().union(*(_raised(source) for source in SOURCES)))


def test_the_codes_are_found() -> None:
    codes = {code for code, _ in CODES}
    assert {"over_max", "justification_needed", "self_check", "locked", "evidence_type"} <= codes
    assert {"answered", "decided", "unknown_item", "undecided", "reason_needed"} <= codes


@pytest.mark.parametrize(("code", "names"), CODES, ids=[c for c, _ in CODES])
def test_each_refusal_is_worded(code: str, names: tuple[str, ...]) -> None:
    params = {name: f"<{name}>" for name in names}
    texts = [render(lang, "scoring.refused", code=code, params=params) for lang in ("vi", "en")]
    assert texts[0] != code and texts[0] != texts[1]
    for name in names:
        assert all(f"&lt;{name}&gt;" in text for text in texts), (name, texts)


@pytest.mark.parametrize("code", ["not_open", "not_checking", "answered", "decided"])
def test_the_codes_chosen_at_run_time_are_worded(code: str) -> None:
    assert render("vi", "scoring.refused", code=code, params={}) != code
