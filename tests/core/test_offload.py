"""Charts and workbooks are drawn outside the interpreter that serves updates, and nobody's
answer waits for them (issue 8, item 6)."""

from __future__ import annotations

import asyncio
import os
import time

from bot.reports import offload
from tests.conftest import Cluster

VALUES = ["165", "22", "52", "99,5", "Tốt"]


async def test_the_work_runs_in_another_process() -> None:
    assert await offload.run(os.getpid) != os.getpid()


async def test_a_private_answer_does_not_wait_for_a_chart(cluster: Cluster) -> None:
    c = cluster
    await c.open_round()
    await c.submit("yen-bai", VALUES)
    await c.h.settled()
    busy = asyncio.create_task(offload.run(time.sleep, 4))  # the chart process is busy
    await asyncio.sleep(0.2)
    asker, other = c.officers["phu-tho"], c.officers["hoa-binh"]
    before = len(c.emu.messages(asker))
    await c.emu.send_text(asker, asker.id, "/chart 1 2023")
    answered = len(c.emu.messages(other))
    await c.emu.send_text(other, other.id, "/whoami")
    await c.emu.wait_until(lambda: len(c.emu.messages(other)) > answered, timeout=3)
    assert "Hòa Bình" in c.emu.messages(other)[-1].text
    assert not busy.done()  # answered while the chart process was still busy
    assert not any(m.photo for m in c.emu.messages(asker)[before:])  # the chart is not there yet
    await busy
    await c.emu.wait_until(lambda: any(m.photo for m in c.emu.messages(asker)[before:]), timeout=30)
