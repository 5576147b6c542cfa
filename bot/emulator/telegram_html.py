"""Validation of Telegram's HTML formatting (``parse_mode=HTML``).

The parser mirrors the one in Telegram's server library (tdlib, ``parse_html``): the same
tags, the same attribute rules and the same error messages ("Unsupported start tag ... at
byte offset N", "Can't find end tag corresponding to start tag ...").

By default it is *stricter* than Telegram in two places where Telegram silently shows
something the author almost certainly did not mean:

* an ``&`` that does not start one of ``&lt; &gt; &amp; &quot;`` or a numeric entity
  (``&#123;`` / ``&#x1F;``, with the semicolon) is an error; Telegram would render it
  literally (``&nbsp;`` shows up as the text "&nbsp;");
* ``<a>`` needs a non-empty ``href``; Telegram would take the link text as the URL or drop
  the link.

Pass ``strict=False`` to get Telegram's lenient behaviour for those two cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALLOWED_TAGS",
    "TelegramHtmlError",
    "parse_html",
    "parse_html_entities",
    "utf16_len",
]

#: Tag names Telegram accepts in HTML mode.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)

_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Strict entity syntax: the four named entities or a numeric one, always with ';'.
_STRICT_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]+)|#x([0-9a-fA-F]+));")

# tdlib's whitespace set for tag parsing.
_SPACES = frozenset(" \t\r\n\f\v")


class TelegramHtmlError(ValueError):
    """Raised for markup Telegram refuses; ``description`` reads like Telegram's error."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Telegram entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    begin_pos: int  # byte offset of '<'
    utf16_offset: int
    argument: str = ""
    language: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Parser:
    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.n = len(text)
        self.strict = strict
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers -------------------------------------------------------------------------

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8", errors="surrogatepass"))

    def error(self, message: str) -> TelegramHtmlError:
        return TelegramHtmlError(f"Can't parse entities: {message}")

    def char_at(self, i: int) -> str:
        return self.text[i] if i < self.n else ""

    def emit(self, s: str) -> None:
        self.out.append(s)
        self.utf16 += utf16_len(s)

    def decode_entity(self, i: int) -> tuple[str, int] | None:
        """Decode an HTML entity starting at ``i`` (which is '&').

        Returns (decoded character, index after the entity) or None when the '&' does not
        start an entity Telegram understands.
        """
        if self.strict:
            m = _STRICT_ENTITY_RE.match(self.text, i)
            if m is None:
                return None
            if m.group(1):
                return _NAMED_ENTITIES[m.group(1)], m.end()
            code = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
            if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            return chr(code), m.end()
        # tdlib's lenient decoder: ';' optional, lowercase 'x' only, unknown -> None.
        end = i + 1
        if self.char_at(end) == "#":
            end += 1
            code = 0
            if self.char_at(end) == "x":
                end += 1
                while end < self.n and self.text[end] in "0123456789abcdefABCDEF":
                    code = code * 16 + int(self.text[end], 16)
                    end += 1
                    if code >= 0x10FFFF:
                        return None
            else:
                while end < self.n and self.text[end].isascii() and self.text[end].isdigit():
                    code = code * 10 + int(self.text[end])
                    end += 1
                    if code >= 0x10FFFF:
                        return None
            if code == 0 or 0xD800 <= code <= 0xDFFF:
                return None
            decoded = chr(code)
        else:
            while end < self.n and self.text[end].isascii() and self.text[end].isalpha():
                end += 1
            name = self.text[i + 1 : end]
            if name not in _NAMED_ENTITIES:
                return None
            decoded = _NAMED_ENTITIES[name]
        if self.char_at(end) == ";":
            end += 1
        return decoded, end

    # -- main loop -----------------------------------------------------------------------

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < self.n:
            c = self.text[i]
            if c == "&":
                decoded = self.decode_entity(i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict:
                    raise self.error(
                        f"Unsupported HTML entity at byte offset {self.byte_offset(i)}; "
                        'a literal "&" must be written as "&amp;"'
                    )
                self.emit(c)
                i += 1
                continue
            if c != "<":
                self.emit(c)
                i += 1
                continue
            if self.char_at(i + 1) == "/":
                i = self.parse_end_tag(i)
            else:
                i = self.parse_start_tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def parse_start_tag(self, begin: int) -> int:
        begin_pos = self.byte_offset(begin)
        i = begin + 1
        name_start = i
        while i < self.n and self.text[i] not in _SPACES and self.text[i] != ">":
            i += 1
        if i >= self.n:
            raise self.error(f"Unclosed start tag at byte offset {begin_pos}")
        tag_name = self.text[name_start:i].lower()
        if tag_name not in ALLOWED_TAGS:
            raise self.error(f'Unsupported start tag "{tag_name}" at byte offset {begin_pos}')

        tag = _OpenTag(name=tag_name, begin_pos=begin_pos, utf16_offset=self.utf16)
        has_href = False
        has_emoji_id = False
        while True:
            while i < self.n and self.text[i] in _SPACES:
                i += 1
            if i >= self.n:
                raise self.error(f'Unclosed start tag "{tag_name}" at byte offset {begin_pos}')
            if self.text[i] == ">":
                i += 1
                break
            attr_start = i
            while i < self.n and self.text[i] not in _SPACES and self.text[i] not in "=>":
                i += 1
            attr_name = self.text[attr_start:i].lower()
            if not attr_name:
                raise self.error(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset {begin_pos}'
                )
            while i < self.n and self.text[i] in _SPACES:
                i += 1
            if self.char_at(i) != "=":
                if tag_name == "blockquote" and attr_name == "expandable":
                    tag.extra["expandable"] = True
                    continue
                if i >= self.n:
                    raise self.error(f'Unclosed start tag "{tag_name}" at byte offset {begin_pos}')
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {begin_pos}'
                )
            i += 1  # '='
            while i < self.n and self.text[i] in _SPACES:
                i += 1
            if i >= self.n:
                raise self.error(f'Unclosed start tag "{tag_name}" at byte offset {begin_pos}')
            quote = self.text[i]
            if quote not in "'\"":
                # A name token: letters, digits, periods and hyphens; case-insensitive.
                token_start = i
                while i < self.n and (
                    (self.text[i].isascii() and self.text[i].isalnum()) or self.text[i] in ".-"
                ):
                    i += 1
                value = self.text[token_start:i].lower()
                if i >= self.n or (self.text[i] not in _SPACES and self.text[i] != ">"):
                    raise self.error(
                        f"Unexpected end of name token at byte offset "
                        f"{self.byte_offset(token_start)}"
                    )
            else:
                i += 1
                parts: list[str] = []
                while i < self.n and self.text[i] != quote:
                    if self.text[i] == "&":
                        decoded = self.decode_entity(i)
                        if decoded is not None:
                            parts.append(decoded[0])
                            i = decoded[1]
                            continue
                        if self.strict:
                            raise self.error(
                                f"Unsupported HTML entity at byte offset {self.byte_offset(i)}"
                                ' in an attribute value; a literal "&" must be written as '
                                '"&amp;"'
                            )
                    parts.append(self.text[i])
                    i += 1
                if i >= self.n:
                    raise self.error(f'Unclosed start tag "{tag_name}" at byte offset {begin_pos}')
                i += 1  # closing quote
                value = "".join(parts)

            if tag_name == "a" and attr_name == "href":
                tag.argument = value
                has_href = True
            elif tag_name == "code" and attr_name == "class" and value.startswith("language-"):
                tag.language = value[len("language-") :]
            elif tag_name == "span" and attr_name == "class" and value.startswith("tg-"):
                tag.argument = value[len("tg-") :]
            elif tag_name == "tg-emoji" and attr_name == "emoji-id":
                tag.argument = value
                has_emoji_id = True
            # Any other attribute is ignored, like Telegram does.

        if tag_name == "span" and tag.argument != "spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {begin_pos}')
        if tag_name == "a" and self.strict and (not has_href or not tag.argument.strip()):
            raise self.error(f'Tag "a" must have attribute "href" at byte offset {begin_pos}')
        if tag_name == "tg-emoji":
            if not has_emoji_id or not tag.argument.isdigit() or int(tag.argument) == 0:
                raise self.error(
                    f"Invalid custom emoji identifier specified at byte offset {begin_pos}"
                )
        self.stack.append(tag)
        return i

    def parse_end_tag(self, begin: int) -> int:
        begin_pos = self.byte_offset(begin)
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {begin_pos}")
        i = begin + 2
        name_start = i
        while i < self.n and self.text[i] not in _SPACES and self.text[i] != ">":
            i += 1
        end_name = self.text[name_start:i].lower()
        while i < self.n and self.text[i] in _SPACES:
            i += 1
        if self.char_at(i) != ">":
            raise self.error(f"Unclosed end tag at byte offset {begin_pos}")
        i += 1
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise self.error(
                f"Unmatched end tag at byte offset {begin_pos}, expected "
                f'"</{tag.name}>", found "</{end_name}>"'
            )
        self.close_entity(tag)
        return i

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_offset
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x">: the language belongs to the pre block.
            parent = self.stack[-1]
            if tag.language and parent.utf16_offset == tag.utf16_offset:
                parent.language = tag.language
                return
        if length <= 0:
            return
        entity: dict[str, Any] = {
            "type": _ENTITY_TYPES[tag.name],
            "offset": tag.utf16_offset,
            "length": length,
        }
        if tag.name == "a":
            if not tag.argument:
                return  # lenient mode: Telegram drops a link without a URL
            entity["url"] = tag.argument
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and tag.extra.get("expandable"):
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        self.entities.append(entity)


def parse_html_entities(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and Bot API ``MessageEntity`` dicts.

    Entity offsets and lengths are in UTF-16 code units, as in the Bot API.
    Raises :class:`TelegramHtmlError` when Telegram would refuse the markup.
    """
    return _Parser(text, strict).parse()


def parse_html(text: str, *, strict: bool = True) -> str:
    """Return the plain text of Telegram HTML (tags removed, entities decoded).

    Raises :class:`TelegramHtmlError` (description starting with "Can't parse entities:")
    when Telegram would refuse the markup.
    """
    return parse_html_entities(text, strict=strict)[0]
