"""A stack sampler of the bot's main thread, for the bench's runner: cProfile's cumulative
times are wrong for coroutines (each resumption is a call), a sample of the running stack is
not. Every ``interval`` a thread reads the main thread's frames (``sys._current_frames``);
samples where the loop waits in ``select`` are idle and dropped. For each busy sample: every
project function on the stack (inclusive), and the innermost one (the project code that
called the library code running then)."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

_OWN = ("bot", "storage", "messages")
_ENTRY = "bot/cli.py"  # the event loop runs under it: a sample with only it is the loop's


def _library(filename: str) -> str:
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    for i, part in enumerate(parts[:-1]):
        if part.startswith("python3"):
            return "stdlib " + parts[i + 1].removesuffix(".py")
    return Path(filename).name


class Sampler:
    def __init__(self, root: Path, interval: float = 0.002) -> None:
        self.root = str(root) + "/"
        self.interval = interval
        self.busy = 0
        self.idle = 0
        self.inclusive: Counter[str] = Counter()
        self.innermost: Counter[str] = Counter()
        self._stop = threading.Event()
        self._main = threading.main_thread().ident or 0
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def start(self) -> None:
        # The sampler gets the GIL at the main thread's next forced switch or blocking call;
        # with the default 5 ms switch interval, mostly at a call (a socket write), which would
        # put the samples where the bot does I/O. Forced switches every 0,2 ms spread them.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)
        return {
            "busy": self.busy,
            "idle": self.idle,
            "inclusive": self.inclusive,
            "innermost": self.innermost,
        }

    def _own(self, frame: FrameType) -> str | None:
        filename = frame.f_code.co_filename
        if not filename.startswith(self.root):
            return None
        relative = filename[len(self.root) :]
        if not relative.startswith(_OWN):
            return None
        return f"{relative}:{frame.f_code.co_firstlineno} {frame.f_code.co_name}"

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            frame = sys._current_frames().get(self._main)  # noqa: SLF001
            if frame is None:
                continue
            if (
                frame.f_code.co_name in ("select", "poll")
                and "selectors" in frame.f_code.co_filename
            ):
                self.idle += 1
                continue
            self.busy += 1
            leaf = _library(frame.f_code.co_filename)
            seen: set[str] = set()
            first: str | None = None
            while frame is not None:
                name = self._own(frame)
                if name is not None:
                    if first is None:
                        first = name
                    seen.add(name)
                frame = frame.f_back
            self.inclusive.update(seen)
            if first is None or first.startswith(_ENTRY):
                # No project code under it: the loop's own work, or SQLAlchemy's inside a
                # greenlet (its stack does not lead back to the coroutine that awaits it).
                first = f"({leaf}, no project function on its stack)"
            self.innermost[first] += 1
        time.sleep(0)
