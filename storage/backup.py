"""Back up and restore every cluster, or some, as a portable archive (`storage.backup_archive`).

What is in an archive
=====================
Every table of the models' metadata, in dependency order (``metadata.sorted_tables``), except
the effects queue (`EXCLUDED`: what was about to be sent at the moment of the backup; the
running bot rebuilds live messages and a restored database starts with nothing in flight).
A backup of some clusters (``--cluster``) holds the rows that belong to them: a row with a
``cluster_id`` of theirs, or a row whose foreign key points at such a row (a submission through
its round, a ballot through its election round), and the people who are members (`LINKS`: the
membership names a person by Telegram id, without a foreign key). Tables that belong to no
cluster (the groups told "this bot serves another group") are only in an archive of everything.

The rows are read in one snapshot (a REPEATABLE READ transaction on PostgreSQL, one read
transaction on SQLite), so the archive is consistent even while the bot runs.

Ids on restore
==============
When every table the restore writes is empty (a disaster recovery: a new database, or
``--replace`` of a whole-database archive), the rows keep their ids: the buttons in messages
already sent (a vote, an acknowledgement) name rounds and announcements by id and keep working.
Otherwise (a cluster restored into a database that holds others) every numbered row gets a
fresh id, allocated in the restore's transaction (PostgreSQL: from the table's own sequence, so
no concurrent insert can take it; SQLite: the write lock is held from BEGIN IMMEDIATE), in the
old ids' order, and every reference is rewritten through one map per table: the foreign keys,
the columns that hold a department id without a foreign key (`SOFT_REFERENCES`), and the
delivery log's keys, which name their round, announcement or election (`KEY_PATTERNS`: the
unique key is what makes a reminder go out once, so it must follow its round). Buttons in old
messages then point at nothing and are answered as stale. PostgreSQL sequences are set past
the highest id after the inserts.

Everything is written in one transaction: a refusal or a conflict (an invite code, a group or
a ballot key that another cluster of the target already has) writes nothing.

Secret ballots
==============
The archive must not link a department to its choice any more than the tables do (see
`storage.elections`, "Keeping a secret ballot secret"). Ballot rows are written without their
ids and in a random order (`UNLINKED`), in their own member, apart from the voter rows; on
restore they get new random ids and are inserted in a random order, and the engine's history
of the ballot table is erased after the commit (`Database.erase_ballot_history`).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - registers every table on the metadata
from storage.backup_archive import (
    ArchiveWriter,
    BackupError,
    Manifest,
    decode,
    encode,
    read_archive,
)
from storage.database import READ_ONLY, Database

__all__ = ["BackupError", "BackupReport", "RestoreReport", "backup", "restore", "tables"]

EXCLUDED = frozenset({"effect"})
# (table, column) -> (global table, its key): a row of the global table belongs to a cluster
# when such a row of the cluster names it.
LINKS: dict[tuple[str, str], tuple[str, str]] = {("membership", "person_id"): ("person", "id")}
# (table, column) -> the table whose id it holds without a foreign key; 0 means "blank".
SOFT_REFERENCES: dict[tuple[str, str], str] = {
    ("election_voter", "open_choice"): "department",
    ("election_ballot", "choice"): "department",
}
# Delivery keys that name a row by id (bot/jobs, bot/services, bot/publishing/outbox.py):
# "r12:due:1001", "summary:12:closed", "ann:3:copy:1001", "election:2:opened",
# "election:round:5:result". Some of these rows carry no cluster or round column (a summary,
# an announcement's report to its author): their key is what ties them to a cluster.
KEY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(r)(\d+)(:.*)$", re.DOTALL), "round"),
    (re.compile(r"^(summary:)(\d+)(:.*)$", re.DOTALL), "round"),
    (re.compile(r"^(ann:)(\d+)(:.*)$", re.DOTALL), "announcement"),
    (re.compile(r"^(election:round:)(\d+)(:.*)$", re.DOTALL), "election_round"),
    (re.compile(r"^(election:)(\d+)(:.*)$", re.DOTALL), "election"),
    (re.compile(r"^(pact)(\d+)(:.*)$", re.DOTALL), "pact"),  # bot/services/pact.py
)
KEYED_TABLES = {("delivery", "key")}
# Tables written without this column, in random order: see "Secret ballots" above.
UNLINKED: dict[str, tuple[str, Callable[[], str]]] = {
    "election_ballot": ("id", lambda: uuid.uuid4().hex),
}
_BATCH = 500
_random = secrets.SystemRandom()


def tables() -> list[Table]:
    """The archived tables in the order they are read, written and restored: dependency order,
    with a global table placed after the table that links to it (`LINKS`)."""
    ordered = [t for t in SQLModel.metadata.sorted_tables if t.name not in EXCLUDED]
    for (linking, _column), (target, _key) in LINKS.items():
        names = [t.name for t in ordered]
        if target in names and linking in names and names.index(target) < names.index(linking):
            table = ordered.pop(names.index(target))
            ordered.insert(names.index(linking), table)  # right after the linking table
    return ordered


class Scope:
    """Which rows belong to the chosen clusters (None: every row). Rows must be offered table
    by table in `tables()` order: a child is kept when the parent it names was kept."""

    def __init__(self, clusters: Iterable[str] | None) -> None:
        self.clusters = None if clusters is None else frozenset(clusters)
        self._referenced = {
            (fk.column.table.name, fk.column.name)
            for table in SQLModel.metadata.sorted_tables
            for fk in table.foreign_keys
        }
        self._kept: dict[tuple[str, str], set[Any]] = {key: set() for key in self._referenced}
        self._linked: dict[str, set[Any]] = {target: set() for target, _key in LINKS.values()}

    def keep(self, table: Table, row: dict[str, Any]) -> bool:
        kept = self._decide(table, row)
        if kept:
            for (name, column), values in self._kept.items():
                if name == table.name and row.get(column) is not None:
                    values.add(row[column])
            for (linking, column), (target, _key) in LINKS.items():
                if linking == table.name and row.get(column) is not None:
                    self._linked[target].add(row[column])
        return kept

    def _decide(self, table: Table, row: dict[str, Any]) -> bool:
        if self.clusters is None:
            return True
        if table.name == "cluster":
            return row.get("id") in self.clusters
        for target, key in LINKS.values():
            if table.name == target:
                return row.get(key) in self._linked[target]
        if "cluster_id" in table.c and row.get("cluster_id") is not None:
            return row["cluster_id"] in self.clusters
        for fk in table.foreign_keys:
            value = row.get(fk.parent.name)
            if value is not None and value in self._kept[(fk.column.table.name, fk.column.name)]:
                return True
        for name, column in KEYED_TABLES:
            named = _key_reference(row.get(column)) if name == table.name else None
            if named is not None and named[1] in self._kept.get((named[0], "id"), ()):
                return True
        return False


@dataclass(frozen=True)
class BackupReport:
    path: Path
    clusters: list[str]
    rows: int


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    clusters: list[str]
    rows: int
    ids_kept: bool
    replaced: bool


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clusterbot")
    except PackageNotFoundError:
        return "unknown"


async def _revision(db: Database) -> str:
    """The schema revision the database records; a database made without Alembic (the tables
    created from the models) is taken to be at the scripts' head, which the models match."""
    from storage.migrate import database_revisions, script_heads

    return ",".join(sorted(await database_revisions(db) or script_heads() or ()))


