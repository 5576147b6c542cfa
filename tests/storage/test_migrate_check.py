"""The cheap "is the schema current?" check of the command line (storage/migrate.py): it reads
the scripts' head as Alembic does, skips Alembic only at the head, and runs it otherwise."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.script import ScriptDirectory

from storage import migrate
from storage.database import Database


def _alembic_script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(""))


def test_the_heads_read_from_the_files_are_alembics() -> None:
    assert migrate.script_heads() == frozenset(_alembic_script().get_heads())


def test_heads_of_a_branch_and_a_merge_and_of_files_that_are_not_literal(tmp_path: Path) -> None:
    def write(name: str, body: str) -> None:
        (tmp_path / name).write_text(body, encoding="utf-8")

    write("a.py", 'revision = "a"\ndown_revision = None\n')
    write("b.py", 'revision: str = "b"\ndown_revision: str | None = "a"\n')
    write("c.py", 'revision = "c"\ndown_revision = "a"\n')
    write("__init__.py", "")
    assert migrate.script_heads(tmp_path) == {"b", "c"}
    write("d.py", 'revision = "d"\ndown_revision = ("b", "c")\n')
    assert migrate.script_heads(tmp_path) == {"d"}
    write("e.py", 'revision = make_id()\ndown_revision = "d"\n')
    assert migrate.script_heads(tmp_path) is None  # left to Alembic
    (tmp_path / "e.py").unlink()
    write("f.py", 'down_revision = "d"\n')
    assert migrate.script_heads(tmp_path) is None


def test_the_revisions_are_read_before_the_functions_unless_the_file_says_more(
    tmp_path: Path,
) -> None:
    def write(name: str, body: str) -> None:
        (tmp_path / name).write_text(body, encoding="utf-8")

    write("a.py", 'revision = "a"\ndown_revision = None\n\ndef upgrade():\n    revision = "no"\n')
    assert migrate.script_heads(tmp_path) == {"a"}  # a function's local is not the module's
    # Reassigned after a function: the module's last assignment counts, as when Alembic runs it.
    write("b.py", 'revision = "b"\ndown_revision = "a"\ndef f():\n    pass\nrevision = "b2"\n')
    assert migrate.script_heads(tmp_path) == {"b2"}
    # "def" at the start of a line inside a string: the cut does not parse, the whole file does.
    write("c.py", 'revision = "c"\ndown_revision = "b2"\nx = """\ndef not_a_function\n"""\n')
    assert migrate.script_heads(tmp_path) == {"c"}


async def test_a_new_database_is_migrated_then_left_alone(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        assert await migrate.database_revisions(db) is None  # no version table yet
        assert await migrate.upgrade_if_needed(db) is True
        assert await migrate.database_revisions(db) == migrate.script_heads()
        assert await migrate.upgrade_if_needed(db) is False
    finally:
        await db.dispose()


async def test_an_older_revision_is_upgraded(sqlite_url: str) -> None:
    script = _alembic_script()
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    await asyncio.to_thread(migrate.upgrade, sqlite_url, previous)
    db = Database(sqlite_url)
    try:
        assert await migrate.database_revisions(db) == {previous}
        assert await migrate.upgrade_if_needed(db) is True
        assert await migrate.database_revisions(db) == {head}
    finally:
        await db.dispose()


async def test_postgresql_at_the_head_and_without_a_version_table(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        assert await migrate.database_revisions(db) == migrate.script_heads()
        assert await migrate.upgrade_if_needed(db) is False
        async with db.engine.begin() as connection:
            await connection.exec_driver_sql("DROP TABLE alembic_version")
        # The failed read (an aborted read-only transaction) is an answer, not an error.
        assert await migrate.database_revisions(db) is None
    finally:
        await db.dispose()
