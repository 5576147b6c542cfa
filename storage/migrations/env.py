"""Alembic environment: async engines, batch mode on SQLite (it cannot ALTER in place), and one
migrating process at a time.

One at a time: two replicas, or a `clusterbot migrate` deploy step and a replica, may start
together on a database that is behind. Without a lock both read the same old revision and both
run the same DDL; one of them fails (a duplicate table or index) or, worse, a data step runs
twice. So the version is read, and the migrations run, only under a lock held on the very
connection Alembic uses:

- PostgreSQL: a session-level advisory lock, ``pg_advisory_lock(MIGRATION_LOCK)``, taken (and
  committed) before Alembic reads ``alembic_version`` and released after the migration has
  committed. Session level because it must outlive the lock's own transaction and cover the
  migration's; the connection is our own, not one a pool hands to someone else meanwhile. The
  second process waits on the lock, then reads the revision the first one committed and has
  nothing left to do.
- SQLite: the whole migration is one transaction started with ``BEGIN EXCLUSIVE`` (pysqlite's
  own transaction handling is turned off on this connection, as in storage/database.py, so
  that the DDL runs inside it rather than in autocommit mode). The second process waits for the
  write lock (up to the busy timeout) and then sees the committed revision. SQLite's DDL is
  transactional, so a migration that fails there leaves nothing half done either.

A caller may hand its own engine or connection in ``config.attributes["connection"]`` (the
pytest-alembic tests do); otherwise the URL in the config is used. The revisions found before
upgrading (under the lock) are left in ``config.attributes["revisions_before"]``.
"""

from __future__ import annotations

import asyncio
import logging

from alembic import context
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.migrate import MIGRATION_LOCK

log = logging.getLogger("storage.migrations")

config = context.config
target_metadata = SQLModel.metadata
# A batch migration rebuilds a table: another process waits for it, not for 30 s only.
SQLITE_BUSY_TIMEOUT = 600


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    is_sqlite = (url or str(connection.engine.url if connection else "")).startswith("sqlite")
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        literal_binds=connection is None,
    )


def _migrate(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        config.attributes["revisions_before"] = context.get_context().get_current_heads()
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        _run_sqlite(connection)
    elif connection.dialect.name == "postgresql":
        _run_postgresql(connection)
    else:
        _migrate(connection)
        connection.commit()


def _run_sqlite(connection: Connection) -> None:
    raw = connection.connection.dbapi_connection
    assert raw is not None
    previous = raw.isolation_level  # pysqlite's (aiosqlite's) own
    raw.isolation_level = None
    try:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        _migrate(connection)
        connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        raw.isolation_level = previous


def _run_postgresql(connection: Connection) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    connection.commit()  # the lock is the session's: it stays, the transaction ends
    try:
        _migrate(connection)
        connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        try:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()
        except Exception:  # noqa: BLE001 - closing the connection releases it as well
            log.warning("could not release the migration lock; the connection's end will")


async def _run_async_engine(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
    finally:
        # Its connections belong to this event loop, which ends with this call.
        await engine.dispose()


def _run_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, AsyncEngine):
        asyncio.run(_run_async_engine(given))
    elif isinstance(given, AsyncConnection):
        raise TypeError("hand over an AsyncEngine or a synchronous connection, not a connection")
    elif isinstance(given, Engine):
        with given.connect() as connection:
            _run_sync(connection)
    elif isinstance(given, Connection):
        _run_sync(given)
    else:
        url = config.get_main_option("sqlalchemy.url") or ""
        options = (
            {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}} if url.startswith("sqlite") else {}
        )
        asyncio.run(_run_async_engine(create_async_engine(url, **options)))


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url") or "")
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
