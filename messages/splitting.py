"""Split a long Telegram-HTML message into messages Telegram accepts.

Telegram limits a message to 4096 characters of *visible* text (after the HTML is parsed).
:func:`split_html` cuts at line boundaries, preferring paragraph breaks, and keeps every chunk
valid HTML on its own: tags open at a cut are closed at the end of the chunk and reopened, with
the same attributes, at the start of the next one (a long ``<pre>`` table stays a table).

Lengths are counted in UTF-16 code units, as Telegram counts them, so a character outside the
Basic Multilingual Plane (most emoji) weighs 2; an entity (``&amp;``) weighs what it stands for.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["TELEGRAM_LIMIT", "split_html", "visible_length", "visible_text"]

TELEGRAM_LIMIT = 4096

_TOKEN = re.compile(
    r"(?P<tag><(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>)"
    r"|(?P<entity>&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);)"
)

# Characters that must stay with the character before them when a line is hard-cut.
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}

_TEXT, _ENTITY, _OPEN, _CLOSE, _VOID = range(5)

_MAX_BACKOFF = 32
"""How far a hard cut may move back to avoid splitting a character from its marks."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: int
    raw: str
    weight: int = 0  # visible length in UTF-16 code units
    name: str = ""  # lower-case tag name for tags
    solid: bool = False  # visible and not whitespace


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@lru_cache(maxsize=8192)
def _char_token(ch: str) -> _Token:
    # Tokens are immutable, so one per distinct character is enough.
    return _Token(_TEXT, ch, 2 if ord(ch) > 0xFFFF else 1, solid=not ch.isspace())


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []

    def add_text(chunk: str) -> None:
        tokens.extend(map(_char_token, chunk))

    pos = 0
    for match in _TOKEN.finditer(text):
        add_text(text[pos : match.start()])
        raw = match.group(0)
        if match.group("entity"):
            decoded = html.unescape(raw)
            weight = _utf16_len(decoded) if decoded != raw else 1
            tokens.append(_Token(_ENTITY, raw, max(weight, 1), solid=True))
        else:
            name = match.group("name").lower()
            if match.group("close"):
                tokens.append(_Token(_CLOSE, raw, name=name))
            elif match.group("attrs").rstrip().endswith("/"):
                tokens.append(_Token(_VOID, raw, name=name))
            else:
                tokens.append(_Token(_OPEN, raw, name=name))
        pos = match.end()
    add_text(text[pos:])
    return tokens


def _advance(stack: list[_Token], tokens: list[_Token], start: int, stop: int) -> None:
    """Update the stack of open tags over tokens[start:stop]."""
    for token in tokens[start:stop]:
        if token.kind == _OPEN:
            stack.append(token)
        elif token.kind == _CLOSE:
            # Pop up to the matching open tag; a stray closing tag is ignored.
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth].name == token.name:
                    del stack[depth:]
                    break


def visible_text(text: str) -> str:
    """The text Telegram shows: tags removed, entities decoded."""
    parts: list[str] = []
    for token in _tokenize(text):
        if token.kind == _TEXT:
            parts.append(token.raw)
        elif token.kind == _ENTITY:
            parts.append(html.unescape(token.raw))
    return "".join(parts)


def visible_length(text: str) -> int:
    """Visible length in UTF-16 code units (the unit of Telegram's limit)."""
    return sum(token.weight for token in _tokenize(text))


def _is_newline(token: _Token) -> bool:
    return token.kind == _TEXT and token.raw == "\n"


def _is_space(token: _Token) -> bool:
    return token.kind == _TEXT and token.raw in (" ", "\t")


