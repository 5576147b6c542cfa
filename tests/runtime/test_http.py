"""The HTTP server's answers, against a replica stand-in: readiness, refusals, /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot import metrics
from bot.runtime.http import HttpServer, webhook_path
from bot.runtime.role import Role
from bot.runtime.webhook import SECRET_HEADER, RecentIds, secret_matches
from bot.settings import Settings, load_settings
from tests.runtime.support import free_port, get

SECRET = "abc-123_XYZ"


@dataclass
class StandIn:
    role: Role = "standby"
    database: bool = True

    def active_application(self) -> Application | None:
        return None

    async def database_ok(self) -> bool:
        return self.database


def _settings(**extra: str) -> Settings:
    return load_settings(
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/tg/in?x=1",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        **extra,
    )


@pytest.fixture
async def server() -> AsyncIterator[tuple[HttpServer, StandIn, int]]:
    port = free_port()
    replica = StandIn()
    http = HttpServer(_settings(CLUSTERBOT_METRICS="1"), replica, port=port)
    await http.start()
    try:
        yield http, replica, port
    finally:
        await http.stop()


async def _post(port: int, path: str, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"http://127.0.0.1:{port}{path}", json={"update_id": 1}, headers=headers
        ) as response:
            return response.status


async def test_readyz_tells_the_role_and_the_database(
    server: tuple[HttpServer, StandIn, int],
) -> None:
    _, replica, port = server
    assert await get(port, "/readyz") == (
        503,
        {"role": "standby", "database": "ok", "mode": "webhook"},
    )
    replica.role = "active"
    assert (await get(port, "/readyz"))[0] == 200
    replica.database = False
    assert await get(port, "/readyz") == (
        503,
        {"role": "active", "database": "unreachable", "mode": "webhook"},
    )
    assert await get(port, "/healthz") == (200, {"status": "alive"})  # alive all the same


async def test_the_secret_is_checked_before_anything_else(
    server: tuple[HttpServer, StandIn, int],
) -> None:
    http, _, port = server
    assert webhook_path(http.settings.webhook_url) == "/tg/in"
    assert await _post(port, "/tg/in", None) == 403
    assert await _post(port, "/tg/in", "nope") == 403
    assert await _post(port, "/tg/in", SECRET) == 503  # right secret, but a standby
    assert await _post(port, "/elsewhere", SECRET) == 404
    assert http.refused == 2


async def test_metrics_serve_the_prometheus_text_of_this_process(
    server: tuple[HttpServer, StandIn, int],
) -> None:
    _, _, port = server
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == metrics.CONTENT_TYPE
            body = (await response.read()).decode()
    names = {family.name for family in text_string_to_metric_families(body)}
    assert {"clusterbot_updates", "clusterbot_replica_active"} <= names


async def test_metrics_are_not_served_unless_asked() -> None:
    port = free_port()
    http = HttpServer(_settings(), StandIn(), port=port)
    await http.start()
    try:
        assert (await get(port, "/metrics"))[0] == 404
    finally:
        await http.stop()


def test_recent_ids_remember_the_newest_only() -> None:
    recent = RecentIds(keep=3)
    assert [recent.first_time(i) for i in (1, 2, 3, 1)] == [True, True, True, False]
    assert recent.first_time(4) and recent.first_time(1)  # 1 was the oldest: forgotten
    assert recent.repeats == 1


def test_secret_comparison() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET, SECRET + "x")
    assert not secret_matches(SECRET, None)
    assert not secret_matches("", "")  # no secret configured: nothing matches
