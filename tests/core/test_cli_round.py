"""A round closed from the command line reaches the group as from the chat: the posts are
queued with the change and the running bot sends them (issue 8, item 10)."""

from __future__ import annotations

import argparse

from bot import cli
from tests.conftest import CLUSTER, GROUP, Cluster

VALUES = ["165", "22", "52", "99,5", "Tốt"]


async def test_a_round_closed_from_the_command_line_is_posted_to_the_group(
    cluster: Cluster,
) -> None:
    c = cluster
    await c.open_round()
    await c.submit("yen-bai", VALUES)
    await c.h.settled()
    assert c.h.db is not None and c.h.settings is not None
    args = argparse.Namespace(cluster=CLUSTER, action="close", period="2023", deadline=None)
    assert await cli._round(c.h.db, args, c.h.settings) == 0
    # The bot learns of it by looking at its queue (it polls when idle; no wake-up needed).
    await c.emu.wait_until(
        lambda: any(
            "(đã đóng)" in m.text and "Đã nộp: 1/7" in m.text for m in c.emu.messages(GROUP)
        ),
        timeout=15,
    )
    await c.emu.wait_until(
        lambda: any("1/7 đơn vị đã nộp" in m.text for m in c.emu.messages(GROUP)), timeout=30
    )
    # Closed once: a second close from the command line changes nothing and says so.
    assert await cli._round(c.h.db, args, c.h.settings) == 1


async def test_a_round_is_closed_by_the_period_as_it_was_typed_to_open_it(
    cluster: Cluster,
) -> None:
    c = cluster
    assert c.h.db is not None and c.h.settings is not None
    opened = argparse.Namespace(cluster=CLUSTER, action="open", period="2026-2", deadline="2099-03-15")
    assert await cli._round(c.h.db, opened, c.h.settings) == 0
    closed = argparse.Namespace(cluster=CLUSTER, action="close", period="2026-2", deadline=None)
    assert await cli._round(c.h.db, closed, c.h.settings) == 0  # stored as 2026-02
    # The running bot posts what the command queued (as above) before the test ends.
    await c.emu.wait_until(
        lambda: any("Tháng 2/2026" in m.text and "(đã đóng)" in m.text for m in c.emu.messages(GROUP)),
        timeout=15,
    )
    nonsense = argparse.Namespace(cluster=CLUSTER, action="close", period="x-9", deadline=None)
    assert await cli._round(c.h.db, nonsense, c.h.settings) == 1
