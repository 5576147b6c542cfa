"""CPU-heavy work (charts, workbooks) in a separate process, never on the bot's event loop.

A chart costs about a second of CPU; drawn in the interpreter that serves updates it would
hold every chat back (the GIL), even from a worker thread. One worker process is shared by the
whole program: it starts on first use ("spawn", so it inherits no event loop, sockets or
database connections) and is reused after that.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from messages.render import current_zone, use_zone

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    return max(1, int(os.environ.get("CLUSTERBOT_CPU_WORKERS", "1")))


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=workers(), mp_context=multiprocessing.get_context("spawn")
        )
    return _pool


def _in_zone(zone: str, fn: Callable[..., T], *args: Any) -> T:
    """In the worker process: render dates in the caller's time zone, then run ``fn``."""
    use_zone(zone)
    return fn(*args)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the worker process; ``fn`` and its arguments must pickle. Dates it
    renders are in the caller's zone (a context variable does not cross processes)."""
    global _pool
    loop = asyncio.get_running_loop()
    zone = current_zone().key
    try:
        return await loop.run_in_executor(_get_pool(), _in_zone, zone, fn, *args)
    except BrokenProcessPool:
        # The worker died (killed, out of memory): start a new one and try once more.
        _pool = None
        return await loop.run_in_executor(_get_pool(), _in_zone, zone, fn, *args)


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


atexit.register(shutdown)
