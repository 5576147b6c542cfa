"""`clusterbot backup FILE [--cluster ID]` and `clusterbot restore FILE [--cluster ID]
[--replace]`: the bodies of the commands (the archive and the rules: `storage/backup.py`).

Exit codes: 0 done; 1 refused (the archive is damaged, of another format or a newer schema;
the target holds the data already; no such cluster), with one line saying why and nothing
written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from messages.render import render
from storage import backup as store
from storage.database import Database

__all__ = ["backup_command", "restore_command"]


async def backup_command(db: Database, path: Path, cluster: str | None, *, lang: str) -> int:
    try:
        report = await store.backup(db, path, None if cluster is None else [cluster])
    except store.BackupError as exc:
        print(render(lang, f"backup.{exc.code}", **exc.params), file=sys.stderr)
        return 1
    print(render(lang, "backup.written", report=report))
    return 0


async def restore_command(
    db: Database, path: Path, cluster: str | None, replace: bool, *, lang: str
) -> int:
    try:
        report = await store.restore(db, path, cluster, replace=replace)
    except store.BackupError as exc:
        print(render(lang, f"backup.{exc.code}", **exc.params), file=sys.stderr)
        return 1
    print(render(lang, "backup.restored", report=report))
    return 0
