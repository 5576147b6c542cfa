"""Which replica is active: the only one that polls (or answers the webhook), runs the jobs and
the effects worker, and so the only one that sends.

PostgreSQL: a session-level advisory lock on a dedicated connection
===================================================================
Every replica opens one asyncpg connection of its own (never one of SQLAlchemy's pool: a lock
held by a pooled connection goes back to the pool with it, and a transaction-level lock ends
with the transaction, so neither excludes anything) and asks ``pg_try_advisory_lock(KEY)``
every ``poll_interval`` (2 s). The one that gets it is active for as long as that session
lives; it checks the lock every ``check_interval`` (3 s, ``check_timeout`` 3 s) and, the moment
a check fails or the connection closes, takes itself for a standby (:meth:`lost` returns) and
stops sending (bot/runtime/replica.py).

Why an advisory lock and not a lease row with a heartbeat: the server itself guarantees the
exclusion and frees the lock the moment the session ends, with no clock in the question. A lease
needs a heartbeat write every few seconds (WAL and vacuum churn forever), a timeout that is
both the takeover time and the margin against clock skew and pauses, and a fencing rule for a
holder that wakes up after its lease expired. The price of the lock is a connection that must
reach PostgreSQL itself: a pooler in transaction mode (PgBouncer's default) would hand the
session to someone else, so the leader's connection must bypass it (session mode is fine).

How long a takeover takes (the goal is under 15 s):

- kill -9 of the active process (or its crash): the kernel closes its socket, the server's
  backend, idle in a read, sees the end of the stream at once and ends, freeing the lock. The
  standby's next poll takes it: about ``poll_interval`` (<= 2 s) plus the bot's start (getMe,
  menus: well under a second against Telegram).
- A lost network or a dead host (nothing closes the socket): this connection sets, for its own
  session, ``idle_session_timeout`` = 10 s (the active pings every 3 s, so only a dead client
  is idle that long) and TCP keepalives ``tcp_keepalives_idle`` 4 s, ``_interval`` 2 s,
  ``_count`` 3 and ``tcp_user_timeout`` 9 s (the server gives up on a peer that stopped
  answering after about 10 s, whether data was in flight or not). The server frees the lock
  at most about 10 s after the last ping; the standby takes it within 2 s more: about 12 s.
- The active side of that lost network: its check fails within ``check_interval`` +
  ``check_timeout`` (<= 6 s), before the server could have freed the lock (>= 9 s), so the
  old active has stopped sending before the new one starts.

SQLite: one process, the others refused
=======================================
SQLite has no server to hold a lock for a session. A second ``clusterbot run`` on the same file
is refused: ``fcntl.flock`` on ``<database>.lock`` (exclusive, not waiting). The kernel drops
the lock when the process ends however it ends (kill -9 included), so a dead bot never leaves
a stale lock behind, unlike a pid file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

__all__ = [
    "KEY",
    "AlreadyRunning",
    "FileLeadership",
    "Leadership",
    "PostgresLeadership",
    "leadership_for",
]

# "CLUSTERB" as a big-endian 64-bit integer (positive): the one lock every replica of this
# database asks for. Advisory locks are per database, so bots on other databases of the same
# server never meet it.
KEY = int.from_bytes(b"CLUSTERB", "big")

# Set on the leader's own session only (each is user-settable). A setting the server does not
# know (idle_session_timeout before PostgreSQL 14) is skipped: the TCP keepalives still hold.
SESSION_SETTINGS = {
    "application_name": "clusterbot-leader",
    "idle_session_timeout": "10s",
    "tcp_keepalives_idle": "4",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "9000",
}

_HOLDS_LOCK = """
SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
      AND (classid::bigint << 32 | objid::bigint) = $1
)
"""


class AlreadyRunning(Exception):
    """Another process holds the database file's lock (SQLite)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class Leadership(Protocol):
    """What the replica asks of a lock: wait for it, learn when it is gone, give it back."""

    async def acquire(self) -> None:
        """Return once this process holds the lock (may wait forever: a standby)."""

    async def lost(self) -> None:
        """Return when the lock is no longer this process's (for good)."""

    async def release(self) -> None:
        """Give the lock back (at a clean stop: the standby takes over at its next poll)."""


