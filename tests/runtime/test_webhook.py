"""Webhook mode: the emulator posts the updates (with the secret header) to the replica's HTTP
server, as Telegram would through a reverse proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.emulator import BotApiEmulator
from bot.processing import ChatOrderedProcessor
from bot.runtime.replica import ALLOWED_UPDATES, Replica
from bot.settings import load_settings
from storage import migrate
from tests.runtime.support import free_port, get, running, wait_role

SECRET = "s3cret_for-tests"
URL = "https://bot.example.org/telegram/updates"
WELCOME = "Xin chào"  # the answer to /start (without an invite code)


@pytest.fixture
def handled() -> list[int]:
    """The ids of the updates the bot has finished with, in order."""
    return []


@pytest.fixture
async def served(
    sqlite_url: str, handled: list[int]
) -> AsyncIterator[tuple[BotApiEmulator, Replica, int]]:
    await asyncio.to_thread(migrate.upgrade, sqlite_url)
    port = free_port()
    async with BotApiEmulator() as emu:
        emu.webhook_forward_to = f"http://127.0.0.1:{port}"  # the reverse proxy
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=emu.token,
            DATABASE_URL=sqlite_url,
            TELEGRAM_API_BASE_URL=emu.base_url,
            TELEGRAM_API_BASE_FILE_URL=emu.base_file_url,
            TELEGRAM_WEBHOOK_URL=URL,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            CLUSTERBOT_HTTP_PORT=str(port),
        )
        replica = Replica(settings, configure=lambda app: _track(app, handled))
        async with running(replica):
            await wait_role(port, "active")
            yield emu, replica, port


def _track(app: Application, handled: list[int]) -> None:
    processor = app.update_processor
    assert isinstance(processor, ChatOrderedProcessor)
    processor.on_done = lambda update: handled.append(getattr(update, "update_id", -1))


def _replies(emu: BotApiEmulator, chat: int) -> list[str]:
    return [m.text for m in emu.messages(chat)]


async def test_updates_arrive_over_the_webhook_with_its_secret(
    served: tuple[BotApiEmulator, Replica, int],
) -> None:
    emu, replica, _ = served
    assert emu.webhook_url == URL
    assert emu.webhook_secret == SECRET
    assert emu.webhook_allowed_updates == ALLOWED_UPDATES
    lan = emu.user(1001, "Lan")
    update_id = await emu.send_text(lan, lan.id, "/start")
    await emu.wait_until(lambda: len(_replies(emu, lan.id)) == 1)
    assert WELCOME in _replies(emu, lan.id)[0]
    assert (update_id, 200) in emu.webhook_answers
    assert emu.fetched_update_id == update_id
    assert not emu.calls_to("getUpdates")  # nobody polls in webhook mode
    application = replica.active_application()
    assert application is not None and application.bot_data["replica_role"] == "active"


async def test_a_wrong_or_missing_secret_is_refused(
    served: tuple[BotApiEmulator, Replica, int], handled: list[int]
) -> None:
    emu, replica, _ = served
    lan = emu.user(1001, "Lan")
    await emu.send_text(lan, lan.id, "/help")  # Lan has talked to the bot: it may answer her
    await emu.wait_until(lambda: len(_replies(emu, lan.id)) == 1)

    def start(update_id: int) -> dict[str, object]:
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "chat": {"id": lan.id, "type": "private", "first_name": "Lan"},
                "from": {"id": lan.id, "is_bot": False, "first_name": "Lan"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }

    assert await emu.post_to_webhook(start(900), "wrong") == 403
    assert await emu.post_to_webhook(start(901), None) == 403
    assert await emu.post_to_webhook(start(902), SECRET[:-1]) == 403
    assert replica.http is not None and replica.http.refused == 3
    # The same update with the secret is taken. One chat's updates run in order: had a refused
    # one been queued, it would have been handled before this one.
    assert await emu.post_to_webhook(start(903), SECRET) == 200
    await emu.wait_until(lambda: 903 in handled)
    assert not {900, 901, 902} & set(handled)
    await emu.wait_until(lambda: len(_replies(emu, lan.id)) == 2)
    assert WELCOME in _replies(emu, lan.id)[1]


async def test_a_redelivered_update_is_handled_once(
    served: tuple[BotApiEmulator, Replica, int], handled: list[int]
) -> None:
    emu, replica, _ = served
    lan = emu.user(1001, "Lan")
    first = await emu.send_text(lan, lan.id, "/start")
    assert first is not None
    await emu.wait_until(lambda: len(_replies(emu, lan.id)) == 1)
    assert await emu.redeliver(first) == 200  # Telegram thought the answer late
    assert await emu.redeliver(first) == 200
    # One chat's updates run in order: once the next one is handled, a second handling of
    # the redelivered /start would have come before it.
    second = await emu.send_text(lan, lan.id, "/help")
    await emu.wait_until(lambda: second in handled)
    await emu.wait_until(lambda: len(_replies(emu, lan.id)) >= 2)
    assert handled.count(first) == 1
    assert len(_replies(emu, lan.id)) == 2
    assert replica.http is not None and replica.http.recent.repeats == 2


async def test_healthz_and_readyz_of_the_active_replica(
    served: tuple[BotApiEmulator, Replica, int],
) -> None:
    _, _, port = served
    assert await get(port, "/healthz") == (200, {"status": "alive"})
    status, body = await get(port, "/readyz")
    assert status == 200
    assert body == {"role": "active", "database": "ok", "mode": "webhook"}
    status, _ = await get(port, "/metrics")
    assert status == 404  # CLUSTERBOT_METRICS is not set
