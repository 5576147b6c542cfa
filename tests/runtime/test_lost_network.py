"""The active replica's network to PostgreSQL is cut (nothing closes the socket: no FIN, no
RST). It stops sending on its own once its lock check goes unanswered; the server drops its
session when it has been idle too long (``idle_session_timeout`` on the leader's connection,
bot/runtime/leadership.py), and the standby takes over. Never are both active at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.engine import make_url

from bot.emulator import BotApiEmulator
from bot.runtime.replica import Replica
from bot.settings import Settings, load_settings
from tests.runtime.support import CuttableLink, free_port, readyz, running, wait_role


def _settings(emu: BotApiEmulator, url: str, port: int) -> Settings:
    return load_settings(
        TELEGRAM_BOT_TOKEN=emu.token,
        DATABASE_URL=url,
        TELEGRAM_API_BASE_URL=emu.base_url,
        TELEGRAM_API_BASE_FILE_URL=emu.base_file_url,
        CLUSTERBOT_HTTP_PORT=str(port),
    )


async def _role(port: int) -> str | None:
    _, body = await readyz(port)
    return body.get("role") if isinstance(body, dict) else None


async def test_a_cut_network_hands_over_without_two_actives(
    postgres_url: str, record_property: Callable[[str, object], None]
) -> None:
    url = make_url(postgres_url)
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    through_link = url.set(host="127.0.0.1", port=await link.start())
    port_a, port_b = free_port(), free_port()
    async with BotApiEmulator() as emu:
        first = Replica(_settings(emu, through_link.render_as_string(False), port_a))
        second = Replica(_settings(emu, postgres_url, port_b))
        try:
            async with running(first):
                await wait_role(port_a, "active")
                async with running(second):
                    await wait_role(port_b, "standby")
                    link.cut()
                    cut = time.monotonic()
                    stood_down: float | None = None
                    both_active = 0
                    deadline = cut + 60
                    while time.monotonic() < deadline:
                        # The replicas' own view, sampled: the standby's role is read last.
                        a = first.role
                        b = second.role
                        both_active += a == "active" and b == "active"
                        if stood_down is None and a == "standby":
                            stood_down = time.monotonic()
                        if b == "active":
                            break
                        await asyncio.sleep(0.05)
                    took_over = time.monotonic()
                    assert second.role == "active", "the standby never took over"
                    assert stood_down is not None and stood_down <= took_over
                    assert both_active == 0
                    assert await _role(port_b) == "active"
                    lan = emu.user(1001, "Lan")
                    await emu.send_text(lan, lan.id, "/start")  # the new active answers
                    await emu.wait_until(lambda: len(emu.messages(lan.id)) == 1, timeout=30)
        finally:
            await link.close()
    record_property(
        "figure",
        f"network cut: the active replica stood down after {stood_down - cut:.1f} s, "
        f"the standby was active after {took_over - cut:.1f} s",
    )
