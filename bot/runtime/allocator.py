"""The C allocator of a long-lived replica: few malloc arenas.

glibc's malloc gives each thread that allocates its own arena, up to eight per core, and keeps
what a thread freed in that thread's arena for reuse by it. A replica on SQLite runs a thread per
database connection (aiosqlite; up to 15 under load, the pool's size and overflow) besides
asyncio's executor threads: each burst leaves freed memory scattered over as many arenas, and
the process's resident memory stays up by that much (bench/memory: about 20 MiB of the
replica's peak, see the README). Python's own small objects never go through malloc's arenas;
SQLite's and the drivers' allocations do, and they are short, so two arenas cost no measurable
CPU.

Two arenas is the setting glibc's documentation suggests for such servers
(``MALLOC_ARENA_MAX``); it is set here, before the replica starts a thread, so that every way of
running it (compose, systemd, a shell) gets it. An operator's own ``MALLOC_ARENA_MAX`` wins.
Anything else than glibc (musl, macOS) is left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

__all__ = ["ARENAS", "limit_arenas"]

ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's malloc to ``arenas`` arenas; True when set. Call before any thread starts."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        gnu = libc.gnu_get_libc_version  # glibc only: musl has mallopt but not this
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    gnu.restype = ctypes.c_char_p
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_ARENA_MAX, arenas))
    if not done:
        log.warning("malloc arenas not limited (glibc %s)", gnu().decode())
    return done
