"""Every `type: ignore` names its error code and says why (issue 11): one the type checker
no longer needs fails mypy (`warn_unused_ignores`), one without a reason fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("bot", "storage", "messages", "tests", "bench")
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def explained(line: str) -> bool:
    """True when the line has no `type: ignore`, or one with its codes and a reason after."""
    match = IGNORE.search(line)
    return match is None or (bool(match["codes"]) and re.match(r"\s+#\s*\S", match["rest"]) is not None)


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != Path(__file__).resolve()  # its own examples below
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if not explained(line)
    ]
    assert unexplained == []


def test_what_counts_as_explained() -> None:
    assert explained("x = f()  # type: ignore[arg-type]  # the row is stored")
    assert explained("x = f()")
    assert not explained("x = f()  # type: ignore[arg-type]")
    assert not explained("x = f()  # type: ignore  # no code")
