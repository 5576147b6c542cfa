"""This replica's role, "active" or "standby", for whoever reports it.

The replica (bot/runtime/replica.py) is the only writer: it sets the role here and in its
current Application's ``bot_data["replica_role"]`` together, at each change. The metrics
(``bot.metrics``, the "is this replica active" gauge) read :func:`replica_role`; handlers and
jobs have no use for it (only an active replica runs them).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

Role = Literal["active", "standby"]
ACTIVE: Role = "active"
STANDBY: Role = "standby"

_role: Role = STANDBY  # one replica per process (the tests' in-process replicas share it)


def replica_role() -> Role:
    return _role


def set_role(role: Role, bot_data: MutableMapping[str, Any] | None = None) -> None:
    global _role
    _role = role
    if bot_data is not None:
        bot_data["replica_role"] = role
