"""Stopping the background work of the sending layer at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any


async def finish_or_cancel(tasks: Collection[asyncio.Task[Any]], grace: float) -> None:
    """Let ``tasks`` finish for up to ``grace`` seconds, then cancel what is left and wait for
    it. Cancelling at once would cut a database call half-way (its connection is left checked
    out, to the garbage collector) or a request between Telegram's answer and the update of
    its row (sent again after the restart)."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
