"""How the fan-out reads Telegram's failures: what surely did not leave may go again; what may
have been delivered is never sent twice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import Outcome
from bot.publishing.sender import telegram_sender


def timed_out(cause: Exception | None, message: str = "Timed out") -> TimedOut:
    error = TimedOut(message)
    error.__cause__ = cause
    return error


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (timed_out(httpx.ConnectTimeout("connect")), Outcome.TRANSIENT),
        (
            timed_out(None, "Pool timeout: All connections in the connection pool are occupied."),
            Outcome.TRANSIENT,
        ),
        (timed_out(httpx.ReadTimeout("read")), Outcome.UNCERTAIN),
        (timed_out(httpx.WriteTimeout("write")), Outcome.UNCERTAIN),
        (NetworkError("Internal Server Error"), Outcome.TRANSIENT),
        (NetworkError("httpx.ConnectError: refused"), Outcome.TRANSIENT),
        (NetworkError("httpx.ReadError: reset"), Outcome.UNCERTAIN),
        (RetryAfter(3), Outcome.RETRY_AFTER),
        (Forbidden("bot was blocked by the user"), Outcome.PERMANENT),
        (BadRequest("chat not found"), Outcome.PERMANENT),
    ],
)
async def test_each_failure_is_read_for_what_it_says(error: Exception, outcome: Outcome) -> None:
    send = telegram_sender(Failing(error))
    result = await send(42, "xin chào", None)
    assert result.outcome is outcome