async def backup(db: Database, path: Path, clusters: list[str] | None = None) -> BackupReport:
    """Write the archive of ``clusters`` (None: everything) to ``path``."""
    manifest = Manifest(
        schema_revision=await _revision(db),
        created_at=datetime.now(UTC).isoformat(),
        clusterbot_version=_version(),
        scope="all" if clusters is None else "cluster",
        clusters=[],
    )
    scope = Scope(clusters)
    try:
        writer = ArchiveWriter(path, manifest)
    except OSError as exc:
        raise BackupError("cannot_write", path=str(path), reason=exc.strerror or str(exc)) from exc
    total = 0
    try:
        async with _Snapshot(db) as connection:
            if clusters is not None:
                found = set(
                    (await connection.execute(select(_table("cluster").c.id))).scalars().all()
                )
                for slug in clusters:
                    if slug not in found:
                        raise BackupError("unknown_cluster", value=slug)
            for table in tables():
                rows = await _read_table(connection, table, scope)
                if table.name == "cluster":
                    manifest.clusters = [str(r["id"]) for r in rows]
                columns = [c.name for c in table.columns]
                if table.name in UNLINKED:
                    dropped = UNLINKED[table.name][0]
                    columns.remove(dropped)
                    for row in rows:
                        del row[dropped]
                    _random.shuffle(rows)
                total += writer.add_table(table.name, columns, rows)
        writer.close()
    except OSError as exc:
        writer.abort()
        raise BackupError("cannot_write", path=str(path), reason=exc.strerror or str(exc)) from exc
    except BaseException:
        writer.abort()
        raise
    return BackupReport(path, manifest.clusters, total)


