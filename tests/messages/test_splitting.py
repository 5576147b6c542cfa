"""Splitting long Telegram-HTML messages into balanced chunks within the limit."""

from __future__ import annotations

import html
import random
import re
import unicodedata

import pytest

from messages.splitting import split_html, visible_length, visible_text

TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^>]*)>")


# --------------------------------------------------------------------------- independent checks


def strip_tags(text: str) -> str:
    """Visible text, computed without the module under test."""
    return html.unescape(TAG.sub("", text))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_balanced(chunk: str) -> None:
    stack: list[str] = []
    for closing, name, _attrs in TAG.findall(chunk):
        if closing:
            assert stack, f"closing </{name}> with nothing open in {chunk!r}"
            assert stack.pop() == name, f"</{name}> closes the wrong tag in {chunk!r}"
        else:
            stack.append(name)
    assert not stack, f"unclosed {stack} in {chunk!r}"


def assert_entities_whole(chunk: str) -> None:
    # Every "&" starts a complete entity (the inputs escape a literal "&").
    for match in re.finditer("&", chunk):
        assert re.match(r"&(#\d+|#x[0-9a-fA-F]+|[a-z]+);", chunk[match.start() :]), chunk


def assert_valid_split(text: str, chunks: list[str], limit: int) -> None:
    assert chunks, "no chunks"
    for chunk in chunks:
        assert_balanced(chunk)
        assert_entities_whole(chunk)
        visible = strip_tags(chunk)
        assert utf16_len(visible) <= limit, (utf16_len(visible), chunk)
        assert visible.strip(), f"blank chunk {chunk!r}"
    joined = "".join(strip_tags(chunk) for chunk in chunks)
    assert joined.replace("\n", "") == strip_tags(text).replace("\n", "")


def lines_of(n: int, width: int = 30, prefix: str = "line") -> str:
    return "\n".join(f"{prefix} {i:04d} ".ljust(width, "x") for i in range(n))


# --------------------------------------------------------------------------- short texts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "<b>hello</b>",
        "a\nb\n\nc",
        "x" * 4096,
        "<b>" + "x" * 4096 + "</b>",
        "&amp;" * 4096,
        "<pre>" + "\n".join("row" for _ in range(1000)) + "</pre>",
    ],
)
def test_text_within_limit_is_returned_unchanged(text: str) -> None:
    assert split_html(text) == [text]


@pytest.mark.parametrize("limit", [5, 10, 50])
def test_exactly_at_limit(limit: int) -> None:
    text = "y" * limit
    assert split_html(text, limit) == [text]
    assert len(split_html(text + "y", limit)) == 2


# --------------------------------------------------------------------------- measuring


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("abc", 3),
        ("<b>abc</b>", 3),
        ("a &amp; b", 5),
        ("&lt;tag&gt;", 5),
        ("&quot;&#39;&#x41;", 3),
        ('<a href="https://example.com/?a=1&amp;b=2">link</a>', 4),
        ("Hòa Bình", 8),
        ("😀", 2),
        ("&#128512;", 2),
        ("a\nb", 3),
        ("", 0),
    ],
)
def test_visible_length(text: str, length: int) -> None:
    assert visible_length(text) == length


def test_visible_text() -> None:
    assert visible_text('<b>A</b> &amp; <a href="x">B</a> &lt;3') == "A & B <3"


# --------------------------------------------------------------------------- line cuts


@pytest.mark.parametrize("limit", [31, 40, 64, 100, 250, 1000])
@pytest.mark.parametrize("n", [5, 50, 400])
def test_plain_lines_cut_only_at_line_boundaries(limit: int, n: int) -> None:
    text = lines_of(n)
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    original_lines = text.split("\n")
    seen: list[str] = []
    for chunk in chunks:
        seen.extend(chunk.split("\n"))
    assert seen == original_lines


def test_greedy_packing_uses_the_room() -> None:
    text = "\n".join(f"{i:09d}" for i in range(100))  # 9 visible chars a line, 10 with "\n"
    chunks = split_html(text, 100)
    # 10 lines take 99 characters: as many as fit.
    assert [len(chunk.split("\n")) for chunk in chunks] == [10] * 10


def test_paragraph_break_in_last_third_is_preferred() -> None:
    first = "\n".join(["a" * 9] * 8)  # 8 lines, 79 chars
    second = "\n".join(["b" * 9] * 8)
    text = first + "\n\n" + second
    chunks = split_html(text, 100)
    assert chunks == [first, second]


