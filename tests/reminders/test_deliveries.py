"""The delivery log on SQLite and PostgreSQL: a claim is won once, across engines' connections
and processes; outcomes are recorded; crashed claims are never resent."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from bot.delivery import recover
from storage import deliveries
from storage.database import Database
from storage.deliveries import Claim
from storage.models_delivery import Delivery
from storage.types import utcnow

ROOT = Path(__file__).resolve().parents[2]


def claim_of(n: int, kind: str = "test") -> Claim:
    return Claim(key=f"k:{n}", kind=kind, chat_id=100 + n)


async def claim(db: Database, item: Claim, owner: str, **kw: object) -> int | None:
    async with db.session() as session:
        return await deliveries.claim(session, item, owner, **kw)  # type: ignore[arg-type]  # fields from a dict, checked at run time


async def test_a_key_is_claimed_once(db: Database) -> None:
    first = await claim(db, claim_of(1), "a")
    assert first is not None
    assert await claim(db, claim_of(1), "b") is None
    async with db.session() as session:
        row = await session.get(Delivery, first)
        assert row is not None and row.state == "claimed" and row.owner == "a"
        assert row.attempts == 1


async def test_two_concurrent_claimers_on_separate_connections(db_url: str) -> None:
    one, two = Database(db_url), Database(db_url)
    try:

        async def run(db: Database, owner: str) -> list[int]:
            won = []
            for n in range(60):
                if await claim(db, claim_of(n), owner) is not None:
                    won.append(n)
                await asyncio.sleep(0)
            return won

        a, b = await asyncio.gather(run(one, "a"), run(two, "b"))
        assert sorted(a + b) == list(range(60))
        assert not set(a) & set(b)
    finally:
        await one.dispose()
        await two.dispose()


async def test_two_processes_claim_each_key_once(db_url: str) -> None:
    count = 150
    commands = [
        [sys.executable, "-m", "tests.reminders.claimer", db_url, owner, str(count)]
        for owner in ("p1", "p2")
    ]
    processes = [
        await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        for command in commands
    ]
    outputs = [
        (await asyncio.wait_for(p.communicate(), timeout=120))[0].decode() for p in processes
    ]
    assert [p.returncode for p in processes] == [0, 0]
    won = [[int(n) for n in out.split()] for out in outputs]
    assert sorted(won[0] + won[1]) == list(range(count))
    db = Database(db_url)
    try:
        async with db.session() as session:
            assert await deliveries.count_by_state(session) == {"claimed": count}
    finally:
        await db.dispose()


async def test_outcomes_and_retry(db: Database) -> None:
    sent = await claim(db, claim_of(1), "a")
    refused = await claim(db, claim_of(2), "a")
    flaky = await claim(db, claim_of(3), "a")
    assert sent and refused and flaky
    async with db.session() as session:
        await deliveries.mark_sent(session, sent, 77)
        await deliveries.mark_failed(session, refused, "Forbidden: blocked", permanent=True)
        await deliveries.mark_failed(session, flaky, "ConnectError", permanent=False)
    assert await claim(db, claim_of(1), "b") is None
    assert await claim(db, claim_of(2), "b") is None  # refused for good: never again
    # A transient failure may be claimed again, by one claimer only, a limited number of times.
    again = await claim(db, claim_of(3), "b")
    assert again == flaky
    assert await claim(db, claim_of(3), "c") is None
    async with db.session() as session:
        await deliveries.mark_failed(session, flaky, "ConnectError", permanent=False)
    assert await claim(db, claim_of(3), "c", max_attempts=2) is None
    assert await claim(db, claim_of(3), "c", max_attempts=3) == flaky
    async with db.session() as session:
        states = await deliveries.states_of(session, ["k:1", "k:2", "k:3", "k:4"])
        row = await session.get(Delivery, sent)
    assert states == {"k:1": "sent", "k:2": "failed_permanent", "k:3": "claimed"}
    assert row is not None and row.message_id == 77 and row.sent_at is not None


async def test_queued_rows_are_taken_once(db: Database) -> None:
    async with db.session() as session:
        assert await deliveries.enqueue(
            session,
            claim_of(5, "close"),
            "<b>closed</b>",
            [[{"text": "x", "url": "https://t.me/x"}]],
        )
        assert not await deliveries.enqueue(session, claim_of(5, "close"), "again")
    async with db.session() as session:
        rows = await deliveries.queued(session)
    assert [r.text for r in rows] == ["<b>closed</b>"]
    assert rows[0].id is not None
    async with db.session() as session:
        assert await deliveries.claim_queued(session, rows[0].id, "a")
    async with db.session() as session:
        assert not await deliveries.claim_queued(session, rows[0].id, "b")
        assert await deliveries.queued(session) == []
    # A queued key is not claimable by the computed path either.
    assert await claim(db, claim_of(5, "close"), "c") is None


async def test_recovery_marks_abandoned_claims_uncertain_and_never_resends(db: Database) -> None:
    old = await claim(db, claim_of(1), "dead", now=utcnow() - timedelta(minutes=10))
    fresh = await claim(db, claim_of(2), "alive")
    assert old and fresh
    async with db.session() as session:
        stale = await deliveries.stale_claims(session, utcnow() - timedelta(minutes=2))
    assert [r.id for r in stale] == [old]
    assert await recover(db, timedelta(minutes=2)) == 1
    async with db.session() as session:
        states = await deliveries.states_of(session, ["k:1", "k:2"])
    assert states == {"k:1": "uncertain", "k:2": "claimed"}
    assert await claim(db, claim_of(1), "new") is None
    assert await claim(db, claim_of(2), "new") is None
