"""Secret ballots at rest: read the database's files raw (SQLite's database file and -wal,
PostgreSQL's relation files) during and after a secret election, and run the attacks of
issue 8: replay SQLite's WAL commit by commit (each vote's commit adds one voter row and fills
one ballot), and pair PostgreSQL's dead row versions (xmax) with the voter rows (xmin).

Twenty-one departments, each with a different choice (twenty candidates and a blank ballot),
one of them replacing its ballot: a replay of the WAL links twenty of the twenty-one.
"""

from __future__ import annotations

import asyncio
import re
import struct
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.domain.elections import ABSTAIN
from bot.services import elections as V
from storage.database import Database
from tests.elections.conftest import NOW, Seeded, open_head_election

EXTRA = [f"don-vi-{n:02}" for n in range(14)]
PERSON = 5000  # the officer of department d is person PERSON + d


# ---------------------------------------------------------------------------------------------
# SQLite, raw


def varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = buf[i + k]
        if k == 8:
            return (value << 8) | byte, i + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    raise AssertionError("unreachable")


def record(payload: bytes) -> list[Any]:
    header_length, i = varint(payload, 0)
    types = []
    while i < header_length:
        serial, i = varint(payload, i)
        types.append(serial)
    values: list[Any] = []
    at = header_length
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in sizes:
            n = sizes[serial]
            values.append(int.from_bytes(payload[at : at + n], "big", signed=True))
            at += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[at : at + 8])[0])
            at += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        else:
            n = (serial - 12) // 2
            raw = payload[at : at + n]
            values.append(raw.decode("utf-8", "replace") if serial % 2 else raw)
            at += n
    return values


def leaf_rows(page: bytes, page_number: int) -> list[tuple[int, list[Any]]]:
    """(rowid, values) of every cell of a table b-tree leaf page; [] for any other page."""
    h = 100 if page_number == 1 else 0
    if page[h] != 0x0D:
        return []
    rows = []
    for n in range(int.from_bytes(page[h + 3 : h + 5], "big")):
        at = int.from_bytes(page[h + 8 + 2 * n : h + 10 + 2 * n], "big")
        try:
            length, at = varint(page, at)
            rowid, at = varint(page, at)
            rows.append((rowid, record(page[at : at + length])))
        except (IndexError, ValueError, struct.error):
            continue
    return rows


def wal_commits(wal: bytes) -> list[list[list[tuple[int, bytes]]]]:
    """Every frame of the -wal file, current or left over from before a restart of the WAL,
    grouped into commits, the commits into runs of the same salt (one WAL generation)."""
    if len(wal) < 32:
        return []
    page_size = int.from_bytes(wal[8:12], "big")
    generations: list[list[list[tuple[int, bytes]]]] = []
    salt: bytes | None = None
    pending: list[tuple[int, bytes]] = []
    at = 32
    while at + 24 + page_size <= len(wal):
        page_number, size_after_commit = struct.unpack(">II", wal[at : at + 8])
        frame_salt = wal[at + 8 : at + 16]
        if frame_salt != salt:
            generations.append([])
            salt, pending = frame_salt, []
        pending.append((page_number, wal[at + 24 : at + 24 + page_size]))
        if size_after_commit:
            generations[-1].append(pending)
            pending = []
        at += 24 + page_size
    return generations


@dataclass
class Shapes:
    """Where the columns are in the records of the two tables (from PRAGMA table_info)."""

    voter: dict[str, int]
    ballot: dict[str, int]

    def voters(self, rows: list[tuple[int, list[Any]]]) -> dict[int, int]:
        c, found = self.voter, {}
        for rowid, v in rows:
            if len(v) == len(c) and v[c["id"]] is None and isinstance(v[c["voted_by"]], int):
                if isinstance(v[c["department_id"]], int) and isinstance(v[c["voted_at"]], str):
                    if v[c["voted_by"]] == PERSON + v[c["department_id"]]:
                        found[rowid] = v[c["department_id"]]
        return found

    def ballots(self, rows: list[tuple[int, list[Any]]]) -> dict[str, tuple[int, int]]:
        c, found = self.ballot, {}
        for _, v in rows:
            if len(v) == len(c) and isinstance(v[c["id"]], str) and len(v[c["id"]]) == 32:
                if isinstance(v[c["key_hash"]], str) and len(v[c["key_hash"]]) == 64:
                    found[v[c["id"]]] = (v[c["filled"]], v[c["choice"]])
        return found


