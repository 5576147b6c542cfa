"""`clusterbot documents --cluster ID --year YEAR [--out DIR] [--date YYYY-MM-DD] [--signer NAME]`:
the body of the command.

The argument parsing lives in ``bot/cli.py``; this writes the year's documents as .docx files
into ``--out`` (atomically, as `clusterbot export` does), one line per file written and one per
document that cannot be written yet (no figures; no conference votes; no award proposals until
the cluster votes awards in the bot). Exit code: 0 something written, 1 nothing to write or no
such cluster, 2 bad arguments or a file could not be written.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.atomic_file import write_atomically
from bot.reports.documents import build_documents
from bot.services.documents import documents_for, parse_year
from messages.render import render
from storage.database import Database

__all__ = ["documents_command"]


async def documents_command(
    db: Database,
    cluster_id: str,
    year_text: str,
    out_dir: str | Path,
    *,
    now: datetime,
    tz: ZoneInfo,
    signed_on: str | None = None,
    signer: str = "",
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
    day: date | None = None
    if signed_on:
        try:
            day = date.fromisoformat(signed_on)
        except ValueError:
            print(render(lang, "documents.cli_bad_date", text=signed_on), file=err)
            return 2
    async with db.session(write=False) as session:
        found = await documents_for(
            session, cluster_id, year, lang, now=now, tz=tz, signed_on=day, signer=signer
        )
    if found is None:
        print(render(lang, "reports.cli_no_cluster", cluster=cluster_id), file=err)
        return 1
    built = await asyncio.to_thread(build_documents, found, lang)
    folder = Path(out_dir)
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(render(lang, "reports.cli_cannot_write", path=str(folder), reason=reason), file=err)
        return 2
    for document in built:
        path = folder / document.filename
        try:
            await asyncio.to_thread(write_atomically, path, document.data)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(render(lang, "reports.cli_cannot_write", path=str(path), reason=reason), file=err)
            return 2
        print(render(lang, "documents.cli_written", kind=document.kind, path=str(path)), file=out)
    for note in found.notes:
        print(render(lang, "documents.note", code=note, year=year), file=out)
    if not built:
        print(render(lang, "documents.cli_nothing", year=year), file=err)
        return 1
    return 0
