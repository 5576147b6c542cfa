"""Updates received over HTTP (webhook mode): who may post them, and each handled once.

python-telegram-bot's "custom webhook" pattern: our own HTTP server (bot/runtime/http.py) takes
the POST, and the update goes into ``application.update_queue``, from which the Application
processes it exactly as a polled one. The answer goes back at once, before any processing:
Telegram waits for it (and for nothing else) before the next update of the chat, and a late
answer makes it deliver the same update again.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict

__all__ = ["RecentIds", "secret_matches"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_matches(expected: str, given: str | None) -> bool:
    """Constant-time: how long the comparison takes says nothing about the secret."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class RecentIds:
    """The newest ``keep`` update ids seen: Telegram redelivers an update whose answer was late
    or lost, and the second copy must not run the handler again (a report confirmed twice, a
    vote counted twice would be refused by the services anyway, but a reply would repeat).

    Update ids only grow, and a redelivery comes within minutes: 10.000 ids cover hours of a
    busy cluster. Kept in memory: after a takeover the new active does not know the old one's
    ids, so an update answered late just before the switch may run twice (the services' own
    checks, such as one submission per revision, still hold).
    """

    def __init__(self, keep: int = 10_000) -> None:
        self.keep = keep
        self._ids: OrderedDict[int, None] = OrderedDict()
        self.repeats = 0

    def first_time(self, update_id: int) -> bool:
        """True, and remembered, if ``update_id`` was not seen; False for a repeat."""
        if update_id in self._ids:
            self.repeats += 1
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.keep:
            self._ids.popitem(last=False)
        return True

    def forget(self, update_id: int) -> None:
        """It could not be queued after all: a redelivery must get through."""
        self._ids.pop(update_id, None)
