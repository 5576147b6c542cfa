"""What restore refuses, and that a refusal or a conflict writes nothing; a cluster restored
into a database that holds another one gets new ids, with every reference following them."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from bot.demo_elections import elect_2024
from bot.domain.cluster_file import load_cluster_file
from storage.backup import BackupError, backup, restore
from storage.clusters import apply_cluster_spec
from storage.database import Database
from storage.models import Cluster as ClusterRow
from storage.models import Department
from storage.pacts import claim_pact_opening
from tests.backup.world import cli, dump, open_round
from tests.conftest import CLUSTER, EXAMPLE, GROUP, Cluster

OTHER = "cum-khac"


async def _archive(c: Cluster, path: Path, election: bool = False) -> Path:
    await open_round(c, "2023-Q4", "15/01/2024")
    await c.submit("bac-giang", ["187", "28", "55", "100", "Tốt"])
    if election:
        # The pact's delivery keys (its copies, the live count) name it by id (before the
        # election hands the head's office on).
        await c.h.say(c.head, c.head.id, "/pact 2023")
        officer = c.officers["yen-bai"]
        (copy,) = [m for m in c.emu.messages(officer.id) if "Ký giao ước" in str(m.buttons)]
        await c.h.press(officer, copy, "✍️ Ký giao ước")
        await elect_2024(c.h, c.officers, c.head, group_id=GROUP, out=None)
    assert c.h.db is not None
    await c.h.settled()
    await backup(c.h.db, path)
    return path


async def _rows(db: Database) -> int:
    total = 0
    async with db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            total += (
                await connection.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return total


def _rewrite(source: Path, target: Path, change: Any) -> Path:
    """A copy of the archive with ``change(name, data) -> data`` applied to each member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, change(info.filename, old.read(info.filename)))
    return target


