"""The pact's reminders through the real bot and the emulator, moved by the injected clock: each
officer of a department that has not signed gets one reminder per step of the pact's plan (the
[pact] cadence, or the defaults), with the «Sign the pact» button; none once it signed, none on a
day off or in quiet hours (a step missed then goes out on the next working day), nothing after
the last step; the same tick twice sends nothing twice."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.schedule_file import DEFAULT_SCHEDULE
from bot.emulator import EmuUser
from bot.jobs.pact_reminders import due_pact_reminders, still_unsigned
from storage import clusters, pacts
from tests.conftest import CLUSTER, GROUP, SLUGS, Clock, Cluster
from tests.reminders.test_e2e_round import at, tick

NEEDLE = "Nhắc ký giao ước thi đua năm 2024"


def reminders(cluster: Cluster, user: EmuUser) -> list[str]:
    return [m.text for m in cluster.emu.messages(user.id) if NEEDLE in m.text]


def counts(cluster: Cluster, users: dict[str, EmuUser]) -> dict[str, int]:
    return {slug: len(reminders(cluster, u)) for slug, u in users.items()}


async def second_officer(cluster: Cluster, slug: str) -> EmuUser:
    user = cluster.h.user(2201, f"Cán bộ thứ hai {slug}")
    await cluster.h.say(user, user.id, f"/start {await cluster.h.invite(CLUSTER, slug)}")
    return user


async def sign(cluster: Cluster, user: EmuUser, on_reminder: bool = False) -> None:
    needle = NEEDLE if on_reminder else "Nội dung giao ước"
    message = [m for m in cluster.emu.messages(user.id) if needle in m.text][-1]
    pressed = await cluster.h.press(user, message, "✍️ Ký giao ước")
    assert any("đã ký giao ước thi đua năm 2024" in m.text for m in pressed)


async def declare(cluster: Cluster, **pact: Any) -> None:
    """What the cluster file's [pact] would say (as `init` stores it)."""
    assert cluster.h.db is not None
    async with cluster.h.db.session() as session:
        tables = await pacts.get_emulation_tables(session, CLUSTER)
        tables["pact"] = {**tables["pact"], **pact}
        await pacts.record_emulation_tables(session, CLUSTER, tables)


async def test_the_default_cadence_chases_each_unsigned_department_once_per_step(
    cluster: Cluster, clock: Clock
) -> None:
    h = cluster.h
    users = dict(cluster.officers)
    users["thai-nguyen-2"] = await second_officer(cluster, "thai-nguyen")
    at(clock, 2024, 1, 5)  # Friday: the pact opens; no sign_by, so 10 working days: 19/01
    await h.say(cluster.head, GROUP, "/pact 2024")
    await sign(cluster, cluster.officers["bac-kan"])
    (status,) = await h.say(cluster.head, cluster.head.id, "/pact status 2024")
    assert "Hạn ký: 19/01/2024; các đơn vị chưa ký sẽ được nhắc." in status.text
    await tick(cluster)
    assert set(counts(cluster, users).values()) == {0}

    at(clock, 2024, 1, 16)  # before-3
    await tick(cluster)
    await tick(cluster)  # the same step twice: sent once
    expected = {slug: (0 if slug == "bac-kan" else 1) for slug in users}
    assert counts(cluster, users) == expected
    (first,) = reminders(cluster, cluster.officers["thai-nguyen"])
    assert "Sở Nội vụ tỉnh Thái Nguyên chưa ký" in first
    assert "Hạn ký: 19/01/2024 (còn 3 ngày)" in first
    assert "Đã ký: 1/7 đơn vị" in first
    # Bắc Giang signs from the reminder's own button: not chased again.
    await sign(cluster, cluster.officers["bac-giang"], on_reminder=True)

    at(clock, 2024, 1, 19, 22, 0)  # the deadline, but in quiet hours
    await tick(cluster)
    at(clock, 2024, 1, 20)  # Saturday
    await tick(cluster)
    assert counts(cluster, users) == expected
    at(clock, 2024, 1, 22)  # Monday: the "due" step missed over the weekend goes out now
    await tick(cluster)
    expected = {slug: {"bac-kan": 0, "bac-giang": 1}.get(slug, 2) for slug in users}
    assert counts(cluster, users) == expected
    assert "Hôm nay là hạn ký" not in reminders(cluster, users["phu-tho"])[-1]
    assert "Hạn ký đã qua: 19/01/2024" in reminders(cluster, users["phu-tho"])[-1]

    await sign(cluster, users["thai-nguyen-2"], on_reminder=True)  # the colleague signs
    at(clock, 2024, 1, 23)  # after-2
    await tick(cluster)
    expected = {
        slug: {"bac-kan": 0, "bac-giang": 1, "thai-nguyen": 2, "thai-nguyen-2": 2}.get(slug, 3)
        for slug in users
    }
    assert counts(cluster, users) == expected
    assert "Đã ký: 3/7 đơn vị" in reminders(cluster, users["yen-bai"])[-1]
    at(clock, 2024, 1, 29)  # after the last step: nothing more
    await tick(cluster)
    assert counts(cluster, users) == expected


