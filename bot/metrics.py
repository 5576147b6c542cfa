"""What the bot counts for an operator's Prometheus, and how it is read (``/metrics``).

One registry per process, not prometheus-client's global default: nothing a library registers
there leaks into ``/metrics``, and tests read exactly these series. Several applications in one
process (the tests build many) add to the same series; a test reads a value before and after
what it drives and compares the difference (:func:`value`).

Each fact is counted once, one call at the place where it is decided: an update's end in the
processor (bot/processing.py), a request's outcome where the sending code reads Telegram's
answer (bot/delivery.py for the delivery log's fan-outs, bot/publishing/worker.py for the
effects, bot/publishing/after_commit.py for direct messages; all read errors with
bot/publishing/sender.py's ``outcome_of``), the effects queue where the worker reads it anyway
(no query per scrape), a tick's length in bot/jobs/scheduler.py, the replica's role where the
application starts (bot/app.py) and where the leadership changes it (:func:`set_active`).

Counting must never break the bot: every function here swallows its own failures.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

log = logging.getLogger(__name__)

__all__ = [
    "REGISTRY",
    "delivery",
    "effects_queued",
    "error_handled",
    "exposition",
    "set_active",
    "started",
    "tick_seconds",
    "update_dropped",
    "update_handled",
    "update_kind",
    "value",
]

REGISTRY = CollectorRegistry()
# The process's CPU, memory and open files, the interpreter's collections: what the RSS and
# CPU goals are watched with.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

UPDATES = Counter(
    "clusterbot_updates",
    "Updates this process finished handling, by kind (message, callback_query, ...).",
    ["kind"],
    registry=REGISTRY,
)
UPDATES_DROPPED = Counter(
    "clusterbot_updates_dropped",
    "Updates dropped unhandled because their chat already had a full backlog.",
    registry=REGISTRY,
)
ERRORS = Counter(
    "clusterbot_errors",
    "Failures that reached the error handler: a handler raised (its user was told something "
    "went wrong) or a job did.",
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "clusterbot_update_seconds",
    "Time from the processor starting an update (its chat's turn and a slot taken) to its end.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "clusterbot_deliveries",
    "Requests that send or edit a message, by what came of them: sent, failed (refused, or "
    "surely not delivered), rate_limited (429) or uncertain (no answer: it may have arrived); "
    "path: fanout (the delivery log), effects (answers and group updates), direct.",
    ["path", "outcome"],
    registry=REGISTRY,
)
EFFECTS_QUEUED = Gauge(
    "clusterbot_effects_queued",
    "Effects (answers, group updates) waiting to be carried out, as the worker last read "
    "them (at most 500, what one look reads).",
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "clusterbot_scheduler_tick_seconds",
    "How long one scheduler tick took (opening and closing rounds, reminders, their sending).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
    registry=REGISTRY,
)
REPLICA_ACTIVE = Gauge(
    "clusterbot_replica_active",
    "1 while this replica is the active one (polls, runs the scheduler and the effects "
    "worker), 0 while it stands by.",
    registry=REGISTRY,
)

# Telegram's answers as bot/delivery.py's Outcome names them, in this module's four words.
_OUTCOMES = {
    "sent": "sent",
    "retry_after": "rate_limited",
    "rate_limited": "rate_limited",
    "permanent": "failed",
    "transient": "failed",
    "failed": "failed",
    "uncertain": "uncertain",
}


@cache
def _kinds() -> tuple[str, ...]:
    """The fields of an Update that say what it is, in python-telegram-bot's order (message
    first). Imported when first needed: the command line counts nothing and loads no telegram."""
    from telegram import Update

    return tuple(str(kind) for kind in Update.ALL_TYPES)


def update_kind(update: object) -> str:
    """``message``, ``callback_query``, ``my_chat_member``, ...: the field an update carries."""
    for kind in _kinds():
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def update_handled(update: object, seconds: float) -> None:
    try:
        UPDATES.labels(update_kind(update)).inc()
        UPDATE_SECONDS.observe(seconds)
    except Exception:  # noqa: BLE001 - counting never breaks the bot
        log.debug("metrics: update not counted", exc_info=True)


def update_dropped() -> None:
    try:
        UPDATES_DROPPED.inc()
    except Exception:  # noqa: BLE001
        log.debug("metrics: drop not counted", exc_info=True)


def error_handled() -> None:
    try:
        ERRORS.inc()
    except Exception:  # noqa: BLE001
        log.debug("metrics: error not counted", exc_info=True)


def delivery(path: str, outcome: str) -> None:
    """One request's outcome; ``outcome`` a :class:`bot.delivery.Outcome` or one of sent,
    failed, rate_limited, uncertain."""
    try:
        DELIVERIES.labels(path, _OUTCOMES.get(str(outcome), "failed")).inc()
    except Exception:  # noqa: BLE001
        log.debug("metrics: delivery not counted", exc_info=True)


def effects_queued(count: int) -> None:
    try:
        EFFECTS_QUEUED.set(count)
    except Exception:  # noqa: BLE001
        log.debug("metrics: queue depth not set", exc_info=True)


def tick_seconds(seconds: float) -> None:
    try:
        TICK_SECONDS.observe(seconds)
    except Exception:  # noqa: BLE001
        log.debug("metrics: tick not timed", exc_info=True)


def set_active(active: bool) -> None:
    """This replica became active (True) or stands by (False); the leadership calls it."""
    try:
        REPLICA_ACTIVE.set(1 if active else 0)
    except Exception:  # noqa: BLE001
        log.debug("metrics: role not set", exc_info=True)


def started(bot_data: Any) -> None:
    """At the application's start: active unless the leadership already said otherwise."""
    set_active(bot_data.get("replica_role", "active") == "active")


def value(name: str, **labels: str) -> float:
    """A sample's current value (0 if it has none yet), e.g.
    ``value("clusterbot_deliveries_total", path="effects", outcome="sent")``."""
    found = REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


# The classic text format, which every Prometheus reads; what prometheus-client itself answers a
# scraper that asks for nothing newer (its CONTENT_TYPE_LATEST says 1.0.0 since 0.22, a version
# older servers do not know; the body is the same for names like these).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition() -> tuple[bytes, str]:
    """The body and content type of ``/metrics``: Prometheus's text format."""
    return generate_latest(REGISTRY), CONTENT_TYPE
