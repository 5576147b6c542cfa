"""Shared fixtures: a database on either engine, and the bot running against the emulator."""

# ruff: noqa: E402 - the imports follow the bytecode switch below, on purpose

from __future__ import annotations

import os
import sys

# Keep Python's bytecode cache whatever PYTHONDONTWRITEBYTECODE says (it is set on the machines
# this runs on): every xdist worker, every bot or CLI process a test starts and every chart
# process would otherwise compile the same sources again (and pytest rewrite every test module
# again), about 4 s of CPU per worker on two cores. Set before the imports below, so this
# process caches what the workers load next; the environment carries it to them.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest

from bot.emulator import EmuUser
from bot.emulator.harness import Harness, HarnessSnapshot
from storage.database import Database

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cum-noi-vu-trung-du-mien-nui-phia-bac.toml"
CLUSTER = "cum-noi-vu-tdmnpb"
GROUP = -1001700000001
# PostgreSQL is part of the suite, never skipped: CI and these machines run a server here.
POSTGRES_ADMIN_DSN = os.environ.get(
    "CLUSTERBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _in_own_loop(statement: str) -> None:
    # Sync fixtures may run while a test's loop is running: use a thread with its own loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin(statement)).result()


_PG_BASE = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
# Migrating a new PostgreSQL database costs about 1 s; copying a migrated one (CREATE DATABASE
# ... TEMPLATE) a fraction of it. The first PostgreSQL test of a run (of each xdist worker)
# migrates a template database; every test database is a copy of it, at the head revision,
# and `storage.migrate.upgrade` to the head on such a copy has nothing to do (see below).
_pg_template: list[str] = []
_pg_at_head: set[str] = set()


def _postgres_template() -> str:
    if not _pg_template:
        name = f"clusterbot_tpl_{uuid.uuid4().hex[:12]}"
        _in_own_loop(f'CREATE DATABASE "{name}"')
        _pg_template.append(name)  # dropped at the end of the session, even half-made
        _real_upgrade(f"{_PG_BASE}/{name}")
    return _pg_template[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    for name in _pg_template:
        _in_own_loop(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, at the head revision, dropped afterwards."""
    name = f"clusterbot_t_{uuid.uuid4().hex[:12]}"
    _in_own_loop(f'CREATE DATABASE "{name}" TEMPLATE "{_postgres_template()}"')
    url = f"{_PG_BASE}/{name}"
    _pg_at_head.add(url)
    yield url
    _pg_at_head.discard(url)
    _in_own_loop(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Runs the test once per engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The database at the head revision, on either engine (a module may define its own)."""
    await asyncio.to_thread(_migrate.upgrade, database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


class Clock:
    """Injected 'now': 5 January 2024, 08:00 in Hà Nội, unless a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


SLUGS = ("bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho", "tuyen-quang")


class Cluster:
    """The example cluster loaded, its group linked, one officer per department registered."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.emu = h.emu
        self.officers: dict[str, EmuUser] = {}
        self.admin: EmuUser | None = None

    async def setup(self) -> None:
        await self.h.init_cluster(EXAMPLE)
        self.admin = self.h.user(9000, "Quản trị")
        await self.h.say(
            self.admin, self.admin.id, f"/start {await self.h.invite(CLUSTER, None, 'admin')}"
        )
        for n, slug in enumerate(SLUGS):
            user = self.h.user(1001 + n, f"Cán bộ {slug}")
            await self.h.say(user, user.id, f"/start {await self.h.invite(CLUSTER, slug)}")
            self.officers[slug] = user
        await self.h.add_to_group(self.admin, GROUP, "Cụm thi đua")
        await self.h.say(self.admin, GROUP, "/link")

    def adopt_world(self) -> None:
        """After the harness restored a snapshot of a set-up cluster: its people."""
        self.admin = self.emu.users[9000]
        self.officers = {slug: self.emu.users[1001 + n] for n, slug in enumerate(SLUGS)}

    @property
    def clock(self) -> Clock:
        """The harness's injected clock (the ``clock`` fixture), to move."""
        assert isinstance(self.h.clock, Clock)
        return self.h.clock

    @property
    def head(self) -> EmuUser:
        return self.officers["bac-kan"]  # the example's head for the 2023 term

    async def open_round(self, period: str = "2023", deadline: str = "15/01/2024") -> None:
        replies = await self.h.say(self.head, self.head.id, f"/round open {period} {deadline}")
        assert "Đã mở kỳ báo cáo" in replies[0].text, replies[0].text

    async def submit(self, slug: str, values: list[str]) -> None:
        user = self.officers[slug]
        text = "\n".join(f"{n}: {v}" for n, v in enumerate(values, start=1))
        replies = await self.h.say(user, user.id, text)
        confirm = await self.h.press(user, replies[-1], "Xác nhận")
        assert "Đã nộp" in confirm[0].text, confirm[0].text


@pytest.fixture
async def harness(
    request: pytest.FixtureRequest, sqlite_url: str, clock: Clock
) -> AsyncIterator[Harness]:
    h = Harness(sqlite_url, clock=clock)
    if "cluster" in request.fixturenames:  # start right on a set-up cluster, if one was kept
        key = _snapshot_key(h)
        h.start_from = _cluster_snapshots.get(key) if key is not None else None
    async with h:
        yield h


# Setting the cluster up is ~10 round trips through the bot (0,4 s or more); 170 tests start
# from it. The first test of a kind sets it up for real and keeps a snapshot (the database and
# the emulator's world); the next ones start their bot on a copy of it (the default harness
# fixture starts on it; a module's own harness is restored to it). A kind is what could
# make the world differ: the harness's language, bot, clock reading and options. Harnesses with
# faults or real rate limits, or already used before the fixture, always set up for real.
_cluster_snapshots: dict[tuple[object, ...], HarnessSnapshot] = {}


def _snapshot_key(h: Harness) -> tuple[object, ...] | None:
    pristine = not h.emu.users and not h.emu.sent and h.emu.last_update_id == 0
    if not pristine or h.clock is None or h.emu.faults is not None or h.rate_limit:
        return None
    if not h.database_url.startswith("sqlite"):
        return None
    return (h.language, h.emu.bot_username, h.clock(), h.background_jobs, h.request_timeout)


@pytest.fixture
async def cluster(harness: Harness) -> Cluster:
    c = Cluster(harness)
    if harness.start_from is not None:  # the harness fixture started on the snapshot
        c.adopt_world()
        return c
    key = _snapshot_key(harness)
    if key is None:
        await c.setup()
    elif key in _cluster_snapshots:
        await harness.restore(_cluster_snapshots[key])
        c.adopt_world()
    else:
        await c.setup()
        _cluster_snapshots[key] = await harness.snapshot()
    return c


# Property tests explore the same examples on every run (CI must not fail at random on an old
# commit); set CLUSTERBOT_HYPOTHESIS_RANDOM=1 to explore new ones while developing.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("clusterbot", derandomize=True, database=None)
_hypothesis_settings.register_profile("explore")
_hypothesis_settings.load_profile(
    "explore" if os.environ.get("CLUSTERBOT_HYPOTHESIS_RANDOM") else "clusterbot"
)


# Migrating a new SQLite file costs about 0,2 s; most tests start from an empty, migrated
# database. The first migration of the run goes to a template file, and every new SQLite
# database after it starts as a copy of that file (the same schema, byte for byte). Existing
# files, other revisions and PostgreSQL still run Alembic itself.
import shutil  # noqa: E402
import tempfile  # noqa: E402

from storage import migrate as _migrate  # noqa: E402

_real_upgrade = _migrate.upgrade
_template: list[Path] = []


def _upgrade_from_template(url: str, revision: str = "head") -> None:
    if url in _pg_at_head and revision == "head":
        return  # a copy of the migrated template: already at the head
    prefix = "sqlite+aiosqlite:///"
    if revision != "head" or not url.startswith(prefix):
        _real_upgrade(url, revision)
        return
    target = Path(url[len(prefix) :])
    if target.exists() and target.stat().st_size > 0:
        _real_upgrade(url, revision)
        return
    if not _template:
        path = Path(tempfile.mkdtemp(prefix="clusterbot-template-")) / "template.db"
        _real_upgrade(f"{prefix}{path}")
        _template.append(path)
    shutil.copyfile(_template[0], target)


_migrate.upgrade = _upgrade_from_template