def _manifest(change: Any) -> Any:
    def apply(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return apply


async def _refused(db: Database, path: Path, code: str, **kw: Any) -> BackupError:
    with pytest.raises(BackupError) as caught:
        await restore(db, path, **kw)
    assert caught.value.code == code, caught.value.params
    return caught.value


async def test_refusals_write_nothing(cluster: Cluster, target: Database, tmp_path: Path) -> None:
    good = await _archive(cluster, tmp_path / "good.zip")

    def damage(name: str, data: bytes) -> bytes:
        return (
            data.replace(b"bac-giang", b"bac-gianh") if name.endswith("department.jsonl") else data
        )

    damaged = _rewrite(good, tmp_path / "damaged.zip", damage)
    error = await _refused(target, damaged, "checksum_mismatch")
    assert "department" in error.params["member"]
    later_format = _rewrite(
        good, tmp_path / "v2.zip", _manifest(lambda m: m.update(format_version=2))
    )
    await _refused(target, later_format, "bad_format_version")
    newer = _rewrite(
        good, tmp_path / "newer.zip", _manifest(lambda m: m.update(schema_revision="ffff0000aaaa"))
    )
    await _refused(target, newer, "newer_schema")
    (tmp_path / "notes.zip").write_bytes(b"not a zip at all")
    await _refused(target, tmp_path / "notes.zip", "not_an_archive")
    await _refused(target, good, "cluster_not_in_archive", cluster="cum-khong-co")
    assert await _rows(target) == 0

    # The good archive restores; a second time it is refused (whole or one cluster) ...
    first = await restore(target, good)
    assert first.ids_kept and first.clusters == [CLUSTER]
    restored = await dump(target.url)
    await _refused(target, good, "database_not_empty")
    await _refused(target, good, "cluster_exists", cluster=CLUSTER)
    assert await dump(target.url) == restored
    # ... unless told to replace what is there: the same content again.
    again = await restore(target, good, replace=True)
    assert again.replaced and again.ids_kept
    assert await dump(target.url) == restored
    one = await restore(target, good, cluster=CLUSTER, replace=True)
    assert one.replaced and one.ids_kept  # the cluster was the only data: ids kept
    assert await dump(target.url) == restored


async def test_refusals_are_one_line_in_either_language(cluster: Cluster, tmp_path: Path) -> None:
    good = await _archive(cluster, tmp_path / "good.zip")
    damaged = _rewrite(
        good, tmp_path / "damaged.zip", lambda n, d: d + b"\n" if n.endswith("round.jsonl") else d
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    for lang, words in (("vi", "Bản sao lưu bị hỏng"), ("en", "The backup is damaged")):
        result = cli("restore", str(damaged), url=url, lang=lang)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "round.jsonl" in lines[0], lines
    newer = _rewrite(
        good, tmp_path / "newer.zip", _manifest(lambda m: m.update(schema_revision="ffff0000aaaa"))
    )
    result = cli("restore", str(newer), url=url)
    assert result.returncode == 1 and "clusterbot mới hơn" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    ok = cli("restore", str(good), url=url)
    assert ok.returncode == 0, ok.stderr
    again = cli("restore", str(good), "--cluster", CLUSTER, url=url, lang="en")
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"The cluster {CLUSTER} is already in the database; add --replace to overwrite it."
        " Nothing was written."
    )


async def _other_cluster(db: Database, tmp_path: Path, group: int | None = None) -> None:
    """The example file again, as another cluster (the same department slugs)."""
    other = tmp_path / "other.toml"
    body = EXAMPLE.read_text(encoding="utf-8")
    other.write_text(body.replace(f'id = "{CLUSTER}"', f'id = "{OTHER}"', 1), encoding="utf-8")
    spec = load_cluster_file(other)
    async with db.session() as session:
        await apply_cluster_spec(session, spec)
        # A pact of its own, so that the restored cluster's pact gets a new id.
        table = {"commitments": ["Cam kết"]}
        await claim_pact_opening(
            session, OTHER, 2023, table, by=1, now=datetime(2024, 1, 5, tzinfo=UTC)
        )
        if group is not None:
            row = await session.get(ClusterRow, OTHER)
            assert row is not None
            row.group_chat_id = group


async def test_a_conflict_rolls_the_whole_restore_back(
    cluster: Cluster, target: Database, tmp_path: Path
) -> None:
    good = await _archive(cluster, tmp_path / "good.zip")
    await _other_cluster(
        target, tmp_path, group=GROUP
    )  # the same Telegram group as the archived cluster
    before = await dump(target.url)
    error = await _refused(target, good, "conflict", cluster=CLUSTER)
    assert error.params["table"] == "cluster"
    assert await dump(target.url) == before


SUBMITTED = text(
    "SELECT r.period, d.slug, i.slug, s.revision, v.value FROM submissionvalue v"
    " JOIN submission s ON s.id = v.submission_id JOIN round r ON r.id = s.round_id"
    " JOIN department d ON d.id = s.department_id JOIN indicator i ON i.id = v.indicator_id"
    " WHERE r.cluster_id = :c ORDER BY 1, 2, 3, 4"
)
VOTED = text(
    "SELECT e.title, er.office_position, er.number, d.slug FROM election_voter v"
    " JOIN election_round er ON er.id = v.round_id JOIN election e ON e.id = er.election_id"
    " JOIN department d ON d.id = v.department_id WHERE e.cluster_id = :c ORDER BY 1, 2, 3, 4"
)
BALLOTS = text(
    "SELECT er.office_position, er.number, b.receipt, b.filled,"
    " CASE WHEN b.choice = 0 THEN '' ELSE d.slug END FROM election_ballot b"
    " JOIN election_round er ON er.id = b.round_id JOIN election e ON e.id = er.election_id"
    " LEFT JOIN department d ON d.id = b.choice WHERE e.cluster_id = :c ORDER BY 1, 2, 3"
)
WINNERS = text(
    "SELECT o.role, d.slug FROM electionoffice o JOIN election e ON e.id = o.election_id"
    " JOIN department d ON d.id = o.department_id WHERE e.cluster_id = :c ORDER BY 1"
)
KEYS = text("SELECT key FROM delivery WHERE cluster_id = :c OR cluster_id IS NULL")
LABELS = {
    "r": "SELECT id, period FROM round WHERE cluster_id = :c",
    "summary:": "SELECT id, period FROM round WHERE cluster_id = :c",
    "ann:": "SELECT id, text FROM announcement WHERE cluster_id = :c",
    "election:round:": "SELECT er.id, er.office_position || '/' || er.number FROM election_round er"
    " JOIN election e ON e.id = er.election_id WHERE e.cluster_id = :c",
    "election:": "SELECT id, title FROM election WHERE cluster_id = :c",
    "pact": "SELECT id, year FROM pact WHERE cluster_id = :c",
}
KEY = re.compile(r"^(r|summary:|ann:|election:round:|election:|pact)(\d+)(:.*)$")


async def _facts(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    async with db.engine.connect() as connection:
        for name, query in (
            ("submitted", SUBMITTED),
            ("voted", VOTED),
            ("ballots", BALLOTS),
            ("winners", WINNERS),
        ):
            found[name] = [tuple(r) for r in (await connection.execute(query, {"c": CLUSTER}))]
        # A delivery key names its round (announcement, election) by id: told by what the
        # row is, it must read the same.
        labels = {
            prefix: {
                i: str(label) for i, label in await connection.execute(text(q), {"c": CLUSTER})
            }
            for prefix, q in LABELS.items()
        }
        keys = []
        for (key,) in await connection.execute(KEYS, {"c": CLUSTER}):
            match = KEY.match(key)
            if match:
                prefix, number, rest = match.groups()
                key = f"{prefix}<{labels[prefix][int(number)]}>{rest}"
            keys.append(key)
        found["keys"] = sorted(keys)
    return found


async def test_one_cluster_into_a_database_with_another_is_renumbered(
    cluster: Cluster, target: Database, tmp_path: Path
) -> None:
    good = await _archive(cluster, tmp_path / "good.zip", election=True)
    assert cluster.h.db is not None
    source = await _facts(cluster.h.db)
    assert all(source.values()), source
    await _other_cluster(target, tmp_path)
    others = {t: rows for t, rows in (await dump(target.url)).items()}

    report = await restore(target, good, cluster=CLUSTER)
    assert not report.ids_kept and report.clusters == [CLUSTER]
    assert await _facts(target) == source
    async with target.engine.connect() as connection:
        departments: dict[int, str] = dict(
            (await connection.execute(text("SELECT id, cluster_id FROM department"))).all()
        )
    assert len(departments) == 14 and sorted(departments)[7:] == list(range(8, 15))
    # The other cluster's rows are all still there, unchanged.
    after = await dump(target.url)
    for table, rows in others.items():
        assert all(row in after[table] for row in rows), table
    # The target's next own row gets a fresh id (no clash with the restored ones).
    async with target.session() as session:
        row = Department(cluster_id=OTHER, slug="moi", name="Mới", name_en="New", position=99)
        session.add(row)
        await session.flush()
        assert row.id is not None and row.id > 14
    await _refused(target, good, "cluster_exists", cluster=CLUSTER)
    # Replacing it renumbers again; the facts stay the same.
    replaced = await restore(target, good, cluster=CLUSTER, replace=True)
    assert replaced.replaced and not replaced.ids_kept
    assert await _facts(target) == source
