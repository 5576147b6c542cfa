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


class CuttableLink:
    """A TCP relay to ``target`` that can be cut without closing anything: after :meth:`cut`
    bytes are read and held, never delivered, and no socket is closed or reset, which is what
    a pulled cable or a dead router looks like to both ends."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._up = asyncio.Event()
        self._up.set()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        self._up.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, upstream_writer]
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                await self._up.wait()
                sink.write(data)
                await sink.drain()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.transport.abort()