def test_paragraph_break_too_early_is_ignored() -> None:
    first = "a" * 9
    second = "\n".join(["b" * 9] * 20)
    text = first + "\n\n" + second
    chunks = split_html(text, 100)
    assert chunks[0].startswith(first + "\n\n" + "b" * 9)
    assert_valid_split(text, chunks, 100)


def test_latest_paragraph_break_wins() -> None:
    paragraphs = ["\n".join([c * 9] * 3) for c in "abcdefgh"]  # 29 chars each
    text = "\n\n".join(paragraphs)
    chunks = split_html(text, 100)
    assert_valid_split(text, chunks, 100)
    # Three paragraphs (29*3 + 2*2 = 91 chars) fit in 100; the cut falls between paragraphs.
    assert chunks[0] == "\n\n".join(paragraphs[:3])
    for chunk in chunks:
        assert not chunk.startswith("\n") and not chunk.endswith("\n")


def test_runs_of_blank_lines_at_a_cut_are_dropped() -> None:
    text = "a" * 80 + "\n\n\n\n\n" + "b" * 80
    assert split_html(text, 100) == ["a" * 80, "b" * 80]


# --------------------------------------------------------------------------- tags across cuts


def test_pre_table_is_closed_and_reopened() -> None:
    rows = "\n".join(f"{i:>3} | Sở Nội vụ tỉnh {i:<10} | {i * 37:>6}" for i in range(200))
    text = "<b>Báo cáo tổng hợp</b>\n\n<pre>" + rows + "</pre>\n\nHết."
    chunks = split_html(text, 500)
    assert len(chunks) > 3
    assert_valid_split(text, chunks, 500)
    for chunk in chunks[1:-1]:
        assert chunk.startswith("<pre>") and chunk.endswith("</pre>")
    assert chunks[0].startswith("<b>Báo cáo tổng hợp</b>")
    assert chunks[-1].endswith("Hết.")


@pytest.mark.parametrize(
    ("open_tags", "close_tags"),
    [
        ("<b>", "</b>"),
        ("<i><u>", "</u></i>"),
        ('<pre><code class="language-python">', "</code></pre>"),
        ('<a href="https://example.com/?a=1&amp;b=2">', "</a>"),
        ('<span class="tg-spoiler">', "</span>"),
        ("<blockquote expandable>", "</blockquote>"),
        ("<blockquote><b><i>", "</i></b></blockquote>"),
        ("<tg-spoiler>", "</tg-spoiler>"),
        ("<s><strong>", "</strong></s>"),
    ],
)
def test_open_tags_reopen_with_their_attributes(open_tags: str, close_tags: str) -> None:
    text = open_tags + lines_of(30) + close_tags
    chunks = split_html(text, 100)
    assert len(chunks) > 2
    assert_valid_split(text, chunks, 100)
    for chunk in chunks:
        assert chunk.startswith(open_tags)
        assert chunk.endswith(close_tags)


def test_tags_closed_before_the_cut_are_not_reopened() -> None:
    text = "<b>bold</b> " + lines_of(20) + "\n<i>end</i>"
    chunks = split_html(text, 100)
    assert_valid_split(text, chunks, 100)
    assert all(not chunk.startswith("<b>") for chunk in chunks[1:])


def test_tag_opening_mid_text_and_spanning_chunks() -> None:
    text = lines_of(3) + "\nstart <b>" + lines_of(10) + "</b> tail\n" + lines_of(3)
    chunks = split_html(text, 80)
    assert_valid_split(text, chunks, 80)
    bold = [chunk for chunk in chunks if "<b>" in chunk]
    assert len(bold) > 2


# --------------------------------------------------------------------------- long lines


def test_long_line_cut_at_spaces() -> None:
    words = [f"word{i:03d}" for i in range(300)]
    text = " ".join(words)
    chunks = split_html(text, 100)
    assert_valid_split(text, chunks, 100)
    for chunk in chunks:
        for piece in chunk.split():
            assert piece in words  # no word was cut in two
    assert "".join(chunks) == text


def test_long_line_between_short_lines() -> None:
    long_line = " ".join(["lorem"] * 100)
    text = "intro\n" + long_line + "\noutro"
    chunks = split_html(text, 120)
    assert_valid_split(text, chunks, 120)
    assert chunks[0] == "intro"
    assert chunks[-1].endswith("outro")


