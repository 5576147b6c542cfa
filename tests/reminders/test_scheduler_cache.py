"""The scheduler's "has the department submitted meanwhile?" cache keeps only what it can still
read (2 s): a long-running replica does not keep an entry for every round it ever reminded."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import Outgoing, SendResult
from bot.jobs import scheduler as module
from bot.jobs.scheduler import Scheduler
from storage.database import Database


async def _never(chat_id: int, text: str, markup: object) -> SendResult:
    raise AssertionError("nothing is sent here")


def _reminder(round_id: int) -> Outgoing:
    return Outgoing(f"r{round_id}", 1, "", kind="reminder:due", round_id=round_id, department_id=7)


async def test_entries_past_their_time_are_dropped(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    db = Database(db_url)
    try:
        tick = Scheduler(
            db, _never, clock=lambda: datetime(2024, 1, 5, tzinfo=UTC),
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )  # fmt: skip
        assert await tick._should_send(_reminder(1)) is True  # nobody submitted: still due
        now[0] += 1.0
        assert await tick._should_send(_reminder(2)) is True
        assert set(tick._pending_cache) == {1, 2}  # both still readable
        now[0] += 2.5
        assert await tick._should_send(_reminder(3)) is True
        assert set(tick._pending_cache) == {3}  # 1 and 2 could only be read again after a refresh
    finally:
        await db.dispose()