class PostgresLeadership:
    def __init__(
        self,
        dsn: str,
        *,
        poll_interval: float = 2.0,
        check_interval: float = 3.0,
        check_timeout: float = 3.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.check_interval = check_interval
        self.check_timeout = check_timeout
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._closed = asyncio.Event()
        self._waiting_logged = False

    async def acquire(self) -> None:
        # asyncpg is imported by the PostgreSQL replicas only (on SQLite it is ~2 MiB of a
        # replica's memory for nothing).
        import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

        while True:
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await self._connect()
                got = await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", KEY, timeout=self.check_timeout
                )
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("standby: cannot ask PostgreSQL for the lock (%r); again", exc)
                await self._drop()
                got = False
            if got:
                log.info("this replica holds the lock: active")
                return
            if not self._waiting_logged:
                log.info("another replica is active: standing by")
                self._waiting_logged = True
            await asyncio.sleep(self.poll_interval)

    async def _connect(self) -> Any:
        import asyncpg  # (see acquire)

        connection = await asyncpg.connect(self.dsn, timeout=self.connect_timeout)
        for name, value in SESSION_SETTINGS.items():
            try:
                await connection.execute("SELECT set_config($1, $2, false)", name, value)
            except asyncpg.PostgresError as exc:  # an older server: that one setting is skipped
                log.info("leader connection: %s not set (%s)", name, exc)
        self._closed = asyncio.Event()
        closed = self._closed
        connection.add_termination_listener(lambda _connection: closed.set())
        return connection

    async def lost(self) -> None:
        import asyncpg  # (see acquire)

        connection = self._connection
        if connection is None:
            return
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.check_interval)
            if self._closed.is_set() or connection.is_closed():
                log.error("the lock's connection is closed: this replica is no longer active")
                break
            try:
                holds = await connection.fetchval(_HOLDS_LOCK, KEY, timeout=self.check_timeout)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.error("the lock's check failed (%r): this replica is no longer active", exc)
                break
            if not holds:
                log.error("the lock is gone: this replica is no longer active")
                break
        self._waiting_logged = False
        # Cut, not closed: a polite close would wait for a server that may not answer, and
        # the replica stands down only when this returns.
        self._connection = None
        if not connection.is_closed():
            connection.terminate()

    async def release(self) -> None:
        connection = self._connection
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.fetchval(
                    "SELECT pg_advisory_unlock($1)", KEY, timeout=self.check_timeout
                )
        await self._drop()

    async def _drop(self) -> None:
        """Close the connection; if the server does not answer, cut it (its session, and the
        lock with it, ends on the server's side all the same)."""
        connection, self._connection = self._connection, None
        if connection is None or connection.is_closed():
            return
        try:
            await asyncio.wait_for(connection.close(), 1.0)
        except Exception:  # noqa: BLE001 - a dead peer: abort the socket
            connection.terminate()


class FileLeadership:
    """One process per SQLite file: an exclusive ``flock`` on ``<database>.lock``."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    async def acquire(self) -> None:
        self.hold()

    def hold(self) -> None:
        """Take the lock now or raise :class:`AlreadyRunning` (the command line asks before
        it migrates: a second process must not touch a file another one runs on)."""
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(self.database) from None
        # Who holds it, for an operator reading the file (the lock itself is the kernel's).
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    async def lost(self) -> None:
        await asyncio.Event().wait()  # a file lock is held until the process lets it go

    async def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class _Alone:
    """An in-memory SQLite database: no other process can share it."""

    async def acquire(self) -> None:
        return None

    async def lost(self) -> None:
        await asyncio.Event().wait()

    async def release(self) -> None:
        return None


def leadership_for(database_url: str, **options: float) -> Leadership:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return _Alone()
        return FileLeadership(Path(url.database).resolve())
    # asyncpg.connect takes libpq's URL form: the driver suffix goes, SQLAlchemy's `ssl=` query
    # becomes libpq's `sslmode=` (asyncpg would send an unknown query key to the server as a
    # setting), and SQLAlchemy's own options go.
    query = {k: v for k, v in url.query.items() if k not in _SQLALCHEMY_ONLY}
    if "ssl" in query:
        query.setdefault("sslmode", query.pop("ssl"))
    dsn = url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
    return PostgresLeadership(dsn, **options)


_SQLALCHEMY_ONLY = frozenset({"prepared_statement_cache_size", "prepared_statement_name_func"})
