"""A replica limits glibc's malloc arenas before it starts a thread (bot/runtime/allocator.py),
unless the operator set MALLOC_ARENA_MAX; checked in fresh processes, by glibc's own count."""

from __future__ import annotations

import os
import subprocess
import sys

# Eight threads allocating at once (kept alive together, so none reuses another's arena), then
# glibc's malloc_stats(), which prints one "Arena N:" block per arena to stderr.
_PROBE = """
import ctypes, sys, threading
from bot.runtime.allocator import limit_arenas
print(limit_arenas())
barrier = threading.Barrier(8)
def work():
    blobs = [bytes(100_000) for _ in range(5)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()
"""


def _arenas(**env: str) -> tuple[str, int]:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env={**base, **env},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    arenas = sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))
    return done.stdout.strip(), arenas


def test_two_arenas_whatever_the_threads() -> None:
    assert _arenas() == ("True", 2)


def test_the_operators_setting_wins() -> None:
    said, arenas = _arenas(MALLOC_ARENA_MAX="4")
    assert said == "False"
    assert arenas == 4  # glibc read the environment itself
