"""The real bot for the benches: ``clusterbot run`` in a process of its own,
``python -m bench.load.bot_runner``, with the bench's instruments switched on by environment
variables. Nothing here is in the bot's code paths: the instruments are installed from outside
before ``bot.cli.main(["run"])`` starts, as the runtime tests' replica process does.

Settings come from the environment as for ``clusterbot run``. The instruments:

- ``BENCH_STATS=path``: on SIGUSR1 the process writes ``{"seq": n, "statements": k}`` to
  ``path`` (a new file renamed over the old one), ``seq`` counting the signals; the bench
  signals before and after each measured step and takes the difference.
- ``BENCH_COUNT_SQL=1``: ``statements`` counts every statement SQLAlchemy sends (an event
  listener on every engine: the bot's pool, the readiness probe, the lock's connection if it
  is an engine's).
- ``BENCH_SQL_TEXTS=1``: the stats also count the statements by their text (whitespace
  folded, the first 160 characters), to tell which ones an update sends.
- ``BENCH_PROFILE=path``: SIGUSR2 starts cProfile on the main thread (the event loop: the
  handlers, SQLAlchemy, python-telegram-bot, httpx), timed by the thread's own CPU clock, and
  a stack sampler of it (bench/load/sampler.py); the second SIGUSR2 stops both and writes the
  pstats file at ``path`` and the samples beside it (``.samples.json``). aiosqlite's thread
  is not profiled (the bench reports that thread's CPU from /proc).
- ``BENCH_PACING=0``: no pacing (``build_application(rate_limit=False)``), so the bench
  measures what the bot's CPU allows, not Telegram's 30 messages a second.
"""

from __future__ import annotations

import cProfile
import functools
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import bot.runtime.replica
from bot.app import build_application
from bot.cli import main

from .processes import ROOT
from .sampler import Sampler

_statements = 0
_texts: Counter[str] = Counter()
_seq = 0
_profiler: cProfile.Profile | None = None
_sampler: Sampler | None = None


def _count(*_: Any) -> None:
    global _statements
    _statements += 1


def _count_text(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    _texts[" ".join(statement.split())[:160]] += 1


def _write_stats(signum: int, frame: FrameType | None) -> None:
    global _seq
    _seq += 1
    path = Path(os.environ["BENCH_STATS"])
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"seq": _seq, "statements": _statements, "texts": _texts}))
    partial.replace(path)


def _toggle_profile(signum: int, frame: FrameType | None) -> None:
    global _profiler, _sampler
    if _profiler is None or _sampler is None:
        _sampler = Sampler(ROOT)
        _sampler.start()
        _profiler = cProfile.Profile(time.thread_time)
        _profiler.enable()
        return
    _profiler.disable()
    path = Path(os.environ["BENCH_PROFILE"])
    samples = _sampler.stop()
    path.with_suffix(".samples.json").write_text(json.dumps(samples))
    partial = path.with_suffix(".tmp")
    _profiler.dump_stats(partial)
    partial.replace(path)  # whole, or not there yet (the samples are written before)
    _profiler = _sampler = None


def install() -> None:
    if os.environ.get("BENCH_COUNT_SQL") == "1":
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", _count)
        if os.environ.get("BENCH_SQL_TEXTS") == "1":
            event.listen(Engine, "before_cursor_execute", _count_text)
    if os.environ.get("BENCH_STATS"):
        signal.signal(signal.SIGUSR1, _write_stats)
    if os.environ.get("BENCH_PROFILE"):
        signal.signal(signal.SIGUSR2, _toggle_profile)
    if os.environ.get("BENCH_PACING") == "0":
        # The replica builds each Application with the module's name for the function.
        bot.runtime.replica.build_application = functools.partial(
            build_application, rate_limit=False
        )


if __name__ == "__main__":
    install()
    sys.exit(main(["run"]))
