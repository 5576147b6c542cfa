"""The async engine and sessions: one session per update or job, never shared.

Transactions on SQLite
======================
pysqlite (and aiosqlite on top of it) runs in "legacy transaction control" on Python < 3.16:
it emits BEGIN only before an INSERT/UPDATE/DELETE, never before a SELECT or a SAVEPOINT. A
`session.begin_nested()` that held the first write of a unit of work therefore *opened* the
transaction, and its RELEASE committed it: a later failure could no longer roll it back (a
confirmed report was stored before its reopening was consumed and its draft deleted). Reads
before the first write ran outside the transaction too.

The fix is SQLAlchemy's documented recipe for aiosqlite ("Enabling Non-Legacy SQLite
Transactional Modes"): a "connect" event sets the DBAPI connection's `isolation_level = None`
(pysqlite stops emitting BEGIN; COMMIT and ROLLBACK still work), and a "begin" event emits our
own BEGIN when SQLAlchemy starts a transaction. Every statement of a unit of work, SAVEPOINTs
included, is then inside one real transaction. (`connect_args={"autocommit": False}`, the other
documented way, needs Python 3.12; we support 3.11.)

Which BEGIN: a unit of work that writes starts with BEGIN IMMEDIATE, which takes SQLite's write
lock at once (waiting up to the busy timeout for another writer). A deferred BEGIN would read
first and upgrade to a writer at its first write; in WAL mode, if another connection committed
in between, that upgrade fails at once with SQLITE_BUSY ("database is locked", the busy handler
is not called because waiting cannot help). `tests/storage/test_transactions.py` races such
units of work. Readers are the other side: `Database.session(write=False)` starts a deferred
BEGIN under `PRAGMA query_only` (on a pool of its own, whose connections are query-only from
their opening), so it never takes (or waits for) the write lock: in WAL mode it
reads its snapshot while a writer works, and a write by mistake fails loudly instead of
deadlocking. Sessions write by default (the safe choice for a caller that does not say).

PostgreSQL is unchanged: its transactions were always real (asyncpg's BEGIN on first use) and
SAVEPOINTs nest inside them; a read session there is a READ ONLY transaction.

Erasing ballot history
======================
A unit of work that closed a secret ballot (or wrote one, on SQLite) asks, through
`request_ballot_erasure`, that the engine forget the history of the ballot tables once it has
committed: see `storage/elections.py` ("Secrecy at rest") for what that means on each engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

READ_ONLY = "clusterbot_read_only"  # engine execution option: deferred, query-only BEGIN
NO_BEGIN = "clusterbot_no_begin"  # engine execution option: no BEGIN at all (maintenance)
ERASE_BALLOTS = "clusterbot_erase_ballot_history"  # session.info key, see request_ballot_erasure
# The table whose superseded row versions hold ballot history (PostgreSQL: VACUUM FULL). The
# voter table is insert-only in secret mode and never holds a choice.
BALLOT_TABLES = ("election_ballot",)
# How long the close waits for older transactions before VACUUM FULL (see _wait_for_horizon).
HORIZON_WAIT_SECONDS = 10.0
# (any transaction older than the mark still running in the server, any snapshot of this
# database older than it). backend_xmin is a 32-bit xid: compared by age, wraparound-safe;
# the mark is passed as text (asyncpg has no xid8 codec).
_HORIZON_BLOCKED = text("""
SELECT pg_snapshot_xmin(pg_current_snapshot()) < CAST(CAST(:mark AS text) AS xid8),
       EXISTS (SELECT 1 FROM pg_stat_activity
               WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL
                 AND age(backend_xmin) > age(CAST(CAST(:mark32 AS text) AS xid)))
