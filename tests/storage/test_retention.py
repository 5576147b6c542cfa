"""Retention on both engines: what is older than the cutoff and finished goes, what is recent,
pending or still needed by a live feature stays, and after a prune the delivery log still sends
an open round's messages exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.jobs import retention
from storage import clusters, deliveries, pacts, rounds
from storage.database import Database
from storage.deliveries import Claim
from storage.models import Draft, Round
from storage.models_announcements import Announcement
from storage.models_delivery import Delivery
from storage.models_elections import Election, ElectionOffice
from tests.conftest import CLUSTER

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=400)
OLD = NOW - timedelta(days=500)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def db(example_db: Database) -> Database:
    return example_db


class World:
    """Two rounds of the example cluster: 2023 closed, 2024 still open."""

    def __init__(self, closed: Round, open_: Round, departments: list[int]) -> None:
        assert closed.id is not None and open_.id is not None
        self.closed, self.open = closed.id, open_.id
        self.departments = departments


async def _world(db: Database) -> World:
    async with db.session() as s:
        departments = [d.id for d in await clusters.list_departments(s, CLUSTER) if d.id]
        closed = await rounds.open_round(
            s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None, OLD
        )
        await rounds.close_round(s, closed, OLD)
        open_ = await rounds.open_round(
            s, CLUSTER, "2024", date(2024, 1, 1), date(2025, 1, 15), None, OLD
        )
    return World(closed, open_, departments)


def _delivery(key: str, state: str, at: datetime, round_id: int | None = None) -> Delivery:
    return Delivery(
        key=key,
        kind=key.split(":")[1] if key.startswith("r") else key.split(":")[0],
        chat_id=1001,
        cluster_id=CLUSTER,
        round_id=round_id,
        state=state,
        attempts=1,
        created_at=at,
        updated_at=at,
    )


async def _keys(db: Database) -> set[str]:
    async with db.session(write=False) as s:
        return set((await s.exec(select(Delivery.key))).all())


async def test_old_finished_delivery_rows_go_and_what_may_still_be_claimed_stays(
    db: Database,
) -> None:
    w = await _world(db)
    a, b = w.closed, w.open
    async with db.session() as s:
        nudge_pending = Announcement(
            cluster_id=CLUSTER, author_id=1, text="x", state="sent", sent_at=OLD, created_at=OLD,
            nudge_at=OLD + timedelta(days=1),
        )  # fmt: skip
        nudged = Announcement(
            cluster_id=CLUSTER, author_id=1, text="y", state="sent", sent_at=OLD, created_at=OLD,
            nudge_at=OLD + timedelta(days=1), nudged_at=OLD + timedelta(days=1),
        )  # fmt: skip
        s.add_all([nudge_pending, nudged])
        await s.flush()
        p, n = nudge_pending.id, nudged.id
        table = {"commitments": ["Thực hiện tốt"]}
        open_pact = await pacts.claim_pact_opening(s, CLUSTER, 2024, table, by=1, now=OLD)
        closed_pact = await pacts.claim_pact_opening(s, CLUSTER, 2023, table, by=1, now=OLD)
        assert open_pact is not None and closed_pact is not None
        await pacts.close_pact(s, closed_pact, now=OLD)
        op, cp = open_pact.id, closed_pact.id
        gone = [
            _delivery(f"r{a}:due:1001", "sent", OLD, a),
            _delivery(f"r{a}:after-1:1001", "uncertain", OLD, a),
            _delivery(f"r{a}:due:1002", "failed_permanent", OLD, a),
            _delivery(f"summary:{a}:closed", "sent", OLD),
            _delivery(f"ann:{n}:nudge:1001", "sent", OLD),
            _delivery(f"ann:{n}:copy:1001", "sent", OLD),
            _delivery("election:7:opened", "sent", OLD),
            _delivery(f"pact{cp}:remind:after-2:1001", "sent", OLD),  # a closed pact's
        ]
        kept = [
            _delivery(f"r{a}:due:1003", "sent", RECENT, a),  # recent
            _delivery(f"r{a}:close:-100", "queued", OLD, a),  # not sent yet
            _delivery(f"r{a}:due:1004", "retry", OLD, a),  # may be claimed again
            _delivery(f"r{a}:due:1005", "claimed", OLD, a),  # being sent
            _delivery(f"r{b}:due:1001", "sent", OLD, b),  # an open round's key
            _delivery(f"r{b}:failed:1002:1001", "failed_permanent", OLD),  # by its key alone
            _delivery(f"summary:{b}:closed", "sent", OLD),
            _delivery(f"ann:{p}:nudge:1001", "sent", OLD),  # its nudge still to come
            _delivery(f"ann:{p}:copy:1001", "sent", OLD),
            _delivery(f"pact{op}:remind:after-2:1001", "sent", OLD),  # an open pact's
            _delivery(f"pact{op}:sign:1001", "sent", OLD),
        ]
        s.add_all(gone + kept)

    pruned = await retention.prune(db, CUTOFF, batch=2)  # several batches, each committed

    assert pruned.deliveries == len(gone)
    assert await _keys(db) == {row.key for row in kept}
    assert (await retention.prune(db, CUTOFF, batch=2)).total() == 0  # nothing left to do
    # Exactly once still holds for the open round: its old keys are refused, as before.
    async with db.session() as s:
        for key in (
            f"r{b}:due:1001",
            f"r{b}:failed:1002:1001",
            f"ann:{p}:nudge:1001",
            f"pact{op}:remind:after-2:1001",
        ):
            assert await deliveries.claim(s, Claim(key, "x", 1001, round_id=b), "me") is None
        # What did go is what nothing claims again (a closed round's reminder).
        assert await deliveries.claim(s, Claim(f"r{a}:due:1001", "x", 1001), "me") is not None


async def test_finished_drafts_go_and_live_ones_stay(db: Database) -> None:
    w = await _world(db)
    a, b = w.closed, w.open
    d1, d2, d3, d4 = w.departments[:4]
    async with db.session() as s:
        closed_round = await rounds.get_round(s, a)
        assert closed_round is not None
        await rounds.reopen_for(s, closed_round, d2, 1, OLD)
        s.add_all(
            [
                Draft(person_id=1, round_id=a, department_id=d1, state="{}", updated_at=OLD),
                # Its department may still submit the closed round: the draft stays.
                Draft(person_id=2, round_id=a, department_id=d2, state="{}", updated_at=OLD),
                Draft(person_id=3, round_id=b, department_id=d3, state="{}", updated_at=OLD),
                Draft(person_id=4, round_id=a, department_id=d4, state="{}", updated_at=RECENT),
            ]
        )
        announcements = {
            name: Announcement(cluster_id=CLUSTER, author_id=1, text="", state=state, created_at=at)
            for name, state, at in (
                ("cancelled_old", "cancelled", OLD),
                ("cancelled_recent", "cancelled", RECENT),
                ("sent_old", "sent", OLD),
                ("draft_old", "draft", OLD),
            )
        }
        s.add_all(announcements.values())
        elections = {
            name: Election(
                cluster_id=CLUSTER, title=name, term=2025, mode="secret", quorum="2/3",
                majority="1/2", opens_at=OLD, closes_at=OLD, created_by=1, created_at=OLD,
                state=state, opened_at=opened, closed_at=closed,
            )
            for name, state, opened, closed in (
                ("discarded", "cancelled", None, None),
                ("called_off_recently", "cancelled", None, RECENT),
                ("cancelled_while_open", "cancelled", OLD, OLD),
                ("closed", "closed", OLD, OLD),
                ("draft", "draft", None, None),
            )
        }  # fmt: skip
        s.add_all(elections.values())
        await s.flush()
        for election in elections.values():
            assert election.id is not None
            s.add(ElectionOffice(election_id=election.id, position=0, role="head"))

    pruned = await retention.prune(db, CUTOFF)

    assert (pruned.report_drafts, pruned.announcements, pruned.elections) == (1, 1, 1)
    async with db.session(write=False) as s:
        assert sorted((await s.exec(select(Draft.person_id))).all()) == [2, 3, 4]
        texts = {a.id for a in (await s.exec(select(Announcement))).all()}
        assert texts == {a.id for k, a in announcements.items() if k != "cancelled_old"}
        left = set((await s.exec(select(Election.title))).all())
        assert left == set(elections) - {"discarded"}
        offices = (await s.exec(select(ElectionOffice.election_id))).all()
        assert elections["discarded"].id not in offices and len(offices) == len(elections) - 1


async def test_the_job_uses_the_setting_and_zero_keeps_everything(db: Database) -> None:
    w = await _world(db)
    async with db.session() as s:
        s.add(_delivery(f"r{w.closed}:due:1001", "sent", OLD, w.closed))

    class App:
        def __init__(self, days: int) -> None:
            self.bot_data = {
                "settings": type("S", (), {"retention_days": days})(),
                "db": db,
                "clock": lambda: NOW,
            }

    assert await retention.tick(App(0)) is None  # type: ignore[arg-type]  # a stand-in with the attributes tick reads
    assert await _keys(db) == {f"r{w.closed}:due:1001"}
    kept = await retention.tick(App(501))  # type: ignore[arg-type]  # a stand-in with the attributes tick reads
    assert kept is not None and kept.total() == 0
    pruned = await retention.tick(App(400))  # type: ignore[arg-type]  # a stand-in with the attributes tick reads
    assert pruned is not None and pruned.deliveries == 1
    async with db.session(write=False) as s:
        assert (
            await s.exec(select(Delivery).where(col(Delivery.round_id) == w.closed))
        ).all() == []
