"""`clusterbot export PERIOD --cluster ID --format xlsx|csv --output FILE`: the body of the command.

The argument parsing lives in ``bot/cli.py``; this writes the file (atomically: a temporary file
in the same folder, then a rename, so a reader never sees half a workbook) and returns the exit
code: 0 written, 1 nothing to export (no such cluster, no figures), 2 bad arguments or the file
could not be written.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.atomic_file import write_atomically
from bot.domain.periods import PeriodError, parse_period
from bot.reports import plain
from storage.database import Database

__all__ = ["export_command", "write_atomically"]

FORMATS = ("xlsx", "csv")


async def export_command(
    db: Database,
    cluster_id: str,
    period: str,
    fmt: str,
    output: str | Path,
    *,
    lang: str = "vi",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Write the summary of ``period`` for ``cluster_id`` as ``fmt`` (xlsx or csv) to ``output``."""
    out = out or sys.stdout
    err = err or sys.stderr
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        print(plain(lang, "cli_bad_format", fmt=fmt), file=err)
        return 2
    try:
        code = parse_period(period).code
    except PeriodError:
        print(plain(lang, "cli_bad_period", text=period), file=err)
        return 2
    # Only now: the summaries (and for xlsx the workbook, with openpyxl and the numpy it loads)
    # cost CPU that a refused command never needs; CSV needs no openpyxl at all.
    from bot.services.summaries import history_for, summary_for
    from storage.clusters import get_cluster

    async with db.session() as session:
        if await get_cluster(session, cluster_id) is None:
            print(plain(lang, "cli_no_cluster", cluster=cluster_id), file=err)
            return 1
        summary = await summary_for(session, cluster_id, code)
        if summary is None:
            print(plain(lang, "cli_no_summary", period=code), file=err)
            return 1
        history = (
            await history_for(session, cluster_id, summary.compiled_from or [summary.period])
            if fmt == "xlsx"
            else []
        )
        sheets = None
        if fmt == "xlsx" and summary.period.isdigit():  # a year: its scoring too
            from bot.services.scoring_sheets import scoring_sheets_for
            from storage.types import utcnow

            sheets = await scoring_sheets_for(
                session, cluster_id, int(summary.period), today=utcnow().date()
            )
    if fmt == "xlsx":
        build_workbook = _workbook_builder()
        data = await asyncio.to_thread(
            build_workbook, summary, lang, history, summary.generated_at, sheets
        )
    else:
        from bot.reports.csv_export import build_csv

        data = await asyncio.to_thread(build_csv, summary, lang)
    path = Path(output)
    try:
        await asyncio.to_thread(write_atomically, path, data)
    except OSError as exc:
        print(
            plain(lang, "cli_cannot_write", path=str(path), reason=exc.strerror or str(exc)),
            file=err,
        )
        return 2
    print(
        plain(
            lang, "cli_written", path=str(path), period=summary.period, coverage=summary.coverage
        ),
        file=out,
    )
    return 0


def _workbook_builder() -> Callable[..., bytes]:
    """``build_workbook``, imported without numpy. openpyxl imports numpy when it is installed
    (matplotlib brings it), only to accept numpy's number types as cell values, which the
    workbook never writes: ~0,14 s of this command's CPU. It is hidden from that one import;
    a process that already has numpy (the worker that draws charts) keeps it."""
    hidden = "numpy" not in sys.modules
    if hidden:
        sys.modules["numpy"] = None  # type: ignore[assignment]  # what an absent module looks like
    try:
        from bot.reports.workbook import build_workbook
    finally:
        if hidden and sys.modules.get("numpy", 0) is None:
            del sys.modules["numpy"]
    return build_workbook