def test_long_line_inside_tags_cut_at_spaces() -> None:
    text = '<a href="https://x.example/">' + " ".join(["link"] * 100) + "</a>"
    chunks = split_html(text, 60)
    assert_valid_split(text, chunks, 60)
    assert all(chunk.startswith('<a href="https://x.example/">') for chunk in chunks)


@pytest.mark.parametrize("limit", [2, 3, 7, 10, 33])
def test_hard_cut_without_spaces(limit: int) -> None:
    text = "<b>" + "x" * 100 + "</b>"
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    assert all(utf16_len(strip_tags(chunk)) == limit for chunk in chunks[:-1])


@pytest.mark.parametrize("limit", [2, 5, 9, 16])
def test_hard_cut_never_splits_an_entity(limit: int) -> None:
    text = "&amp;&lt;&gt;&quot;&#39;" * 20
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)


@pytest.mark.parametrize("limit", [2, 3, 11])
def test_hard_cut_never_splits_a_tag(limit: int) -> None:
    text = "".join(f'<a href="https://e.x/{i}">ab</a>' for i in range(40))
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    assert all(chunk.count("<") == chunk.count(">") for chunk in chunks)


@pytest.mark.parametrize("limit", [3, 4, 9])
def test_emoji_count_as_two(limit: int) -> None:
    text = "😀" * 50
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    assert all(len(chunk) == limit // 2 for chunk in chunks[:-1])


@pytest.mark.parametrize("limit", [5, 8, 13])
def test_hard_cut_keeps_combining_marks_with_their_letter(limit: int) -> None:
    text = unicodedata.normalize("NFD", "Hòa Bình Tuyên Quang Bắc Kạn ").replace(" ", "") * 5
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    for chunk in chunks:
        assert not unicodedata.combining(chunk[0])


# --------------------------------------------------------------------------- edge cases


def test_only_tags_on_the_first_line() -> None:
    text = "<pre>\n" + "z" * 150 + "</pre>"
    chunks = split_html(text, 100)
    assert_valid_split(text, chunks, 100)


def test_trailing_blank_lines_and_closing_tags() -> None:
    text = "<b>" + lines_of(10) + "\n\n\n</b>"
    chunks = split_html(text, 100)
    assert_valid_split(text, chunks, 100)


def test_limit_too_small() -> None:
    with pytest.raises(ValueError):
        split_html("abc", 1)


def test_default_limit_on_a_big_summary() -> None:
    rows = "\n".join(
        f"<b>{i}. Sở Nội vụ tỉnh số {i}</b>: đã nộp &amp; đúng hạn, 1.203 trường hợp"
        for i in range(1, 400)
    )
    text = "<u>Báo cáo tổng hợp Quý IV/2023</u>\n\n" + rows
    chunks = split_html(text)
    assert len(chunks) > 3
    assert_valid_split(text, chunks, 4096)
    assert all(visible_length(chunk) > 4096 * 2 // 3 for chunk in chunks[:-1])


# --------------------------------------------------------------------------- random documents

WORDS = ["Sở", "Nội", "vụ", "&amp;", "&lt;b&gt;", "1.203", "12,5%", "Hòa", "Bình", "😀", "x" * 25]
WRAPPERS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ('<a href="https://e.x/?q=1&amp;r=2">', "</a>"),
    ("<pre>", "</pre>"),
    ('<pre><code class="language-text">', "</code></pre>"),
    ("<blockquote>", "</blockquote>"),
    ("<tg-spoiler>", "</tg-spoiler>"),
]


def random_document(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 12)):
        lines = []
        for _ in range(rng.randint(1, 15)):
            length = rng.choice([0, 1, 3, 8, 20, 60])
            lines.append(" ".join(rng.choice(WORDS) for _ in range(length)))
        block = "\n".join(lines)
        if rng.random() < 0.6:
            opening, closing = rng.choice(WRAPPERS)
            block = opening + block + closing
        parts.append(block)
        parts.append(rng.choice(["\n", "\n\n", "\n\n\n", " "]))
    return "".join(parts) + "end"


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("limit", [20, 64, 200, 700])
def test_random_documents(seed: int, limit: int) -> None:
    rng = random.Random(seed * 1000 + limit)
    text = random_document(rng)
    chunks = split_html(text, limit)
    assert_valid_split(text, chunks, limit)
    if visible_length(text) <= limit:
        assert chunks == [text]
