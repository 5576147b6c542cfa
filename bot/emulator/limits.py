"""Telegram's flood limits, enforced on demand (``BotApiEmulator(enforce_limits=True)``).

More than 30 messages in any second overall, a second message to one chat within a second,
or more than 20 in a minute to one group is answered 429 with ``retry_after``, as Telegram
does. The random failures of a flaky Telegram are :mod:`bot.emulator.faults`'s.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from bot.emulator.model import ApiError

__all__ = ["RateLimits"]


class RateLimits:
    """The limits' settings (``limit_*``), the 429s answered, and the hook that checks them."""

    def _init_limits(self, enforce_limits: bool) -> None:
        self.enforce_limits = enforce_limits
        self.limit_overall = 30
        self.limit_per_chat_interval = 1.0
        self.limit_group_per_minute = 20
        self.limit_429s = 0
        self.limit_clock: Callable[[], float] = time.monotonic
        self._limit_overall_times: deque[float] = deque()
        self._limit_chat_last: dict[int, float] = {}
        self._limit_group_times: dict[int, deque[float]] = {}

    def _check_limits(self, method: str, chat_id: int | None) -> None:
        """Hook called before every Bot API method is executed.

        With ``enforce_limits`` (off by default), messages sent to a chat (``send*`` but
        ``sendChatAction``, ``copyMessage*``, ``forwardMessage*``) obey Telegram's flood limits: at most
        ``limit_overall`` in any second, one per ``limit_per_chat_interval`` seconds in a chat,
        ``limit_group_per_minute`` in any minute in a group (negative chat id). Beyond them the
        answer is ``429 Too Many Requests: retry after N`` with ``retry_after`` N (whole seconds,
        at least 1) and the request is not executed; ``limit_429s`` counts those answers.
        ``chat_id`` is the request's integer ``chat_id`` when it has one, else None.
        """
        if not self.enforce_limits or chat_id is None:
            return
        name = method.lower()
        if not name.startswith(("send", "copymessage", "forwardmessage")):
            return
        if name == "sendchataction":
            return
        now = self.limit_clock()
        overall = self._limit_overall_times
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        wait = 0.0
        if len(overall) >= self.limit_overall:
            wait = max(wait, overall[0] + 1.0 - now)
        last = self._limit_chat_last.get(chat_id)
        if last is not None and now - last < self.limit_per_chat_interval:
            wait = max(wait, last + self.limit_per_chat_interval - now)
        group = None
        if chat_id < 0:
            group = self._limit_group_times.setdefault(chat_id, type(overall)())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.limit_group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        if wait > 0:
            self.limit_429s += 1
            seconds = max(1, int(wait + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        overall.append(now)
        self._limit_chat_last[chat_id] = now
        if group is not None:
            group.append(now)
