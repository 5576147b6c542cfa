"""Helpers for the runtime tests: free ports, a replica running in this process, HTTP calls."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from bot.runtime.replica import Replica


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}{path}") as response:
            body = await response.read()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, body


async def readyz(port: int) -> tuple[int, Any]:
    """(status, body), or (0, None) while nothing listens yet."""
    try:
        return await get(port, "/readyz")
    except aiohttp.ClientConnectionError:
        return 0, None


async def wait_role(port: int, role: str, timeout: float = 60) -> None:
    async def poll() -> None:
        while True:
            _, body = await readyz(port)
            if isinstance(body, dict) and body.get("role") == role:
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def running(replica: Replica) -> AsyncIterator[asyncio.Event]:
    """The replica runs in the background; on exit it is told to stop and awaited."""
    stop = asyncio.Event()
    task = asyncio.create_task(replica.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