def replay_wal(wal: bytes, shapes: Shapes) -> dict[int, int]:
    """The attack of issue 8: department -> choice for every commit that adds exactly one
    voter row and changes exactly one ballot row to a filled one."""
    links: dict[int, int] = {}
    for generation in wal_commits(wal):
        pages: dict[int, bytes] = {}
        voters: dict[int, int] = {}
        ballots: dict[str, tuple[int, int]] = {}
        for commit in generation:
            for number, image in commit:
                pages[number] = image
            now_voters: dict[int, int] = {}
            now_ballots: dict[str, tuple[int, int]] = {}
            for number, image in pages.items():
                rows = leaf_rows(image, number)
                now_voters |= shapes.voters(rows)
                now_ballots |= shapes.ballots(rows)
            new_voters = [d for rowid, d in now_voters.items() if rowid not in voters]
            changed = [s for i, s in now_ballots.items() if s[0] and ballots.get(i) != s]
            if len(new_voters) == 1 and len(changed) == 1:
                links[new_voters[0]] = changed[0][1]
            voters, ballots = now_voters, now_ballots
    return links


def free_pages(database: bytes) -> list[bytes]:
    """The pages on the database file's freelist (trunk pages hold only page numbers)."""
    page_size = int.from_bytes(database[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    trunk = int.from_bytes(database[32:36], "big")
    pages = []
    while trunk:
        start = (trunk - 1) * page_size
        page = database[start : start + page_size]
        count = int.from_bytes(page[4:8], "big")
        for n in range(count):
            leaf = int.from_bytes(page[8 + 4 * n : 12 + 4 * n], "big")
            pages.append(database[(leaf - 1) * page_size : leaf * page_size])
        trunk = int.from_bytes(page[0:4], "big")
    return pages


async def sqlite_shapes(db: Database) -> Shapes:
    async with db.engine.connect() as connection:
        voter = (await connection.execute(text("PRAGMA table_info(election_voter)"))).all()
        ballot = (await connection.execute(text("PRAGMA table_info(election_ballot)"))).all()
    return Shapes({r[1]: r[0] for r in voter}, {r[1]: r[0] for r in ballot})


def sqlite_files(db: Database) -> dict[str, bytes]:
    path = Path(db.url.split("///", 1)[1])
    files = {}
    for suffix in ("", "-wal", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            files[suffix or "db"] = candidate.read_bytes()
    return files


# ---------------------------------------------------------------------------------------------
# PostgreSQL, raw


async def relation_files(db: Database, table: str) -> dict[str, bytes]:
    """The table's and its indexes' files as on disk (after a CHECKPOINT writes them out)."""
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("CHECKPOINT")
        names = [table] + [
            r[0]
            for r in (
                await autocommit.exec_driver_sql(
                    "SELECT indexrelid::regclass::text FROM pg_index "
                    f"WHERE indrelid = '{table}'::regclass"
                )
            ).all()
        ]
        files = {}
        for name in names:
            path = (
                await autocommit.exec_driver_sql(f"SELECT pg_relation_filepath('{name}')")
            ).scalar_one()
            data = (
                await autocommit.exec_driver_sql(f"SELECT pg_read_binary_file('{path}')")
            ).scalar_one()
            files[name] = bytes(data)
    return files


@dataclass(frozen=True)
class Version:
    xmin: int
    xmax: int
    id: str
    key_hash: str
    filled: bool
    choice: int


def carve_ballots(heap: bytes) -> list[Version]:
    """Every version of a ballot row whose bytes are still in the heap file, live or dead.

    A row is (id varchar(32), round_id int4, receipt varchar(8), key_hash varchar(64),
    filled bool, choice int4) after a 24-byte tuple header: short varlena headers are
    (length + 1) * 2 + 1, int4 is aligned to 4 bytes.
    """
    versions = []
    for match in re.finditer(rb"\x43([0-9a-f]{32})", heap):
        data = match.start()
        start = data - 24
        if start < 0 or heap[start + 22] != 24 or heap[data + 40] != 0x13:
            continue
        xmin, xmax = struct.unpack_from("<II", heap, start)
        key_hash = heap[data + 50 : data + 114].decode("ascii", "replace")
        filled = heap[data + 114] == 1
        choice = struct.unpack_from("<i", heap, data + 116)[0]
        versions.append(Version(xmin, xmax, match.group(1).decode(), key_hash, filled, choice))
    return versions


def pair_dead_versions(versions: list[Version], voters: list[tuple[int, int]]) -> dict[int, int]:
    """department -> choice for each voter (xmin, department) whose transaction, or the one
    just before it (the voter row is written in a savepoint: a subtransaction id), replaced
    exactly one ballot version with a different, filled one."""
    links = {}
    for voter_xmin, department in voters:
        for xid in range(voter_xmin, voter_xmin - 4, -1):
            old = {v.id: v for v in versions if v.xmax == xid}
            new = {v.id: v for v in versions if v.xmin == xid}
            if not old:
                continue
            changed = [
                v
                for i, v in new.items()
                if i in old
                and (v.filled, v.choice, v.key_hash)
                != (old[i].filled, old[i].choice, old[i].key_hash)
            ]
            if len(changed) == 1 and changed[0].filled:
                links[department] = changed[0].choice
            break
    return links


# ---------------------------------------------------------------------------------------------


@dataclass
class Election:
    round_id: int
    roll: list[int]
    truth: dict[int, int]
    placeholders: set[str]  # key hashes of the empty ballots, replaced as people vote


async def open_secret_election(seeded: Seeded) -> Election:
    opened = await open_head_election(seeded, EXTRA)
    candidates, roll = opened.candidates, opened.roll
    async with seeded.db.session() as s:
        placeholders = set(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
                    text("SELECT key_hash FROM election_ballot WHERE round_id = :r"),
                    params={"r": opened.round_id},
                )
            ).scalars()
        )
    assert len(roll) == 21 and len(candidates) == 20 and len(placeholders) == 21
    choices = [*candidates, ABSTAIN]
    truth = {voter: choices[(n * 8) % 21] for n, voter in enumerate(roll)}
    assert len(set(truth.values())) == 21
    return Election(opened.round_id, roll, truth, placeholders)


def correct(links: dict[int, int], truth: dict[int, int]) -> int:
    return sum(truth[d] == c for d, c in links.items() if d in truth)


async def assert_sqlite_holds_no_history(seeded: Seeded, election: Election, filled: set[str]):
    shapes = await sqlite_shapes(seeded.db)
    files = sqlite_files(seeded.db)
    assert "-journal" not in files
    links = replay_wal(files.get("-wal", b""), shapes)
    assert links == {}, f"the WAL links {correct(links, election.truth)} voters to their choice"
    for name, data in files.items():
        for placeholder in filled:
            assert placeholder.encode() not in data, f"a replaced empty ballot is still in {name}"
    for page in free_pages(files["db"]):
        assert page == bytes(len(page)), "a freed page still holds old content"


async def test_sqlite_files_hold_no_ballot_history_during_and_after_the_election(
    sqlite_url: str,
) -> None:
    seeded = await _seed(sqlite_url)
    try:
        election = await open_secret_election(seeded)
        # Between two votes (one of them a replacement) there is nothing to read already; the
        # same replay of an unerased WAL links the voters (the next test).
        await _vote(seeded, election, election.roll[:10])
        filled = await _filled_placeholders(seeded, election)
        assert len(filled) == 10
        await assert_sqlite_holds_no_history(seeded, election, filled)
        await _vote(seeded, election, election.roll[10:])
        async with seeded.db.session() as s:
            closed = await V.count_round(s, election.round_id, NOW + timedelta(hours=1), 1)
        assert closed is not None and closed.tally.cast == 21
        await assert_sqlite_holds_no_history(seeded, election, election.placeholders)
    finally:
        await seeded.db.dispose()


async def test_the_wal_replay_links_every_vote_it_can_read(sqlite_url: str) -> None:
    """The attack itself, on a WAL that was not erased: it must find the links (else the test
    above would prove nothing). Erasure is switched off by a database that never erases."""
    seeded = await _seed(sqlite_url, NeverErases)
    try:
        election = await open_secret_election(seeded)
        await _vote(seeded, election, election.roll)
        shapes = await sqlite_shapes(seeded.db)
        links = replay_wal(sqlite_files(seeded.db)["-wal"], shapes)
        assert correct(links, election.truth) == 20  # all but the department that replaced
        assert any(p.encode() in sqlite_files(seeded.db)["-wal"] for p in election.placeholders)
    finally:
        await seeded.db.dispose()


async def test_postgresql_files_hold_no_dead_ballot_versions_after_the_close(
    postgres_url: str,
) -> None:
    seeded = await _seed(postgres_url)
    try:
        election = await open_secret_election(seeded)
        await _vote(seeded, election, election.roll)
        before = await relation_files(seeded.db, "election_ballot")
        voters = await _pg_voters(seeded, election)
        # Before the close the history is there: dead versions pair with the voters' xmin
        # (how many depends on how much page pruning removed), and the replaced empty
        # ballots are still in the files (the key_hash index keeps them until a VACUUM).
        links = pair_dead_versions(carve_ballots(before["election_ballot"]), voters)
        assert correct(links, election.truth) >= 1
        assert any(p.encode() in data for p in election.placeholders for data in before.values())
        async with seeded.db.session() as s:
            closed = await V.count_round(s, election.round_id, NOW + timedelta(hours=1), 1)
        assert closed is not None and closed.tally.cast == 21
        after = await relation_files(seeded.db, "election_ballot")
        ids = await _ballot_ids(seeded, election)
        versions = [v for v in carve_ballots(after["election_ballot"]) if v.id in ids]
        # One version per ballot is left in the heap file, none dead or left over ...
        assert len(versions) == 21, f"{len(versions)} versions of 21 ballots in the heap file"
        assert all(v.xmax == 0 for v in versions)
        # ... and the carving does read this layout (else these checks would prove nothing).
        assert sorted(v.choice for v in versions if v.filled) == sorted(election.truth.values())
        assert closed.next_round is not None  # 21 different choices: a second round opened
        assert pair_dead_versions(versions, await _pg_voters(seeded, election)) == {}
        for name, data in after.items():
            for placeholder in election.placeholders:
                assert placeholder.encode() not in data, f"a replaced empty ballot is in {name}"
    finally:
        await seeded.db.dispose()


async def test_the_close_waits_for_an_older_transaction_before_it_erases(postgres_url: str) -> None:
    """A transaction of another database that began before the votes and is still running at
    the close holds the horizon back: a VACUUM FULL then would copy the last votes' dead
    versions into the new file. The close waits for it (bounded) and erases once it ended."""
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

    seeded = await _seed(postgres_url, WatchesTheHorizon)
    db: WatchesTheHorizon = seeded.db  # type: ignore[assignment]  # made with this Database subclass (_seed's kind)
    server = postgres_url.replace("+asyncpg", "").rsplit("/", 1)[0]
    older = await asyncpg.connect(server + "/postgres")
    try:
        election = await open_secret_election(seeded)
        holding = older.transaction()
        await holding.start()
        await older.fetchval("SELECT pg_current_xact_id()")  # an xid older than every vote
        await _vote(seeded, election, election.roll)

        async def close() -> Any:
            async with seeded.db.session() as s:
                return await V.count_round(s, election.round_id, NOW + timedelta(hours=1), 1)

        closing = asyncio.create_task(close())
        await asyncio.wait_for(db.blocked.wait(), timeout=30)  # the erasure saw it and waits
        assert not closing.done()
        await holding.rollback()
        closed = await closing
        assert closed is not None and closed.tally.cast == 21
        after = await relation_files(seeded.db, "election_ballot")
        ids = await _ballot_ids(seeded, election)
        versions = [v for v in carve_ballots(after["election_ballot"]) if v.id in ids]
        assert len(versions) == 21, f"{len(versions)} versions of 21 ballots in the heap file"
        assert pair_dead_versions(versions, await _pg_voters(seeded, election)) == {}
    finally:
        await older.close()
        await seeded.db.dispose()


class WatchesTheHorizon(Database):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.blocked = asyncio.Event()

    def _horizon_blocked(self) -> None:
        self.blocked.set()


# ---------------------------------------------------------------------------------------------


class NeverErases(Database):
    async def erase_ballot_history(self, attempts: int = 5) -> bool:
        return False


async def _seed(url: str, kind: type[Database] = Database) -> Seeded:
    from bot.domain.cluster_file import load_cluster_file
    from storage.clusters import apply_cluster_spec, list_departments
    from tests.conftest import CLUSTER, EXAMPLE
    from tests.elections.conftest import create_schema

    db = kind(url)
    await create_schema(db)
    async with db.session() as s:
        await apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        ids = {d.slug: d.id for d in await list_departments(s, CLUSTER)}
    return Seeded(db, CLUSTER, ids)  # type: ignore[arg-type]  # ids of stored departments: never None


async def _vote(seeded: Seeded, election: Election, voters: list[int]) -> None:
    clock = NOW
    changer = election.roll[3]
    for voter in voters:
        clock += timedelta(minutes=1)
        first = election.truth[election.roll[0]] if voter == changer else election.truth[voter]
        async with seeded.db.session() as s:
            result = await V.cast_vote(s, election.round_id, voter, PERSON + voter, first, clock)
        assert result.ok and result.key
        if voter == changer:
            async with seeded.db.session() as s:
                replaced = await V.replace_vote(
                    s,
                    election.round_id,
                    voter,
                    PERSON + voter,
                    election.truth[voter],
                    clock,
                    key=result.key,
                )
            assert replaced.ok


async def _filled_placeholders(seeded: Seeded, election: Election) -> set[str]:
    async with seeded.db.session(write=False) as s:
        remaining = set(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
                    text("SELECT key_hash FROM election_ballot WHERE round_id = :r"),
                    params={"r": election.round_id},
                )
            ).scalars()
        )
    return election.placeholders - remaining


async def _ballot_ids(seeded: Seeded, election: Election) -> set[str]:
    async with seeded.db.session(write=False) as s:
        rows = await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            text("SELECT id FROM election_ballot WHERE round_id = :r"),
            params={"r": election.round_id},
        )
        return set(rows.scalars())


async def _pg_voters(seeded: Seeded, election: Election) -> list[tuple[int, int]]:
    async with seeded.db.session(write=False) as s:
        rows = await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            text(
                "SELECT xmin::text::bigint, department_id FROM election_voter WHERE round_id = :r"
            ),
            params={"r": election.round_id},
        )
        return [(int(x), int(d)) for x, d in rows.all()]
