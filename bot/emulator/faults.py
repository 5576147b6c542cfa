"""Fault injection for the Bot API emulator: a flaky Telegram, reproducibly.

Assign a :class:`Faults` to ``BotApiEmulator.faults`` (or call ``emu.inject(...)``) and a
fraction of the Bot API requests fail the ways Telegram and the network fail:

``"retry_after"``
    ``429 Too Many Requests: retry after N`` with ``parameters.retry_after`` N
    (:attr:`Faults.retry_after`); the method is not executed. PTB raises ``RetryAfter``.
``"server_error"``
    ``500 Internal Server Error`` or ``502 Bad Gateway`` (drawn from
    :attr:`Faults.server_errors`); executed first in a fraction
    :attr:`Faults.server_error_executed` of them (default never). PTB raises ``NetworkError``.
    With ``bad_gateway_html=True`` a 502 comes as the HTML page Telegram's front end serves
    instead of Bot API JSON (PTB then also logs "Can not load invalid JSON data" with a
    traceback at ERROR level, which is why it is not the default).
``"timeout"``
    The request is held :attr:`Faults.timeout_delay` seconds, longer than the client waits.
    In a fraction :attr:`Faults.timeout_executed` of them the method is executed at once (the
    message was delivered, only the answer is late: the bot must not assume it failed); the
    others are never executed and the connection is closed when the delay is over. PTB raises
    ``TimedOut`` when its read timeout is shorter than the delay.
``"reset"``
    The TCP connection is reset without an answer; after executing the method in a fraction
    :attr:`Faults.reset_executed` of them, before it otherwise. PTB raises ``NetworkError``.

A request is eligible when its method is in :attr:`Faults.methods` (None: every method but
``getUpdates``) and, when :attr:`Faults.chats` is given, its ``chat_id`` is in it.
``getUpdates`` is eligible only with ``get_updates=True``, so the polling loop meets faults
only when a test asks for them. Each eligible request fails with probability
:attr:`Faults.rate`; the kind is drawn with the weights of :attr:`Faults.kinds`. Every draw
comes from one ``random.Random(seed)``, so the same requests in the same order meet the same
faults. With :attr:`Faults.limit`, at most that many random faults are injected (e.g.
``rate=1.0, limit=2``: the next two eligible requests fail, then Telegram recovers).

Independently of the rate, requests that write to a chat in :attr:`Faults.forbidden_chats`
(``send*``, ``copyMessage*``, ``forwardMessage*``, ``edit*``, ``pin*``/``unpin*``,
``deleteMessage*``) are refused ``403 Forbidden: bot was blocked by the user`` (kind
``"forbidden"``), as if each of those users had blocked the bot.

What was injected is counted in :attr:`Faults.injected` (per kind), executed timeouts and
resets in :attr:`Faults.executed`, and every fault is logged in :attr:`Faults.events`; the
emulator also marks the faulted :class:`~bot.emulator.ApiCall` with ``fault``.

Example::

    emu.faults = Faults(rate=0.1, methods={"sendMessage", "editMessageText"}, seed=1)
    ...
    assert emu.faults.injected["retry_after"] > 0
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FAULT_KINDS",
    "FaultDecision",
    "FaultEvent",
    "FaultKind",
    "Faults",
    "is_chat_write",
]

FaultKind = Literal["retry_after", "server_error", "timeout", "reset", "forbidden"]

# The kinds drawn at random (``"forbidden"`` is per chat, not random).
FAULT_KINDS: tuple[FaultKind, ...] = ("retry_after", "server_error", "timeout", "reset")

_WRITE_PREFIXES = (
    "send",
    "copymessage",
    "forwardmessage",
    "edit",
    "pin",
    "unpin",
    "deletemessage",
)


def is_chat_write(method: str) -> bool:
    """Whether a Bot API method writes into a chat (what a blocked user refuses)."""
    return method.lower().startswith(_WRITE_PREFIXES)


@dataclass(frozen=True)
class FaultDecision:
    """What the emulator does to one request."""

    kind: FaultKind
    executed: bool = False  # the method runs before the failure
    error_code: int | None = None  # for retry_after, server_error and forbidden
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0  # for timeout
    html: bool = False  # a 502 answered with the front end's HTML page


@dataclass(frozen=True)
class FaultEvent:
    """One injected fault, for tests and benchmarks to inspect."""

    kind: FaultKind
    method: str
    chat_id: int | None
    executed: bool
    error_code: int | None


@dataclass
class Faults:
    """The fault plan of a :class:`~bot.emulator.BotApiEmulator` (module docstring).

    The plan is read once, at construction: to change it, assign a new ``Faults``.
    """

    rate: float = 0.0
    kinds: Collection[FaultKind] | Mapping[FaultKind, float] = FAULT_KINDS
    methods: Collection[str] | None = None
    chats: Collection[int] | None = None
    seed: int | None = None
    get_updates: bool = False
    retry_after: int = 1
    server_errors: Sequence[int] = (500, 502)
    server_error_executed: float = 0.0
    bad_gateway_html: bool = False
    timeout_delay: float = 10.0
    timeout_executed: float = 0.5
    reset_executed: float = 0.5
    forbidden_chats: Collection[int] = ()
    limit: int | None = None
    injected: Counter[str] = field(default_factory=Counter, init=False)
    executed: Counter[str] = field(default_factory=Counter, init=False)
    events: list[FaultEvent] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        weights = (
            dict(self.kinds) if isinstance(self.kinds, Mapping) else dict.fromkeys(self.kinds, 1.0)
        )
        unknown = set(weights) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(
                f"unknown fault kinds {sorted(unknown)}; use {list(FAULT_KINDS)} "
                "(403s come from forbidden_chats)"
            )
        if any(w < 0 for w in weights.values()):
            raise ValueError("fault kind weights must not be negative")
        if self.rate > 0 and not any(w > 0 for w in weights.values()):
            raise ValueError("a positive rate needs at least one fault kind")
        for name in ("server_error_executed", "timeout_executed", "reset_executed"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        if not self.server_errors or any(not 500 <= c <= 599 for c in self.server_errors):
            raise ValueError("server_errors must be 5xx codes")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")
        if self.timeout_delay < 0:
            raise ValueError("timeout_delay must not be negative")
        self._weights: dict[FaultKind, float] = {k: w for k, w in weights.items() if w > 0}
        self._methods = None if self.methods is None else {m.lower() for m in self.methods}
        self._chats = None if self.chats is None else set(self.chats)
        self._forbidden = set(self.forbidden_chats)
        self._rng = random.Random(self.seed)

    @property
    def total(self) -> int:
        """How many faults were injected, all kinds together."""
        return sum(self.injected.values())

    def eligible(self, method: str, chat_id: int | None) -> bool:
        """Whether a request may meet a random fault."""
        name = method.lower()
        if name == "getupdates":
            if not self.get_updates:
                return False
        elif self._methods is not None and name not in self._methods:
            return False
        return self._chats is None or (chat_id is not None and chat_id in self._chats)

    def decide(self, method: str, chat_id: int | None) -> FaultDecision | None:
        """Draw the fate of one request (None: it goes through) and count it."""
        decision = self._draw(method, chat_id)
        if decision is not None:
            self.injected[decision.kind] += 1
            if decision.executed:
                self.executed[decision.kind] += 1
            self.events.append(
                FaultEvent(decision.kind, method, chat_id, decision.executed, decision.error_code)
            )
        return decision

    def _draw(self, method: str, chat_id: int | None) -> FaultDecision | None:
        if chat_id is not None and chat_id in self._forbidden and is_chat_write(method):
            return FaultDecision(
                "forbidden", error_code=403, description="Forbidden: bot was blocked by the user"
            )
        if self.rate <= 0 or not self.eligible(method, chat_id):
            return None
        if self.limit is not None and self.total - self.injected["forbidden"] >= self.limit:
            return None
        rng = self._rng
        if rng.random() >= self.rate:
            return None
        kinds = list(self._weights)
        kind = rng.choices(kinds, weights=[self._weights[k] for k in kinds])[0]
        if kind == "retry_after":
            seconds = self.retry_after
            return FaultDecision(
                kind,
                error_code=429,
                description=f"Too Many Requests: retry after {seconds}",
                retry_after=seconds,
            )
        if kind == "server_error":
            code = rng.choice(list(self.server_errors))
            description = "Bad Gateway" if code == 502 else "Internal Server Error"
            return FaultDecision(
                kind,
                executed=rng.random() < self.server_error_executed,
                error_code=code,
                description=description,
                html=code == 502 and self.bad_gateway_html,
            )
        if kind == "timeout":
            return FaultDecision(
                kind, executed=rng.random() < self.timeout_executed, delay=self.timeout_delay
            )
        return FaultDecision(kind, executed=rng.random() < self.reset_executed)
