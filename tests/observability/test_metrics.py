"""/metrics's numbers move with what the bot does, driven through the emulator.

The registry is the process's: other tests (and the cluster set-up) have added to it before, so
each test reads the values before and after what it drives and compares the difference."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram import CallbackQuery, Chat, Message, Update, User

from bot import log_context, metrics
from bot.emulator.faults import Faults, is_chat_write
from bot.emulator.harness import Harness
from bot.jobs.scheduler import get_scheduler
from bot.processing import ChatOrderedProcessor
from tests.conftest import Clock, Cluster
from tests.reminders.conftest import create_schema

GOOD = ["187", "28", "55", "100", "Tốt"]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PATHS = ("fanout", "effects", "direct")
OUTCOMES = ("sent", "failed", "rate_limited", "uncertain")


def readings() -> dict[str, float]:
    """Every value a test here compares."""
    values = {
        f"updates:{kind}": metrics.value("clusterbot_updates_total", kind=kind)
        for kind in ("message", "callback_query", "edited_message", "my_chat_member")
    }
    values["handled"] = metrics.value("clusterbot_update_seconds_count")
    values["ticks"] = metrics.value("clusterbot_scheduler_tick_seconds_count")
    for path in PATHS:
        for outcome in OUTCOMES:
            values[f"{path}:{outcome}"] = metrics.value(
                "clusterbot_deliveries_total", path=path, outcome=outcome
            )
    return values


def moved(before: dict[str, float]) -> dict[str, float]:
    """What changed since ``before`` (zeros left out)."""
    after = readings()
    return {key: after[key] - before[key] for key in after if after[key] != before[key]}


def delivered(cluster: Cluster, since: int) -> int:
    """Messages sent or edited that Telegram took, since the ``since``-th request."""
    return sum(
        1
        for call in cluster.emu.calls[since:]
        if is_chat_write(call.method) and call.error_code is None and call.fault is None
    )


async def test_an_officer_reporting_moves_updates_latency_and_deliveries(cluster: Cluster) -> None:
    before, calls = readings(), len(cluster.emu.calls)
    await cluster.open_round()  # one message
    await cluster.submit("bac-giang", GOOD)  # the figures (a message), then "Xác nhận" (a press)
    change = moved(before)
    assert change.get("updates:message") == 2, change
    assert change.get("updates:callback_query") == 1, change
    assert change.get("handled") == 3, change  # each update timed once
    assert change.get("effects:sent", 0) >= 3, change  # answers and the group's progress
    # Every message Telegram took was counted once, on whichever path sent it; nothing failed.
    assert sum(change.get(f"{path}:sent", 0) for path in PATHS) == delivered(cluster, calls)
    assert not any(key.endswith(("failed", "rate_limited", "uncertain")) for key in change)


async def test_a_429_on_an_answer_counts_as_rate_limited_then_sent(cluster: Cluster) -> None:
    officer = cluster.officers["hoa-binh"]
    cluster.emu.faults = Faults(rate=1.0, kinds=["retry_after"], methods={"sendMessage"}, limit=1)
    before = readings()
    replies = await cluster.h.say(officer, officer.id, "/whoami")
    change = moved(before)
    assert cluster.emu.faults.injected["retry_after"] == 1
    assert replies, "the answer went out once the 429's second had passed"
    assert change.get("effects:rate_limited") == 1, change
    assert change.get("effects:sent", 0) >= 1, change


async def test_a_timeout_counts_as_uncertain_and_a_blocked_user_as_failed(
    sqlite_url: str, clock: Clock
) -> None:
    async with Harness(sqlite_url, clock=clock, request_timeout=0.5) as h:
        lan, minh = h.user(5001, "Lan"), h.user(5002, "Minh")
        # Telegram takes the answer but says so only after the bot stopped waiting.
        h.emu.faults = Faults(
            rate=1.0,
            kinds=["timeout"],
            methods={"sendMessage"},
            timeout_delay=1.0,
            timeout_executed=1.0,
            limit=1,
        )
        before = readings()
        await h.say(lan, lan.id, "/start")
        change = moved(before)
        assert h.emu.faults.injected["timeout"] == 1
        assert change.get("effects:uncertain") == 1, change
        assert change.get("effects:sent") == 1, change  # the worker sent it again (see worker.py)
        h.emu.faults = Faults(forbidden_chats={minh.id})  # Minh blocked the bot
        before = readings()
        assert await h.say(minh, minh.id, "/start") == []
        change = moved(before)
        assert change.get("effects:failed") == 1, change
        assert "effects:sent" not in change, change


async def test_a_tick_is_timed_and_its_reminders_counted_with_a_429(
    cluster: Cluster,
) -> None:
    h = cluster.h
    await create_schema(h.database_url)
    await cluster.open_round("2023-Q4", "15/01/2024")
    await h.settled()
    cluster.clock.now = datetime(2024, 1, 8, 8, 0, tzinfo=HANOI).astimezone(UTC)  # 7 days before
    cluster.emu.faults = Faults(rate=1.0, kinds=["retry_after"], methods={"sendMessage"}, limit=1)
    before, calls = readings(), len(cluster.emu.calls)
    assert h.app is not None
    report = await get_scheduler(h.app).tick()
    change = moved(before)
    assert change.get("ticks") == 1, change
    assert report.delivery.sent >= len(cluster.officers)  # every officer reminded, the group too
    assert change.get("fanout:sent") == report.delivery.sent == delivered(cluster, calls)
    assert change.get("fanout:rate_limited") == report.delivery.retry_after == 1, change


async def test_the_effects_queue_is_what_the_worker_last_read(cluster: Cluster) -> None:
    # A 429 that says "wait 10 s" (longer than the harness waits for): the answer stays queued.
    officer = cluster.officers["phu-tho"]
    cluster.emu.faults = Faults(
        rate=1.0, kinds=["retry_after"], methods={"sendMessage"}, retry_after=10, limit=1
    )
    assert metrics.value("clusterbot_effects_queued") == 0
    replies = await cluster.h.say(officer, officer.id, "/whoami")
    assert replies == []
    assert metrics.value("clusterbot_effects_queued") == 1


async def test_the_replica_is_active_unless_the_leadership_says_otherwise(
    cluster: Cluster,
) -> None:
    assert metrics.value("clusterbot_replica_active") == 1  # started without leadership
    try:
        metrics.set_active(False)
        assert metrics.value("clusterbot_replica_active") == 0
        metrics.started({"replica_role": "standby"})
        assert metrics.value("clusterbot_replica_active") == 0
        metrics.started({"replica_role": "active"})
        assert metrics.value("clusterbot_replica_active") == 1
    finally:
        metrics.set_active(True)


async def test_the_exposition_parses_and_says_what_the_registry_holds(cluster: Cluster) -> None:
    await cluster.h.say(cluster.officers["yen-bai"], cluster.officers["yen-bai"].id, "/whoami")
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain") and "version=0.0.4" in content_type
    families = {f.name: f for f in text_string_to_metric_families(body.decode("utf-8"))}
    expected = {
        "clusterbot_updates": "counter",
        "clusterbot_update_seconds": "histogram",
        "clusterbot_deliveries": "counter",
        "clusterbot_effects_queued": "gauge",
        "clusterbot_scheduler_tick_seconds": "histogram",
        "clusterbot_replica_active": "gauge",
        "clusterbot_errors": "counter",
        "process_resident_memory_bytes": "gauge",
    }
    assert {name: families[name].type for name in expected if name in families} == expected
    served = {
        sample.labels["kind"]: sample.value
        for sample in families["clusterbot_updates"].samples
        if sample.name == "clusterbot_updates_total"
    }
    assert served["message"] == metrics.value("clusterbot_updates_total", kind="message") > 0


def test_counting_never_raises_into_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the registry is broken")

    monkeypatch.setattr(metrics.DELIVERIES, "labels", broken)
    monkeypatch.setattr(metrics.UPDATE_SECONDS, "observe", broken)
    monkeypatch.setattr(metrics.EFFECTS_QUEUED, "set", broken)
    metrics.delivery("effects", "sent")
    metrics.update_handled(object(), 0.1)
    metrics.effects_queued(3)


def test_update_kinds_are_the_field_an_update_carries() -> None:
    user = User(1, "Lan", False)
    message = Message(1, datetime.now(UTC), Chat(1, "private"), from_user=user)
    assert metrics.update_kind(Update(1, message=message)) == "message"
    assert metrics.update_kind(Update(2, edited_message=message)) == "edited_message"
    query = CallbackQuery("q", user, "instance", message=message, data="x")
    assert metrics.update_kind(Update(3, callback_query=query)) == "callback_query"
    assert metrics.update_kind(object()) == "other"


async def test_the_processor_counts_a_dropped_update_and_scopes_the_log_fields() -> None:
    def update(update_id: int) -> Update:
        message = Message(
            update_id, datetime.now(UTC), Chat(42, "private"), from_user=User(42, "A", False)
        )
        return Update(update_id, message=message)

    processor = ChatOrderedProcessor(backlog=1)
    started, release = asyncio.Event(), asyncio.Event()
    seen: list[dict[str, object]] = []

    async def work() -> None:
        seen.append(log_context.current())
        started.set()
        await release.wait()

    async def never() -> None:
        raise AssertionError("a dropped update never runs")

    before = readings(), metrics.value("clusterbot_updates_dropped_total")
    first = asyncio.create_task(processor.process_update(update(7), work()))
    await started.wait()
    await processor.process_update(update(8), never())  # the chat's backlog is full: dropped
    release.set()
    await first
    assert metrics.value("clusterbot_updates_dropped_total") - before[1] == 1
    assert moved(before[0]) == {"updates:message": 1, "handled": 1}
    assert seen == [{"update_id": 7, "chat_id": 42}]  # inside the update, before any handler
    assert log_context.current() == {}  # and nothing once it is over
