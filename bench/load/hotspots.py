"""Where the bot's CPU goes, from the profile of its main thread (bench/load/bot_runner.py):
cProfile's self time grouped by library or project package, and the stack samples' project
functions (the innermost on the stack, and inclusive)."""

from __future__ import annotations

import json
import pstats
from collections import Counter
from pathlib import Path

from .processes import ROOT

# pstats' entries: (file, line, name) -> (primitive calls, calls, self, cumulative, callers)
_Key = tuple[str, int, str]


def area(filename: str) -> str:
    """ "sqlalchemy", "telegram", "bot.services", "asyncio", ... for a code file."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        i = parts.index("site-packages")
        return parts[i + 1].removesuffix(".py") if i + 1 < len(parts) else "site-packages"
    try:
        relative = path.relative_to(ROOT)
        return ".".join(relative.parts[:2]).removesuffix(".py")
    except ValueError:
        pass
    for i, part in enumerate(parts):
        if part.startswith("python3"):
            rest = parts[i + 1 :]
            return "stdlib " + (rest[0].removesuffix(".py") if rest else "")
    return filename


def _label(key: _Key) -> str:
    filename, line, name = key
    try:
        filename = str(Path(filename).relative_to(ROOT))
    except ValueError:
        pass
    return f"{filename}:{line} {name}"


def summarise(path: Path, per: int, top: int = 5) -> list[str]:
    """Lines to print: the top areas by self time, the project's top functions by cumulative
    time, both in ms per ``per`` (the updates profiled)."""
    stats = pstats.Stats(str(path))
    entries: dict[_Key, tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]  # pstats' table, not in its stubs
    total = float(sum(e[2] for e in entries.values()))
    by_area: dict[str, float] = {}
    for key, entry in entries.items():
        by_area[area(key[0])] = by_area.get(area(key[0]), 0.0) + entry[2]
    lines = [f"profiled main-thread CPU: {1000 * total / per:.1f} ms per update ({per} updates)"]
    lines.append(f"self time by library or package, top {top} (ms per update, share):")
    for name, seconds in sorted(by_area.items(), key=lambda kv: kv[1], reverse=True)[:top]:
        lines.append(f"  {1000 * seconds / per:6.2f} ms  {100 * seconds / total:4.1f}%  {name}")
    samples = json.loads(path.with_suffix(".samples.json").read_text())
    busy = max(1, samples["busy"])
    per_sample = total / busy  # the profiled CPU spread over the busy samples
    lines.append(
        f"the project's innermost function on the stack (the library code it called included), "
        f"top {top * 2} of {samples['busy']} busy samples:"
    )
    for name, n in Counter(samples["innermost"]).most_common(top * 2):
        lines.append(f"  {1000 * n * per_sample / per:6.2f} ms  {100 * n / busy:4.1f}%  {name}")
    lines.append(
        f"the project's functions on the stack (inclusive; not those always there), top {top * 2}:"
    )
    inclusive = Counter(samples["inclusive"])
    for name, n in [(k, v) for k, v in inclusive.most_common() if v < 0.9 * busy][: top * 2]:
        lines.append(f"  {1000 * n * per_sample / per:6.2f} ms  {100 * n / busy:4.1f}%  {name}")
    lines.append(f"functions by self time (cProfile), top {top}:")
    ranked = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)
    for key, entry in ranked[:top]:
        lines.append(f"  {1000 * entry[2] / per:6.2f} ms  {entry[1]:>7} calls  {_label(key)}")
    return lines