""")


def request_ballot_erasure(session: AsyncSession, closing: bool = False) -> None:
    """Ask `Database.session` to erase the ballot tables' history after this unit of work
    commits (nothing is erased if it rolls back). After a vote (`closing=False`) only SQLite
    erases (a checkpoint costs milliseconds); at a close (`closing=True`) both engines do."""
    session.info[ERASE_BALLOTS] = closing or session.info.get(ERASE_BALLOTS, False)


class Database:
    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # Error messages must never carry bound values (a ballot, a figure) into a log.
        engine_options.setdefault("hide_parameters", True)
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"timeout": 30})
        else:
            engine_options.setdefault("pool_pre_ping", True)
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            # Readers have a pool of their own, its connections query-only from the start: a
            # shared pool flipped the flag (one PRAGMA) at most units of work, as reads and
            # writes took turns on its connections.
            # (An in-memory database is one per engine: its readers share the writers' pool.)
            in_memory = make_url(url).database in (None, "", ":memory:")
            self.read_engine = (
                self.engine if in_memory else create_async_engine(url, **engine_options)
            )
            if not in_memory:
                event.listen(self.read_engine.sync_engine, "connect", _sqlite_connect_reader)
                event.listen(self.read_engine.sync_engine, "begin", _sqlite_begin)
            reader = self.read_engine.execution_options(**{READ_ONLY: True})
        else:
            self.read_engine = self.engine
            reader = self.engine.execution_options(postgresql_readonly=True)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self._read_sessions = async_sessionmaker(
            reader, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends cleanly, rolled back otherwise.

        `write=False` for a unit of work that only reads: on SQLite it then never waits for a
        writer (and cannot write).
        """
        factory = self._sessions if write else self._read_sessions
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            erase = session.info.pop(ERASE_BALLOTS, None)
        if erase or (erase is not None and self.is_sqlite):
            await self.erase_ballot_history()

    async def erase_ballot_history(self, attempts: int = 5) -> bool:
        """Make the engine forget superseded versions of the ballot tables; True when done.

        SQLite: checkpoint the WAL into the database file and truncate it to zero bytes (freed
        pages and deleted cells are already zeroed: `PRAGMA secure_delete`). PostgreSQL:
        VACUUM FULL of the ballot tables, which rewrites them into new files without their
        dead row versions. Neither can run inside a transaction. Logs no ballot content.
        """
        for attempt in range(attempts):
            try:
                if self.is_sqlite:
                    done = await self._checkpoint_truncate()
                else:
                    await self._vacuum_full()
                    done = True
            except Exception as exc:  # noqa: BLE001 - retried, then reported without content
                log.warning("erasing ballot history failed (%s)", type(exc).__name__)
                done = False
            if done:
                return True
            await asyncio.sleep(0.05 * 2**attempt)
        log.warning("ballot history not erased yet; the next erasure will include it")
        return False

    async def _checkpoint_truncate(self) -> bool:
        async with self.engine.execution_options(**{NO_BEGIN: True}).connect() as connection:
            row = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        return bool(row[0] == 0)  # (busy, frames in the WAL, frames checkpointed)

    async def _vacuum_full(self) -> None:
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await self._wait_for_horizon(autocommit)
            # Never queue an ACCESS EXCLUSIVE lock behind a long reader for long: retried.
            await autocommit.exec_driver_sql("SET lock_timeout = '5s'")
            for table in BALLOT_TABLES:
                await autocommit.exec_driver_sql(f'VACUUM (FULL) "{table}"')
            await autocommit.exec_driver_sql("RESET lock_timeout")

    async def _wait_for_horizon(self, autocommit: AsyncConnection) -> bool:
        """Wait (bounded) until VACUUM FULL may drop every version the votes left behind.

        VACUUM FULL copies a dead row version that some snapshot may still see ("recently
        dead"). The horizon is the oldest xmin among this database's backends, VACUUM FULL's
        own included, and a snapshot's xmin is the oldest transaction still *running anywhere
        in the server*: a transaction of another database that began before the last vote, or
        an autovacuum ANALYZE of this one, kept the last votes' versions in the new file (seen:
        147 versions of 21 ballots). So: every transaction that could hold the votes' versions
        has an xid below `pg_snapshot_xmax` taken now, after the close's commit; wait until
        none is running and no backend of this database holds a snapshot that old. True when
        the horizon passed; False when the wait timed out (the VACUUM then runs anyway, and a
        later erasure or autovacuum can finish the job).
        """
        mark = (
            await autocommit.exec_driver_sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        ).scalar_one()
        deadline = asyncio.get_running_loop().time() + HORIZON_WAIT_SECONDS
        while True:
            row = (await autocommit.execute(
                _HORIZON_BLOCKED, {"mark": mark, "mark32": str(int(mark) % 2**32)}
            )).one()
            if not (row[0] or row[1]):
                return True
            self._horizon_blocked()
            if asyncio.get_running_loop().time() >= deadline:
                log.warning("older transactions still running; ballot history may remain")
                return False
            await asyncio.sleep(0.05)

    def _horizon_blocked(self) -> None:
        """Called each time the wait finds an older transaction running (a test's hook)."""

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see the module docstring): no implicit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Deleted rows and freed pages are overwritten with zeros, so a superseded ballot (or a
    # dropped row) leaves no bytes behind in the database file. The cost is a write of the
    # freed space on deletes, which are rare here.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    record.info["query_only"] = False  # SQLite's default: a writer's BEGIN sets nothing


def _sqlite_connect_reader(dbapi_connection: Any, record: Any) -> None:
    _sqlite_connect(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
    record.info["query_only"] = True


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get(NO_BEGIN):
        return
    read_only = bool(options.get(READ_ONLY))
    info = connection.connection.info
    if info.get("query_only") != read_only:  # a connection flag: set only when it changes
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        info["query_only"] = read_only
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
