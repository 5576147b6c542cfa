"""Two replicas on one PostgreSQL database, in this process: one active, one standing by.

The standby answers /readyz as a standby (503, so a reverse proxy sends it nothing), refuses
updates, never polls nor sets the webhook; when the active one stops it takes over."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest

from bot.emulator import BotApiEmulator
from bot.runtime.leadership import PostgresLeadership, leadership_for
from bot.runtime.replica import Replica
from bot.settings import Settings, load_settings
from tests.runtime.support import free_port, readyz, running, wait_role

SECRET = "standby-secret"
URL = "https://bot.example.org/hook"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


def _settings(emu: BotApiEmulator, url: str, port: int, **extra: str) -> Settings:
    return load_settings(
        TELEGRAM_BOT_TOKEN=emu.token,
        DATABASE_URL=url,
        TELEGRAM_API_BASE_URL=emu.base_url,
        TELEGRAM_API_BASE_FILE_URL=emu.base_file_url,
        CLUSTERBOT_HTTP_PORT=str(port),
        **extra,
    )


def _replica(settings: Settings) -> Replica:
    leadership = leadership_for(settings.database_url, poll_interval=0.2)
    return Replica(settings, leadership=leadership)


async def test_the_standby_says_so_refuses_updates_and_takes_over(
    emu: BotApiEmulator, postgres_url: str
) -> None:
    port_a, port_b = free_port(), free_port()
    webhook = {"TELEGRAM_WEBHOOK_URL": URL, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    first = _replica(_settings(emu, postgres_url, port_a, **webhook))
    second = _replica(_settings(emu, postgres_url, port_b, **webhook))
    emu.webhook_forward_to = f"http://127.0.0.1:{port_a}"
    async with running(first) as stop_first:
        await wait_role(port_a, "active")
        async with running(second):
            await wait_role(port_b, "standby")
            status, body = await readyz(port_b)
            assert status == 503
            assert body == {"role": "standby", "database": "ok", "mode": "webhook"}
            assert second.active_application() is None
            assert len(emu.calls_to("setWebhook")) == 1  # the active one's only
            # An update that reaches the standby is refused: Telegram delivers it again.
            emu.webhook_forward_to = f"http://127.0.0.1:{port_b}"
            lan = emu.user(1001, "Lan")
            update_id = await emu.send_text(lan, lan.id, "/start")
            await emu.wait_until(lambda: (update_id, 503) in emu.webhook_answers)
            assert emu.fetched_update_id < (update_id or 0)
            emu.webhook_forward_to = f"http://127.0.0.1:{port_a}"
            await emu.wait_until(lambda: len(emu.messages(lan.id)) == 1)
            assert "Xin chào" in emu.messages(lan.id)[0].text

            stop_first.set()  # a clean stop gives the lock back: the standby takes over
            await wait_role(port_b, "active")
            assert len(emu.calls_to("setWebhook")) == 2
            status, body = await readyz(port_b)
            assert status == 200 and body["role"] == "active"
            application = second.active_application()
            assert application is not None
            assert application.bot_data["replica_role"] == "active"
        assert not emu.calls_to("getUpdates")


async def test_polling_replicas_never_poll_side_by_side(
    emu: BotApiEmulator, postgres_url: str
) -> None:
    """The standby of a polling pair makes no getUpdates call: no 409 Conflict at all."""
    port_a, port_b = free_port(), free_port()
    first = _replica(_settings(emu, postgres_url, port_a))
    second = _replica(_settings(emu, postgres_url, port_b))
    async with running(first) as stop_first:
        await wait_role(port_a, "active")
        async with running(second):
            await wait_role(port_b, "standby")
            assert await readyz(port_b) == (
                503,
                {"role": "standby", "database": "ok", "mode": "polling"},
            )
            lan = emu.user(1001, "Lan")
            await emu.send_text(lan, lan.id, "/start")
            await emu.wait_until(lambda: len(emu.messages(lan.id)) == 1)
            stop_first.set()
            await wait_role(port_b, "active")
            await emu.send_text(lan, lan.id, "/help")
            await emu.wait_until(lambda: len(emu.messages(lan.id)) == 2)
    assert [c for c in emu.calls_to("getUpdates") if c.error_code == 409] == []


async def test_a_replica_whose_lock_connection_dies_stops_and_stands_by(
    emu: BotApiEmulator, postgres_url: str
) -> None:
    """The lock's session is ended by the server (as when the network goes): the replica
    closes its pacer, stops its Application and waits for the lock again."""
    port = free_port()
    replica = _replica(_settings(emu, postgres_url, port))
    assert isinstance(replica.leadership, PostgresLeadership)
    replica.leadership.check_interval = 0.2
    async with running(replica):
        await wait_role(port, "active")
        application = replica.active_application()
        assert application is not None
        pacer = application.bot_data["pacer"]
        dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        admin = await asyncpg.connect(dsn)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'clusterbot-leader' AND datname = current_database()"
            )
        finally:
            await admin.close()
        assert killed == 1
        await emu.wait_until(lambda: replica.terms == 2, timeout=30)  # active again
        await wait_role(port, "active")
        assert application.bot_data["replica_role"] == "standby"  # the old term's
        assert pacer._paused_until == float("inf")  # nothing more left the old term
        assert replica.active_application() is not application