async def _read_table(
    connection: AsyncConnection, table: Table, scope: Scope
) -> list[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    rows: list[dict[str, Any]] = []
    result = await connection.stream(query)
    async for row in result:
        values = dict(row._mapping)
        if scope.keep(table, values):
            rows.append({c.name: encode(c, values[c.name]) for c in table.columns})
    return rows


class _Snapshot:
    """A read-only connection that sees one snapshot of the database for all its queries."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection:
        if self.db.is_sqlite:  # one deferred, query-only transaction (storage/database.py)
            engine = self.db.engine.execution_options(**{READ_ONLY: True})
            self._connection = await engine.connect()
        else:
            self._connection = await self.db.engine.connect()
            self._connection = await self._connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        await self._connection.begin()
        return self._connection

    async def __aexit__(self, *exc: object) -> None:
        assert self._connection is not None
        await self._connection.rollback()
        await self._connection.close()


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


# --- restore ---------------------------------------------------------------------------------


async def restore(
    db: Database, path: Path, cluster: str | None = None, replace: bool = False
) -> RestoreReport:
    """Restore the archive at ``path`` (or only ``cluster`` from it) into ``db``, in one
    transaction. Raises BackupError, having written nothing, when the archive or the target
    refuses it."""
    archive = read_archive(path)
    manifest = archive.manifest
    await _check_revision(db, manifest.schema_revision)
    known = {t.name: t for t in tables()}
    for entry in manifest.tables:
        if entry.name in EXCLUDED:
            continue
        table = known.get(entry.name)
        unlinked = UNLINKED.get(entry.name, ("", None))[0]
        if table is None or any(c not in table.c or c == unlinked for c in entry.columns):
            raise BackupError("archive_mismatch", table=entry.name)
    if cluster is not None:
        if cluster not in manifest.clusters:
            raise BackupError(
                "cluster_not_in_archive", value=cluster, known=", ".join(manifest.clusters)
            )
        chosen: list[str] | None = [cluster]
    else:
        chosen = None if manifest.scope == "all" else list(manifest.clusters)
    scope = Scope(chosen)
    selected: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        kept = [r for r in archive.rows.get(table.name, []) if scope.keep(table, r)]
        selected[table.name] = [{c: decode(table.c[c], v) for c, v in row.items()} for row in kept]
    restored = [str(r["id"]) for r in selected["cluster"]]
    whole = chosen is None
    ballots_touched = False
    try:
        async with db.session() as session:
            connection = await session.connection()
            replaced = await _make_room(connection, restored, whole, replace)
            ballots_touched = replaced or bool(selected.get("election_ballot"))
            ids_kept, total = await _insert(connection, db, selected, whole)
    except IntegrityError:  # not from an insert (those name their table): a delete
        raise BackupError("conflict", table="?") from None
    if ballots_touched:
        await db.erase_ballot_history()
    return RestoreReport(path, restored, total, ids_kept, replaced)


async def _check_revision(db: Database, revision: str) -> None:
    current = await _revision(db)
    if revision == current:
        return
    # An older archive restores if its tables still fit (checked next); one from a newer
    # clusterbot names a revision these scripts do not know.
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(db.url))
    for part in revision.split(","):
        try:
            found = script.get_revision(part)
        except Exception:  # noqa: BLE001 - Alembic's resolution errors have no common base
            found = None
        if found is None:
            raise BackupError("newer_schema", revision=revision, current=current)


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


async def _make_room(
    connection: AsyncConnection, clusters: list[str], whole: bool, replace: bool
) -> bool:
    """Refuse to write over data unless ``replace``; with it, delete what the archive replaces.
    True when something was deleted."""
    if whole:
        every = SQLModel.metadata.sorted_tables
        filled = [t for t in every if await _count(connection, t)]
        if not filled:
            return False
        if not replace:
            raise BackupError("database_not_empty", tables=len(filled))
        for table in reversed(every):
            await connection.execute(delete(table))
        return True
    cluster_table = _table("cluster")
    present = list(
        (
            await connection.execute(
                select(cluster_table.c.id).where(cluster_table.c.id.in_(clusters))
            )
        )
        .scalars()
        .all()
    )
    if not present:
        return False
    if not replace:
        raise BackupError("cluster_exists", value=", ".join(sorted(present)))
    scope = Scope(present)
    doomed: list[tuple[Table, list[tuple[Any, ...]]]] = []
    link_targets = {target for target, _key in LINKS.values()}
    for table in tables():
        keys = [c.name for c in table.primary_key.columns]
        rows = [dict(r._mapping) for r in (await connection.execute(select(table))).all()]
        kept = [tuple(r[k] for k in keys) for r in rows if scope.keep(table, r)]
        if table.name not in link_targets:  # people may belong to other clusters too: kept
            doomed.append((table, kept))
    for table, keys in reversed(doomed):
        columns = list(table.primary_key.columns)
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            await connection.execute(delete(table).where(tuple_(*columns).in_(batch)))
    return True


async def _insert(
    connection: AsyncConnection,
    db: Database,
    selected: dict[str, list[dict[str, Any]]],
    whole: bool,
) -> tuple[bool, int]:
    """Insert the selected rows (ids kept or renumbered); returns (ids kept, rows written)."""
    link_targets = {target for target, _key in LINKS.values()}
    if not whole:
        await _drop_known_people(connection, selected)
    ordered = [t for t in tables() if selected.get(t.name)]
    keep_ids = whole
    if not whole:
        counts = [await _count(connection, t) for t in ordered if t.name not in link_targets]
        keep_ids = not any(counts)
    maps = await _id_maps(connection, db, selected, keep_ids)
    total = 0
    for table in ordered:
        rows = [_remapped(table, row, maps) for row in selected[table.name]]
        if table.name in UNLINKED:
            name, make = UNLINKED[table.name]
            for row in rows:
                row[name] = make()
            _random.shuffle(rows)
        try:
            for start in range(0, len(rows), _BATCH):
                await connection.execute(insert(table), rows[start : start + _BATCH])
        except IntegrityError:  # the driver's message would name no value anyway: not shown
            raise BackupError("conflict", table=table.name) from None
        total += len(rows)
    if not db.is_sqlite:
        await _reset_sequences(connection, ordered)
    return keep_ids, total


async def _drop_known_people(
    connection: AsyncConnection, selected: dict[str, list[dict[str, Any]]]
) -> None:
    """People are shared between clusters: the target's own rows win, the others are added."""
    for target, key in LINKS.values():
        rows = selected.get(target, [])
        column = _table(target).c[key]
        existing: set[Any] = set()
        values = [r[key] for r in rows]
        for start in range(0, len(values), _BATCH):
            query = select(column).where(column.in_(values[start : start + _BATCH]))
            existing.update((await connection.execute(query)).scalars().all())
        selected[target] = [r for r in rows if r[key] not in existing]


async def _id_maps(
    connection: AsyncConnection,
    db: Database,
    selected: dict[str, list[dict[str, Any]]],
    keep_ids: bool,
) -> dict[str, dict[int, int]]:
    """Old id -> new id, per numbered table; every numbered table has a map (maybe empty), so
    that a reference to a row the restore does not write is caught."""
    maps: dict[str, dict[int, int]] = {}
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        old = sorted(int(r[column.name]) for r in selected.get(table.name, []))
        if keep_ids:
            maps[table.name] = {i: i for i in old}
        else:
            fresh = await _fresh_ids(connection, db, table, len(old))
            maps[table.name] = dict(zip(old, fresh, strict=True))
    return maps


async def _reset_sequences(connection: AsyncConnection, written: list[Table]) -> None:
    """PostgreSQL: each sequence past the highest id, so the bot's next insert gets a new one."""
    for table in written:
        column = table.autoincrement_column
        if column is None:
            continue
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', "
                f"'{column.name}'), COALESCE(MAX(\"{column.name}\"), 0) + 1, false) "
                f'FROM "{table.name}"'
            )
        )


