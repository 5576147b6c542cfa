"""The archive's value encoding and layout, directly: every column type the engines differ on
comes back as the same Python value, and the file says nothing about when each table was read."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, LargeBinary, Numeric, Text

from storage.backup_archive import (
    ArchiveWriter,
    BackupError,
    Manifest,
    decode,
    encode,
    read_archive,
)
from storage.types import UTCDateTime

HANOI = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("column", "value", "written", "read"),
    [
        (Column("a", UTCDateTime()), datetime(2024, 1, 5, 8, 0, 1, 5, tzinfo=HANOI),
         "2024-01-05T01:00:01.000005+00:00", datetime(2024, 1, 5, 1, 0, 1, 5, tzinfo=UTC)),
        (Column("b", DateTime()), datetime(2024, 1, 5, 1, 0),
         "2024-01-05T01:00:00+00:00", datetime(2024, 1, 5, 1, 0, tzinfo=UTC)),
        (Column("c", Date()), date(2024, 2, 29), "2024-02-29", date(2024, 2, 29)),
        (Column("d", LargeBinary()), b"\x00\xffba", "AP9iYQ==", b"\x00\xffba"),
        (Column("e", Numeric()), Decimal("12.50"), "12.50", Decimal("12.50")),
        (Column("f", Boolean()), True, True, True),
        (Column("g", BigInteger()), -1001700000001, -1001700000001, -1001700000001),
        (Column("h", Text()), "Sở Nội vụ", "Sở Nội vụ", "Sở Nội vụ"),
        (Column("i", UTCDateTime()), None, None, None),
    ],
)  # fmt: skip
def test_values_are_written_portably_and_read_back(
    column: Column[object], value: object, written: object, read: object
) -> None:
    encoded = encode(column, value)
    assert encoded == written
    assert json.loads(json.dumps(encoded)) == written  # plain JSON
    assert decode(column, json.loads(json.dumps(encoded))) == read


def _manifest() -> Manifest:
    return Manifest("abc123", "2024-01-05T01:00:00+00:00", "0.1.0", "all", ["cum"])


def test_members_have_a_fixed_time_and_the_manifest_their_checksums(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    writer = ArchiveWriter(path, _manifest())
    writer.add_table("cluster", ["id"], [{"id": "cum"}])
    writer.add_table("round", ["id"], [])
    writer.close()
    assert not list(tmp_path.glob(".*partial"))
    with zipfile.ZipFile(path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        names = archive.namelist()
    assert names == ["tables/01-cluster.jsonl", "tables/02-round.jsonl", "manifest.json"]
    read = read_archive(path)
    assert read.rows == {"cluster": [{"id": "cum"}], "round": []}
    assert read.manifest.tables[0].rows == 1 and len(read.manifest.tables[0].sha256) == 64


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    writer = ArchiveWriter(path, _manifest())

    def rows() -> list[dict[str, object]]:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        writer.add_table("cluster", ["id"], rows())
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_manifest_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(BackupError) as caught:
        read_archive(path)
    assert caught.value.code == "not_an_archive"
    with pytest.raises(BackupError) as caught:
        read_archive(tmp_path / "missing.zip")
    assert caught.value.code == "cannot_read"
