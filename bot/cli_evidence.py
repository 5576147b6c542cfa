"""`clusterbot evidence export YEAR DIR --cluster ID`: the body of the command.

The argument parsing lives in ``bot/cli.py``. Every evidence file of the year is written to
``DIR/<department>/<criterion>/<n>_<name>`` (atomically, as `clusterbot export` does), each
checked against the SHA-256 taken when it arrived, with a list of them all
(``DIR/minh-chung_<cluster>_<year>.csv``: department, criterion, file, name as sent, size,
SHA-256, who sent it, when) that Excel opens with its diacritics (UTF-8 with a BOM). Exit code:
0 written, 1 nothing to write, no such cluster or year, or a file whose bytes no longer match
their hash (the others are written, that one is not), 2 bad arguments or a file could not be
written.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.atomic_file import write_atomically
from bot.reports import plain
from bot.services.documents import parse_year
from bot.services.evidence_export import EvidenceEntry, content, year_evidence
from messages.formatting import format_datetime
from messages.render import current_zone, render
from storage import clusters
from storage.database import Database

__all__ = ["evidence_export_command"]

_UNSAFE = re.compile(r"[^\w.\-]+")
_COLUMNS = ("col_department", "col_criterion_id", "col_file", "col_file_name", "col_size_bytes",
            "col_sha256", "col_uploaded_by", "col_uploaded_at")  # fmt: skip


def safe_name(name: str) -> str:
    """A file name that is one path component on every system (letters with diacritics kept)."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "tep"
    return cleaned[-120:]


def relative_path(entry: EvidenceEntry, n: int) -> Path:
    return Path(
        safe_name(entry.department_slug),
        safe_name(entry.item),
        f"{n:03d}_{safe_name(entry.file_name)}",
    )


async def evidence_export_command(
    db: Database,
    cluster_id: str,
    year_text: str,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    year = parse_year(year_text)
    if year is None:
        print(render(lang, "documents.cli_bad_year", text=year_text), file=err)
        return 2
    folder = Path(out_dir)
    async with db.session(write=False) as session:
        if await clusters.get_cluster(session, cluster_id) is None:
            print(render(lang, "reports.cli_no_cluster", cluster=cluster_id), file=err)
            return 1
        entries = await year_evidence(session, cluster_id, year)
        if not entries:
            print(render(lang, "evidence.cli_no_evidence", year=year), file=err)
            return 1
        rows: list[list[str]] = []
        written = total = 0
        failed = False
        for n, entry in enumerate(entries, start=1):
            data = await content(session, entry)
            path = relative_path(entry, n)
            if data is None:
                print(render(lang, "evidence.cli_no_bytes", name=entry.file_name), file=err)
                failed, path_text = True, ""
            elif hashlib.sha256(data).hexdigest() != entry.sha256:
                print(render(lang, "evidence.cli_hash_mismatch", name=entry.file_name), file=err)
                failed, path_text = True, ""
            else:
                try:
                    await asyncio.to_thread(_write, folder / path, data)
                except OSError as exc:
                    reason = exc.strerror or str(exc)
                    print(render(lang, "reports.cli_cannot_write", path=str(folder / path),
                                 reason=reason), file=err)  # fmt: skip
                    return 2
                written, total, path_text = written + 1, total + len(data), path.as_posix()
            rows.append([
                entry.department_name or entry.department_slug, entry.item, path_text,
                entry.file_name, str(entry.size), entry.sha256, str(entry.uploaded_by),
                format_datetime(entry.uploaded_at, current_zone()),
            ])  # fmt: skip
    listing = folder / f"minh-chung_{safe_name(cluster_id)}_{year}.csv"
    try:
        await asyncio.to_thread(_write, listing, _csv(rows, lang))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(render(lang, "reports.cli_cannot_write", path=str(listing), reason=reason), file=err)
        return 2
    print(render(lang, "evidence.cli_evidence_written", count=written, size=total,
                 folder=str(folder), listing=str(listing)), file=out)  # fmt: skip
    return 1 if failed else 0


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data)


def _csv(rows: list[list[str]], lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([plain(lang, name) for name in _COLUMNS])
    for row in rows:
        # Text Excel would run as a formula gets an apostrophe (as bot/reports/csv_export.py).
        writer.writerow(["'" + v if v.startswith(("=", "+", "-", "@")) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
