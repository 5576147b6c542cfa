"""This replica's role, "active" or "standby", for whoever reports it.

The replica (bot/runtime/replica.py) is the only writer: it sets the role here and in its
current Application's ``bot_data["replica_role"]`` together, at each change. The metrics'
"is this replica active" gauge follows it; handlers and
jobs have no use for it (only an active replica runs them).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

from bot import metrics

Role = Literal["active", "standby"]
ACTIVE: Role = "active"
STANDBY: Role = "standby"

_role: Role = STANDBY  # one replica per process (the tests' in-process replicas share it)


def replica_role() -> Role:
    return _role


def set_role(role: Role, bot_data: MutableMapping[str, Any] | None = None) -> None:
    global _role
    _role = role
    metrics.set_active(role == ACTIVE)
    if bot_data is not None:
        bot_data["replica_role"] = role