def _is_glued(token: _Token) -> bool:
    """A character that must not start a chunk (a combining mark, a joiner)."""
    return token.kind == _TEXT and (token.raw in _JOINERS or unicodedata.combining(token.raw) != 0)


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into chunks of at most ``limit`` visible characters each.

    Cuts only between lines, at the latest paragraph break (blank line) in the last third of a
    chunk if there is one, else at the latest line break. A single line longer than ``limit`` is
    cut after a space, or anywhere between characters as a last resort (never inside a tag or an
    entity). The line breaks at a cut are dropped. Each chunk closes the tags still open at its
    end and reopens them at the start of the next chunk.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    tokens = _tokenize(text)
    total = sum(token.weight for token in tokens)
    if total <= limit:
        return [text]

    n = len(tokens)
    # Prefix sums: visible weight and count of solid (non-blank visible) tokens before i.
    weight_before = [0] * (n + 1)
    solid_before = [0] * (n + 1)
    for i, token in enumerate(tokens):
        weight_before[i + 1] = weight_before[i] + token.weight
        solid_before[i + 1] = solid_before[i] + token.solid

    def has_content(start: int, stop: int) -> bool:
        return solid_before[stop] > solid_before[start]

    chunks: list[str] = []
    stack: list[_Token] = []
    pos = 0
    while pos < n:
        # The window: the longest run of tokens from pos that fits (zero-weight tags included).
        end = bisect_right(weight_before, weight_before[pos] + limit) - 1
        if end == n:
            cut, resume = n, n
        else:
            cut, resume = _choose_cut(tokens, pos, end, weight_before, solid_before)

        prefix = "".join(token.raw for token in stack)
        _advance(stack, tokens, pos, cut)
        body = "".join(token.raw for token in tokens[pos:cut])
        suffix = "".join(f"</{token.name}>" for token in reversed(stack))
        if has_content(pos, cut):
            chunks.append(prefix + body + suffix)
        # A chunk with nothing visible but blanks (left over after the last cut) is dropped:
        # Telegram refuses empty messages, and the chunk is balanced on its own.
        _advance(stack, tokens, cut, resume)
        pos = resume
    return chunks or [text]


def _choose_cut(
    tokens: list[_Token],
    pos: int,
    end: int,
    weight_before: list[int],
    solid_before: list[int],
) -> tuple[int, int]:
    """Where to end the chunk that starts at ``pos`` and fits in tokens[pos:end].

    Returns (cut, resume): the chunk is tokens[pos:cut], the next one starts at ``resume``.
    """
    n = len(tokens)

    def has_content(start: int, stop: int) -> bool:
        return solid_before[stop] > solid_before[start]

    window = weight_before[end] - weight_before[pos]

    def skip_newlines(i: int) -> int:
        while i < n and _is_newline(tokens[i]):
            i += 1
        return i

    # 1. Line breaks. tokens[end] may itself be a newline: it is dropped, so it may be the cut.
    latest_line: int | None = None
    c = min(end, n - 1)
    while c > pos:
        if not _is_newline(tokens[c]):
            c -= 1
            continue
        first = c
        while first - 1 > pos and _is_newline(tokens[first - 1]):
            first -= 1  # cut before a run of newlines, not in its middle
        if not has_content(pos, first):
            break  # everything before is blank: no line break will do
        is_paragraph = skip_newlines(first) - first >= 2
        if is_paragraph and (weight_before[first] - weight_before[pos]) * 3 >= window * 2:
            return first, skip_newlines(first)
        if latest_line is None:
            latest_line = first
        if (weight_before[first] - weight_before[pos]) * 3 < window * 2:
            break  # no paragraph break left in the last third
        c = first - 1
    if latest_line is not None:
        return latest_line, skip_newlines(latest_line)

    # 2. A line longer than the limit: cut after the latest space.
    for c in range(end - 1, pos, -1):
        if _is_space(tokens[c]) and has_content(pos, c + 1):
            return c + 1, c + 1

    # 3. Hard cut between characters: not before a combining mark or a joiner, and not just
    # after an opening tag (it would be left empty). A real grapheme cluster or run of tags is
    # short: the search goes back at most _MAX_BACKOFF tokens, then cuts at the window's end.
    # (Unbounded, "a" followed by thousands of combining marks gave one message per
    # character, each after a scan of the whole window.)
    cut = end
    floor = max(pos + 1, end - _MAX_BACKOFF)
    while cut > floor and (
        tokens[cut - 1].kind == _OPEN
        or tokens[cut - 1].raw == "\u200d"
        or (cut < n and _is_glued(tokens[cut]))
    ):
        cut -= 1
    if cut == floor and floor > pos + 1:
        cut = end
    if not has_content(pos, cut):
        cut = end if end > pos else pos + 1
    return cut, cut
