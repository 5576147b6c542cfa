"""Property-based tests of the HTML splitter and the number formatter (issue 8)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import messages.splitting as splitting
from bot.emulator.telegram_html import parse_html, utf16_len
from messages.formatting import format_number
from messages.splitting import split_html, visible_length, visible_text

FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- the splitter ---------------------------------------------------------------------------

CHARS = st.one_of(
    st.characters(blacklist_categories=["Cs"]),  # Telegram text is valid Unicode
    st.sampled_from(
        ["\n", "\n\n", " ", "😀", "👨\u200d👩\u200d👧", "e\u0301", "\u0301", "&", "<", ">"]
    ),
)
PLAIN = st.lists(CHARS, max_size=40).map("".join).map(html.escape)
TAGS = ["b", "i", "u", "s", "code", "tg-spoiler", "blockquote"]


def _wrap(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>"


TELEGRAM_HTML = st.recursive(
    PLAIN,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=5).map("".join),
        st.builds(_wrap, st.sampled_from(TAGS), inner),
        inner.map(lambda s: f'<a href="https://example.org/?a=1&amp;b=2">{s}</a>'),
        PLAIN.map(lambda s: f'<pre><code class="language-text">{s}</code></pre>'),
    ),
    max_leaves=30,
)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _check_pieces(text: str, limit: int) -> list[str]:
    pieces = split_html(text, limit)
    for piece in pieces:
        plain = parse_html(piece)  # raises when Telegram would refuse the markup
        assert utf16_len(plain) <= limit
        assert plain.strip()  # Telegram refuses an empty message
    # Nothing visible is lost or duplicated: only the blanks at the cuts may go.
    assert _squeezed("".join(visible_text(p) for p in pieces)) == _squeezed(visible_text(text))
    return pieces


@FEW
@given(text=TELEGRAM_HTML, limit=st.integers(2, 120))
@example(text="a" + "\u0301" * 500, limit=50)
@example(text="<b>" + "x" * 300 + "</b>", limit=7)
@example(text="😀" * 200, limit=3)
def test_every_piece_is_valid_telegram_html_within_the_limit(text: str, limit: int) -> None:
    if not _squeezed(visible_text(text)):
        return  # nothing visible: not a message the bot sends
    _check_pieces(text, limit)


@settings(max_examples=20, deadline=None)
@given(text=st.lists(TELEGRAM_HTML, min_size=20, max_size=60).map("\n".join))
def test_long_messages_fit_telegrams_4096(text: str) -> None:
    if not _squeezed(visible_text(text)):
        return  # nothing visible: not a message the bot sends
    text = text * (1 + 9000 // max(len(text), 1))
    pieces = _check_pieces(text, splitting.TELEGRAM_LIMIT)
    assert all(visible_length(p) <= 4096 for p in pieces)


@contextmanager
def _counting() -> Iterator[list[int]]:
    """Counts the splitter's per-token decisions, the measure of its work."""
    counter = [0]
    names = ("_is_newline", "_is_space", "_is_glued", "_char_token")
    originals: dict[str, Callable[..., object]] = {n: getattr(splitting, n) for n in names}

    def counted(f: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object) -> object:
            counter[0] += 1
            return f(*args)

        return wrapper

    splitting._char_token.cache_clear()
    try:
        for name, f in originals.items():
            setattr(splitting, name, counted(f))
        yield counter
    finally:
        for name, f in originals.items():
            setattr(splitting, name, f)


PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    "one long word": lambda n: "a" * n,
    "combining marks": lambda n: "a" + "\u0301" * n,
    "joined emoji": lambda n: "👍\u200d" * (n // 2),
    "newlines then text": lambda n: "\n" * n + "a" * n,
    "blank lines": lambda n: "a" + "\n" * n + "a",
    "spaces": lambda n: "a" + " " * n + "a",
    "short lines": lambda n: "ab\n" * (n // 3),
    "paragraphs": lambda n: "a\n\n" * (n // 3),
    "entities": lambda n: "&amp;" * n,
    "empty tags": lambda n: "<b></b>" * n + "a" * n,
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_work_and_pieces_grow_linearly_with_the_text(name: str) -> None:
    limit = 100
    work, pieces = [], []
    for n in (4_000, 16_000):
        text = PATHOLOGICAL[name](n)
        with _counting() as counter:
            result = split_html(text, limit)
        work.append(counter[0])
        pieces.append(len(result))
        # No piece is needlessly small: the count is what the visible length demands (x2 for
        # cuts at line breaks that leave a piece part-empty).
        assert len(result) <= 2 * math.ceil(visible_length(text) / limit) + 1, name
    # Four times the text, about four times the work (a quadratic splitter would do 16x).
    assert work[1] <= 5 * work[0], (name, work)


# --- the number formatter -----------------------------------------------------------------

NUMBERS = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False
)


def _read(text: str, lang: str) -> Decimal:
    thousands, mark = (",", ".") if lang == "en" else (".", ",")
    return Decimal(text.replace(thousands, "").replace(mark, "."))


@FEW
@given(value=NUMBERS, places=st.integers(0, 6), lang=st.sampled_from(["vi", "en"]))
@example(value=Decimal("1203"), places=0, lang="vi")
@example(value=Decimal("-0.004"), places=2, lang="vi")
def test_a_formatted_number_reads_back_as_the_rounded_value(
    value: Decimal, places: int, lang: str
) -> None:
    text = format_number(value, lang, places)
    assert text.isascii() and text.strip() == text
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    assert _read(text, lang) == rounded
    if lang == "vi":
        integer = text.lstrip("-").split(",")[0]
        assert all(len(g) == 3 for g in integer.split(".")[1:])  # 1.203.456


@FEW
@given(value=st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none()))
def test_the_formatter_takes_numbers_or_raises_value_or_type_error(value: object) -> None:
    try:
        format_number(value, "vi")  # type: ignore[arg-type]  # a wrong type on purpose: the refusal is tested
    except (ValueError, TypeError):
        pass
