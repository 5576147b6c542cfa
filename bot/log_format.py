"""``CLUSTERBOT_LOG_FORMAT=json``: one JSON object per line, for a log collector.

Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``; inside an
update ``update_id``, ``chat_id`` and ``handler`` (bot/log_context.py); ``exception`` (the whole
traceback as one string) and ``stack`` when the record has them. Nothing else from the record:
a caller's ``extra=`` never reaches the collector unread.

The token is a password. The handlers' RedactToken filter (bot/app.py) already takes it out of
the message; this formatter also takes it out of every field it writes, the traceback included
(an HTTP error's text may hold the request URL, and the URL holds the token).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.log_context import current

__all__ = ["JsonFormatter", "TextFormatter"]

REDACTED = "<token>"


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields.update(current())
        if record.exc_info:
            # Formatted here each time rather than cached on the record (record.exc_text),
            # which another handler's formatter would then print unredacted.
            fields["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            fields["exception"] = record.exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        for key, text in fields.items():
            if isinstance(text, str):
                fields[key] = self._redact(text)
        # One line whatever the message holds: json.dumps escapes the newlines.
        return json.dumps(fields, ensure_ascii=False, default=str)

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(logging.Formatter):
    """The default one-line text format, with the token taken out of the whole formatted record:
    the message and the traceback (RedactToken sees only the message)."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the traceback on the record (exc_text): keep it uncached, or another
        # handler's formatter would print it unredacted.
        cached = record.exc_text
        try:
            text = super().format(record)
        finally:
            record.exc_text = cached
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def _utc(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
