"""Bring a database's schema up to date with Alembic, from code (no alembic.ini needed).

Alembic is imported only when it runs: importing it costs about 0,1 s of CPU (its dialect
modules, its script machinery), more than a short command spends on its work. A command that
only needs the schema to be current asks `upgrade_if_needed`, which compares the revision the
database records with the head of the scripts, read from the version files without Alembic,
and runs Alembic only when they differ or either cannot be read.
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
# The PostgreSQL advisory lock that lets one process at a time migrate a database (taken in
# migrations/env.py). A fixed key, the same in every process; the bytes spell "clbmigr" so that
# it does not collide with a lock another part of the bot takes.
MIGRATION_LOCK = 0x636C_626D_6967_72


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Synchronous on purpose: env.py runs its own event loop. Call it via asyncio.to_thread."""
    upgrade_from(url, revision)


def upgrade_from(url: str, revision: str = "head") -> tuple[str, ...]:
    """Upgrade, and return the revisions the database was at before (empty for a new one), as
    read under the migration lock: of two processes upgrading at once, the one that waited sees
    the other's result. Synchronous, like `upgrade`."""
    from alembic import command

    config = alembic_config(url)
    command.upgrade(config, revision)
    return tuple(sorted(config.attributes.get("revisions_before", ())))


def autogenerate(url: str, message: str) -> None:
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)


def script_heads(versions: Path = VERSIONS) -> frozenset[str] | None:
    """The head revisions of the migration scripts: the revisions no other script revises.

    Read from each version file's literal ``revision`` and ``down_revision`` assignments (what
    Alembic reads when it loads the files), parsed, never executed. None when a file does not
    state them literally: the caller then leaves the question to Alembic.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    # The files Alembic loads from a version folder: *.py, not __init__, not editor locks.
    for path in versions.glob("*.py"):
        if path.name.startswith((".#", "__init__")):
            continue
        values: dict[str, object] = {}
        try:
            body = _top_statements(path)
        except (OSError, SyntaxError, ValueError):
            return None
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError):
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            revised.add(down)
        elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
            revised.update(down)
        elif down is not None:
            return None
    heads = frozenset(revisions - revised)
    return heads or None


_FIRST_DEF = re.compile(rb"^(?:async\s+)?def\s", re.MULTILINE)
_REVISION_LINE = re.compile(rb"^(?:down_)?revision\b", re.MULTILINE)


def _top_statements(path: Path) -> list[ast.stmt]:
    """The module's top-level statements that can assign its revisions: those before its first
    function, when nothing after it starts with "revision" or "down_revision" (then the whole
    file). The functions (upgrade, downgrade) are most of a script; parsing them cost about
    as much CPU as a short command's own work."""
    data = path.read_bytes()
    first_def = _FIRST_DEF.search(data)
    if first_def is not None and _REVISION_LINE.search(data, first_def.start()) is None:
        try:
            return ast.parse(data[: first_def.start()], str(path)).body
        except SyntaxError:
            pass  # cut inside a string or a bracket: the whole file, below
    return ast.parse(data, str(path)).body


async def database_revisions(db: Database) -> frozenset[str] | None:
    """The revisions the database records (Alembic's version table); None when it has none or
    cannot be read (a new database, no such table, an error Alembic will report itself)."""
    try:
        async with db.session(write=False) as session:
            connection = await session.connection()
            rows = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            found = frozenset(str(row[0]) for row in rows)
    except Exception:  # noqa: BLE001 - whatever it is, Alembic meets it next and reports it
        return None
    return found or None


async def upgrade_if_needed(db: Database) -> bool:
    """Upgrade ``db`` to the head unless it is there already; True when Alembic ran.

    The usual case, a database at the head, costs one query instead of importing and running
    Alembic; anything else (a new database, an older revision, a revision the scripts do not
    know, an unreadable script) goes to Alembic, which upgrades or fails as it always did.
    """
    heads = script_heads()
    if heads is not None and await database_revisions(db) == heads:
        return False
    await asyncio.to_thread(upgrade, db.url)
    return True