async def test_a_declared_sign_by_day_and_steps_around_tet(cluster: Cluster, clock: Clock) -> None:
    h = cluster.h
    await declare(cluster, sign_by="2024-02-16", reminders=["before-7", "due"])
    at(clock, 2024, 2, 1)
    await h.say(cluster.head, GROUP, "/pact 2024")
    for slug in SLUGS[:5]:
        await sign(cluster, cluster.officers[slug])
    late = {slug: cluster.officers[slug] for slug in SLUGS[5:]}  # Phú Thọ, Tuyên Quang

    # before-7 is 09/02, Tết: it goes out on the last working day before, 07/02, at 08:00.
    at(clock, 2024, 2, 7, 6, 30)  # quiet hours
    await tick(cluster)
    at(clock, 2024, 2, 7, 7, 59)
    await tick(cluster)
    assert counts(cluster, late) == {"phu-tho": 0, "tuyen-quang": 0}
    at(clock, 2024, 2, 7, 8, 0)
    await tick(cluster)
    assert counts(cluster, late) == {"phu-tho": 1, "tuyen-quang": 1}
    assert "Hạn ký: 16/02/2024 (còn 9 ngày)" in reminders(cluster, late["phu-tho"])[0]
    at(clock, 2024, 2, 9)  # Tết itself: nothing
    await tick(cluster)
    assert counts(cluster, late) == {"phu-tho": 1, "tuyen-quang": 1}
    await sign(cluster, late["tuyen-quang"], on_reminder=True)
    at(clock, 2024, 2, 16)  # the day itself
    await tick(cluster)
    assert counts(cluster, late) == {"phu-tho": 2, "tuyen-quang": 1}
    assert "Hôm nay là hạn ký (16/02/2024)" in reminders(cluster, late["phu-tho"])[-1]
    for slug in SLUGS[:5]:
        assert reminders(cluster, cluster.officers[slug]) == []


async def test_a_department_that_signs_after_the_tick_planned_is_not_sent_it(
    cluster: Cluster, clock: Clock
) -> None:
    """The reminders are planned, then a department signs before they go out: the check just
    before sending (the scheduler's should_send) drops its officers' copies, not the others'."""
    h = cluster.h
    at(clock, 2024, 1, 5)
    await h.say(cluster.head, GROUP, "/pact 2024")
    at(clock, 2024, 1, 16)
    assert h.db is not None
    async with h.db.session() as session:
        known = {c.id: c for c in await clusters.list_clusters(session)}
    planned, due = await due_pact_reminders(
        h.db,
        known,
        {CLUSTER: True},
        lambda _: DEFAULT_SCHEDULE,
        clock.now,
        tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        language="vi",
    )
    assert due == [f"{CLUSTER}/pact-2024/before-3"] and len(planned) == 7
    await sign(cluster, cluster.officers["phu-tho"])
    kept = [item.department_id for item in planned if await still_unsigned(h.db, item)]
    async with h.db.session() as session:
        phu_tho = await clusters.find_department_by_slug(session, CLUSTER, "phu-tho")
    assert phu_tho is not None and len(kept) == 6 and phu_tho.id not in kept
    # And on a day off nothing is planned at all.
    at(clock, 2024, 1, 20)
    planned, due = await due_pact_reminders(
        h.db,
        known,
        {CLUSTER: True},
        lambda _: DEFAULT_SCHEDULE,
        clock.now,
        tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        language="vi",
    )
    assert (planned, due) == ([], [])
