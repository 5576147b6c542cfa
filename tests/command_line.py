"""`clusterbot ARGS` for tests, in this process.

It calls `bot.cli.main`, the function the `clusterbot` console script calls, with the command's
own environment (only the variables it is given, over this process's others), working
directory, standard output and standard error, and turns what it returns (or argparse's
`SystemExit`) into the exit status. Settings, texts, the database and what the command prints
are all the command's own; what is not run is the interpreter's start, which costs about a
second of CPU per command on these machines (most of it imports this process has already done).

Where the process itself is under test (the console script, a bad setting before anything is
imported, `clusterbot run` with its signals and locks, two processes at once), the tests start a
real one instead: tests/test_cli.py, tests/runtime, tests/storage/test_migrate_concurrently.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# The variables a command reads; a test's own environment must not leak into it.
SETTINGS_PREFIXES = ("TELEGRAM_", "DATABASE_URL", "CLUSTERBOT_")

# One command at a time: the environment, the working directory and sys.stdout/sys.stderr
# belong to the whole process.
_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Ran:
    """`clusterbot ARGS` with ``env`` as its settings; returns its status and output.

    The command runs in a thread of its own (with its own event loop, as in its process) and
    this call waits for it, blocking the caller as `subprocess.run` did; from a test's event
    loop, when the command needs that loop (the emulator), use `run_cli_async`."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []
    failure: list[BaseException] = []

    def command() -> None:
        try:
            # A fresh context: what the command sets (messages.render.use_zone) stays with it.
            result.append(contextvars.Context().run(_exit_status, main, list(args)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    with _one_at_a_time, _environment(env or {}), _working_directory(cwd):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            thread = threading.Thread(target=command, name="clusterbot-cli")
            thread.start()
            thread.join()
    if failure:
        raise failure[0]
    return Ran(result[0], out.getvalue(), err.getvalue())


async def run_cli_async(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Ran:
    """The same from a test's event loop: the command runs its own loop in a thread, so the
    emulator in the test's loop can answer it (an invite's getMe)."""
    return await asyncio.to_thread(run_cli, *args, env=env, cwd=cwd)


def _exit_status(main: object, argv: list[str]) -> int:
    assert callable(main)
    try:
        return int(main(argv))
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in [k for k in os.environ if k.startswith(SETTINGS_PREFIXES)]:
        del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _working_directory(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = Path.cwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)