async def _fresh_ids(connection: AsyncConnection, db: Database, table: Table, n: int) -> list[int]:
    column = table.autoincrement_column
    assert column is not None
    if n == 0:
        return []
    if db.is_sqlite:  # the write lock is ours since BEGIN IMMEDIATE
        top = (await connection.execute(select(func.max(column)))).scalar_one()
        start = int(top or 0) + 1
        return list(range(start, start + n))
    query = text(
        f"SELECT nextval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}')) "
        "FROM generate_series(1, :n)"
    )
    return sorted(int(v) for v in (await connection.execute(query, {"n": n})).scalars().all())


def _remapped(table: Table, row: dict[str, Any], maps: dict[str, dict[int, int]]) -> dict[str, Any]:
    out = dict(row)

    def mapped(target: str, value: Any) -> Any:
        if value is None or target not in maps:
            return value
        try:
            return maps[target][int(value)]
        except KeyError:  # a reference to a row the archive does not hold
            raise BackupError("archive_mismatch", table=table.name) from None

    own = table.autoincrement_column
    if own is not None:
        out[own.name] = mapped(table.name, row[own.name])
    for fk in table.foreign_keys:
        out[fk.parent.name] = mapped(fk.column.table.name, row.get(fk.parent.name))
    for (name, column), target in SOFT_REFERENCES.items():
        if name == table.name and row.get(column):  # 0 (blank) and None stay
            out[column] = mapped(target, row[column])
    for name, column in KEYED_TABLES:
        if name == table.name and isinstance(row.get(column), str):
            out[column] = _rekeyed(row[column], maps)
    return out


def _key_reference(key: object) -> tuple[str, int] | None:
    """The (table, id) a delivery key names, if it names one."""
    if not isinstance(key, str):
        return None
    for pattern, target in KEY_PATTERNS:
        match = pattern.match(key)
        if match:
            return target, int(match.group(2))
    return None


def _rekeyed(key: str, maps: dict[str, dict[int, int]]) -> str:
    for pattern, target in KEY_PATTERNS:
        match = pattern.match(key)
        if match and target in maps and int(match.group(2)) in maps[target]:
            return f"{match.group(1)}{maps[target][int(match.group(2))]}{match.group(3)}"
    return key
