"""A populated database backed up and restored on the other engine, through the command line:
every table's content comes back the same, ids included (the target was empty)."""

from __future__ import annotations

from pathlib import Path

from tests.backup.world import cli, dump, populate
from tests.conftest import CLUSTER, Clock


async def _round_trip(source: str, target: str, clock: Clock, tmp_path: Path) -> None:
    await populate(source, clock)
    before = await dump(source)
    # The world is what the test says it is: rows of every kind to carry over.
    for table in (
        "submissionvalue",
        "draft",
        "delivery",
        "announcement_ack",
        "election_voter",
        "election_ballot",
        "membership",
        "person",
    ):
        assert before[table], table
    archive = tmp_path / "backup.zip"
    made = cli("backup", str(archive), url=source)
    assert made.returncode == 0, made.stderr
    assert "Đã ghi bản sao lưu" in made.stdout and CLUSTER in made.stdout
    restored = cli("restore", str(archive), url=target)
    assert restored.returncode == 0, restored.stderr
    assert "Đã khôi phục" in restored.stdout and "giữ nguyên" in restored.stdout
    after = await dump(target)
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, table
    # The target's own ids go on after the restored ones (PostgreSQL: the sequences were set).
    opened = cli(
        "round", "open", "2031", "--cluster", CLUSTER, "--deadline", "2032-01-15", url=target
    )
    assert opened.returncode == 0, opened.stderr
    listed = cli("round", "list", "--cluster", CLUSTER, url=target)
    assert "2023-Q4" in listed.stdout and "2031" in listed.stdout


async def test_sqlite_to_postgresql(
    sqlite_url: str, postgres_url: str, clock: Clock, tmp_path: Path
) -> None:
    await _round_trip(sqlite_url, postgres_url, clock, tmp_path)


async def test_postgresql_to_sqlite(postgres_url: str, tmp_path: Path, clock: Clock) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    await _round_trip(postgres_url, target, clock, tmp_path)
