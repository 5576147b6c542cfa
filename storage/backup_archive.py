"""The backup file: a zip of a manifest and one JSON-lines member per table.

Layout (format version 1)::

    manifest.json               what the archive holds, written last
    tables/01-cluster.jsonl     one JSON object a line, one member per table, in the order the
    tables/02-department.jsonl  rows must be inserted (parents before children)
    ...

The manifest names the format and its version, the schema revision (the Alembic head of the
clusterbot that wrote it), when and by which clusterbot version it was made, which clusters it
holds (``scope``: "all" for every cluster and the global tables, "cluster" for some), and per
table its member, columns, row count and the SHA-256 of the member's bytes. A reader checks every
member against its checksum before it writes anything.

Values are written so that any engine can read them back: datetimes as ISO 8601 in UTC with the
offset, dates as ISO dates, bytes as base64, decimals as strings; integers, booleans, strings
and null as themselves. Which conversion applies is the column's type (`encode`, `decode`), so
a row needs no type tags.

Members are stored with a fixed timestamp: the file says nothing about when each table was read.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Boolean, Column, Date, DateTime, LargeBinary, Numeric
from sqlalchemy.types import TypeDecorator

FORMAT = "clusterbot-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say


class BackupError(Exception):
    """A backup or restore refused; `code` names the reason (the templates in backup.txt)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class TableEntry:
    name: str
    member: str
    columns: list[str]
    rows: int = 0
    sha256: str = ""


@dataclass
class Manifest:
    schema_revision: str
    created_at: str
    clusterbot_version: str
    scope: str  # "all" | "cluster"
    clusters: list[str]
    tables: list[TableEntry] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        data = {
            "format": self.format,
            "format_version": self.format_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at,
            "clusterbot_version": self.clusterbot_version,
            "scope": self.scope,
            "clusters": self.clusters,
            "tables": [
                {
                    "name": t.name,
                    "member": t.member,
                    "columns": t.columns,
                    "rows": t.rows,
                    "sha256": t.sha256,
                }
                for t in self.tables
            ],
        }
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise BackupError("not_an_archive")
            version = data.get("format_version")
            if version != FORMAT_VERSION:
                raise BackupError("bad_format_version", value=str(version), known=FORMAT_VERSION)
            return cls(
                schema_revision=str(data["schema_revision"]),
                created_at=str(data["created_at"]),
                clusterbot_version=str(data["clusterbot_version"]),
                scope=str(data["scope"]),
                clusters=[str(c) for c in data["clusters"]],
                tables=[
                    TableEntry(
                        name=str(t["name"]),
                        member=str(t["member"]),
                        columns=[str(c) for c in t["columns"]],
                        rows=int(t["rows"]),
                        sha256=str(t["sha256"]),
                    )
                    for t in data["tables"]
                ],
            )
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BackupError("not_an_archive") from exc


def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # e.g. UTCDateTime: what it stores is its impl's
        kind = kind.impl_instance
    for sql_type, python in (
        (DateTime, datetime),
        (Date, date),
        (LargeBinary, bytes),
        (Numeric, Decimal),
        (Boolean, bool),
    ):
        if isinstance(kind, sql_type):
            return python
    return None


def encode(column: Column[Any], value: Any) -> Any:
    """A column's value as JSON can hold it, the same whichever engine it was read from."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a plain DateTime column: the project stores UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode(column: Column[Any], value: Any) -> Any:
    """The inverse of `encode`, driven by the column's type."""
    if value is None:
        return None
    kind = _python_type(column)
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    if kind is date:
        return date.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is bool:
        return bool(value)
    return value


class ArchiveWriter:
    """Writes the members one by one, then the manifest (`close`), to a temporary file that
    replaces ``path`` only when everything is written."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest
        self._temporary = path.with_name(f".{path.name}.partial")
        self._zip = zipfile.ZipFile(self._temporary, "w", compression=zipfile.ZIP_DEFLATED)

    def add_table(self, name: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
        number = len(self.manifest.tables) + 1
        entry = TableEntry(name=name, member=f"tables/{number:02d}-{name}.jsonl", columns=columns)
        digest = hashlib.sha256()
        info = zipfile.ZipInfo(entry.member, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with self._zip.open(info, "w") as member:
            for row in rows:
                line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
                data = line.encode("utf-8")
                digest.update(data)
                member.write(data)
                entry.rows += 1
        entry.sha256 = digest.hexdigest()
        self.manifest.tables.append(entry)
        return entry.rows

    def close(self) -> None:
        info = zipfile.ZipInfo(MANIFEST, date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, self.manifest.to_json())
        self._zip.close()
        self._temporary.replace(self.path)

    def abort(self) -> None:
        self._zip.close()
        self._temporary.unlink(missing_ok=True)


@dataclass
class Archive:
    """An archive read and checked: its manifest and every table's rows (still encoded)."""

    manifest: Manifest
    rows: dict[str, list[dict[str, Any]]]


def read_archive(source: Path | IO[bytes]) -> Archive:
    """Read ``source`` and check it whole: the format, each member's checksum and row count.
    Raises BackupError; never returns a partly checked archive."""
    try:
        with zipfile.ZipFile(source) as archive:
            try:
                manifest = Manifest.from_json(archive.read(MANIFEST))
            except KeyError as exc:
                raise BackupError("not_an_archive") from exc
            rows: dict[str, list[dict[str, Any]]] = {}
            for entry in manifest.tables:
                try:
                    data = archive.read(entry.member)
                except KeyError as exc:
                    raise BackupError("checksum_mismatch", member=entry.member) from exc
                if hashlib.sha256(data).hexdigest() != entry.sha256:
                    raise BackupError("checksum_mismatch", member=entry.member)
                table_rows = list(_lines(data, entry.member))
                if len(table_rows) != entry.rows:
                    raise BackupError("checksum_mismatch", member=entry.member)
                rows[entry.name] = table_rows
    except zipfile.BadZipFile as exc:
        raise BackupError("not_an_archive") from exc
    except OSError as exc:
        raise BackupError("cannot_read", reason=exc.strerror or str(exc)) from exc
    return Archive(manifest, rows)


def _lines(data: bytes, member: str) -> Iterator[dict[str, Any]]:
    for line in io.BytesIO(data):
        try:
            row = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError("checksum_mismatch", member=member) from exc
        if not isinstance(row, dict):
            raise BackupError("checksum_mismatch", member=member)
        yield row
