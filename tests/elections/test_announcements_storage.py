"""Announcements in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import announcements as A
from storage.models import Membership, Person
from tests.elections.conftest import NOW, Seeded


async def add_officers(seeded: Seeded) -> dict[str, list[int]]:
    """Two officers for Tuyên Quang and Hòa Bình, one for the others, an observer, an admin."""
    people: dict[str, list[int]] = {}
    async with seeded.db.session() as s:
        n = 0
        for slug, department_id in seeded.ids.items():
            count = 2 if slug in ("tuyen-quang", "hoa-binh") else 1
            for _ in range(count):
                n += 1
                person = 2000 + n
                s.add(Person(id=person, full_name=f"Cán bộ {slug} {n}"))
                s.add(
                    Membership(
                        person_id=person,
                        cluster_id=seeded.cluster_id,
                        department_id=department_id,
                        role="officer",
                    )
                )
                people.setdefault(slug, []).append(person)
        s.add(Person(id=3001, full_name="Quan sát viên"))
        s.add(Membership(person_id=3001, cluster_id=seeded.cluster_id, role="observer"))
        s.add(Person(id=3002, full_name="Quản trị"))
        s.add(Membership(person_id=3002, cluster_id=seeded.cluster_id, role="admin"))
    return people


async def test_draft_send_acknowledge_and_report(seeded: Seeded):
    people = await add_officers(seeded)
    async with seeded.db.session() as s:
        draft = await A.create_draft(
            s, seeded.cluster_id, people["bac-kan"][0], "<b>Hội nghị</b> ngày 20/12", NOW
        )
        assert draft.id is not None and draft.state == "draft"
        announcement_id = draft.id
        # not sent yet: nothing to acknowledge
        assert await A.acknowledge(s, announcement_id, 1, None, NOW) == "unknown"
        assert await A.set_pin(s, announcement_id, True)
        recipients = await A.list_officer_recipients(s, seeded.cluster_id)
    assert len(recipients) == 9
    assert [d for _, d in recipients][:1] == [seeded.ids["bac-kan"]]  # cluster order
    assert all(p not in (3001, 3002) for p, _ in recipients)

    nudge_at = NOW + timedelta(days=1)

    async def press_send() -> bool:
        async with seeded.db.session() as s:
            return await A.claim_send(s, announcement_id, NOW, nudge_at)

    assert sorted(await asyncio.gather(press_send(), press_send())) == [False, True]
    async with seeded.db.session() as s:
        assert not await A.cancel(s, announcement_id)  # sent: too late to cancel
        row = await A.get_announcement(s, announcement_id)
        assert row is not None and row.pin and row.state == "sent"
        for n, (person, department) in enumerate(recipients):
            await A.record_copy(s, announcement_id, person, department, 500 + n, NOW)
        await A.set_group_message(s, announcement_id, -100, 42)

    tq, hb = people["tuyen-quang"], people["hoa-binh"]
    async with seeded.db.session() as s:
        later = NOW + timedelta(hours=2)
        assert (
            await A.acknowledge(s, announcement_id, tq[0], seeded.ids["tuyen-quang"], later)
            == "new"
        )
        assert (
            await A.acknowledge(s, announcement_id, tq[0], seeded.ids["tuyen-quang"], later)
            == "again"
        )
        assert (
            await A.acknowledge(s, announcement_id, tq[1], seeded.ids["tuyen-quang"], NOW) == "new"
        )
        assert (
            await A.acknowledge(s, announcement_id, hb[1], seeded.ids["hoa-binh"], later) == "new"
        )
        report = await A.list_acks_by_department(s, announcement_id)
        missing = await A.list_unacknowledged_departments(s, announcement_id)
        latest = await A.find_latest_sent(s, seeded.cluster_id)
    by_slug = {seeded.slug(line.department.id): line for line in report}  # type: ignore[arg-type]  # a stored row: its id is set
    assert [seeded.slug(line.department.id) for line in report] == list(seeded.ids)  # type: ignore[arg-type]  # a stored row: its id is set
    assert by_slug["tuyen-quang"].acknowledged and len(by_slug["tuyen-quang"].acks) == 2
    assert by_slug["tuyen-quang"].first_at == NOW  # the earliest officer's time
    assert by_slug["tuyen-quang"].acks[0].full_name.startswith("Cán bộ tuyen-quang")
    assert by_slug["tuyen-quang"].copies == 2 and by_slug["bac-kan"].copies == 1
    assert not by_slug["bac-kan"].acknowledged
    assert set(missing) == {seeded.ids[s] for s in seeded.ids} - {
        seeded.ids["tuyen-quang"],
        seeded.ids["hoa-binh"],
    }
    assert latest is not None and latest.id == announcement_id


async def test_two_officers_acknowledging_at_once(seeded: Seeded):
    people = await add_officers(seeded)
    async with seeded.db.session() as s:
        draft = await A.create_draft(s, seeded.cluster_id, 1, "x", NOW)
        assert draft.id is not None
        await A.claim_send(s, draft.id, NOW, None)

    async def ack(person: int) -> str:
        async with seeded.db.session() as s:
            return await A.acknowledge(s, draft.id, person, seeded.ids["hoa-binh"], NOW)  # type: ignore[arg-type]  # a stored row: its id is set

    first, second = people["hoa-binh"]
    results = await asyncio.gather(ack(first), ack(first), ack(second))
    assert sorted(results) == ["again", "new", "new"]  # a double click is one acknowledgement
    async with seeded.db.session() as s:
        assert draft.id is not None
        report = await A.list_acks_by_department(s, draft.id)
    hb = next(line for line in report if line.department.id == seeded.ids["hoa-binh"])
    assert sorted(a.person_id for a in hb.acks) == sorted([first, second])


async def test_the_nudge_comes_due_once(seeded: Seeded):
    async with seeded.db.session() as s:
        draft = await A.create_draft(s, seeded.cluster_id, 1, "x", NOW)
        other = await A.create_draft(s, seeded.cluster_id, 1, "y", NOW)
        assert draft.id is not None and other.id is not None
        await A.claim_send(s, draft.id, NOW, NOW + timedelta(days=1))
        await A.claim_send(s, other.id, NOW, None)  # no nudge asked
        assert await A.list_due_nudges(s, NOW) == []
        assert await A.list_due_nudges(s, NOW + timedelta(days=1)) == [draft.id]
        assert await A.mark_nudged(s, draft.id, NOW + timedelta(days=1))
        assert not await A.mark_nudged(s, draft.id, NOW + timedelta(days=1))
        assert await A.list_due_nudges(s, NOW + timedelta(days=2)) == []


async def test_cancelled_drafts_stay_unsent(seeded: Seeded):
    async with seeded.db.session() as s:
        draft = await A.create_draft(
            s, seeded.cluster_id, 1, "x", NOW, media_kind="photo", media_file_id="F1"
        )
        assert draft.id is not None
        assert await A.cancel(s, draft.id)
        assert not await A.claim_send(s, draft.id, NOW, None)
        assert await A.find_latest_sent(s, seeded.cluster_id) is None
        assert await A.list_recent_sent(s, seeded.cluster_id) == []
