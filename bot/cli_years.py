"""`clusterbot year start YEAR --cluster ID`: the body of the command.

The argument parsing lives in ``bot/cli.py``. Exit codes: 0 the year started, 1 refused (no such
cluster, the year already started, a year out of range).
"""

from __future__ import annotations

import sys

from bot.clock import system_clock
from bot.services import years
from bot.services.admin import AdminError
from messages.render import render
from storage.database import Database

__all__ = ["year_command"]


async def year_command(db: Database, cluster_id: str, year: int, *, lang: str) -> int:
    try:
        started = await years.start_year(db, cluster_id, year, now=system_clock())
    except years.YearExists:
        print(render(lang, "years.already_started", year=year, cluster=cluster_id), file=sys.stderr)
        return 1
    except AdminError as exc:
        print(render(lang, f"years.{exc.code}", **exc.params), file=sys.stderr)
        return 1
    print(render(lang, "years.started", cluster=cluster_id, started=started))
    return 0
